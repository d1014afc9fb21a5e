"""A bootstrap's policy is kept as the last good one only once git has really moved the
default branch to it (issue 15, item 2). pre-receive and update run before git moves a ref, and
git may still refuse it then (another hook, a lock, an object it puts on no branch): such a
bootstrap installs nothing, the real owner's bootstrap still works, and later pushes are judged
by the owner's policy."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Callable

import pytest

from tests.conftest import SOP, git
from tests.server.test_receive import Server

ATTACKER = "mallory"
OTHERS = 'purpose: "Any other branch is refused: use feature/, fix/, agent/ or hotfix/"\n    push: []'


def attackers_commit(s: Server) -> str:
    """A commit in the clone whose policy makes mallory its owner and lets her push any branch."""
    git(s.clone, "switch", "-qc", "attack")
    policy = s.clone / "policy.yaml"
    text = policy.read_text()
    assert "owners: [release-managers]" in text and OTHERS in text and "deployers: [" in text
    policy.write_text(text.replace("owners: [release-managers]", f"owners: [{ATTACKER}]")
                      .replace("deployers: [", f"deployers: [{ATTACKER}, ")
                      .replace(OTHERS, OTHERS.replace("push: []", f"push: [{ATTACKER}]")))
    git(s.clone, "commit", "-qam", "mallory's policy")
    git(s.clone, "switch", "-q", "main")
    return git(s.clone, "rev-parse", "attack")


def kept(s: Server) -> bytes | None:
    path = s.bare / "enforcer" / "last-good-policy.yaml"
    return path.read_bytes() if path.exists() else None


def refused_by_git(s: Server, cause: str, tmp: Path) -> tuple[str, Callable[[], None]]:
    """Make git itself refuse the attacker's main after enforcer accepted it: the refspec to push,
    and how to undo the cause."""
    commit = attackers_commit(s)
    if cause == "tag-object":  # git puts no tag object on a branch (issue 15's attack)
        git(s.clone, "tag", "-a", "-m", "not a commit", "attack-tag", commit)
        return f"{git(s.clone, 'rev-parse', 'attack-tag')}:refs/heads/main", lambda: None
    if cause == "lock":  # another process holds main's lock: git cannot move it
        lock = s.bare / "refs" / "heads" / "main.lock"
        lock.write_text("")
        return f"{commit}:refs/heads/main", lock.unlink
    assert cause == "update-hook"  # installed beside our pre-receive: git runs it after, per ref
    return f"{commit}:refs/heads/main", (tmp / "refuse").unlink


def refusing_update_hook(tmp: Path) -> dict[str, str]:
    (tmp / "refuse").write_text("")
    return {"update": f'#!/bin/sh\n[ ! -e "{tmp / "refuse"}" ]\n'}


@pytest.mark.parametrize("mode, cause", [
    ("pre-receive", "update-hook"), ("pre-receive", "lock"), ("pre-receive", "tag-object"),
    ("update", "lock"), ("update", "tag-object")])
def test_a_bootstrap_git_refused_installs_nothing(tmp_path: Path, mode: str, cause: str) -> None:
    s = Server(tmp_path, mode=mode, hooks_before=refusing_update_hook(tmp_path) if cause == "update-hook" else None)
    refspec, undo = refused_by_git(s, cause, tmp_path)
    attack = s.push(ATTACKER, refspec)
    assert attack.returncode != 0 and s.ref("refs/heads/main") is None
    accepted = [d for d in s.decisions() if d["actor"] == ATTACKER and d["verdict"] == "allow"]
    assert accepted or cause == "tag-object"  # enforcer itself may refuse a tag object on a branch (item 3)
    assert kept(s) is None  # accepted by enforcer, refused by git: nothing of it judges
    other = s.push(ATTACKER, f"{git(s.clone, 'rev-parse', 'attack')}:refs/heads/feature/x-1124")
    assert other.returncode != 0 and "has no main yet" in other.stderr  # the bootstrap is still open, alone
    undo()
    owner = s.push("jgirmay", "main")
    assert owner.returncode == 0, owner.stderr
    assert s.ref("refs/heads/main") == git(s.clone, "rev-parse", "main")
    assert kept(s) == SOP.read_bytes()
    assert [(d["hook"], d["actor"], d["verdict"], d["new"]) for d in s.decisions() if d["hook"] == "bootstrap"][0] == \
        ("bootstrap", "jgirmay", "allow", git(s.clone, "rev-parse", "main"))
    # judged by the owner's policy: mallory's let her push any branch
    git(s.clone, "switch", "-qc", "wild", "main")
    wild = s.push(ATTACKER, "wild")
    assert wild.returncode != 0 and s.ref("refs/heads/wild") is None
    assert not list((s.bare / "enforcer").glob("bootstrap-pending.*"))  # the refused one is gone too


def test_two_bootstraps_racing(tmp_path: Path) -> None:
    """The attacker's bootstrap passes pre-receive first and is held in the update hook while the
    owner's lands: git then refuses the attacker's (main exists), and the owner's policy is kept."""
    held, release = tmp_path / "held", tmp_path / "release"
    hold = (f'#!/bin/sh\n[ "$ENFORCER_ACTOR" = {ATTACKER} ] || exit 0\n: > "{held}"\n'
            f'while [ ! -e "{release}" ]; do sleep 0.05; done\n')
    s = Server(tmp_path, hooks_before={"update": hold})
    commit = attackers_commit(s)
    env = {**os.environ, "ENFORCER_ACTOR": ATTACKER}
    attack = subprocess.Popen(["git", "push", "origin", f"{commit}:refs/heads/main"], cwd=s.clone, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):
            if held.exists() or attack.poll() is not None:
                break
            time.sleep(0.05)
        assert held.exists(), attack.communicate()[1]  # pre-receive accepted it; git has not moved main
        assert [d["verdict"] for d in s.decisions()] == ["allow"]
        owner = s.push("jgirmay", "main")
        assert owner.returncode == 0, owner.stderr
    finally:
        release.write_text("")
        _, stderr = attack.communicate(timeout=60)
    assert attack.returncode != 0 and "Traceback" not in stderr
    assert s.ref("refs/heads/main") == git(s.clone, "rev-parse", "main") and kept(s) == SOP.read_bytes()
    git(s.clone, "switch", "-qc", "wild", "main")
    assert s.push(ATTACKER, "wild").returncode != 0 and s.ref("refs/heads/wild") is None


