"""`enforcer demo` (issue 20) as a newcomer runs it: the whole story in a sandbox, every verdict
checked, nothing left running; then served, and the web view shows what happened."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

STORY = [
    ("task_worker1: pushes feature work", "allowed"),
    ("task_worker2: commits directly on dev", "refused"),
    ("task_worker2: pushes it anyway, hooks skipped (--no-verify)", "refused"),
    ("task_worker1: force-pushes feature/login-1128", "refused"),
    ("task_worker2: commits in edu_worker1's math directory", "refused"),
    ("task_worker1: claims src/login/ for its work", "allowed"),
    ("task_worker2: commits in src/login/, which task_worker1 holds", "refused"),
    ("audit_manager: merges feature/login-1128 into dev", "allowed"),
    ("jgirmay: merges dev into main", "allowed"),
    ("jgirmay: tags v1.0.0: QA deploys it at once", "deployed"),
    ("jgirmay: deploys v1.0.0 to prod before approval", "refused"),
    ("jgirmay: approves v1.0.0 for prod", "allowed"),
    ("jgirmay: deploys v1.0.0 to prod", "deployed"),
    ("jgirmay: tags v1.0.1, whose deploy to QA fails", "rolled back"),
]


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def ports(text: str) -> set[int]:
    return {int(p) for p in re.findall(r"answers on port (\d+)", text)}


@pytest.mark.server  # the demo's deploys start real HTTP services
def test_the_story_with_every_verdict(tmp_path: Path) -> None:
    sandbox = tmp_path / "demo"
    proc = subprocess.run(["enforcer", "demo", "--dir", str(sandbox), "--no-serve"], capture_output=True, text=True,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    steps = [line for line in proc.stdout.splitlines() if re.match(r"^\s*\d+\. ", line)]
    assert len(steps) == len(STORY)
    for line, (what, verdict) in zip(steps, STORY):
        assert what in line and line.endswith(f" {verdict} ✓"), line
    for check in ("branches.force_push", "ownership.owner", "claims.held", "environments.approve"):
        assert check in proc.stdout  # each refusal for its own reason
    assert "every verdict as the policy says" in proc.stdout
    # everything it made is in its directory, and nothing it started is left running
    assert {p.name for p in sandbox.iterdir()} >= {"origin.git", "agent1", "agent2", "reviewer", "release", "home",
                                                   "deploy", ".enforcer-demo"}
    assert ports(proc.stdout) and not any(answers(p) for p in ports(proc.stdout))


def test_a_second_demo_clears_the_first_but_no_other_directory(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me\n")
    proc = subprocess.run(["enforcer", "demo", "--dir", str(mine), "--no-serve"], capture_output=True, text=True)
    assert proc.returncode == 2 and "not an enforcer demo's directory" in proc.stderr
    assert (mine / "notes.txt").read_text() == "keep me\n"


@pytest.mark.server  # the demo's services and `enforcer serve`
def test_the_demo_serves_the_web_view(tmp_path: Path) -> None:
    proc = subprocess.Popen(["enforcer", "demo", "--dir", str(tmp_path / "demo")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    seen = ""
    try:
        for line in proc.stdout:
            seen += line
            if "The web view: " in line:
                break
        address = re.search(r"http://127\.0\.0\.1:(\d+)/", seen)
        assert address, seen
        for _ in range(100):  # waitress binds just after the address is printed
            if answers(int(address.group(1))):
                break
            time.sleep(0.05)
        with urllib.request.urlopen(address.group(0) + "api/status", timeout=10) as answer:
            view = json.loads(answer.read())
        live = {e["name"]: (e["live"] or {}).get("tag") for e in view["environments"]}
        assert live["qa"] == "v1.0.0" and live["prod"] == "v1.0.0"
        with urllib.request.urlopen(address.group(0) + "deployments", timeout=10) as answer:
            page = answer.read().decode()
        assert "v1.0.1" in page and "failed" in page
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert "Traceback" not in err
    assert not any(answers(p) for p in ports(seen))  # Ctrl-C stopped the demo's services too


@pytest.mark.server
def test_a_demo_stopped_midway_leaves_nothing_running(tmp_path: Path) -> None:
    """A kill in the middle of the story (here during the deploys) ends what it started too."""
    sandbox = tmp_path / "demo"
    proc = subprocess.Popen(["enforcer", "demo", "--dir", str(sandbox), "--no-serve"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    seen = ""
    for line in proc.stdout:
        seen += line
        if "QA deploys it at once" in line:
            break
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    time.sleep(1)
    mark = f"ENFORCER_DEPLOY_ROOT={sandbox / 'deploy'}".encode()
    left = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            if mark in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                left.append(pid)
        except OSError:
            continue
    assert left == [], seen
