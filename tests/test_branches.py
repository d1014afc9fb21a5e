"""Every row of the reference policy's branch matrix, judged by `enforcer check` on real repositories."""
from __future__ import annotations

import subprocess

import pytest

from tests.conftest import Repo, checks

WORKER, RELEASE, REVIEWER, DEPLOYER, MANAGER = "task_worker1", "jgirmay", "audit_manager", "deploy-bot", "command_runner"
FEATURE = "feature/login-1124"


# (branch, actor, allowed) for one new commit on an unowned path; branches a rule forbids direct
# commits on are covered below.
PUSH_MATRIX = [
    (FEATURE, WORKER, True), (FEATURE, RELEASE, True), (FEATURE, REVIEWER, False), (FEATURE, MANAGER, False),
    ("fix/crash", WORKER, True), ("fix/crash", RELEASE, True), ("fix/crash", DEPLOYER, False),
    ("agent/task-7", WORKER, True), ("agent/task-7", RELEASE, False),
    ("hotfix/v1.2.4", RELEASE, True), ("hotfix/v1.2.4", WORKER, False),
    ("random", RELEASE, False), ("wip/thing", WORKER, False),
]


@pytest.mark.parametrize("branch, actor, allowed", PUSH_MATRIX)
def test_who_may_push_where(repo: Repo, branch: str, actor: str, allowed: bool) -> None:
    repo.switch(branch, create_from="main")
    repo.commit("src/app.py")
    code, result = repo.check(branch, actor)
    assert (code == 0) is allowed, result
    if not allowed:
        assert "branches.push" in checks(result)


@pytest.mark.parametrize("branch, actor", [("main", RELEASE), ("dev", REVIEWER), ("qa", DEPLOYER),
                                           ("prod", DEPLOYER), ("dev", RELEASE)])
def test_no_direct_commits_on_integration_branches(repo: Repo, branch: str, actor: str) -> None:
    repo.switch(branch, create_from="main")
    repo.commit("src/app.py")
    code, result = repo.check(branch, actor)
    assert code == 1
    assert "branches.direct_commits" in checks(result)
    fix = result["results"][0]["violations"][-1]["fix"]
    if actor == RELEASE:  # the others may push no work branch, and are not sent to one
        assert "git switch -c feature/<what>-" in fix


@pytest.mark.parametrize("source", [FEATURE, "fix/crash", "agent/task-7", "hotfix/v1.2.4"])
def test_dev_takes_merges_from_work_branches(repo: Repo, source: str) -> None:
    repo.switch(source, create_from="main")
    repo.commit("src/app.py")
    repo.switch("dev")
    repo.merge(source)
    code, result = repo.check("dev", REVIEWER)
    assert code == 0, result


def test_workers_may_not_merge_into_dev(repo: Repo) -> None:
    repo.switch(FEATURE, create_from="main")
    repo.commit("src/app.py")
    repo.switch("dev")
    repo.merge(FEATURE)
    code, result = repo.check("dev", WORKER)
    assert code == 1 and checks(result) == {"branches.push"}


@pytest.mark.parametrize("source, allowed", [("dev", True), ("hotfix/v1.2.4", True), (FEATURE, False)])
def test_main_takes_merges_from_dev_and_hotfix_only(repo: Repo, source: str, allowed: bool) -> None:
    repo.switch(source, create_from="main")
    repo.commit("src/app.py")
    repo.switch("main")
    repo.merge(source)
    code, result = repo.check("main", RELEASE)
    assert (code == 0) is allowed, result
    if not allowed:
        assert checks(result) == {"branches.merge_from"}


def test_fast_forward_to_reviewed_work_is_allowed(repo: Repo) -> None:
    repo.switch(FEATURE, create_from="main")
    repo.commit("src/app.py")
    repo.switch("dev")
    repo.merge(FEATURE)
    code, result = repo.check("main", RELEASE, head="dev")
    assert code == 0, result


def test_merge_of_commits_on_no_branch_is_refused(repo: Repo) -> None:
    repo.switch(FEATURE, create_from="main")
    side = repo.commit("src/app.py")
    repo.switch("dev")
    repo.merge(side)
    from tests.conftest import git

    git(repo.path, "branch", "-D", FEATURE)
    code, result = repo.check("dev", REVIEWER)
    assert code == 1 and checks(result) == {"branches.merge_from"}


def test_evil_merge_counts_as_a_direct_commit(repo: Repo) -> None:
    from tests.conftest import git

    repo.switch("dev")
    repo.commit("shared.txt", message="base")
    base = repo.rev("HEAD")
    repo.switch(FEATURE, create_from="dev")
    repo.commit("shared.txt", message="feature side")
    repo.switch("dev")
    repo.commit("shared.txt", message="dev side")
    # the merge conflicts; resolve it by hand, as a conflict resolution inside the merge
    subprocess.run(["git", "merge", "--no-ff", "--no-edit", FEATURE], cwd=repo.path, capture_output=True)
    (repo.path / "shared.txt").write_text("resolved by hand\n")
    git(repo.path, "add", "shared.txt")
    git(repo.path, "commit", "-q", "--no-edit")
    code, result = repo.check("dev", REVIEWER, base)
    assert code == 1
    assert "branches.direct_commits" in checks(result)
    assert "makes changes of its own to shared.txt" in str(result)


def test_force_push_is_refused(repo: Repo) -> None:
    repo.switch(FEATURE, create_from="main")
    old = repo.commit("src/a.py")
    from tests.conftest import git

    git(repo.path, "reset", "-q", "--hard", "HEAD~1")
    repo.commit("src/b.py")
    code, result = repo.check(FEATURE, WORKER, old)
    assert code == 1 and checks(result) == {"branches.force_push"}


@pytest.mark.parametrize("name, ok", [("feature/login-1124", True), ("feature/two-words-0101", True),
                                      ("feature/Login", False), ("feature/login", False),
                                      ("feature/login-1332", False)])
def test_feature_branch_names(repo: Repo, name: str, ok: bool) -> None:
    repo.switch(name, create_from="main")
    repo.commit("src/app.py")
    code, result = repo.check(name, WORKER)
    assert (code == 0) is ok, result
    if not ok:
        assert checks(result) == {"branches.name"}
        assert "git branch -m" in str(result)


def test_deletion_rows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`check` judges ranges; deletions are judged on the same facts through the git module."""
    from enforcer import facts
    from enforcer.engine import decide
    from enforcer.git import Repo as GitRepo
    from enforcer.model import ZERO
    from enforcer.policy import load_policy

    r = Repo(tmp_path / "r")
    r.switch(FEATURE, create_from="main")
    tip = r.commit("src/app.py")
    policy = load_policy(r.path / "policy.yaml")
    g = GitRepo(str(r.path))
    for ref, actor, allowed in [(f"refs/heads/{FEATURE}", WORKER, True), ("refs/heads/main", RELEASE, False),
                                ("refs/heads/dev", REVIEWER, False), (f"refs/heads/{FEATURE}", REVIEWER, False)]:
        decision = decide(policy, facts.ref_update(g, policy, actor, ref, tip, ZERO))
        assert decision.allowed is allowed, (ref, actor, decision)
