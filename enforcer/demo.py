"""`enforcer demo`: the reference policy at work in a sandbox, one scripted story, every verdict
real: a bare origin with the server hooks, clones with the client hooks for two agents, a reviewer
and a release manager, real `git push`es, the deploy runner deploying a small service, and then
the web view over what happened.

Everything lives in one directory: git's global and system configuration are not read (HOME is
the sandbox's), the deploy root is inside it, the services it starts are stopped when it ends.
The reference policy is used as it is but for its ports (free ones are taken, so nothing already
listening is disturbed) and the deploy timeout (30 s: a sandbox has no 10-minute deploys).
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

from enforcer.errors import EnforcerError
from enforcer.tuples import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from collections.abc import Callable, Sequence

MARKER = ".enforcer-demo"  # a directory holding it is a demo's, which a new demo may clear
TIMEOUT = "30s"
FEATURE = "feature/login-1128"
PEOPLE = {"agent1": "task_worker1", "agent2": "task_worker2", "reviewer": "audit_manager", "release": "jgirmay"}


class Step(NamedTuple):
    number: int
    who: str
    what: str
    expected: str  # allowed, refused, deployed, rolled back, ...
    seen: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.expected == self.seen


class Sandbox:
    """The demo's directory, its repositories, and the environment every command runs with."""

    def __init__(self, root: Path, say: Callable[[str], None]) -> None:
        self.root = root
        self.say = say
        self.origin = root / "origin.git"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "ENFORCER_"))}
        home = root / "home"
        self.env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), GIT_CONFIG_NOSYSTEM="1",
                        ENFORCER_DEPLOY_ROOT=str(root / "deploy"))
        self.steps: list[Step] = []
        self.ports: dict[str, int] = {}

    # -- running things -------------------------------------------------------------------------

    def run(self, argv: Sequence[str], cwd: Path, actor: str | None = None, check: bool = False
            ) -> subprocess.CompletedProcess[str]:
        env = dict(self.env)
        if actor:
            env["ENFORCER_ACTOR"] = actor
        # a session of its own: stopping the demo ends all it started (a push's hooks, a deploy)
        child = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, start_new_session=True)
        try:
            out, err = child.communicate()
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)
            child.wait()
            raise
        proc = subprocess.CompletedProcess(list(argv), child.returncode, out, err)
        if check and proc.returncode != 0:
            raise EnforcerError(f"demo: {' '.join(argv)} failed in {cwd}: {(proc.stderr or proc.stdout).strip()}")
        return proc

    def git(self, cwd: Path, *args: str, actor: str | None = None, check: bool = True
            ) -> subprocess.CompletedProcess[str]:
        return self.run(["git", *args], cwd, actor, check)

    def enforcer(self, cwd: Path, *args: str, actor: str | None = None, check: bool = False
                 ) -> subprocess.CompletedProcess[str]:
        # -P: a bare repository holds an enforcer/ directory, which must not shadow the package
        return self.run([sys.executable, "-P", "-m", "enforcer", *args], cwd, actor, check)

    def clone(self, name: str) -> Path:
        return self.root / name

    def step(self, who: str, what: str, expected: str, seen: str, detail: str = "", because: str = "") -> None:
        """One step of the story and its verdict; a refusal counts only for the reason expected
        (``because``: the check id that must refuse it)."""
        if because and because not in detail:
            seen = f"{seen} (not for {because})"
        shown = Step(len(self.steps) + 1, who, what, expected, seen, detail)
        self.steps.append(shown)
        mark = "✓" if shown.ok else f"✗ (expected {expected})"
        line = f"{shown.number:>2}. {who}: {what} "
        self.say(f"{line}{'.' * max(2, 74 - len(line))} {seen} {mark}")
        if detail:
            self.say(f"      {detail}")

    # -- the story --------------------------------------------------------------------------------

    def setup(self) -> None:
        """The origin with the server hooks, the release manager's first push (the policy and the
        service), and a clone with the client hooks for each person."""
        self.git(self.root, "init", "-q", "--bare", "-b", "main", str(self.origin))
        self.enforcer(self.root, "install", "--server", str(self.origin), check=True)
        release = self.clone("release")
        self.git(self.root, "init", "-q", "-b", "main", str(release))
        self._identity(release, PEOPLE["release"])
        (release / "policy.yaml").write_text(self._policy())
        app = resources.files("enforcer").joinpath("demo_app")
        for name in ("deploy.sh", "app.py", "tests/test_app.py"):
            target = release / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(app.joinpath(name).read_bytes())
        (release / "deploy.sh").chmod(0o755)
        (release / "README.md").write_text("The demo's service: app.py, deployed by deploy.sh.\n")
        self.git(release, "add", ".")
        self.git(release, "commit", "-qm", "policy.yaml and the service")
        self.git(release, "remote", "add", "origin", str(self.origin))
        self.git(release, "push", "-q", "origin", "main", actor=PEOPLE["release"])
        self.git(release, "push", "-q", "origin", "main:dev", actor=PEOPLE["release"])
        self.enforcer(release, "install", check=True)
        for name in ("agent1", "agent2", "reviewer"):
            path = self.clone(name)
            self.git(self.root, "clone", "-q", str(self.origin), str(path))
            self._identity(path, PEOPLE[name])
            self.enforcer(path, "install", check=True)
        self.git(release, "fetch", "-q", "origin")

    def story(self) -> None:
        a1, a2, rev, rel = (self.clone(n) for n in ("agent1", "agent2", "reviewer", "release"))
        w1, w2, reviewer, manager = (PEOPLE[n] for n in ("agent1", "agent2", "reviewer", "release"))

        # feature work is allowed
        self.git(a1, "switch", "-qc", FEATURE)
        self._write(a1, "src/login/login.py", "def login():\n    return True\n")
        self._commit(a1, w1, "login: the first version")
        push = self.git(a1, "push", "-q", "-u", "origin", FEATURE, actor=w1, check=False)
        self.step(w1, f"pushes feature work ({FEATURE})", "allowed", _verdict(push))

        # a direct commit on dev is refused, by the client hook and, past it, by the server
        self.git(a2, "switch", "-q", "dev")
        self._write(a2, "src/direct.py", "x = 1\n")
        self.git(a2, "add", ".")
        commit = self.git(a2, "commit", "-qm", "straight onto dev", actor=w2, check=False)
        self.step(w2, "commits directly on dev", "refused", _verdict(commit), _why(commit), "branches.")
        self.git(a2, "commit", "-qm", "straight onto dev", "--no-verify", actor=w2)
        push = self.git(a2, "push", "-q", "--no-verify", "origin", "dev", actor=w2, check=False)
        self.step(w2, "pushes it anyway, hooks skipped (--no-verify)", "refused", _verdict(push), _why(push),
                  "branches.")
        self.git(a2, "reset", "-q", "--hard", "origin/dev")

        # a force push is refused
        self.git(a1, "commit", "-q", "--amend", "-m", "login: rewritten", actor=w1)
        push = self.git(a1, "push", "-q", "--force", "origin", FEATURE, actor=w1, check=False)
        self.step(w1, f"force-pushes {FEATURE}", "refused", _verdict(push), _why(push), "branches.force_push")
        self.git(a1, "reset", "-q", "--hard", f"origin/{FEATURE}")

        # one agent in another's directory, then a claim
        self.git(a2, "switch", "-qc", "feature/lessons-1128", "origin/dev")
        self._write(a2, "basic_edu_apps_final/environments/math/lesson.py", "LESSON = 1\n")
        self.git(a2, "add", ".")
        commit = self.git(a2, "commit", "-qm", "a math lesson", actor=w2, check=False)
        self.step(w2, "commits in edu_worker1's math directory", "refused", _verdict(commit), _why(commit),
                  "ownership.owner")
        self.git(a2, "reset", "-q", "--hard")
        self.git(a2, "clean", "-qfd")
        claim = self.enforcer(a1, "claim", "src/login", actor=w1)
        self.step(w1, "claims src/login/ for its work", "allowed", _verdict(claim))
        self.git(a2, "fetch", "-q", "origin", "+refs/enforcer/claims/*:refs/enforcer/claims/*")
        self._write(a2, "src/login/helper.py", "HELP = 1\n")
        self.git(a2, "add", ".")
        commit = self.git(a2, "commit", "-qm", "help with login", actor=w2, check=False)
        self.step(w2, "commits in src/login/, which task_worker1 holds", "refused", _verdict(commit), _why(commit),
                  "claims.held")
        self.git(a2, "reset", "-q", "--hard")
        self.git(a2, "clean", "-qfd")
        self.enforcer(a1, "release", "src/login", actor=w1)

        # the reviewer merges the feature into dev
        self.git(rev, "fetch", "-q", "origin")
        self.git(rev, "switch", "-qc", "dev", "origin/dev")
        self.git(rev, "merge", "-q", "--no-ff", "--no-edit", f"origin/{FEATURE}", actor=reviewer)
        push = self.git(rev, "push", "-q", "origin", "dev", actor=reviewer, check=False)
        self.step(reviewer, f"merges {FEATURE} into dev", "allowed", _verdict(push))

        # the release: dev into main, a tag, QA deploys at once
        self.git(rel, "fetch", "-q", "origin")
        self.git(rel, "merge", "-q", "--no-ff", "--no-edit", "origin/dev", actor=manager)
        push = self.git(rel, "push", "-q", "origin", "main", actor=manager, check=False)
        self.step(manager, "merges dev into main", "allowed", _verdict(push))
        tag = self._tag(rel, manager, "v1.0.0")
        self.step(manager, "tags v1.0.0: QA deploys it at once", "deployed", _deployed(tag, "qa"),
                  self._health("qa"))

        # production: refused before approval, then approved and deployed
        deploy = self.enforcer(self.origin, "deploy", "prod", "v1.0.0", actor=manager)
        self.step(manager, "deploys v1.0.0 to prod before approval", "refused", _verdict(deploy), _why(deploy),
                  "environments.approve")
        approve = self.enforcer(rel, "approve", "prod", "v1.0.0", actor=manager)
        self.step(manager, "approves v1.0.0 for prod", "allowed", _verdict(approve))
        deploy = self.enforcer(self.origin, "deploy", "prod", "v1.0.0", actor=manager)
        self.step(manager, "deploys v1.0.0 to prod", "deployed", "deployed" if deploy.returncode == 0 else
                  _verdict(deploy), self._health("prod") if deploy.returncode == 0 else _why(deploy) or
                  (deploy.stdout + deploy.stderr).strip()[-300:])

        # a release whose deploy fails is rolled back to the last good version
        self.git(a1, "switch", "-qc", "feature/broken-1128", "origin/dev")
        self._write(a1, "FAIL", "deploy.sh stops on this file: a broken build\n")
        self._commit(a1, w1, "a change that breaks the deploy")
        self.git(a1, "push", "-q", "origin", "feature/broken-1128", actor=w1)
        self.git(rev, "fetch", "-q", "origin")
        self.git(rev, "merge", "-q", "--no-ff", "--no-edit", "origin/feature/broken-1128", actor=reviewer)
        self.git(rev, "push", "-q", "origin", "dev", actor=reviewer)
        self.git(rel, "fetch", "-q", "origin")
        self.git(rel, "merge", "-q", "--no-ff", "--no-edit", "origin/dev", actor=manager)
        self.git(rel, "push", "-q", "origin", "main", actor=manager)
        tag = self._tag(rel, manager, "v1.0.1")
        rolled = "rolled back" if "rolling qa back to v1.0.0" in tag.stderr else _deployed(tag, "qa")
        self.step(manager, "tags v1.0.1, whose deploy to QA fails", "rolled back", rolled, self._health("qa"))

    # -- helpers ----------------------------------------------------------------------------------

    def _policy(self) -> str:
        """The reference policy with free ports (nothing already listening is disturbed) and a
        sandbox's deploy timeout."""
        text = resources.files("enforcer.policies.examples").joinpath("sop.yaml").read_text()
        for match in re.finditer(r"port: (\d+)", text):
            self.ports.setdefault(match.group(1), _free_port())
        text = re.sub(r"port: (\d+)", lambda m: f"port: {self.ports[m.group(1)]}", text)
        return text.replace("timeout: 10m", f"timeout: {TIMEOUT}")

    def _identity(self, repo: Path, actor: str) -> None:
        self.git(repo, "config", "user.name", actor)
        self.git(repo, "config", "user.email", f"{actor}@demo.invalid")

    def _write(self, repo: Path, path: str, text: str) -> None:
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)

    def _commit(self, repo: Path, actor: str, message: str) -> None:
        self.git(repo, "add", ".")
        self.git(repo, "commit", "-qm", message, actor=actor)

    def _tag(self, repo: Path, actor: str, tag: str) -> subprocess.CompletedProcess[str]:
        self.git(repo, "tag", "-a", "-m", f"release {tag}", tag)
        return self.git(repo, "push", "origin", f"refs/tags/{tag}", actor=actor, check=False)

    def _health(self, env: str) -> str:
        from enforcer.policy import load_policy

        port = load_policy(str(self.clone("release") / "policy.yaml")).environments[env].port
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(b"GET /health HTTP/1.0\r\n\r\n")
                raw = b""
                while chunk := s.recv(4096):
                    raw += chunk
            answer = raw.decode("utf-8", "replace")
            body = answer.split("\r\n\r\n", 1)[-1].strip()
            return f"{env} answers on port {port}: {answer.split()[1]} {body}"
        except (OSError, IndexError):
            return f"{env} does not answer on port {port}"

    def stop_services(self) -> None:
        """Ends every process the demo started that is still running (the services its deploys
        started, a deploy cut short): each carries the sandbox's ENFORCER_DEPLOY_ROOT in its
        environment. Twice, a moment apart, for a deploy that was starting one."""
        if not os.path.isdir("/proc"):  # no /proc to search: the services deploy.sh noted
            for pid_file in (self.root / "deploy").glob("*/app.pid"):
                with contextlib.suppress(OSError, ValueError):
                    os.kill(int(pid_file.read_text()), signal.SIGTERM)
            return
        mark = f"ENFORCER_DEPLOY_ROOT={self.env['ENFORCER_DEPLOY_ROOT']}".encode()
        for attempt in range(2):
            for pid in (int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()):
                try:
                    with open(f"/proc/{pid}/environ", "rb") as f:
                        ours = mark in f.read().split(b"\0")
                    if ours:
                        os.kill(pid, signal.SIGTERM)
                except OSError:  # gone, or not ours to read
                    continue
            if attempt == 0:
                time.sleep(0.5)


