"""Attacks on the tag-driven deploy runner (docs/deploy.md, DESIGN.md *The deploy runner*),
each against a real bare repository with the server hooks, real pushes and real processes,
reusing tests/test_deploy_runner.py's Site.

Each test proves that an attack fails; those that found a hole failed before its fix (the runner's
checkout outside the repository, per-environment deployers, the branch lease, ...), the last one
a SHA-256 repository, whose null id is 64 zeros."""
from __future__ import annotations

import fcntl
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

pytestmark = pytest.mark.server  # deploys start real HTTP services and wait on their health checks

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


def tag_with(site: Site, tag: str, files: dict[str, str], actor: str = "jgirmay",
             options: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
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
    return site.server.push(actor, f"refs/tags/{tag}", options=options)


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
    push = tag_with(onpush, "v1.0.0", {"deploy.sh": script(DUMP)}, options=("ci.note=x",))
    assert push.returncode == 0 and "deploy.sh: v1.0.0 to qa" in push.stderr, push.stderr
    seen = dict(line.split("=", 1) for line in (onpush.tmp / "qa_data" / "env.txt").read_text().splitlines()
                if "=" in line)
    assert not [k for k in seen if k in ("GIT_DIR", "GIT_QUARANTINE_PATH", "GIT_OBJECT_DIRECTORY",
                                         "GIT_ALTERNATE_OBJECT_DIRECTORIES") or k.startswith("GIT_PUSH_OPTION")]
    assert (seen["APP_ENV"], seen["PORT"], seen["ENFORCER_TAG"]) == ("qa", str(onpush.ports["qa"]), "v1.0.0")
    assert seen["DATA_DIR"] == str(onpush.tmp / "qa_data")


def test_placeholders_in_a_tag_name_reach_the_command_literally(quiet: Site) -> None:
    """A tag named with a placeholder (an administrator's, made in the bare repository) is one
    argument, substituted once, never through a shell."""
    assert tag_with(quiet, "v1.0.0", {"deploy.sh": script(DUMP)}).returncode == 0
    for odd in ("x{port}", "y$(touch${IFS}pwned);{data}"):
        git(quiet.bare, "tag", odd, "refs/tags/v1.0.0^{commit}")
        proc = run(quiet, "deploy-bot", "deploy", "env3", odd)  # a tag nobody may push: the deploy actor's
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert (quiet.tmp / "env_3_data" / "args.txt").read_text().splitlines() == ["env3", odd]
        assert quiet.health("env3") == f"200 env3 {odd}"
    assert not list(quiet.tmp.rglob("pwned"))


# -- who may deploy ----------------------------------------------------------------------------------

def _exp_tags_for_workers(text: str) -> str:
    """Workers may create exp-* tags, which only env3 takes."""
    rule = '  - match: "**"\n    purpose: Only release tags are pushed\n'
    assert rule in text
    text = text.replace(rule, '  - match: "exp-*"\n    create: [workers]\n' + rule)
    env3 = "env3: {port: 8085, data: env_3_data/, exclusive: true}"
    assert env3 in text
    return text.replace(env3, "env3: {port: 8085, data: env_3_data/, exclusive: true, tags: '^exp-'}")


def test_a_creator_of_other_tags_may_not_deploy_or_roll_back_prod(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    s = edited_site(tmp_path, monkeypatch, _exp_tags_for_workers, timeout="4s", on_push=False)
    try:
        assert s.release("v1.0.0").returncode == 0
        git(s.clone, "tag", "-a", "-m", "exp", "exp-1", "main")
        assert s.server.push("task_worker1", "refs/tags/exp-1").returncode == 0  # what workers may create
        proc = run(s, "task_worker1", "deploy", "prod", "v1.0.0")
        assert proc.returncode == 1
        assert "environments.actor" in proc.stdout, proc.stdout  # not only "not approved" / "after"
    finally:
        s.stop()


def test_tag_pushes_by_those_who_may_not_create_them_deploy_nothing(onpush: Site) -> None:
    """post-receive deploys only what landed: a lightweight release tag, a worker's tag and a
    non-release tag are refused by pre-receive, and nothing reaches QA."""
    git(onpush.clone, "tag", "v1.0.0", "main")  # lightweight: tags[0] wants annotated
    assert onpush.server.push("jgirmay", "refs/tags/v1.0.0").returncode != 0
    git(onpush.clone, "tag", "-a", "-m", "x", "v1.0.1", "main")
    assert onpush.server.push("task_worker1", "refs/tags/v1.0.1").returncode != 0
    git(onpush.clone, "tag", "-a", "-m", "x", "qa-v1.0.2", "main")
    assert onpush.server.push("jgirmay", "refs/tags/qa-v1.0.2").returncode != 0
    assert onpush.deployments() == [] and onpush.health("qa").startswith("down")


# -- approvals ----------------------------------------------------------------------------------------

def test_an_approval_pushed_with_its_tag_is_refused(quiet: Site) -> None:
    """The approval must name a tag the server already has: pushing both at once lands neither."""
    git(quiet.clone, "tag", "-a", "-m", "v1.0.0", "v1.0.0", "main")
    tag_object = git(quiet.clone, "rev-parse", "refs/tags/v1.0.0")
    blob = git(quiet.clone, "hash-object", "-w", "--stdin",
               input=approval_text(Approved("prod", "v1.0.0", "jgirmay", tag_object, time.time())))
    push = quiet.server.push("jgirmay", "refs/tags/v1.0.0", f"{blob}:{approval_ref('prod', 'v1.0.0')}")
    assert push.returncode != 0 and "approvals.tag" in push.stderr
    assert quiet.server.ref(approval_ref("prod", "v1.0.0")) is None and quiet.server.ref("refs/tags/v1.0.0") is None


def test_a_re_created_tag_is_unapproved(quiet: Site) -> None:
    """An administrator deletes and re-creates an approved annotated tag on another commit: the
    old approval does not count."""
    assert quiet.release("v1.0.0").returncode == 0
    quiet.approve("jgirmay", "prod", "v1.0.0")
    git(quiet.bare, "tag", "-d", "v1.0.0")
    git(quiet.bare, "tag", "-a", "-m", "again", "v1.0.0", "main")
    proc = run(quiet, "deploy-bot", "deploy", "prod", "v1.0.0")
    assert proc.returncode == 1 and "has moved since" in proc.stdout


FORGE = ('mkdir -p "$DATA_DIR"\n'
         'obj=$(git rev-parse "refs/tags/$tag" 2>/dev/null) && blob=$(printf "env prod\\ntag %s\\napprover jgirmay\\n'
         'object %s\\ntime %s\\n" "$tag" "$obj" "$(date +%s)" | git hash-object -w --stdin) && '
         'git update-ref "refs/enforcer/approvals/prod/$tag" "$blob" && echo "forged an approval" || true\n')


def test_the_code_being_deployed_cannot_approve_itself_for_prod(onpush: Site) -> None:
    push = tag_with(onpush, "v1.0.0", {"deploy.sh": script(FORGE)})  # QA deploys it at once
    assert push.returncode == 0 and [r["outcome"] for r in onpush.deployments("qa")] == ["succeeded"]
    assert onpush.server.ref(approval_ref("prod", "v1.0.0")) is None, "the deployed code wrote an approval"
    proc = run(onpush, "deploy-bot", "deploy", "prod", "v1.0.0")
    assert proc.returncode == 1 and "not approved for prod" in proc.stdout


# -- races ----------------------------------------------------------------------------------------------

WAIT_FOR_GO = ('mkdir -p "$DATA_DIR"; touch "$DATA_DIR/started"; i=0\n'
               'while [ ! -f "$DATA_DIR/go" ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i+1)); done\n')


def test_a_branch_pushed_while_the_deploy_runs_is_left_as_it_is(tmp_path: Path) -> None:
    s = Site(tmp_path, timeout="30s", on_push=False)
    try:
        assert tag_with(s, "v1.0.0", {"deploy.sh": script(WAIT_FOR_GO)}).returncode == 0
        deploy = start(s, "jgirmay", "deploy", "qa", "v1.0.0")
        assert wait_for(s.tmp / "qa_data" / "started")
        main = s.branch("main")
        pushed = s.server.push("deploy-bot", "main:refs/heads/qa")  # the one who may push qa, meanwhile
        assert pushed.returncode == 0, pushed.stderr
        (s.tmp / "qa_data" / "go").touch()
        out, _ = deploy.communicate(timeout=60)
        assert s.deployments("qa")[0]["outcome"] == "succeeded"
        assert s.branch("qa") == main, "the branch pushed meanwhile was overwritten"
        assert deploy.returncode == 1 and "moved while the deploy ran" in out
    finally:
        s.stop()


def test_a_reader_asking_about_a_deploy_does_not_make_the_environment_busy(quiet: Site) -> None:
    """outcome_now reads the lock from /proc/locks without taking it: a deploy starting while
    `enforcer deployments`, `status` or the web view asks is never refused as busy, and a running
    deploy is told from an interrupted one."""
    from enforcer.git import Repo
    from enforcer.records import Deployment
    from enforcer.runner import outcome_now

    lock = quiet.bare / "enforcer" / "deploy-locks" / "env3.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.touch()
    running = Deployment("env3", "v1.0.0", "0" * 40, "jgirmay", time.time())
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a runner holds it
        assert outcome_now(Repo(str(quiet.bare)), running) == "running"
    finally:
        os.close(fd)
    assert outcome_now(Repo(str(quiet.bare)), running) == "interrupted"
    assert quiet.release("v1.0.0").returncode == 0
    reader = subprocess.Popen(["sh", "-c", "for i in 1 2 3 4 5 6 7 8; do enforcer deployments >/dev/null; done"],
                              cwd=quiet.bare)
    try:
        proc = run(quiet, "jgirmay", "deploy", "env3", "v1.0.0")
    finally:
        reader.wait()
    assert "busy" not in proc.stderr and proc.returncode == 0, proc.stdout + proc.stderr


def test_two_deploys_at_once_one_refused_and_the_lock_freed_after_sigkill_in_the_checks(tmp_path: Path) -> None:
    """A runner killed while its checks run: the next deploy records it interrupted, removes its
    worktree, and ends the check it left running."""
    s = Site(tmp_path, timeout="30s", on_push=False)
    try:
        slow_test = ("import os, time\n\ndef test_slow():\n    os.makedirs(os.environ['DATA_DIR'], exist_ok=True)\n"
                     "    open(os.path.join(os.environ['DATA_DIR'], 'check.pid'), 'w').write(str(os.getpid()))\n"
                     "    time.sleep(60)\n")
        assert tag_with(s, "v1.0.0", {"tests/test_slow.py": slow_test}).returncode == 0
        first = start(s, "jgirmay", "deploy", "env3", "v1.0.0")
        check_pid = s.tmp / "env_3_data" / "check.pid"
        assert wait_for(check_pid)
        second = run(s, "jgirmay", "rollback", "env3")
        assert second.returncode == 1 and "env3 is busy" in second.stderr
        first.send_signal(signal.SIGKILL)
        first.communicate()
        assert alive(check_pid)
        assert [r["outcome"] for r in s.deployments("env3")] == ["interrupted"]
        assert s.release("v1.0.1").returncode == 0
        assert run(s, "jgirmay", "deploy", "env3", "v1.0.1").returncode == 0
        assert [r["outcome"] for r in s.deployments("env3")] == ["succeeded", "interrupted"]
        assert not alive(check_pid)
        assert not [p for p in (s.tmp / ".enforcer-checkouts").iterdir()]  # the dead runner's checkout too
    finally:
        s.stop()


# -- failures and their records ---------------------------------------------------------------------

def test_a_failing_check_does_not_redeploy_the_live_version(quiet: Site) -> None:
    assert quiet.release("v1.0.0").returncode == 0
    assert quiet.run("jgirmay", "deploy", "env3", "v1.0.0").returncode == 0
    pid = (quiet.tmp / "env_3_data" / "app.pid").read_text()
    assert quiet.release("v1.0.1", "CHECK_FAILS").returncode == 0
    proc = quiet.run("jgirmay", "deploy", "env3", "v1.0.1")
    assert proc.returncode == 1 and "environments.checks" in proc.stdout
    assert [(r["tag"], r["outcome"]) for r in quiet.deployments("env3")] == [("v1.0.1", "failed"),
                                                                             ("v1.0.0", "succeeded")]
    assert (quiet.tmp / "env_3_data" / "app.pid").read_text() == pid  # the live service was left alone


def test_a_deploy_that_breaks_inside_the_runner_is_recorded_failed(quiet: Site) -> None:
    assert quiet.release("v1.0.0").returncode == 0
    (quiet.tmp / "env_3_data").write_text("a file where the data directory goes\n")
    proc = run(quiet, "jgirmay", "deploy", "env3", "v1.0.0")
    assert "Traceback" not in proc.stderr
    rows = quiet.deployments("env3")
    assert [r["outcome"] for r in rows] == ["failed"], rows
    assert proc.returncode == 1, proc.stderr


def test_rollback_to_a_failed_deploy_or_of_a_rollback_is_refused(quiet: Site) -> None:
    assert quiet.release("v1.0.0").returncode == 0
    assert quiet.run("jgirmay", "deploy", "env3", "v1.0.0").returncode == 0
    assert quiet.release("v1.0.1", "FAIL").returncode == 0
    assert quiet.run("jgirmay", "deploy", "env3", "v1.0.1").returncode == 1  # rolled back to v1.0.0
    rows = quiet.deployments("env3")
    assert [(r["tag"], r["outcome"]) for r in rows] == [("v1.0.0", "succeeded"), ("v1.0.1", "failed"),
                                                        ("v1.0.0", "succeeded")]
    to_failed = run(quiet, "jgirmay", "rollback", "env3", "--to", "v1.0.1")
    assert to_failed.returncode == 2 and "no earlier successful deploy of v1.0.1" in to_failed.stderr
    again = run(quiet, "jgirmay", "rollback", "env3")  # the live one is v1.0.0 already, as was the one before
    assert again.returncode == 2 and "no earlier version" in again.stderr
    assert len(quiet.deployments("env3")) == 3


BREAKS_LATER = 'if [ -f "$DATA_DIR/break-v1" ]; then echo "deploy.sh: this version cannot start now"; exit 4; fi\n'


def test_a_failing_automatic_rollback_is_not_rolled_back_in_turn(quiet: Site) -> None:
    assert tag_with(quiet, "v1.0.0", {"deploy.sh": script(BREAKS_LATER)}).returncode == 0
    assert quiet.run("jgirmay", "deploy", "env3", "v1.0.0").returncode == 0
    (quiet.tmp / "env_3_data" / "break-v1").touch()
    assert quiet.release("v1.0.1", "FAIL").returncode == 0
    proc = quiet.run("jgirmay", "deploy", "env3", "v1.0.1")
    assert proc.returncode == 1 and "cannot start now" in proc.stdout
    rows = quiet.deployments("env3")
    assert [(r["tag"], r["outcome"]) for r in rows] == [("v1.0.0", "failed"), ("v1.0.1", "failed"),
                                                        ("v1.0.0", "succeeded")]
    assert rows[0]["rollback_of"] == rows[1]["id"]


def test_a_failing_rollback_says_the_environment_needs_a_person(quiet: Site) -> None:
    assert tag_with(quiet, "v1.0.0", {"deploy.sh": script(BREAKS_LATER)}).returncode == 0
    assert quiet.run("jgirmay", "deploy", "env3", "v1.0.0").returncode == 0
    (quiet.tmp / "env_3_data" / "break-v1").touch()
    assert quiet.release("v1.0.1", "FAIL").returncode == 0
    proc = quiet.run("jgirmay", "deploy", "env3", "v1.0.1")
    said = proc.stdout.lower()
    assert "not rolled back" in said or "needs a person" in said, proc.stdout


SLOW_PROD_CHECK = """import os, time


def test_waits_in_prod():
    if os.environ.get("APP_ENV") != "prod":
        return
    data = os.environ["DATA_DIR"]
    os.makedirs(data, exist_ok=True)
    open(os.path.join(data, "checking"), "w").close()
    for _ in range(300):
        if os.path.exists(os.path.join(data, "go")):
            return
        time.sleep(0.05)
"""


def test_an_approval_revoked_during_the_checks_stops_the_deploy(tmp_path: Path) -> None:
    s = Site(tmp_path, timeout="30s", on_push=True)
    try:
        push = tag_with(s, "v1.0.0", {"tests/test_slow.py": SLOW_PROD_CHECK})  # QA at once
        assert push.returncode == 0 and [r["outcome"] for r in s.deployments("qa")] == ["succeeded"]
        s.approve("jgirmay", "prod", "v1.0.0")
        deploy = start(s, "jgirmay", "deploy", "prod", "v1.0.0")
        assert wait_for(s.tmp / "data" / "checking")
        revoked = enforcer(s.clone, "approve", "prod", "v1.0.0", "--revoke", env={"ENFORCER_ACTOR": "jgirmay"})
        assert revoked.returncode == 0 and s.server.ref(approval_ref("prod", "v1.0.0")) is None
        (s.tmp / "data" / "go").touch()
        out, _ = deploy.communicate(timeout=60)
        assert deploy.returncode == 1 and "not approved for prod" in out, out
        assert s.branch("prod") is None
    finally:
        s.stop()


TRICKLE = """import os, socket, time
port = int(os.environ["PORT"])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen()
end = time.time() + 40
while time.time() < end:
    c, _ = s.accept()
    try:
        c.recv(1024)
        while time.time() < end:
            c.sendall(b"H")
            time.sleep(0.5)
    except OSError:
        pass
    c.close()
"""
TRICKLE_DEPLOY = ('mkdir -p "$DATA_DIR"; cp trickle.py "$DATA_DIR/"\n'
                  'nohup python3 "$DATA_DIR/trickle.py" >/dev/null 2>&1 &\n'
                  'echo $! >"$DATA_DIR/app.pid"; sleep 0.3; exit 0\n')


def test_a_health_check_answering_slowly_ends_at_the_timeout(quiet: Site) -> None:
    assert tag_with(quiet, "v1.0.0", {"deploy.sh": script(TRICKLE_DEPLOY), "trickle.py": TRICKLE}).returncode == 0
    began = time.monotonic()
    deploy = start(quiet, "jgirmay", "deploy", "env3", "v1.0.0")
    try:
        deploy.communicate(timeout=12)  # the 4 s timeout, the checks' start-up, slack
    except subprocess.TimeoutExpired:
        deploy.kill()
        deploy.communicate()
        pytest.fail(f"the deploy still ran {time.monotonic() - began:.0f} s after it started (timeout 4 s)")
    assert deploy.returncode == 1 and quiet.deployments("env3")[0]["outcome"] == "failed"


# -- deploy.wait: false ---------------------------------------------------------------------------

def test_a_detached_deploy_refused_by_its_gates_tells_the_pusher(tmp_path: Path) -> None:
    s = Site(tmp_path, timeout="6s", deploy="  wait: false\n")
    env = {k: v for k, v in os.environ.items() if k != "APP_ENV"}
    stranger = subprocess.Popen(["python3", "-m", "http.server", "--bind", "127.0.0.1", str(s.ports["qa"])],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if not s.health("qa").startswith("down"):
                break
            time.sleep(0.05)
        push = s.release("v1.0.0")
        assert push.returncode == 0
        assert "v1.0.0 was not deployed to qa" in push.stderr and "environments.port" in push.stderr
        assert s.deployments() == []
    finally:
        stranger.kill()
        stranger.wait()
        s.stop()


# -- output ---------------------------------------------------------------------------------------

def test_hostile_names_are_escaped_in_status_and_deployments(quiet: Site) -> None:
    from enforcer.records import Deployment, default_store

    hostile = "evil\x1b]0;pwned\x07\x1b[2J\nforged line"
    refused = quiet.server.push(hostile, "main:refs/heads/qa")
    assert refused.returncode != 0
    store = default_store(str(quiet.bare))
    store.add_deployment(Deployment("env3", hostile, "0" * 40, hostile, time.time(), outcome="failed",
                                    health=hostile))
    for args in (("status",), ("deployments",)):
        out = quiet.run("jgirmay", *args).stdout
        assert "\x1b" not in out and "\x07" not in out and "\nforged line" not in out, args
    assert "evil\\x1b" in quiet.run("jgirmay", "status").stdout


def test_a_sha256_server_takes_a_release_tag(tmp_path: Path) -> None:
    bare, work = tmp_path / "origin.git", tmp_path / "work"
    git(tmp_path, "init", "-q", "--bare", "--object-format=sha256", "-b", "main", str(bare))
    assert enforcer(tmp_path, "install", "--server", str(bare)).returncode == 0
    git(tmp_path, "init", "-q", "--object-format=sha256", "-b", "main", str(work))
    (work / "policy.yaml").write_text(SOP.read_text().replace("on_tag_push: true", "on_tag_push: false"))
    git(work, "add", "policy.yaml")
    git(work, "commit", "-qm", "policy")
    git(work, "remote", "add", "origin", str(bare))
    env = {**os.environ, "ENFORCER_ACTOR": "jgirmay"}
    assert subprocess.run(["git", "push", "origin", "main"], cwd=work, env=env, capture_output=True).returncode == 0
    git(work, "tag", "-a", "-m", "v1.0.0", "v1.0.0")
    pushed = subprocess.run(["git", "push", "origin", "v1.0.0"], cwd=work, env=env, capture_output=True, text=True)
    assert pushed.returncode == 0, pushed.stderr
    approved = enforcer(bare, "approve", "prod", "v1.0.0", env={"ENFORCER_ACTOR": "jgirmay"})
    assert approved.returncode == 0, approved.stdout + approved.stderr
