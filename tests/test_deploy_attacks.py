"""Attacks on the tag-driven deploy runner (docs/deploy.md, DESIGN.md *The deploy runner*),
each against a real bare repository with the server hooks, real pushes and real processes,
reusing tests/test_deploy_runner.py's Site.

A test marked xfail(strict=True) shows a hole that is there today (its reason says which); the
others prove that an attack fails."""
from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from enforcer.model import Approved, approval_ref, approval_text
from tests.conftest import SOP, enforcer, git
from tests.server import test_receive
from tests.test_deploy_runner import APP, Site, alive

ORIGINAL = (APP / "deploy.sh").read_text()
HEAD_OF_SCRIPT = 'env="$1"; tag="$2"\n'


def script(extra: str) -> str:
    """deploy.sh with ``extra`` (sh) run first, then the real deploy."""
    assert HEAD_OF_SCRIPT in ORIGINAL
    return ORIGINAL.replace(HEAD_OF_SCRIPT, HEAD_OF_SCRIPT + extra)


def edited_site(tmp: Path, monkeypatch: pytest.MonkeyPatch, edit, **kw) -> Site:
    """A Site whose reference policy was first changed by ``edit`` (text -> text)."""
    edited = tmp / "edited-sop.yaml"
    edited.write_text(edit(SOP.read_text()))
    monkeypatch.setattr(test_receive, "SOP", edited)
    return Site(tmp, **kw)


def tag_with(site: Site, tag: str, files: dict[str, str], actor: str = "jgirmay") -> subprocess.CompletedProcess[str]:
    """An annotated tag on a commit of main that changes ``files`` (path -> text), pushed."""
    git(site.clone, "switch", "-q", "--detach", "main")
    for name, text in files.items():
        path = site.clone / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if name.endswith(".sh"):
            path.chmod(0o755)
        git(site.clone, "add", name)
    git(site.clone, "commit", "-qm", f"{tag}: {' '.join(files)}")
    git(site.clone, "tag", "-a", "-m", tag, tag)
    git(site.clone, "switch", "-q", "main")
    return site.server.push(actor, f"refs/tags/{tag}")


def run(site: Site, actor: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Like Site.run, without its no-Traceback assertion (a test may show one)."""
    env = {**os.environ, "ENFORCER_ACTOR": actor, "ENFORCER_DEPLOY_ROOT": str(site.tmp)}
    return subprocess.run(("enforcer", *args), cwd=site.bare, capture_output=True, text=True, env=env,
                          timeout=timeout)


def start(site: Site, actor: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "ENFORCER_ACTOR": actor, "ENFORCER_DEPLOY_ROOT": str(site.tmp)}
    return subprocess.Popen(("enforcer", *args), cwd=site.bare, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(path: Path, seconds: float = 20) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if path.exists():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def quiet(tmp_path: Path):
    s = Site(tmp_path, timeout="4s", on_push=False)
    yield s
    s.stop()


@pytest.fixture
def onpush(tmp_path: Path):
    s = Site(tmp_path, timeout="6s", on_push=True)
    yield s
    s.stop()


# -- what the deploy command gets -----------------------------------------------------------------

DUMP = 'mkdir -p "$DATA_DIR"; env >"$DATA_DIR/env.txt"; printf "%s\\n" "$@" >"$DATA_DIR/args.txt"\n'


def test_a_tag_push_deploy_gets_none_of_gits_hook_variables(onpush: Site) -> None:
    """post-receive runs with GIT_DIR and friends set; the command must not see them (it would act
    on the server repository instead of its checkout)."""
    push = tag_with(onpush, "v1.0.0", {"deploy.sh": script(DUMP)})
    assert push.returncode == 0 and "deploy.sh: v1.0.0 to qa" in push.stderr, push.stderr
    seen = dict(line.split("=", 1) for line in (onpush.tmp / "qa_data" / "env.txt").read_text().splitlines()
                if "=" in line)
    print(sorted(k for k in seen if k.startswith("GIT")))
    assert not [k for k in seen if k in ("GIT_DIR", "GIT_QUARANTINE_PATH", "GIT_OBJECT_DIRECTORY",
                                         "GIT_ALTERNATE_OBJECT_DIRECTORIES") or k.startswith("GIT_PUSH_OPTION")]
    assert (seen["APP_ENV"], seen["PORT"], seen["ENFORCER_TAG"]) == ("qa", str(onpush.ports["qa"]), "v1.0.0")
    assert seen["DATA_DIR"] == str(onpush.tmp / "qa_data")