@pytest.mark.parametrize("mode", ["pre-receive", "update"])
@pytest.mark.parametrize("post_receive", [True, False], ids=["post-receive", "no-post-receive"])
def test_an_accepted_bootstrap_survives_head_naming_a_missing_branch(tmp_path: Path, mode: str,
                                                                     post_receive: bool) -> None:
    """The bootstrap landed: its policy judges from then on, even where post-receive did not run
    (the next push finds main at the bootstrap's commit and keeps it), so HEAD renamed to a
    missing branch does not reopen the bootstrap."""
    s = Server(tmp_path, mode=mode)
    if not post_receive:
        (s.bare / "hooks" / "post-receive").unlink()
    assert s.push("jgirmay", "main").returncode == 0
    assert kept(s) == (SOP.read_bytes() if post_receive else None)
    git(s.bare, "symbolic-ref", "HEAD", "refs/heads/master")
    commit = attackers_commit(s)
    proc = s.push(ATTACKER, f"{commit}:refs/heads/master")
    assert proc.returncode != 0 and "the default branch master does not exist" in proc.stderr
    assert s.ref("refs/heads/master") is None and kept(s) == SOP.read_bytes()


def test_a_default_branch_name_the_shell_must_not_read(tmp_path: Path) -> None:
    """The post-receive shim compares the landed ref with the bootstrap's as plain strings."""
    s = Server(tmp_path)
    name = "a'b\"c$HOME;`true`&|d"
    git(s.bare, "symbolic-ref", "HEAD", f"refs/heads/{name}")
    assert s.push("jgirmay", f"main:refs/heads/{name}").returncode == 0
    assert kept(s) == SOP.read_bytes()
    assert not list((s.bare / "enforcer").glob("bootstrap-pending.*"))


def test_a_failing_chained_post_receive_does_not_stop_the_keeping(tmp_path: Path) -> None:
    s = Server(tmp_path, hooks_before={"post-receive": "#!/bin/sh\ncat >/dev/null\nexit 1\n"})
    assert s.push("jgirmay", "main").returncode == 0
    assert kept(s) == SOP.read_bytes()
