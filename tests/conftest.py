"""Safety belts (as in pre-commit's tests): no test touches the real home, git config or caches."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOP = ROOT / "policies" / "examples" / "sop.yaml"
# the browser tests' fixtures, defined once for the whole session (one Chromium, tests/browser.py)
from tests.browser import browser_page, chromium_browser  # noqa: E402,F401
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


# What a run of the whole suite says about itself (issue 20): before the first dot, how long it takes
# and the quick run; at the end, where the time went. The times are measured with `python3 -m pytest -q`
# on 2 cores: measure again when the suite grows.
WHOLE_SUITE = "about 8 minutes"
QUICK_RUN = "about 4.5 minutes"
QUICK = "python3 -m pytest -q -m 'not server'"
SLOWEST = 5
_STARTED = time.monotonic()


def _whole_suite(config: pytest.Config) -> bool:
    """Run on the whole of tests/ (the README's command, with -m, -k or not): not on chosen files or tests."""
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        return True
    return all("::" not in arg and (config.invocation_params.dir / arg).resolve() in (ROOT, ROOT / "tests")
               for arg in config.args)


def pytest_report_collectionfinish(config: pytest.Config, items: list[pytest.Item]) -> list[str]:
    """Printed before the first dot, under -q too."""
    if not _whole_suite(config) or config.option.collectonly or not items:
        return []
    chosen = " ".join(f"{flag} {value!r}" for flag, value in (("-m", config.option.markexpr),
                                                               ("-k", config.option.keyword)) if value)
    if chosen:
        return [f"{len(items)} tests selected by {chosen}; each line of dots ends with the share done",
                f"the whole suite, as CI runs it: python3 -m pytest -q ({WHOLE_SUITE} on 2 cores; "
                f"the quick run, {QUICK}, {QUICK_RUN})"]
    servers = sum(1 for item in items if item.get_closest_marker("server"))
    return [f"{len(items)} tests; the whole suite takes {WHOLE_SUITE} on 2 cores; each line of dots ends with "
            "the share done"] + [f"quick run ({QUICK_RUN}), without the {servers} tests that start real servers "
                                 f"or a browser (marked server): {QUICK}"] * bool(servers)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    """After the failures, before pytest's last line: the time taken and the slowest tests."""
    if not _whole_suite(config) or config.option.collectonly:
        return
    took: dict[str, float] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            if isinstance(report, pytest.TestReport):  # setup, call and teardown
                took[report.nodeid] = took.get(report.nodeid, 0.0) + report.duration
    if not took:
        return
    elapsed = round(time.monotonic() - _STARTED)
    slowest = sorted(took.items(), key=lambda item: -item[1])[:SLOWEST]
    terminalreporter.write_sep("-", "time")
    terminalreporter.write_line(f"{len(took)} tests in {elapsed // 60} min {elapsed % 60} s (the whole suite: "
                                f"{WHOLE_SUITE} on 2 cores); the {len(slowest)} slowest, with their setup:")
    for nodeid, seconds in slowest:
        terminalreporter.write_line(f"  {seconds:5.1f} s  {nodeid}")
