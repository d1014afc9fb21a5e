"""The deploy runner (issue 18) against a real bare repository with the server hooks: real tags
pushed with `git push`, a real deploy script starting a real HTTP service, the health check
polling it, the records and the qa/prod branches checked at each step.

The policy is the reference policy with free ports and a short timeout (so a health check that
never passes ends in seconds); its deploy command, checks and gates are the SOP's own."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from enforcer.model import approval_ref, approval_text, Approved
from tests.conftest import ROOT, enforcer, git
from tests.server.test_receive import Server

pytestmark = pytest.mark.server  # deploys start real HTTP services and wait on their health checks

APP = ROOT / "enforcer" / "demo_app"  # the demo's service: deploy.sh, app.py and its test


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


class Site:
    """The bare repository (origin.git), a release manager's clone, the deploy root beside them."""

    def __init__(self, tmp: Path, timeout: str = "15s", on_push: bool = True, deploy: str = "") -> None:
        self.server = Server(tmp)
        self.tmp = tmp
        self.bare, self.clone = self.server.bare, self.server.clone
        policy = self.clone / "policy.yaml"
        text = policy.read_text()
        self.ports = dict(zip(("prod", "qa", "dev", "env3", "env4", "env5"), free_ports(6)))
        for env, old in (("prod", 8080), ("qa", 8081), ("dev", 8082), ("env3", 8085), ("env4", 8086), ("env5", 8087)):
            text = text.replace(f"port: {old}\n", f"port: {self.ports[env]}\n").replace(
                f"port: {old},", f"port: {self.ports[env]},")
        text = text.replace("timeout: 10m", f"timeout: {timeout}")
        if not on_push:
            text = text.replace("on_tag_push: true", "on_tag_push: false")
        text = text.replace("  actor: deploy-bot\n", f"  actor: deploy-bot\n{deploy}")
        policy.write_text(text)
        for name in ("deploy.sh", "app.py", "tests/test_app.py"):
            (self.clone / name).parent.mkdir(exist_ok=True)
            shutil.copy2(APP / name, self.clone / name)
        git(self.clone, "add", ".")
        git(self.clone, "commit", "-q", "--amend", "-m", "policy and the service")
        push = self.server.push("jgirmay", "main")
        assert push.returncode == 0, push.stderr

    def release(self, tag: str, *marks: str) -> subprocess.CompletedProcess[str]:
        """An annotated tag on a commit of main (with ``marks``: files that make the service
        broken or its deploy fail), pushed by jgirmay."""
        git(self.clone, "switch", "-q", "--detach", "main")
        for mark in marks:
            (self.clone / mark).write_text("x\n")
            git(self.clone, "add", mark)
        if marks:
            git(self.clone, "commit", "-qm", f"{tag}: {' '.join(marks)}")
        git(self.clone, "tag", "-a", "-m", tag, tag)
        git(self.clone, "switch", "-q", "main")
        return self.server.push("jgirmay", f"refs/tags/{tag}")

    def run(self, actor: str, *args: str) -> subprocess.CompletedProcess[str]:
        proc = enforcer(self.bare, *args, env={"ENFORCER_ACTOR": actor, "ENFORCER_DEPLOY_ROOT": str(self.tmp)})
        assert "Traceback" not in proc.stderr + proc.stdout
        return proc

    def approve(self, actor: str, env: str, tag: str) -> None:
        """`enforcer approve` in the release manager's clone: the approval is pushed, judged by the
        server's hooks and recorded there."""
        proc = enforcer(self.clone, "approve", env, tag, env={"ENFORCER_ACTOR": actor})
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def approve_by_hand(self, actor: str, env: str, tag: str) -> None:
        """An approval ref written straight into the bare repository, bypassing every check (as an
        administrator could): the runner's gates must still hold."""
        tag_object = git(self.bare, "rev-parse", f"refs/tags/{tag}")
        blob = git(self.bare, "hash-object", "-w", "--stdin",
                   input=approval_text(Approved(env, tag, actor, tag_object, time.time())))
        git(self.bare, "update-ref", approval_ref(env, tag), blob)

    def approvals(self) -> list[dict[str, object]]:
        """The approvals on record in the server's store."""
        from enforcer import serialize
        from enforcer.records import default_store

        return [serialize.approval(a) for a in default_store(str(self.bare)).approvals()]

    def deployments(self, env: str | None = None) -> list[dict[str, object]]:
        proc = self.run("jgirmay", "deployments", *([env] if env else []), "--format", "json")
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    def branch(self, name: str) -> str | None:
        return self.server.ref(f"refs/heads/{name}")

    def commit_of(self, tag: str) -> str:
        return git(self.bare, "rev-parse", f"refs/tags/{tag}^{{commit}}")

    def health(self, env: str) -> str:
        import urllib.request

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[env]}/health", timeout=2) as answer:
                return f"{answer.status} {answer.read().decode().strip()}"
        except Exception as e:  # noqa: BLE001 - what the test shows
            return f"down ({e})"

    def stop(self) -> None:
        for pid_file in self.tmp.glob("*/app.pid"):
            try:
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass


