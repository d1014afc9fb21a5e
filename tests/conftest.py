"""Safety belts (as in pre-commit's tests): no test touches the real home, git config or caches."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOP = ROOT / "policies" / "examples" / "sop.yaml"
collect_ignore = ["deploy_app"]
# the browser tests' fixtures, defined once for the whole session (one Chromium, tests/browser.py)
from tests.browser import browser_page, chromium_browser  # noqa: E402,F401  # the deploy tests' service, with its own tests for checks.before_deploy
LEAKY = ("GITHUB_ACTOR", "GITLAB_USER_LOGIN", "ENFORCER_ACTOR", "GITHUB_REF_NAME", "GITHUB_BASE_REF",
         "CI_COMMIT_REF_NAME", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "GL_USERNAME", "GITEA_PUSHER_NAME",
         "GL_USER", "REMOTE_USER", "GIT_DIR", "GIT_WORK_TREE")


def pytest_sessionstart(session: pytest.Session) -> None:
    """The tests judge this checkout: a package installed from elsewhere would make them lie."""
    import enforcer

    where = Path(enforcer.__file__).resolve().parent.parent
    if where != ROOT:
        raise pytest.UsageError(f"the enforcer package imports from {where}, not from this checkout ({ROOT}): "
                                "python3 -m pip install -e '.[test]' here (and pip uninstall enforcer, the old name)")


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    template = tmp_path_factory.mktemp("template")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_TEMPLATE_DIR", str(template))
    monkeypatch.setenv("ENFORCER_CACHE_DIR", str(home / "cache"))
    for name, value in (("GIT_AUTHOR_NAME", "Test"), ("GIT_AUTHOR_EMAIL", "test@example.com"),
                        ("GIT_COMMITTER_NAME", "Test"), ("GIT_COMMITTER_EMAIL", "test@example.com")):
        monkeypatch.setenv(name, value)
    for name in LEAKY:
        monkeypatch.delenv(name, raising=False)


def git(repo: Path, *args: str, input: str | None = None) -> str:
    proc = subprocess.run(("git", *args), cwd=repo, capture_output=True, text=True, input=input)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout.strip()


def enforcer(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(("enforcer", *args), cwd=cwd, capture_output=True, text=True, env=full_env)


def policy_repo(path: Path) -> Path:
    """A new repository at ``path`` whose first commit is the reference policy, on main."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    shutil.copy(SOP, path / "policy.yaml")
    git(path, "add", "policy.yaml")
    git(path, "commit", "-qm", "policy")
    return path


class Repo:
    """A real repository with the reference policy at its root commit."""

    def __init__(self, path: Path) -> None:
        self.path = policy_repo(path)
        self.root = self.rev("HEAD")
        git(path, "branch", "dev")

    def rev(self, name: str) -> str:
        return git(self.path, "rev-parse", name)

    def switch(self, branch: str, create_from: str | None = None) -> None:
        exists = subprocess.run(("git", "rev-parse", "-q", "--verify", f"refs/heads/{branch}"), cwd=self.path,
                                capture_output=True).returncode == 0
        if create_from is None or exists:
            git(self.path, "switch", "-q", branch)
        else:
            git(self.path, "switch", "-q", "-c", branch, create_from)

    def commit(self, *paths: str, message: str = "change") -> str:
        for p in paths:
            target = self.path / p
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"{message} {p}\n", encoding="utf-8")
            git(self.path, "add", "--", p)
        git(self.path, "commit", "-q", "--allow-empty", "-m", message)
        return self.rev("HEAD")

    def merge(self, branch: str) -> str:
        git(self.path, "merge", "-q", "--no-ff", "--no-edit", branch)
        return self.rev("HEAD")

    def check(self, branch: str, actor: str | None, base: str | None = None, head: str = "HEAD",
              *extra: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        args = ["check", "--base", base or self.root, "--head", head, "--branch", branch, "--format", "json"]
        if actor:
            args += ["--actor", actor]
        proc = enforcer(self.path, *args, *extra, env=env)
        assert "Traceback" not in proc.stderr
        assert proc.returncode in (0, 1), proc.stderr
        return proc.returncode, json.loads(proc.stdout)


def checks(result: dict[str, Any]) -> set[str]:
    return {v["check"] for r in result["results"] for v in r["violations"]}


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")
