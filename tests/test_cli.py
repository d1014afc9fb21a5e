"""The command line as a user meets it: exit codes, formats, explain, the project's own history."""
from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, SOP, Repo, enforcer, git


def test_check_formats(repo: Repo) -> None:
    repo.switch("main")
    repo.commit("src/app.py")
    proc = enforcer(repo.path, "check", "--base", repo.root, "--branch", "main", "--actor", "jgirmay",
                    "--format", "github")
    assert proc.returncode == 1
    assert proc.stdout.startswith("::error title=enforcer branches.direct_commits (branches[0])::")
    text = enforcer(repo.path, "check", "--base", repo.root, "--branch", "main", "--actor", "jgirmay")
    assert "DENIED" in text.stdout and "fix: put them on a branch" in text.stdout


def test_check_bad_input_exits_2(repo: Repo) -> None:
    proc = enforcer(repo.path, "check", "--base", "nope", "--branch", "main", "--actor", "jgirmay")
    assert proc.returncode == 2 and "--base nope: no such commit" in proc.stderr
    proc = enforcer(repo.path, "check", "--base", "HEAD", "--bogus")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_shallow_clone_names_fetch_depth(repo: Repo, tmp_path: Path) -> None:
    repo.commit("a.txt")
    repo.commit("b.txt")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone))
    proc = enforcer(clone, "check", "--base", repo.root, "--branch", "main", "--actor", "jgirmay")
    assert proc.returncode == 2 and "fetch-depth: 0" in proc.stderr


def test_branch_from_ci_variables(repo: Repo) -> None:
    repo.switch("feature/x-1124", create_from="main")
    repo.commit("src/a.py")
    proc = enforcer(repo.path, "check", "--base", repo.root, "--actor", "task_worker1",
                    env={"GITHUB_REF_NAME": "feature/x-1124"})
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize("args, code, needle", [
    (["--actor", "task_worker1", "--branch", "main"], 1, "branches[0] match 'main': MATCHES"),
    (["--actor", "jgirmay", "--branch", "hotfix/x"], 0, "branches[7]"),
    (["--actor", "task_worker1", "--branch", "wip"], 1, "branches[8] match '**': MATCHES"),
    (["--actor", "jgirmay", "--tag", "v1.2.3"], 0, "annotated only: yes"),
    (["--actor", "jgirmay", "--tag", "v1.2"], 1, "DOES NOT MATCH"),
    (["--actor", "task_worker4", "--path", "basic_edu_apps_final/environments/math/x"], 0, "ownership[4]"),
    (["--actor", "task_worker2", "--path", "basic_edu_apps_final/environments/math/x"], 1, "not an owner"),
    (["--actor", "task_worker2", "--path", "src/x"], 0, "unowned"),
    (["--actor", "jgirmay", "--env", "prod"], 0, "after: a tag must first deploy successfully to qa"),
    (["--actor", "task_worker1", "--env", "prod"], 1, "run deploys: no"),
])
def test_explain(args: list[str], code: int, needle: str, tmp_path: Path) -> None:
    proc = enforcer(tmp_path, "explain", "--policy", str(SOP), *args)
    assert proc.returncode == code and needle in proc.stdout, proc.stdout + proc.stderr


def test_explain_actor_from_git_email(repo: Repo) -> None:
    git(repo.path, "config", "user.email", "jgirmay@example.com")
    proc = enforcer(repo.path, "explain", "--tag", "v1.0.0")
    assert proc.returncode == 0 and "actor 'jgirmay'" in proc.stdout


def test_missing_policy_is_a_clear_error(tmp_path: Path) -> None:
    proc = enforcer(tmp_path, "explain", "--actor", "x", "--branch", "main")
    assert proc.returncode == 2 and "no such policy file" in proc.stderr


def test_own_history_passes_own_policy() -> None:
    root = git(ROOT, "rev-list", "--max-parents=0", "HEAD").splitlines()[-1]
    proc = enforcer(ROOT, "check", "--base", root, "--head", "HEAD", "--branch", "main", "--actor", "maintainer")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_wheel_ships_every_module(tmp_path: Path) -> None:
    subprocess.run(["python3", "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path),
                    str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("git_enforcer-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    mapping = {"enforcer": "enforcer", "hooks": "enforcer/hooks", "server_hooks": "enforcer/server_hooks",
               "policies": "enforcer/policies"}
    for folder, package in mapping.items():
        for module in (ROOT / folder).rglob("*.py"):
            assert f"{package}/{module.relative_to(ROOT / folder).as_posix()}" in names
    assert {"enforcer/policies/schema.json", "enforcer/policies/examples/sop.yaml"} <= names
    assert not any(n.startswith(("hooks/", "policies/", "server_hooks/")) for n in names)
    assert "Architect SOP" in (ROOT / "policies/examples/sop.yaml").read_text()


def test_client_install_is_idempotent_and_undone(repo: Repo) -> None:
    hooks = repo.path / ".git" / "hooks"
    assert enforcer(repo.path, "install").returncode == 0
    again = enforcer(repo.path, "install")
    assert again.returncode == 0 and "already installed" in again.stdout
    assert sorted(p.name for p in hooks.iterdir()) == ["commit-msg", "post-checkout", "pre-commit", "pre-push"]
    assert enforcer(repo.path, "uninstall").returncode == 0 and not any(hooks.iterdir())