@pytest.fixture
def site(tmp_path: Path):
    s = Site(tmp_path, timeout="8s")
    yield s
    s.stop()


def test_the_whole_sop_flow(site: Site) -> None:
    """tag -> QA deploy -> refused production deploy -> approval -> production deploy -> failing
    deploy -> automatic rollback -> manual rollback; branches and records right at each step."""
    # a release tag pushed deploys to QA at once (on_tag_push), its output reaching the pusher
    push = site.release("v1.0.0")
    assert push.returncode == 0, push.stderr
    assert "remote: enforcer: deploy" in push.stderr and "deploy.sh: v1.0.0 to qa" in push.stderr
    assert site.health("qa") == "200 qa v1.0.0"
    assert site.branch("qa") == site.commit_of("v1.0.0")
    [qa1] = site.deployments("qa")
    assert qa1["outcome"] == "succeeded" and qa1["actor"] == "jgirmay" and qa1["checks"] == [{"command": "python3 -m pytest -q", "exit": 0}]

    # production: refused before approval
    refused = site.run("jgirmay", "deploy", "prod", "v1.0.0")
    assert refused.returncode == 1 and "not approved for prod" in refused.stdout
    assert site.deployments("prod") == [] and site.branch("prod") is None
    # an rc tag is refused by prod whatever its approvals (the server refuses to record one, so
    # this one is written by hand)
    assert site.release("v1.0.1-rc1").returncode == 0
    site.approve_by_hand("jgirmay", "prod", "v1.0.1-rc1")
    rc = site.run("jgirmay", "deploy", "prod", "v1.0.1-rc1")
    assert rc.returncode == 1 and "does not take tag" in rc.stdout

    # approval, then production
    site.approve("jgirmay", "prod", "v1.0.0")
    assert [(a["env"], a["tag"], a["actor"]) for a in site.approvals()] == [("prod", "v1.0.0", "jgirmay")]
    done = site.run("jgirmay", "deploy", "prod", "v1.0.0")
    assert done.returncode == 0, done.stdout + done.stderr
    assert site.health("prod") == "200 prod v1.0.0" and site.branch("prod") == site.commit_of("v1.0.0")

    # a failing deploy to QA rolls back to the last good version automatically
    broken = site.release("v1.1.0", "BROKEN")
    assert broken.returncode == 0  # the tag landed; its deploy failed
    assert "rolling qa back to v1.0.1-rc1" in broken.stderr
    rows = site.deployments("qa")
    assert [(r["tag"], r["outcome"]) for r in rows[:2]] == [("v1.0.1-rc1", "succeeded"), ("v1.1.0", "failed")]
    assert rows[0]["rollback_of"] == rows[1]["id"] and rows[1]["health"].startswith("timeout")
    assert site.health("qa") == "200 qa v1.0.1-rc1" and site.branch("qa") == site.commit_of("v1.0.1-rc1")

    # a second good version in production, then a manual rollback
    assert site.release("v1.2.0", "NEWS").returncode == 0
    site.approve("jgirmay", "prod", "v1.2.0")
    assert site.run("jgirmay", "deploy", "prod", "v1.2.0").returncode == 0
    assert site.branch("prod") == site.commit_of("v1.2.0")
    back = site.run("jgirmay", "rollback", "prod")
    assert back.returncode == 0, back.stdout + back.stderr
    assert site.health("prod") == "200 prod v1.0.0" and site.branch("prod") == site.commit_of("v1.0.0")
    rows = site.deployments("prod")
    assert [(r["tag"], r["outcome"]) for r in rows] == [("v1.0.0", "succeeded"), ("v1.2.0", "rolled-back"),
                                                        ("v1.0.0", "succeeded")]
    assert rows[0]["rollback_of"] == rows[1]["id"]
    # every step is a record, and every log can be read back
    for row in site.deployments():
        log = site.run("jgirmay", "deploy-log", str(row["id"]))
        assert log.returncode == 0 and f"{row['tag']}" in log.stdout


