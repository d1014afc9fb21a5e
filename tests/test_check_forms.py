"""`enforcer check` in its two forms, as CI runs it (issue 15, item 8), and one truth: the client
hooks, `check` in both forms and the server give the same verdict on the same history."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import enforcer, git
from tests.test_client_hooks import TODAY, Clone

FEATURE = f"feature/plan-{TODAY}"


@pytest.fixture
def team(tmp_path: Path) -> Clone:
    """origin (server hooks) with main and dev; arch_worker1's feature, pushed, with her owned file."""
    clone = Clone(tmp_path, server_hooks=True)
    assert clone.push("jgirmay", "main:dev").returncode == 0
    clone.switch(FEATURE, "main")
    assert clone.commit("arch_worker1", "architect/plan.md", "docs/plan.md").returncode == 0
    assert clone.push("arch_worker1", FEATURE).returncode == 0
    git(clone.path, "fetch", "-q", "origin")
    return clone


def ci_clone(team: Clone, tmp_path: Path) -> Path:
    """What a CI job checks out: a fresh full clone of origin (fetch-depth: 0)."""
    path = tmp_path / "ci"
    git(tmp_path, "clone", "-q", str(team.origin), str(path))
    return path


def check(cwd: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    proc = enforcer(cwd, "check", *args, "--format", "json", env=env)
    assert "Traceback" not in proc.stderr and proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def found(result: dict[str, Any]) -> set[str]:
    return {v["check"] for r in result["results"] for v in r["violations"]}


def test_a_pull_request_on_github_is_judged_as_the_authors_pushes_and_a_merge(team: Clone, tmp_path: Path) -> None:
    ci = ci_clone(team, tmp_path)
    git(ci, "checkout", "-q", f"origin/{FEATURE}")
    env = {"GITHUB_BASE_REF": "dev", "GITHUB_HEAD_REF": FEATURE, "GITHUB_ACTOR": "arch_worker1"}
    code, result = check(ci, env=env)
    assert code == 0, result
    merge = result["results"][1]
    assert merge["subject"] == f"merge of {FEATURE} into dev" and merge["note"] == "may be merged by audit_manager, jgirmay"
    # the same PR by someone who may not push the source branch, nor touch architect/
    code, result = check(ci, env={**env, "GITHUB_ACTOR": "edu_worker1"})
    assert code == 1 and found(result) == {"ownership.owner"}


def test_a_merge_request_on_gitlab_and_one_dev_does_not_take(team: Clone, tmp_path: Path) -> None:
    ci = ci_clone(team, tmp_path)
    git(ci, "checkout", "-q", f"origin/{FEATURE}")
    env = {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "dev", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": FEATURE,
           "GITLAB_USER_LOGIN": "arch_worker1"}
    assert check(ci, env=env)[0] == 0
    # main takes merges from dev and hotfix/** only: nobody may merge a feature into it
    code, result = check(ci, env={**env, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"})
    assert code == 1 and "branches.merge_from" in found(result)
    assert result["results"][1]["note"] == "no one the policy names may merge it"


def test_the_push_form_takes_only_what_no_other_branch_holds(team: Clone, tmp_path: Path) -> None:
    """dev gains the feature by a reviewer's merge: the feature's commits, on the server already,
    are not the reviewer's (the server accepts this push; check used to deny it)."""
    before = team.remote("dev")
    git(team.path, "switch", "-q", "-c", "dev", "origin/dev")
    assert team.run("jgirmay", "merge", "-q", "--no-ff", "--no-edit", FEATURE).returncode == 0
    assert team.push("jgirmay", "dev").returncode == 0
    ci = ci_clone(team, tmp_path)
    code, result = check(ci, "--base", before or "", "--head", "origin/dev", "--branch", "dev", "--actor", "jgirmay")
    assert code == 0, result
    code, result = check(ci, "--base", before or "", "--head", "origin/dev", "--branch", "dev",
                         env={"GITHUB_ACTOR": "jgirmay", "GITHUB_REF_NAME": "dev"})
    assert code == 0, result


def test_one_truth_for_an_honest_merge_and_an_evil_one(team: Clone, tmp_path: Path) -> None:
    """The same two merges, judged by the client hooks, `check` as a push, `check` as a pull
    request and the server: an honest merge passes all four, one that drops the owner's file
    fails all four."""
    verdicts: dict[str, list[bool]] = {"honest": [], "evil": []}
    # honest: a reviewer merges the feature into dev
    git(team.path, "switch", "-q", "-c", "dev", "origin/dev")
    before = git(team.path, "rev-parse", "HEAD")
    verdicts["honest"].append(team.run("jgirmay", "merge", "-q", "--no-ff", "--no-edit", FEATURE).returncode == 0)
    verdicts["honest"].append(check(team.path, "--base", before, "--head", "dev", "--branch", "dev",
                                    "--actor", "jgirmay")[0] == 0)
    verdicts["honest"].append(check(team.path, "--merge-into", "dev", "--branch", FEATURE, "--head",
                                    f"origin/{FEATURE}", "--actor", "arch_worker1")[0] == 0)
    verdicts["honest"].append(team.push("jgirmay", "dev").returncode == 0)
    # evil: a worker's branch 'merges' dev but keeps the tree from before the owner's file
    team.switch(f"feature/undo-{TODAY}", "main")
    assert team.commit("task_worker2", "src/undo.py").returncode == 0
    verdicts["evil"].append(team.run("task_worker2", "merge", "-q", "--no-edit", "-s", "ours", "dev").returncode == 0)
    git(team.path, "merge", "--abort") if (team.path / ".git" / "MERGE_HEAD").exists() else None
    subprocess.run(["git", "merge", "-q", "--no-edit", "--no-verify", "-s", "ours", "dev"], cwd=team.path,
                   check=True, capture_output=True)
    verdicts["evil"].append(check(team.path, "--base", "origin/main", "--head", "HEAD", "--branch",
                                  f"feature/undo-{TODAY}", "--actor", "task_worker2")[0] == 0)
    verdicts["evil"].append(check(team.path, "--merge-into", "dev", "--branch", f"feature/undo-{TODAY}",
                                  "--actor", "task_worker2")[0] == 0)
    verdicts["evil"].append(team.run("task_worker2", "push", "-q", "--no-verify", "origin",
                                     f"feature/undo-{TODAY}").returncode == 0)
    assert verdicts == {"honest": [True] * 4, "evil": [False] * 4}


def doc_block(name: str) -> dict[str, Any]:
    """The YAML job under the docs/ci.md heading ``name``."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "ci.md").read_text()
    block = text.split(f"## {name}", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    return yaml.safe_load(block)


def run_job(cwd: Path, commands: list[str], env: dict[str, str]) -> int:
    """Run a job's commands as its CI would (bash), with enforcer installed already."""
    script = "\n".join(c for c in commands if not c.startswith("pip install"))
    return subprocess.run(["bash", "-ec", script], cwd=cwd, env={**os.environ, **env}, capture_output=True,
                          text=True).returncode


def test_the_github_actions_job_in_the_docs(team: Clone, tmp_path: Path) -> None:
    steps = doc_block("GitHub Actions")["jobs"]["enforcer"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0 and any(s.get("run") == "pip install git-enforcer" for s in steps)
    pr = next(s["run"] for s in steps if "pull_request" in s.get("if", ""))
    pushed = next(s["run"] for s in steps if "'push'" in s.get("if", ""))
    ci = ci_clone(team, tmp_path)
    git(ci, "checkout", "-q", f"origin/{FEATURE}")  # ref: the PR's head
    env = {"GITHUB_BASE_REF": "dev", "GITHUB_HEAD_REF": FEATURE, "GITHUB_ACTOR": "arch_worker1"}
    assert run_job(ci, [pr], env) == 0
    assert run_job(ci, [pr], {**env, "GITHUB_ACTOR": "edu_worker1"}) == 1
    # a push event: the feature branch moved by one commit
    before = git(ci, "rev-parse", "HEAD")
    (ci / "src").mkdir()
    (ci / "src" / "x.py").write_text("x\n")
    git(ci, "add", "src/x.py")
    git(ci, "commit", "-qm", "x")
    line = pushed.replace("${{ github.event.before }}", before).replace("${{ github.sha }}", "HEAD")
    env = {"GITHUB_REF_NAME": FEATURE, "GITHUB_ACTOR": "arch_worker1"}
    assert run_job(ci, [line], env) == 0
    assert run_job(ci, [line], {**env, "GITHUB_REF_NAME": "dev"}) == 1  # a direct commit on dev


def test_the_gitlab_ci_job_in_the_docs(team: Clone, tmp_path: Path) -> None:
    job = doc_block("GitLab CI")["enforcer"]
    assert job["variables"]["GIT_DEPTH"] == 0
    ci = tmp_path / "gitlab"  # GitLab checks out the source branch alone, detached
    git(tmp_path, "clone", "-q", "--single-branch", "--branch", FEATURE, str(team.origin), str(ci))
    git(ci, "checkout", "-q", "--detach")
    env = {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "dev", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": FEATURE,
           "GITLAB_USER_LOGIN": "arch_worker1", "CI_COMMIT_SHA": git(ci, "rev-parse", "HEAD")}
    assert run_job(ci, job["script"], env) == 0
    assert run_job(ci, job["script"], {**env, "GITLAB_USER_LOGIN": "edu_worker1"}) == 1
    push = {"CI_COMMIT_REF_NAME": FEATURE, "CI_COMMIT_BEFORE_SHA": git(ci, "rev-parse", "HEAD~1"),
            "CI_COMMIT_SHA": git(ci, "rev-parse", "HEAD"), "GITLAB_USER_LOGIN": "arch_worker1"}
    assert run_job(ci, job["script"], push) == 0
    assert run_job(ci, job["script"], {**push, "GITLAB_USER_LOGIN": "edu_worker1"}) == 1


def test_the_readme_names_only_our_distribution() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "pip install enforcer" not in readme and "docs/ci.md" in readme


def test_merge_into_by_hand_judges_the_source_branch_not_the_checkout(team: Clone) -> None:
    """Found in review: with dev checked out, `--merge-into dev --branch X` judged dev itself."""
    git(team.path, "switch", "-q", "-c", "dev", "origin/dev")
    code, result = check(team.path, "--merge-into", "dev", "--branch", FEATURE, "--actor", "arch_worker1")
    assert code == 0 and result["results"][1]["note"] == "may be merged by audit_manager, jgirmay", result


def with_before_merge(tmp_path: Path, check: str) -> Path:
    """The reference policy with a checks.before_merge entry (a string, split by shell word rules)."""
    text = (Path(__file__).parent.parent / "policies" / "examples" / "sop.yaml").read_text()
    assert "\nchecks:\n" in text
    policy = tmp_path / "with-checks.yaml"
    policy.write_text(text.replace("\nchecks:\n", f"\nchecks:\n  before_merge:\n    - {json.dumps(check)}\n", 1))
    return policy


@pytest.mark.parametrize("wanted, code", [("architect/plan.md", 0), ("no/such/file", 1)])
def test_checks_before_merge_run_on_the_merge(team: Clone, tmp_path: Path, wanted: str, code: int) -> None:
    """POLICY.md, checks: `before_merge` runs in a clean checkout of the merge a pull request would
    make into a protected branch (dev), and a failing one refuses the merge, through the core."""
    ci = ci_clone(team, tmp_path)
    git(ci, "checkout", "-q", f"origin/{FEATURE}")
    policy = with_before_merge(tmp_path, f"python3 -c \"import os, sys; sys.exit(0 if os.path.exists('{wanted}') "
                                         f"and not os.path.exists('.git') else 3)\"")
    env = {"GITHUB_BASE_REF": "dev", "GITHUB_HEAD_REF": FEATURE, "GITHUB_ACTOR": "arch_worker1"}
    proc = enforcer(ci, "check", "--policy", str(policy), "--format", "json", env=env)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "enforcer: check before merging into dev" in proc.stderr
    result = json.loads(proc.stdout)
    assert found(result) == (set() if code == 0 else {"checks.before_merge"})
    # a push (not a pull request) runs no checks: the server runs no code of what is pushed
    push = enforcer(ci, "check", "--policy", str(policy), "--base", "origin/main", "--head", f"origin/{FEATURE}",
                    "--branch", FEATURE, "--actor", "arch_worker1", "--format", "json")
    assert push.returncode == 0 and "check before merging" not in push.stderr
