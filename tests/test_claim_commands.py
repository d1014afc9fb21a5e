"""`enforcer claim`, `release` and `claims` in a clone without a remote: real repositories, real processes.

The races: ten `enforcer claim` processes at once on the same or nested
directories, and exactly one wins, round after round.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from enforcer.claiming import ENV_CLAIM_REFS, target
from enforcer.errors import EnforcerError
from enforcer.model import claim_text
from tests.conftest import enforcer, git, policy_repo

CLAIMS = "refs/enforcer/claims/"
# ten actors of the reference policy
ACTORS = ("task_worker1", "task_worker2", "task_worker3", "task_worker4", "task_worker5", "arch_worker1",
          "edu_worker1", "jgirmay", "audit_manager", "queue_manager")


def anchored(repo: Path) -> Path:
    """The reference policy with `architect/` anchored: its unanchored form may match inside any
    directory, so only its owners could claim anything (policies/claims.py)."""
    policy = repo / "policy.yaml"
    policy.write_text(policy.read_text().replace("  - path: architect/", "  - path: /architect/"))
    git(repo, "commit", "-qam", "anchor architect/")
    return repo


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    return anchored(policy_repo(tmp_path / "clone"))


def run(repo: Path, actor: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    proc = enforcer(repo, *args, env={"ENFORCER_ACTOR": actor} if actor else None)
    assert "Traceback" not in proc.stderr
    return proc


def listed(repo: Path) -> dict[str, dict[str, object]]:
    proc = run(repo, None, "claims", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return {row["path"]: row for row in json.loads(proc.stdout)}


@pytest.mark.parametrize("given, name", [
    ("./a//b", "a/b/"), ("a/b/", "a/b/"), ("a/./b/.", "a/b/"), ("src", "src/"), ("env:env3", "env:env3"),
])
def test_names_are_normalised(given: str, name: str) -> None:
    assert target(given).name == name
    assert target("env:env3").ref == ENV_CLAIM_REFS + "env3" and target("./a//b").ref == CLAIMS + "a/b"


@pytest.mark.parametrize("given, says", [
    ("../x", "'..'"), ("a/../../b", "'..'"), ("/etc", "absolute path"), ("", "root"), ("./", "root"),
    (".git", ".git"), ("a/.GIT/hooks", ".git"), ("a b", "ref name"), ("a/x.lock", "ref name"),
    (".github", "ref name"), ("a\nb", "ref name"), ("env:", "environment"), ("env:a/b", "environment"),
])
def test_bad_names_are_refused_naming_the_fix(clone: Path, given: str, says: str) -> None:
    with pytest.raises(EnforcerError) as caught:
        target(given)
    assert says in str(caught.value)
    proc = run(clone, "task_worker1", "claim", given)
    assert proc.returncode == 2 and "enforcer: error:" in proc.stderr and says in proc.stderr


@pytest.mark.parametrize("ttl", ["2x", "-1", "0", "1.5h", "h"])
def test_a_bad_ttl_is_bad_input(clone: Path, ttl: str) -> None:
    proc = run(clone, "task_worker1", "claim", "src", "--ttl", ttl)
    assert proc.returncode == 2 and "--ttl" in proc.stderr and "2h" in proc.stderr


def test_claim_list_release_in_a_clone_without_a_remote(clone: Path) -> None:
    proc = run(clone, "task_worker1", "claim", "./src//app", "--ttl", "2h")
    assert proc.returncode == 0 and "claimed src/app/ for task_worker1" in proc.stdout
    assert "no remote" in proc.stdout  # it says the claim stays in this clone
    row = listed(clone)["src/app/"]
    assert row["holder"] == "task_worker1" and row["live"] is True and row["kind"] == "directory"
    assert time.time() + 7100 < float(row["expires"]) <= time.time() + 7200  # type: ignore[arg-type]
    text = run(clone, None, "claims").stdout
    assert "src/app/  task_worker1  until" in text and "live" in text
    refused = run(clone, "task_worker2", "release", "src/app")  # only the holder or policy.owners
    assert refused.returncode == 1 and "claims.release" in refused.stderr
    assert run(clone, "jgirmay", "release", "src/app").returncode == 0  # a policy owner may
    assert listed(clone) == {}
    again = run(clone, "task_worker1", "release", "src/app")
    assert again.returncode == 0 and "nothing to release" in again.stdout


def test_the_core_refuses_with_its_violations(clone: Path) -> None:
    assert run(clone, "task_worker1", "claim", "src").returncode == 0
    held = run(clone, "task_worker2", "claim", "src/app")
    assert held.returncode == 1 and "claims.held" in held.stderr and "task_worker1" in held.stderr
    owned = run(clone, "task_worker1", "claim", "basic_edu_apps_final/environments")
    assert owned.returncode == 1 and "claims.owner" in owned.stderr and "fix:" in owned.stderr
    long = run(clone, "task_worker3", "claim", "docs", "--ttl", "5h")  # claims.ttl is 4h
    assert long.returncode == 1 and "claims.ttl" in long.stderr
    unknown = run(clone, "nobody", "claim", "docs")
    assert unknown.returncode == 1 and "actors.unknown" in unknown.stderr
    assert set(listed(clone)) == {"src/"}


def test_a_holder_renews_but_cannot_nest_its_own_claims(clone: Path) -> None:
    assert run(clone, "task_worker1", "claim", "src", "--ttl", "1h").returncode == 0
    first = listed(clone)["src/"]["expires"]
    time.sleep(1.1)
    assert run(clone, "task_worker1", "claim", "src", "--ttl", "2h").returncode == 0
    assert listed(clone)["src/"]["expires"] > first  # type: ignore[operator]
    inner = run(clone, "task_worker1", "claim", "src/app")
    assert inner.returncode == 1 and "your claim on src/ lies around it" in inner.stderr


def test_expired_claims_around_or_inside_give_way(clone: Path) -> None:
    """git keeps no ref inside another, so an expired neighbour (anyone may release it) is removed first."""
    expired = git(clone, "hash-object", "-w", "--stdin", input=claim_text("task_worker2", int(time.time()) - 60))
    git(clone, "update-ref", CLAIMS + "src/app", expired)
    git(clone, "update-ref", CLAIMS + "docs", expired)
    assert listed(clone)["src/app/"]["live"] is False
    assert run(clone, "task_worker1", "claim", "src").returncode == 0
    assert run(clone, "task_worker3", "claim", "docs/api").returncode == 0
    rows = listed(clone)
    assert set(rows) == {"src/", "docs/api/"} and rows["src/"]["holder"] == "task_worker1"


def test_every_worktree_sees_a_claim_at_once(clone: Path, tmp_path: Path) -> None:
    git(clone, "worktree", "add", "-q", str(tmp_path / "second"))
    (tmp_path / "second" / "sub").mkdir()
    assert run(tmp_path / "second" / "sub", "task_worker1", "claim", "src").returncode == 0  # from a subdirectory
    assert "src/" in listed(clone)
    # the other worktree's client hook honours it at once
    git(clone, "switch", "-qc", "feature/app-1124")
    enforcer(clone, "install")
    (clone / "src").mkdir()
    (clone / "src" / "a.py").write_text("x\n")
    git(clone, "add", "src/a.py")
    commit = subprocess.run(["git", "commit", "-qm", "x"], cwd=clone, capture_output=True, text=True,
                            env={**os.environ, "ENFORCER_ACTOR": "task_worker2"})
    assert commit.returncode != 0 and "claims.held" in commit.stderr


def test_an_exclusive_environment_is_claimed_under_its_own_refs(clone: Path) -> None:
    """env:NAME is refs/enforcer/env-claims/NAME, judged by the core like any claim ref: one actor
    at a time, and only an environment the policy marks exclusive."""
    assert run(clone, "task_worker1", "claim", "env:env3").returncode == 0
    assert git(clone, "for-each-ref", "--format=%(refname)", "refs/enforcer/env-claims/") == \
        "refs/enforcer/env-claims/env3"
    assert listed(clone)["env:env3"]["holder"] == "task_worker1"
    held = run(clone, "task_worker2", "claim", "env:env3")
    assert held.returncode == 1 and "claims.held" in held.stdout + held.stderr
    assert run(clone, "task_worker2", "claim", "env:env30").returncode == 1  # no such environment
    refused = run(clone, "task_worker2", "claim", "env:qa")  # defined, not exclusive
    assert refused.returncode == 1 and "claims.environment" in refused.stdout + refused.stderr
    assert run(clone, "task_worker1", "release", "env:env3").returncode == 0
    assert run(clone, "task_worker2", "claim", "env:env3").returncode == 0


def race(repo: Path, claims: list[tuple[str, str]]) -> list[int]:
    """Start every `enforcer claim` at once (processes); their exit codes."""
    from tests.server.test_claim_races import claim_at_once

    return claim_at_once([repo] * len(claims), claims)


@pytest.mark.parametrize("shape", ["same", "nested"])
def test_ten_claimers_at_once_exactly_one_wins(clone: Path, shape: str) -> None:
    for round in range(3):
        base = f"race{round}"
        dirs = [base] * 10 if shape == "same" else [base + "/a" * (i % 4) for i in range(10)]
        codes = race(clone, list(zip(ACTORS, dirs)))
        assert codes.count(0) == 1, codes
        rows = [r for r in listed(clone).values() if str(r["path"]).startswith(base + "/")]
        assert len(rows) == 1 and rows[0]["holder"] == ACTORS[codes.index(0)]