def _verdict(proc: subprocess.CompletedProcess[str]) -> str:
    return "allowed" if proc.returncode == 0 else "refused"


def _deployed(proc: subprocess.CompletedProcess[str], env: str) -> str:
    said = proc.stderr
    if proc.returncode != 0:
        return "refused"
    return "deployed" if f"to {env} by" in said and " succeeded" in said else "not deployed"


def _why(proc: subprocess.CompletedProcess[str]) -> str:
    """The first line naming a rule in what git or enforcer said."""
    for line in (proc.stderr + proc.stdout).splitlines():
        line = line.removeprefix("remote: ").strip()
        if re.match(r"^[a-z_]+(\[\d+\]|\.[\w-]+)* [a-z_]+\.[a-z_]+: ", line):
            return line[:150]
    return ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(directory: str) -> Path:
    """The demo's directory: new, or a previous demo's (cleared); anything else is refused."""
    root = Path(directory).resolve()
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise EnforcerError(f"{root} exists and is not an enforcer demo's directory: give --dir a new one")
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("made by enforcer demo; a new demo clears this directory\n")
    return root


def run(directory: str, say: Callable[[str], None]) -> tuple[Sandbox, bool]:
    """Builds the sandbox and plays the story; (the sandbox, whether every verdict was as expected)."""
    started = time.monotonic()
    root = prepare(directory)
    sandbox = Sandbox(root, say)
    say(f"enforcer demo in {root}: the reference policy, a bare origin with the server hooks, clones with the "
        "client hooks for task_worker1 and task_worker2 (agents), audit_manager (reviewer), jgirmay (release "
        "manager)")
    try:
        sandbox.setup()
        say("")
        sandbox.story()
    except BaseException:  # Ctrl-C, a kill, a failure: nothing the story started keeps running
        sandbox.stop_services()
        raise
    good = all(s.ok for s in sandbox.steps)
    say("")
    say(f"{len(sandbox.steps)} steps in {time.monotonic() - started:.0f} s: "
        + ("every verdict as the policy says." if good else "some verdicts were not what the policy says."))
    return sandbox, good