@pytest.fixture
def quiet(tmp_path: Path):
    """No deploy on tag push, a 4 s timeout: the faults, deployed by hand to env3 (any tag, exclusive)."""
    s = Site(tmp_path, timeout="4s", on_push=False)
    yield s
    s.stop()


def alive(pid_file: Path) -> bool:
    """Whether the process whose pid the file holds still runs (a zombie, ended but not yet reaped
    by whoever adopted it, does not)."""
    try:
        pid = int(pid_file.read_text())
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rpartition(b")")[2].split()[0] != b"Z"
    except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
        return False


def test_a_hanging_deploy_is_killed_with_its_process_group(quiet: Site) -> None:
    assert quiet.release("v2.0.0", "HANG").returncode == 0
    started = time.monotonic()
    proc = quiet.run("jgirmay", "deploy", "env3", "v2.0.0")
    assert proc.returncode == 1 and "killed at the deploy's timeout" in proc.stdout
    assert time.monotonic() - started < 4 + 5 + 5  # the timeout, the grace after SIGTERM, start-up
    [row] = quiet.deployments("env3")
    assert row["outcome"] == "failed" and row["health"] == "timeout"
    assert not alive(quiet.tmp / "env_3_data" / "hang.pid")  # the script's background child too


def test_a_failing_command_rolls_back_to_the_last_good_version(quiet: Site) -> None:
    assert quiet.release("v2.0.0").returncode == 0 and quiet.run("jgirmay", "deploy", "env3", "v2.0.0").returncode == 0
    assert quiet.release("v2.0.1", "FAIL").returncode == 0
    proc = quiet.run("jgirmay", "deploy", "env3", "v2.0.1")
    assert proc.returncode == 1 and "failing on purpose" in proc.stdout and "exit 3" in proc.stdout
    rows = quiet.deployments("env3")
    assert [(r["tag"], r["outcome"], r["rollback_of"]) for r in rows] == [
        ("v2.0.0", "succeeded", rows[1]["id"]), ("v2.0.1", "failed", None), ("v2.0.0", "succeeded", None)]
    assert quiet.health("env3") == "200 env3 v2.0.0"


def test_a_failing_check_deploys_nothing(quiet: Site) -> None:
    assert quiet.release("v2.0.0", "CHECK_FAILS").returncode == 0
    proc = quiet.run("jgirmay", "deploy", "env3", "v2.0.0")
    assert proc.returncode == 1 and "environments.checks" in proc.stdout
    [row] = quiet.deployments("env3")
    assert row["outcome"] == "failed" and row["checks"] == [{"command": "python3 -m pytest -q", "exit": 1}]
    assert quiet.health("env3").startswith("down")


