"""Client hooks in real clones: `enforcer install`, then real `git commit`, `git merge` and `git push`."""
from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from enforcer.model import claim_text
from tests.conftest import SOP, enforcer, git

TODAY = datetime.date.today().strftime("%m%d")


class Clone:
    """A clone of a bare origin (no server hooks: what is refused here, the client refused)."""

    def __init__(self, tmp: Path, server_hooks: bool = False) -> None:
        self.origin = tmp / "origin.git"
        git(tmp, "init", "-q", "--bare", "-b", "main", str(self.origin))
        if server_hooks:
            assert enforcer(tmp, "install", "--server", str(self.origin)).returncode == 0
        self.path = tmp / "clone"
        git(tmp, "clone", "-q", str(self.origin), str(self.path))
        assert enforcer(self.path, "install").returncode == 0
        shutil.copy(SOP, self.path / "policy.yaml")
        assert self.commit("jgirmay", "policy.yaml", message="policy").returncode == 0
        assert self.push("jgirmay", "main").returncode == 0

    def run(self, actor: str | None, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "ENFORCER_ACTOR"}
        if actor:
            env["ENFORCER_ACTOR"] = actor
        proc = subprocess.run(("git", *args), cwd=self.path, capture_output=True, text=True, env=env)
        assert "Traceback" not in proc.stderr
        return proc

    def commit(self, actor: str | None, *paths: str, message: str = "change",
               extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        for p in paths:
            target = self.path / p
            target.parent.mkdir(parents=True, exist_ok=True)
            if p != "policy.yaml":
                target.write_text(f"{message} {p}\n")
            git(self.path, "add", "--", p)
        return self.run(actor, "commit", "-q", "--allow-empty", "-m", message, *extra)

    def push(self, actor: str | None, *refspecs: str) -> subprocess.CompletedProcess[str]:
        return self.run(actor, "push", "-q", "origin", *refspecs)

    def switch(self, branch: str, start: str = "main") -> None:
        git(self.path, "switch", "-q", "-C", branch, start)

    def head(self) -> str:
        return git(self.path, "rev-parse", "HEAD")

    def remote(self, ref: str) -> str | None:
        proc = subprocess.run(["git", "rev-parse", "-q", "--verify", ref], cwd=self.origin, capture_output=True,
                              text=True)
        return proc.stdout.strip() or None


@pytest.fixture
def clone(tmp_path: Path) -> Clone:
    return Clone(tmp_path)


# -- pre-commit ---------------------------------------------------------------

def test_a_direct_commit_on_main_is_refused_with_the_way_out(clone: Clone) -> None:
    before = clone.head()
    proc = clone.commit("jgirmay", "src/app.py")
    assert proc.returncode == 1 and clone.head() == before
    assert "branches[0] branches.direct_commits: no direct commits on 'main'" in proc.stderr
    assert f"git switch -c feature/<what>-{TODAY} (staged changes come along)" in proc.stderr
    git(clone.path, "switch", "-q", "-c", f"feature/app-{TODAY}")  # the fix, as printed: the staged work moves
    assert clone.run("task_worker1", "commit", "-qm", "app").returncode == 0


@pytest.mark.parametrize("branch, actor, check", [
    ("hotfix/urgent", "task_worker1", "branches.push"),  # only release-managers
    ("feature/Login", "task_worker1", "branches.name"),
    ("random", "task_worker1", "branches.push"),  # the catch-all: nobody
    ("dev", "jgirmay", "branches.direct_commits"),
])
def test_commits_the_server_would_refuse(clone: Clone, branch: str, actor: str, check: str) -> None:
    clone.switch(branch)
    proc = clone.commit(actor, "src/x.py")
    assert proc.returncode == 1 and check in proc.stderr


def test_ownership_and_claims_on_staged_paths(clone: Clone) -> None:
    clone.switch(f"feature/plan-{TODAY}")
    proc = clone.commit("task_worker2", "architect/plan.md")
    assert proc.returncode == 1 and "ownership.owner" in proc.stderr and "arch_worker1" in proc.stderr
    git(clone.path, "reset", "-q")
    assert clone.commit("task_worker1", "architect/plan.md").returncode == 0  # the backup owner
    blob = git(clone.path, "hash-object", "-w", "--stdin", input=claim_text("task_worker1", int(time.time()) + 600))
    git(clone.path, "update-ref", "refs/enforcer/claims/src", blob)  # as fetched from the server
    proc = clone.commit("task_worker2", "src/app.py")
    assert proc.returncode == 1 and "src/ is claimed by task_worker1" in proc.stderr
    assert clone.commit("task_worker1", "src/app.py").returncode == 0  # the holder


def test_merges_into_an_integration_branch(clone: Clone) -> None:
    clone.switch(f"feature/a-{TODAY}")
    assert clone.commit("task_worker1", "src/a.py").returncode == 0
    clone.switch("notes")  # a local branch dev does not take merges from
    assert clone.run(None, "commit", "-q", "--no-verify", "--allow-empty", "-m", "n").returncode == 0
    clone.switch("dev")
    allowed = clone.run("jgirmay", "merge", "-q", "--no-ff", "--no-edit", f"feature/a-{TODAY}")  # commit-msg judges
    assert allowed.returncode == 0 and len(git(clone.path, "log", "-1", "--format=%P").split()) == 2
    before = clone.head()
    refused = clone.run("jgirmay", "merge", "-q", "--no-ff", "--no-edit", "notes")
    assert refused.returncode != 0 and "branches.merge_from" in refused.stderr and clone.head() == before
    git(clone.path, "merge", "--abort")
    # a merge that stops on a conflict is finished by `git commit`: pre-commit sees MERGE_HEAD, and
    # a resolution made on dev is the merger's own change there, as the server judges it
    clone.switch(f"feature/b-{TODAY}", "main")
    assert clone.commit("task_worker1", "src/a.py", message="other").returncode == 0  # conflicts with feature/a
    git(clone.path, "switch", "-q", "dev")
    assert clone.run("jgirmay", "merge", "-q", "--no-ff", "--no-edit", f"feature/b-{TODAY}").returncode != 0
    (clone.path / "src" / "a.py").write_text("resolved\n")
    git(clone.path, "add", "src/a.py")
    refused = clone.run("jgirmay", "commit", "-q", "--no-edit")
    assert refused.returncode == 1 and "makes changes of its own to src/a.py" in refused.stderr
    git(clone.path, "merge", "--abort")
    # the way the fix says: resolve on the source branch, then merge cleanly
    git(clone.path, "switch", "-q", f"feature/b-{TODAY}")
    assert clone.run("task_worker1", "merge", "-q", "--no-edit", "dev").returncode != 0
    (clone.path / "src" / "a.py").write_text("resolved\n")
    git(clone.path, "add", "src/a.py")
    assert clone.run("task_worker1", "commit", "-q", "--no-edit").returncode == 0  # feature branches take it
    git(clone.path, "switch", "-q", "dev")
    assert clone.run("jgirmay", "merge", "-q", "--no-ff", "--no-edit", f"feature/b-{TODAY}").returncode == 0


def test_detached_head_and_the_first_commit(tmp_path: Path) -> None:
    repo = tmp_path / "new"
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    assert enforcer(repo, "install").returncode == 0
    shutil.copy(SOP, repo / "policy.yaml")
    git(repo, "add", "policy.yaml")
    env = {**os.environ, "ENFORCER_ACTOR": "task_worker1"}
    refused = subprocess.run(["git", "commit", "-qm", "p"], cwd=repo, capture_output=True, text=True, env=env)
    assert refused.returncode == 1 and "policy.bootstrap" in refused.stderr
    env["ENFORCER_ACTOR"] = "jgirmay"  # a policy owner starts the repository, as the server will take it
    assert subprocess.run(["git", "commit", "-qm", "p"], cwd=repo, env=env).returncode == 0
    git(repo, "switch", "-q", "--detach")
    (repo / "x").write_text("x")
    git(repo, "add", "x")
    assert subprocess.run(["git", "commit", "-qm", "x"], cwd=repo, env=env).returncode == 0  # judged at push


# -- pre-push -----------------------------------------------------------------

def test_every_ref_of_a_push_is_judged_before_anything_is_sent(clone: Clone) -> None:
    clone.switch(f"feature/ok-{TODAY}")
    assert clone.commit("task_worker1", "src/ok.py").returncode == 0
    proc = clone.push("task_worker1", f"feature/ok-{TODAY}", "HEAD:main")  # an explicit refspec onto main
    assert proc.returncode != 0 and "push to refs/heads/main" in proc.stderr and "branches.push" in proc.stderr
    assert clone.remote(f"feature/ok-{TODAY}") is None  # the good ref was not sent either
    assert clone.push("task_worker1", f"feature/ok-{TODAY}").returncode == 0


def test_deletions_force_pushes_and_tags(clone: Clone) -> None:
    assert "branches.delete" in clone.push("jgirmay", ":main").stderr
    clone.switch(f"feature/f-{TODAY}")
    assert clone.commit("task_worker1", "src/f.py").returncode == 0
    assert clone.push("task_worker1", f"feature/f-{TODAY}").returncode == 0
    git(clone.path, "commit", "-q", "--amend", "--no-verify", "-m", "rewritten")
    forced = clone.push("task_worker1", "--force", f"feature/f-{TODAY}")
    assert forced.returncode != 0 and "branches.force_push" in forced.stderr
    git(clone.path, "tag", "v1.0.0")
    assert "tags.annotated" in clone.push("jgirmay", "v1.0.0").stderr
    git(clone.path, "tag", "-f", "-a", "-m", "release", "v1.0.0")
    assert "tags.create" in clone.push("task_worker1", "v1.0.0").stderr
    assert clone.push("jgirmay", "v1.0.0").returncode == 0 and clone.remote("v1.0.0")
    assert clone.push("task_worker1", f":feature/f-{TODAY}").returncode == 0  # feature branches may go


def test_no_verify_is_caught_by_the_server(tmp_path: Path) -> None:
    clone = Clone(tmp_path, server_hooks=True)
    assert clone.commit("jgirmay", "src/app.py", extra=("--no-verify",)).returncode == 0
    proc = clone.run("jgirmay", "push", "--no-verify", "origin", "main")
    assert proc.returncode != 0 and "remote: enforcer: refs/heads/main: DENIED" in proc.stderr
    assert clone.remote("main") != clone.head()


# -- policy, chaining, layouts ---------------------------------------------------

def test_a_broken_or_missing_policy_does_not_block(clone: Clone) -> None:
    clone.switch(f"feature/p-{TODAY}")
    (clone.path / "policy.yaml").write_text("version: 1\nbranches: [{match: main, push: nobody}]\n")
    proc = clone.commit("task_worker1", "src/a.py")
    assert proc.returncode == 0 and "policy.yaml:2:" in proc.stderr and "does not block" in proc.stderr
    (clone.path / "policy.yaml").unlink()
    proc = clone.commit("task_worker1", "src/b.py")
    assert proc.returncode == 0 and proc.stderr.strip() == "enforcer: no policy.yaml in this repository: " \
                                                            "nothing to enforce here"


def test_hooks_already_there_run_first_and_come_back(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    mine = repo / ".git" / "hooks" / "pre-commit"
    mine.parent.mkdir(parents=True, exist_ok=True)
    mine.write_text("#!/bin/sh\n[ -e stop ] && { echo mine refused >&2; exit 1; }\nexit 0\n")
    mine.chmod(0o755)
    assert enforcer(repo, "install").returncode == 0
    shutil.copy(SOP, repo / "policy.yaml")
    (repo / "stop").write_text("")
    git(repo, "add", "policy.yaml", "stop")
    env = {**os.environ, "ENFORCER_ACTOR": "jgirmay"}
    proc = subprocess.run(["git", "commit", "-qm", "p"], cwd=repo, capture_output=True, text=True, env=env)
    assert proc.returncode == 1 and "mine refused" in proc.stderr
    assert enforcer(repo, "uninstall").returncode == 0
    assert "mine refused" in mine.read_text() and not mine.with_name("pre-commit.before-enforcer").exists()
    assert not (repo / ".git" / "hooks" / "pre-push").exists()


def test_core_hooks_path_and_worktrees(tmp_path: Path) -> None:
    clone = Clone(tmp_path)
    shared = tmp_path / "team-hooks"  # absolute: a relative hooksPath is relative to each worktree
    git(clone.path, "config", "core.hooksPath", str(shared))
    assert enforcer(clone.path, "install").returncode == 0
    assert (shared / "pre-commit").exists()
    worktree = tmp_path / "wt"
    git(clone.path, "worktree", "add", "-q", "-b", f"feature/wt-{TODAY}", str(worktree))
    blob = git(clone.path, "hash-object", "-w", "--stdin", input=claim_text("task_worker1", int(time.time()) + 600))
    git(clone.path, "update-ref", "refs/enforcer/claims/src", blob)  # claims are seen from every worktree
    (worktree / "src").mkdir()
    (worktree / "src" / "w.py").write_text("w")
    git(worktree, "add", "src/w.py")
    env = {**os.environ, "ENFORCER_ACTOR": "task_worker2"}
    proc = subprocess.run(["git", "commit", "-qm", "w"], cwd=worktree, capture_output=True, text=True, env=env)
    assert proc.returncode == 1 and "claims.held" in proc.stderr


def test_post_checkout_warns_on_a_protected_branch(clone: Clone) -> None:
    proc = clone.run("task_worker1", "switch", "-q", "-c", "dev")
    assert proc.returncode == 0 and "warning: commits on 'dev' will be refused here" in proc.stderr
    assert "branches.push" in proc.stderr
    assert clone.run("task_worker1", "switch", "-q", "-c", f"feature/w-{TODAY}").stderr == ""
