"""The walk every real-server test makes: each rule of the reference policy refusing and allowing a push."""
from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Callable

from enforcer.model import claim_text
from tests.conftest import enforcer, git, policy_repo

Push = Callable[..., subprocess.CompletedProcess[str]]  # push(actor, *refspecs)


def make_clone(tmp_path: Path) -> Path:
    return policy_repo(tmp_path / "clone")


def assert_enforced(push: Push, clone: Path, bare: Path) -> None:
    """The actor comes from the server: the same pushes give different verdicts per identity."""
    assert push("task_worker1", "main").returncode != 0  # bootstrap is for policy owners
    ok = push("jgirmay", "main")
    assert ok.returncode == 0, ok.stderr
    (clone / "a.py").write_text("x")
    git(clone, "add", "a.py")
    git(clone, "commit", "-qm", "direct")
    refused = push("jgirmay", "main")
    assert refused.returncode != 0 and "branches[0] branches.direct_commits" in refused.stderr
    git(clone, "switch", "-qc", "feature/login-1124")
    assert push("task_worker1", "feature/login-1124").returncode == 0
    assert git(bare, "rev-parse", "feature/login-1124") == git(clone, "rev-parse", "HEAD")
    assert git(bare, "rev-parse", "main") != git(clone, "rev-parse", "main")  # the direct commit never landed
    git(clone, "tag", "-a", "-m", "r", "v1.0.0")
    assert push("task_worker1", "v1.0.0").returncode != 0
    # task_worker1 claims src/: jgirmay's work there waits until it is released
    text = claim_text("task_worker1", int(time.time()) + 600)
    blob = git(clone, "hash-object", "-w", "--stdin", input=text)
    assert push("task_worker1", f"{blob}:refs/enforcer/claims/src").returncode == 0
    git(clone, "switch", "-qc", "feature/inside-1124")
    (clone / "src").mkdir()
    (clone / "src" / "b.py").write_text("y")
    git(clone, "add", "src/b.py")
    git(clone, "commit", "-qm", "inside a claimed directory")
    held = push("jgirmay", "feature/inside-1124")
    assert held.returncode != 0 and "src/ is claimed by task_worker1" in held.stderr
    assert push("task_worker1", ":refs/enforcer/claims/src").returncode == 0
    assert push("jgirmay", "feature/inside-1124").returncode == 0
    # ownership: architect/ is arch_worker1's, with task_worker1 as backup
    git(clone, "switch", "-qc", "feature/plan-1124")
    (clone / "architect").mkdir()
    (clone / "architect" / "plan.md").write_text("plan")
    git(clone, "add", "architect/plan.md")
    git(clone, "commit", "-qm", "plan")
    assert "ownership.owner" in push("jgirmay", "feature/plan-1124").stderr
    assert push("task_worker1", "feature/plan-1124").returncode == 0
    # no force pushes; feature branches may be deleted, main may not
    git(clone, "commit", "-q", "--amend", "-m", "plan, rewritten")
    assert "branches.force_push" in push("task_worker1", "+feature/plan-1124").stderr
    assert push("task_worker1", ":feature/plan-1124").returncode == 0
    assert "branches.delete" in push("jgirmay", ":main").stderr
    # release tags: annotated, by a release manager
    assert push("jgirmay", "v1.0.0").returncode == 0
    git(clone, "tag", "v1.0.1")
    assert "tags.annotated" in push("jgirmay", "v1.0.1").stderr
    # the policy file changes only by policy.owners
    with open(clone / "policy.yaml", "a") as f:
        f.write("# a comment\n")
    git(clone, "commit", "-qam", "touch the policy")
    assert "policy.owners" in push("task_worker1", "HEAD:refs/heads/feature/policy-1124").stderr
    # branch names: a feature branch's name follows its rule
    git(clone, "switch", "-qc", "feature/Login_Page")
    assert "branches.name" in push("task_worker1", "feature/Login_Page").stderr
    # merges: dev takes feature work only, main takes dev
    git(clone, "switch", "-qc", "dev", git(bare, "rev-parse", "main"))
    git(clone, "merge", "-q", "--no-ff", "--no-edit", "feature/inside-1124")
    merged = push("jgirmay", "dev")
    assert merged.returncode == 0, merged.stderr
    git(clone, "switch", "-qc", "experiment", "feature/inside-1124")
    _commit(clone, "src/c.py")
    git(clone, "switch", "-q", "dev")
    git(clone, "merge", "-q", "--no-ff", "--no-edit", "experiment")
    assert "branches.merge_from" in push("jgirmay", "dev").stderr  # experiment is no branch dev takes from
    git(clone, "reset", "-q", "--hard", "HEAD~1")
    git(clone, "switch", "-q", "main")
    git(clone, "reset", "-q", "--hard", git(bare, "rev-parse", "main"))
    git(clone, "merge", "-q", "--no-ff", "--no-edit", "dev")
    released = push("jgirmay", "main")
    assert released.returncode == 0, released.stderr
    # tags: the name rule, and a release tag never moves
    git(clone, "tag", "-a", "-m", "r", "v1.0")
    assert "tags.name" in push("jgirmay", "v1.0").stderr
    git(clone, "tag", "-f", "-a", "-m", "moved", "v1.0.0", "main")
    assert "tags.move" in push("jgirmay", "+v1.0.0").stderr
    # break-glass: a release manager may land a direct commit on main, with a reason
    _commit(clone, "src/urgent.py")
    urgent = push("jgirmay", "--push-option=enforcer.break-glass=prod is down", "main")
    assert urgent.returncode == 0 and "break-glass by jgirmay: prod is down" in urgent.stderr, urgent.stderr
    assert git(bare, "rev-parse", "main") == git(clone, "rev-parse", "main")
    decisions = enforcer(bare, "decisions", "--format", "json").stdout
    assert '"actor": "task_worker1"' in decisions and '"actor": "jgirmay"' in decisions


def _commit(clone: Path, path: str) -> None:
    (clone / path).parent.mkdir(parents=True, exist_ok=True)
    (clone / path).write_text(path)
    git(clone, "add", path)
    git(clone, "commit", "-qm", f"change {path}")
