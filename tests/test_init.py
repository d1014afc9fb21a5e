"""`enforcer init` (issue 20): a starter policy that validates, proves itself with its own tests,
and then really guards a server when pushed as the next steps say."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import enforcer, git


@pytest.mark.parametrize("preset, tests", [("github-flow", 6), ("trunk", 6), ("sop", 38)])
def test_each_preset_validates_with_its_tests(tmp_path: Path, preset: str, tests: int) -> None:
    git(tmp_path, "init", "-q")
    proc = enforcer(tmp_path, "init", "--preset", preset, "--owner", "alice")
    assert proc.returncode == 0, proc.stderr
    assert "enforcer install --server" in proc.stdout and "push it as a policy owner" in proc.stdout
    check = enforcer(tmp_path, "validate")
    assert check.returncode == 0 and f"valid; {tests} self-test(s) pass" in check.stdout, check.stdout + check.stderr


def test_the_owner_defaults_to_the_actor_and_any_name_stays_yaml(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    assert enforcer(tmp_path, "init", env={"ENFORCER_ACTOR": 'o\'brien: "x" [y]'}).returncode == 0
    assert enforcer(tmp_path, "validate").returncode == 0
    assert '"o\'brien: \\"x\\" [y]"' in (tmp_path / "policy.yaml").read_text()


def test_a_policy_already_there_is_kept(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("mine\n")
    proc = enforcer(tmp_path, "init", "--owner", "alice")
    assert proc.returncode == 2 and "already there" in proc.stderr and "--force" in proc.stderr
    assert (tmp_path / "policy.yaml").read_text() == "mine\n"
    assert enforcer(tmp_path, "init", "--owner", "alice", "--force").returncode == 0


def test_bad_input(tmp_path: Path) -> None:
    proc = enforcer(tmp_path, "init", "--preset", "gitflow")
    assert proc.returncode == 2 and "github-flow" in proc.stderr


def test_the_next_steps_work_as_written(tmp_path: Path) -> None:
    """init, commit it alone, install the server hooks, push as the owner: the bootstrap is taken
    and the policy guards the server at once (a direct commit on main is refused)."""
    bare, work = tmp_path / "origin.git", tmp_path / "work"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    assert enforcer(tmp_path, "install", "--server", str(bare)).returncode == 0
    git(tmp_path, "clone", "-q", str(bare), str(work))
    assert enforcer(work, "init", "--owner", "alice").returncode == 0
    git(work, "add", "policy.yaml")
    git(work, "commit", "-qm", "policy.yaml")
    env = {**os.environ, "ENFORCER_ACTOR": "alice"}
    assert subprocess.run(["git", "push", "-q", "origin", "HEAD"], cwd=work, env=env).returncode == 0
    assert enforcer(work, "install").returncode == 0
    (work / "x.txt").write_text("x\n")
    git(work, "add", "x.txt")
    git(work, "commit", "-qm", "direct", "--no-verify")
    push = subprocess.run(["git", "push", "--no-verify", "origin", "HEAD"], cwd=work, env=env, capture_output=True,
                          text=True)
    assert push.returncode != 0 and "branches.direct_commits" in push.stderr
