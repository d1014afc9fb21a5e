"""Attacks on the reshaped decision core (issue 16), found in review: one test each, each of
which failed before its fix; the docstring says what a user saw.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from enforcer import explain
from enforcer.engine import decide
from enforcer.main import main
from enforcer.policy import load_policy_bytes
from enforcer.selftest import request_for
from tests.conftest import SOP, git

SOP_POLICY = load_policy_bytes(SOP.read_bytes(), "sop.yaml", cache_dir="")


# -- explain is not what a push gets -------------------------------------------------------------

def test_explain_path_on_the_policy_file_says_what_a_push_gets(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """`enforcer explain --actor task_worker1 --path policy.yaml` prints "no ownership entry
    matches: unowned, anyone allowed on the branch may change it ... allowed" and exits 0, yet
    every push that carries a change of policy.yaml by task_worker1 is refused by the server
    (policy.owners: only release-managers). explain --path builds a StagedChange, which the
    policy-file rule (policies/policy_file.py, RefUpdate only) never judges."""
    monkeypatch.chdir(tmp_path)
    code = main(["explain", "--policy", str(SOP), "--actor", "task_worker1", "--path", "policy.yaml"])
    out = capsys.readouterr().out
    pushed = request_for({"actor": "task_worker1", "push": "feature/x-1124", "paths": ["policy.yaml"]})
    from enforcer.model import PolicyChange
    assert decide(SOP_POLICY, pushed._replace(policy_change=PolicyChange())).verdict == "deny"  # the push
    assert code == 1, out


def test_explain_path_is_normalised_as_git_names_paths(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """`enforcer explain --actor task_worker1 --path ./basic_edu_apps_final/environments/math/x.py`
    says "no ownership entry matches: unowned" and exits 0; without the "./" it says DENIED
    (ownership[4], edu_worker1's), which is what a commit or push of that file gets, since git
    always names it without "./". A path as the shell completes it must not flip the answer."""
    monkeypatch.chdir(tmp_path)
    plain = main(["explain", "--policy", str(SOP), "--actor", "task_worker1",
                  "--path", "basic_edu_apps_final/environments/math/x.py"])
    dotted = main(["explain", "--policy", str(SOP), "--actor", "task_worker1",
                   "--path", "./basic_edu_apps_final/environments/math/x.py"])
    capsys.readouterr()
    assert plain == 1
    assert dotted == plain


def test_explain_branch_does_not_judge_a_made_up_readme() -> None:
    """With an ownership entry `*.md` (docs team), `enforcer explain --actor dev1 --branch
    feature/x` prints "ownership: ownership.owner ...: dev1 does not own *.md: README.md" and
    exits 1 ("DENIED"), although dev1 may push any commit of its own to feature/x that leaves
    the docs alone: explain's branch question borrows the self-tests' default path README.md."""
    raw = b"""version: 1
groups:
  devs: [dev1]
  docs: [writer1]
branches:
  - match: "**"
    push: [devs, docs]
ownership:
  - path: "*.md"
    primary: writer1
"""
    policy = load_policy_bytes(raw, "p.yaml", cache_dir="")
    own_work = request_for({"actor": "dev1", "push": "feature/x", "paths": ["src/app.py"]})
    assert decide(policy, own_work).verdict == "allow"
    verdict, lines = explain.branch(policy, "dev1", "feature/x")
    assert verdict == "allow", "\n".join(lines)


# -- the merge screen's pathspecs and git's environment ------------------------------------------

def _merge_keeping_mains_version(path: Path) -> tuple[str, str]:
    """main: A -> B (B changes owned/p, owner1's). topic: A -> t1 -> `git merge -s ours main`
    (the topic keeps A's owned/p). M merges topic into main but keeps B's owned/p, where git's
    own merge takes the topic's: owned/p is M's own change. Returns (B, M); M is on no branch."""
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "owned").mkdir()
    (path / "owned" / "p").write_text("a\n")
    (path / "other").write_text("0\n")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "A")
    git(path, "switch", "-qc", "topic")
    (path / "other").write_text("1\n")
    git(path, "commit", "-qam", "t1")
    git(path, "switch", "-q", "main")
    (path / "owned" / "p").write_text("b\n")
    git(path, "commit", "-qam", "B")
    git(path, "switch", "-q", "topic")
    git(path, "merge", "-q", "-s", "ours", "--no-edit", "main")
    git(path, "switch", "-q", "main")
    subprocess.run(["git", "merge", "-q", "--no-ff", "--no-commit", "topic"], cwd=path, capture_output=True)
    git(path, "checkout", "-q", "HEAD", "--", "owned/p")  # keep main's version: the merger's own change
    git(path, "commit", "-qm", "M")
    merge = git(path, "rev-parse", "HEAD")
    git(path, "reset", "-q", "--hard", "HEAD^")
    return git(path, "rev-parse", "main"), merge


def test_a_merges_own_change_is_found_whatever_git_pathspec_env(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """With GIT_LITERAL_PATHSPECS=1 in the environment (a CI job's, a server's), mallory's merge
    that keeps main's version of owner1's owned/p (git's merge would take the topic's) passes
    `enforcer check` and the server: the merge screen's diff is limited by ':(top,literal)owned'
    style pathspecs, which git then reads as literal file names matching nothing, so the screen
    sees no owned path and settles the merge as quiet. Without the variable it is refused
    (ownership.owner). enforcer must not let git's pathspec environment change its facts."""
    from enforcer import check
    from enforcer.git import Repo

    repo_path = tmp_path / "r"
    base, merge = _merge_keeping_mains_version(repo_path)
    policy = load_policy_bytes(b"""version: 1
groups:
  devs: [owner1, mallory]
ownership:
  - path: /owned/
    primary: owner1
policy:
  owners: [owner1]
""", "p.yaml", cache_dir="")
    monkeypatch.chdir(repo_path)
    [(_, plain)] = check.push(Repo(), policy, "mallory", (), base, merge, "main")
    assert plain.verdict == "deny" and {v.check for v in plain.violations} == {"ownership.owner"}
    monkeypatch.setenv("GIT_LITERAL_PATHSPECS", "1")
    [(_, literal)] = check.push(Repo(), policy, "mallory", (), base, merge, "main")
    assert literal.verdict == "deny", literal


# -- the bootstrap's pusher ------------------------------------------------------------------------

def test_bootstrap_pusher_is_not_chosen_by_a_push_option(tmp_path: Path) -> None:
    """The hosting server says the pusher is task_worker1 (REMOTE_USER). task_worker1 pushes a
    first policy.yaml with `server.actor_from: [GIT_PUSH_OPTION_0]` and `git push -o jgirmay`:
    the bootstrap is accepted and recorded as jgirmay's, a policy owner, and from then on every
    pusher names itself with -o. The pushed policy picks the variable the pusher is read from,
    and the validator accepts a variable the pusher sets (DESIGN.md: identity server side comes
    only from the hosting server's variables)."""
    from tests.server.test_receive import Server

    s = Server(tmp_path)
    policy = s.clone / "policy.yaml"
    policy.write_text(policy.read_text().replace(
        "actor_from: [GL_USERNAME, GITEA_PUSHER_NAME, GL_USER, REMOTE_USER, ENFORCER_ACTOR]",
        "actor_from: [GIT_PUSH_OPTION_0]"))
    git(s.clone, "commit", "-qam", "policy: the pusher names itself")
    env = {k: v for k, v in os.environ.items() if k != "ENFORCER_ACTOR"}
    env["REMOTE_USER"] = "task_worker1"  # what the hosting server authenticated
    proc = subprocess.run(["git", "push", "--push-option=jgirmay", "origin", "main"], cwd=s.clone, env=env,
                          capture_output=True, text=True)
    assert proc.returncode != 0 and s.ref("main") is None, proc.stderr


def test_validate_refuses_a_pusher_set_actor_variable() -> None:
    """`enforcer validate` accepts `server.actor_from: [GIT_PUSH_OPTION_0]`: any pusher then
    names itself (git push -o jgirmay) and gets jgirmay's rights, break-glass included."""
    from enforcer.selftest import check_policy_bytes

    raw = SOP.read_bytes().replace(b"actor_from: [GL_USERNAME, GITEA_PUSHER_NAME, GL_USER, REMOTE_USER, "
                                   b"ENFORCER_ACTOR]", b"actor_from: [GIT_PUSH_OPTION_0]")
    _, problems = check_policy_bytes(raw, "policy.yaml")
    assert any(not p.warning for p in problems)