@pytest.mark.parametrize("how, says", [("missing", "no such file"), ("not executable", "not executable")])
def test_a_deploy_command_that_cannot_start(tmp_path: Path, how: str, says: str) -> None:
    s = Site(tmp_path, timeout="4s", on_push=False)
    if how == "missing":
        git(s.clone, "rm", "-q", "deploy.sh")
    else:
        git(s.clone, "update-index", "--chmod=-x", "deploy.sh")
    git(s.clone, "commit", "-qm", how)
    git(s.clone, "tag", "-a", "-m", "x", "v3.0.0")
    assert s.server.push("jgirmay", "refs/tags/v3.0.0").returncode == 0
    proc = s.run("jgirmay", "deploy", "env3", "v3.0.0")
    assert proc.returncode == 1 and says in proc.stdout
    assert [r["outcome"] for r in s.deployments("env3")] == ["failed"]


def running(site: Site, env: str) -> dict[str, object] | None:
    for _ in range(200):
        rows = [r for r in site.deployments(env) if r["outcome"] == "running"]
        if rows:
            return rows[0]
        time.sleep(0.05)
    return None


def background_deploy(site: Site, env: str, tag: str) -> subprocess.Popen[bytes]:
    env_vars = {**os.environ, "ENFORCER_ACTOR": "jgirmay", "ENFORCER_DEPLOY_ROOT": str(site.tmp)}
    return subprocess.Popen(["enforcer", "deploy", env, tag], cwd=site.bare, env=env_vars,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_two_deploys_at_once_and_a_runner_killed_mid_deploy(tmp_path: Path) -> None:
    s = Site(tmp_path, timeout="60s", on_push=False)
    try:
        assert s.release("v2.0.0", "HANG").returncode == 0
        first = background_deploy(s, "env3", "v2.0.0")
        row = running(s, "env3")
        assert row is not None
        second = s.run("jgirmay", "deploy", "env3", "v2.0.0")
        assert second.returncode == 1 and f"env3 is busy: deployment {row['id']}" in second.stderr
        for _ in range(400):  # past the checks, into the deploy command
            if (s.tmp / "env_3_data" / "hang.pid").exists():
                break
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert alive(s.tmp / "env_3_data" / "hang.pid")  # the runner's program outlives it
        # the record says the runner is gone; the next deploy records it so and ends what it left
        [shown] = s.deployments("env3")
        assert shown["outcome"] == "interrupted"
        assert s.release("v2.0.1").returncode == 0
        assert s.run("jgirmay", "deploy", "env3", "v2.0.1").returncode == 0
        rows = s.deployments("env3")
        assert [(r["tag"], r["outcome"]) for r in rows] == [("v2.0.1", "succeeded"), ("v2.0.0", "interrupted")]
        assert "marked interrupted" in s.run("jgirmay", "deploy-log", str(rows[1]["id"])).stdout
        assert not alive(s.tmp / "env_3_data" / "hang.pid")
    finally:
        s.stop()


def test_a_port_held_by_another_service_refuses_the_deploy(quiet: Site) -> None:
    env = {k: v for k, v in os.environ.items() if k != "APP_ENV"}
    stranger = subprocess.Popen(["python3", "-m", "http.server", "--bind", "127.0.0.1", str(quiet.ports["env3"])],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if not quiet.health("env3").startswith("down"):
                break
            time.sleep(0.05)
        assert quiet.release("v2.0.0").returncode == 0
        proc = quiet.run("jgirmay", "deploy", "env3", "v2.0.0")
        assert proc.returncode == 1 and "environments.port" in proc.stdout and "health check" in proc.stdout
        assert quiet.deployments("env3") == []
    finally:
        stranger.kill()
        stranger.wait()


def test_deploy_wait_false_returns_at_once(tmp_path: Path) -> None:
    s = Site(tmp_path, timeout="30s", deploy="  wait: false\n")
    try:
        push = s.release("v1.0.0")
        assert push.returncode == 0 and "in the background (deploy.wait: false): deployment" in push.stderr
        deployment_id = push.stderr.split("enforcer deploy-log ")[1].split()[0]
        for _ in range(300):
            if s.deployments("qa")[0]["outcome"] != "running":
                break
            time.sleep(0.05)
        assert s.deployments("qa")[0]["outcome"] == "succeeded" and s.branch("qa") == s.commit_of("v1.0.0")
        assert "deploy.sh: v1.0.0 to qa" in s.run("jgirmay", "deploy-log", deployment_id).stdout
    finally:
        s.stop()


def test_bad_input_and_refusals_say_why(quiet: Site) -> None:
    assert quiet.release("v2.0.0").returncode == 0
    for args, code, says in [
        (("deploy", "nowhere", "v2.0.0"), 2, "no environment 'nowhere'"),
        (("deploy", "env3", "v9.9.9"), 2, "no tag 'v9.9.9'"),
        (("deploy", "env3", "a..b"), 2, "not a tag name"),
        (("deploy", "env3", "v2.0.0", "--actor", "deploy-bot"), 2, "is not the server's actor"),
        (("rollback", "env3"), 2, "nothing is deployed to env3"),
        (("deploy-log", "77"), 2, "no deployment 77"),
    ]:
        proc = quiet.run("jgirmay", *args)
        assert proc.returncode == code and says in proc.stderr, (args, proc.stderr)
    worker = quiet.run("task_worker1", "deploy", "env3", "v2.0.0")
    assert worker.returncode == 1 and "environments.actor" in worker.stdout
    in_clone = enforcer(quiet.clone, "deploy", "env3", "v2.0.0", env={"ENFORCER_ACTOR": "jgirmay"})
    assert in_clone.returncode == 2 and "bare repository" in in_clone.stderr


def test_an_exclusive_environment_claimed_by_another(quiet: Site) -> None:
    assert quiet.run("task_worker1", "claim", "env:env3").returncode == 0
    assert quiet.release("v2.0.0").returncode == 0
    proc = quiet.run("jgirmay", "deploy", "env3", "v2.0.0")
    assert proc.returncode == 1 and "env3 is claimed by task_worker1" in proc.stdout


def test_an_emergency_patch_follows_the_gates_and_is_listed_until_merged_back(site: Site) -> None:
    """A -patchN tag from a hotfix/* branch: QA on push, production after approval; `enforcer status`
    lists it while dev does not contain it."""
    assert site.server.push("jgirmay", "main:refs/heads/dev").returncode == 0
    assert site.release("v1.0.0").returncode == 0
    git(site.clone, "switch", "-q", "-c", "hotfix/login", "v1.0.0")
    (site.clone / "fix.txt").write_text("the fix\n")
    git(site.clone, "add", "fix.txt")
    git(site.clone, "commit", "-qm", "fix the login")
    git(site.clone, "tag", "-a", "-m", "patch", "v1.0.0-patch1")
    assert site.server.push("jgirmay", "hotfix/login").returncode == 0
    push = site.server.push("jgirmay", "refs/tags/v1.0.0-patch1")
    assert push.returncode == 0 and site.health("qa") == "200 qa v1.0.0-patch1"
    refused = site.run("jgirmay", "deploy", "prod", "v1.0.0-patch1")
    assert refused.returncode == 1 and "environments.approve" in refused.stdout
    site.approve("jgirmay", "prod", "v1.0.0-patch1")
    assert site.run("jgirmay", "deploy", "prod", "v1.0.0-patch1").returncode == 0
    status = json.loads(site.run("jgirmay", "status", "--format", "json").stdout)
    assert [p["tag"] for p in status["unmerged_patches"]] == ["v1.0.0-patch1"]
    assert {e["name"]: (e["live"] or {}).get("tag") for e in status["environments"]}["prod"] == "v1.0.0-patch1"
    text = site.run("jgirmay", "status")
    assert "v1.0.0-patch1" in text.stdout and "merge it into dev" in text.stdout
    # merged back into dev (a reviewer's merge of the hotfix branch): no longer listed
    git(site.clone, "switch", "-q", "-c", "merge-back", "origin/dev")
    git(site.clone, "merge", "-q", "--no-ff", "--no-edit", "hotfix/login")
    assert site.server.push("jgirmay", "HEAD:refs/heads/dev").returncode == 0
    status = json.loads(site.run("jgirmay", "status", "--format", "json").stdout)
    assert status["unmerged_patches"] == []
