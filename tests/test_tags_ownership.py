"""The reference policy's tag and ownership matrices, and the other rules, on real repositories."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from enforcer import facts
from enforcer.engine import decide
from enforcer.git import Repo as GitRepo
from enforcer.model import ZERO, Claim, RefUpdate, StagedChange
from enforcer.policy import load_policy
from tests.conftest import SOP, Repo, checks, git

FEATURE = "feature/work-1124"


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Repo, GitRepo]:
    r = Repo(tmp_path_factory.mktemp("tags") / "r")
    r.commit("src/app.py")
    return r, GitRepo(str(r.path))


def _tag(r: Repo, name: str, annotated: bool) -> str:
    if annotated:
        git(r.path, "tag", "-f", "-a", "-m", f"release {name}", name)
    else:
        git(r.path, "tag", "-f", name)
    return git(r.path, "rev-parse", f"refs/tags/{name}")


@pytest.mark.parametrize("tag, actor, annotated, expected", [
    ("v1.2.3", "jgirmay", True, set()),
    ("v1.2.3-rc1", "jgirmay", True, set()),
    ("v1.2.3-patch2", "jgirmay", True, set()),
    ("v1.2.3", "jgirmay", False, {"tags.annotated"}),
    ("v1.2", "jgirmay", True, {"tags.name"}),
    ("v1.2.3-beta", "jgirmay", True, {"tags.name"}),
    ("v1.2.3", "task_worker1", True, {"tags.create"}),
    ("v1.2.3", "audit_manager", True, {"tags.create"}),
    ("release-1", "jgirmay", True, {"tags.create"}),
])
def test_tag_creation(tagged: tuple[Repo, GitRepo], tag: str, actor: str, annotated: bool,
                      expected: set[str]) -> None:
    r, g = tagged
    policy = load_policy(r.path / "policy.yaml")
    sha = _tag(r, tag, annotated)
    decision = decide(policy, facts.ref_update(g, policy, actor, f"refs/tags/{tag}", ZERO, sha))
    assert {v.check for v in decision.violations} == expected


def test_tags_are_never_moved_or_deleted(tagged: tuple[Repo, GitRepo]) -> None:
    r, g = tagged
    policy = load_policy(r.path / "policy.yaml")
    old = _tag(r, "v2.0.0", True)
    r.commit("src/later.py")
    new = _tag(r, "v2.0.0", True)
    moved = decide(policy, facts.ref_update(g, policy, "jgirmay", "refs/tags/v2.0.0", old, new))
    assert {v.check for v in moved.violations} == {"tags.move"}
    deleted = decide(policy, facts.ref_update(g, policy, "jgirmay", "refs/tags/v2.0.0", new, ZERO))
    assert {v.check for v in deleted.violations} == {"tags.delete"}


OWNERSHIP_ROWS = [  # (path, primary, backup) as in the reference policy
    ("architect/plan.md", "arch_worker1", "task_worker1"),
    ("basic_edu_apps_final/environments/setup.py", "edu_worker1", "task_worker2"),
    ("basic_edu_apps_final/environments/architecture/a.py", "arch_worker1", "edu_worker1"),
    ("basic_edu_apps_final/environments/typing/t.py", "edu_worker1", "task_worker3"),
    ("basic_edu_apps_final/environments/math/m.py", "edu_worker1", "task_worker4"),
    ("basic_edu_apps_final/environments/reading/r.py", "edu_worker1", "task_worker5"),
]
WORKERS = ["task_worker1", "task_worker2", "task_worker3", "task_worker4", "task_worker5", "arch_worker1",
           "edu_worker1"]


@pytest.mark.parametrize("path, primary, backup", OWNERSHIP_ROWS)
def test_ownership_rows(repo: Repo, path: str, primary: str, backup: str) -> None:
    repo.switch(FEATURE, create_from="main")
    repo.commit(path)
    for actor in WORKERS:
        code, result = repo.check(FEATURE, actor)
        if actor in (primary, backup):
            assert code == 0, (actor, result)
        else:
            assert code == 1 and checks(result) == {"ownership.owner"}, (actor, result)


def test_last_matching_entry_decides(repo: Repo) -> None:
    repo.switch(FEATURE, create_from="main")
    repo.commit("basic_edu_apps_final/environments/math/x.py")
    assert repo.check(FEATURE, "task_worker2")[0] == 1  # backup of the parent entry only
    assert repo.check(FEATURE, "task_worker4")[0] == 0


def test_unowned_paths_are_anyones(repo: Repo) -> None:
    repo.switch(FEATURE, create_from="main")
    repo.commit("src/app.py", "basic_edu_apps_final/README.md")
    assert repo.check(FEATURE, "task_worker3")[0] == 0


def test_a_rename_out_of_an_owned_dir_counts_on_both_sides(repo: Repo) -> None:
    repo.switch(FEATURE, create_from="main")
    repo.commit("architect/plan.md")
    base = repo.rev("HEAD")
    git(repo.path, "mv", "architect/plan.md", "plan.md")
    git(repo.path, "commit", "-qm", "move it out")
    code, result = repo.check(FEATURE, "task_worker2", base)
    assert code == 1 and "architect/plan.md" in str(result)


def test_claims_are_facts() -> None:
    policy = load_policy(SOP)
    now = time.time()
    change = StagedChange(actor="task_worker1", branch=FEATURE, paths=("src/a/b.py",), now=now)
    live = Claim("src/a/", "task_worker2", now + 60)
    expired = Claim("src/a/", "task_worker2", now - 60)
    own = Claim("src/", "task_worker1", now + 60)
    assert {v.check for v in decide(policy, _with(change, live)).violations} == {"claims.held"}
    assert decide(policy, _with(change, expired)).allowed
    assert decide(policy, _with(change, own)).allowed


def _with(change: StagedChange, claim: Claim) -> StagedChange:
    return change._replace(claims=(claim,))


def test_policy_change_by_non_owner_and_invalid_policy(repo: Repo) -> None:
    repo.switch(FEATURE, create_from="main")
    text = (repo.path / "policy.yaml").read_text()
    (repo.path / "policy.yaml").write_text(text + "\n# a comment\n")
    git(repo.path, "commit", "-qam", "tweak policy")
    code, result = repo.check(FEATURE, "task_worker1")
    assert code == 1 and checks(result) == {"policy.owners"}
    (repo.path / "policy.yaml").write_text(text + "\nbogus: 1\n")
    git(repo.path, "commit", "-qam", "break policy")
    code, result = repo.check(FEATURE, "jgirmay")
    assert code == 1 and checks(result) == {"policy.invalid"}


def test_the_policy_is_read_from_base(repo: Repo) -> None:
    """A range that loosens the policy is still judged by the policy it started from."""
    repo.switch("main")
    text = (repo.path / "policy.yaml").read_text().replace("direct_commits: false\n    merge_from: [dev",
                                                             "merge_from: [dev")
    (repo.path / "policy.yaml").write_text(text)
    git(repo.path, "commit", "-qam", "let me commit directly")
    code, result = repo.check("main", "jgirmay")
    assert code == 1 and "branches.direct_commits" in checks(result)


def test_evaluate_mode_records_without_blocking(tmp_path: Path) -> None:
    r = Repo(tmp_path / "r")
    text = (r.path / "policy.yaml").read_text().replace(
        "    direct_commits: false\n    merge_from: [dev, \"hotfix/**\"]",
        "    direct_commits: false\n    merge_from: [dev, \"hotfix/**\"]\n    enforcement: evaluate")
    policy_file = tmp_path / "evaluate.yaml"
    policy_file.write_text(text)
    r.commit("src/app.py")
    code, result = r.check("main", "jgirmay", None, "HEAD", "--policy", str(policy_file))
    assert code == 0
    overridden = result["results"][0]["overridden"]
    assert [v["check"] for v in overridden] == ["branches.direct_commits"] and overridden[0]["evaluate_only"]


@pytest.mark.parametrize("env, expected", [
    ({"GITHUB_ACTOR": "task_worker1"}, 0), ({"GITLAB_USER_LOGIN": "task_worker1"}, 0),
    ({"ENFORCER_ACTOR": "task_worker1"}, 0), ({"ENFORCER_ACTOR": "jgirmay@example.com"}, 0),
    ({"ENFORCER_ACTOR": "stranger"}, 1), ({}, 1)])
def test_actor_from_ci_variables(repo: Repo, env: dict[str, str], expected: int) -> None:
    repo.switch(FEATURE, create_from="main")
    repo.commit("src/app.py")
    code, result = repo.check(FEATURE, None, env=env)
    assert code == expected, result
    if not env:
        assert checks(result) == {"actors.missing"}
        assert "GITHUB_ACTOR, GITLAB_USER_LOGIN, ENFORCER_ACTOR" in str(result)
    elif env.get("ENFORCER_ACTOR") == "stranger":
        assert checks(result) == {"actors.unknown"}


@pytest.mark.parametrize("name", ["feature/<script>x-1124", "feature/-x-1124", "feature/ünï-1124"])
def test_hostile_branch_names_are_just_names(repo: Repo, name: str) -> None:
    repo.switch(name, create_from="main") if not name.startswith("feature/-") else repo.switch(name, "main")
    repo.commit("src/a b/<script>.py", "-dash.txt")
    code, result = repo.check(name, "task_worker1")
    assert code == 1 and checks(result) == {"branches.name"}


def test_direct_commit_refs_are_judged_by_the_core_alone() -> None:
    """RefUpdate facts with no git: the core is pure."""
    policy = load_policy(SOP)
    request = RefUpdate(actor="jgirmay", ref="refs/notes/x", old=ZERO, new="1" * 40)
    assert {v.check for v in decide(policy, request).violations} == {"refs.namespace"}
