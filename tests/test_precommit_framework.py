"""enforcer under the real pre-commit framework: try-repo, a config pointing at a local clone, coexistence.

The framework builds its own virtualenv with enforcer pip-installed from the
clone (language: python), once per session (PRE_COMMIT_HOME is shared).
"""
from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, enforcer, git, policy_repo

TODAY = datetime.date.today().strftime("%m%d")
PRE_COMMIT = (sys.executable, "-m", "pre_commit")


@pytest.fixture(scope="session")
def enforcer_clone(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This checkout as the framework fetches it: a git repository at a commit (uncommitted work included)."""
    snapshot = tmp_path_factory.mktemp("enforcer-src")
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, snapshot / name)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(snapshot)}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "snapshot"]):
        subprocess.run(["git", *args], cwd=snapshot, check=True, env=env)
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=snapshot, capture_output=True, text=True, check=True,
                         env=env).stdout.strip()
    return snapshot, rev


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path: Path, pre_commit_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PRE_COMMIT_HOME", str(pre_commit_home))
    return policy_repo(tmp_path / "project")


def run(repo: Path, actor: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENFORCER_ACTOR": actor}
    proc = subprocess.run(args, cwd=repo, capture_output=True, text=True, env=env)
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def said(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr  # the framework prints to stdout, git relays hooks on stderr


def test_try_repo(project: Path, enforcer_clone: tuple[Path, str]) -> None:
    source, rev = enforcer_clone
    (project / "app.py").write_text("x")
    git(project, "add", "app.py")
    refused = run(project, "jgirmay", *PRE_COMMIT, "try-repo", str(source), "enforcer", "--ref", rev)
    assert refused.returncode == 1 and "branches.direct_commits" in said(refused)
    git(project, "switch", "-q", "-c", f"feature/app-{TODAY}")
    allowed = run(project, "task_worker1", *PRE_COMMIT, "try-repo", str(source), "enforcer", "--ref", rev)
    assert allowed.returncode == 0, said(allowed)


def test_a_config_pointing_at_a_local_clone(project: Path, enforcer_clone: tuple[Path, str]) -> None:
    source, rev = enforcer_clone
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source}\n    rev: {rev}\n    hooks:\n"
        "      - id: enforcer\n      - id: enforcer-commit-msg\n      - id: enforcer-pre-push\n")
    git(project, "add", ".pre-commit-config.yaml")
    git(project, "commit", "-qm", "config", "--no-verify")
    installed = run(project, "jgirmay", *PRE_COMMIT, "install", "-t", "pre-commit", "-t", "commit-msg",
                    "-t", "pre-push")
    assert installed.returncode == 0, installed.stderr
    (project / "app.py").write_text("x")
    git(project, "add", "app.py")
    before = git(project, "rev-parse", "HEAD")
    refused = run(project, "jgirmay", "git", "commit", "-qm", "direct")
    assert refused.returncode == 1 and "branches.direct_commits" in said(refused)
    assert git(project, "rev-parse", "HEAD") == before
    git(project, "switch", "-q", "-c", "notes")
    assert run(project, "task_worker1", "git", "commit", "-qm", "notes").returncode == 1  # no rule lets anyone
    assert run(project, "task_worker1", "git", "commit", "-qm", "notes", "--no-verify").returncode == 0
    git(project, "switch", "-q", "-c", "dev", "main")
    merge = run(project, "jgirmay", "git", "merge", "--no-ff", "--no-edit", "notes")  # commit-msg stage
    assert merge.returncode != 0 and "branches.merge_from" in said(merge)
    git(project, "merge", "--abort")
    bare = project.parent / "origin.git"
    git(project, "init", "-q", "--bare", str(bare))
    git(project, "remote", "add", "origin", str(bare))
    bootstrap = run(project, "jgirmay", "git", "push", "origin", "main")
    assert bootstrap.returncode == 0, said(bootstrap)
    git(project, "commit", "-q", "--no-verify", "--allow-empty", "-m", "on dev")  # the framework skips
    pushed = run(project, "task_worker1", "git", "push", "origin", "dev")  # pushes that bring no commits
    assert pushed.returncode != 0 and "branches.push" in said(pushed)
    assert subprocess.run(["git", "rev-parse", "-q", "--verify", "dev"], cwd=bare).returncode != 0


def test_coexists_with_framework_hooks(project: Path) -> None:
    (project / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: local\n    hooks:\n      - id: framework\n        name: framework\n"
        "        entry: sh -c 'echo framework ran >&2'\n        language: system\n"
        "        pass_filenames: false\n        always_run: true\n        verbose: true\n")
    assert run(project, "jgirmay", *PRE_COMMIT, "install").returncode == 0
    assert enforcer(project, "install").returncode == 0  # the framework's hook is kept and runs first
    git(project, "switch", "-q", "-c", f"feature/both-{TODAY}")
    (project / "x.py").write_text("x")
    git(project, "add", "x.py", ".pre-commit-config.yaml")
    both = run(project, "task_worker2", "git", "commit", "-qm", "both")
    assert both.returncode == 0 and "framework ran" in said(both)
    (project / "architect").mkdir()
    (project / "architect" / "plan.md").write_text("p")
    git(project, "add", "architect/plan.md")
    refused = run(project, "task_worker2", "git", "commit", "-qm", "not mine")
    assert refused.returncode == 1 and "ownership.owner" in said(refused)
    assert "framework ran" in said(refused)
    assert enforcer(project, "uninstall").returncode == 0
    assert "pre-commit" in (project / ".git" / "hooks" / "pre-commit").read_text()  # the framework's, back


def test_the_framework_installed_after_enforcer_keeps_it(project: Path) -> None:
    hooks = project / ".git" / "hooks"
    assert enforcer(project, "install").returncode == 0
    (project / ".pre-commit-config.yaml").write_text("repos: []\n")
    assert run(project, "jgirmay", *PRE_COMMIT, "install").returncode == 0  # moves ours to pre-commit.legacy
    assert (hooks / "pre-commit.legacy").exists()
    (project / "app.py").write_text("x")
    git(project, "add", "app.py", ".pre-commit-config.yaml")
    refused = run(project, "jgirmay", "git", "commit", "-qm", "direct")
    assert refused.returncode == 1 and "branches.direct_commits" in said(refused)
    assert enforcer(project, "uninstall").returncode == 0
    assert not (hooks / "pre-commit.legacy").exists() and (hooks / "pre-commit").exists()
