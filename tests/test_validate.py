"""`enforcer validate` and every bad input: a located error with its fix, never a traceback or a hang."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SOP, enforcer

BASE = "version: 1\ngroups:\n  release-managers: [jgirmay]\n  workers: [w1, w2]\n"


def validate(tmp_path: Path, text: str | bytes) -> tuple[int, str]:
    f = tmp_path / "policy.yaml"
    f.write_bytes(text if isinstance(text, bytes) else text.encode())
    proc = enforcer(tmp_path, "validate", str(f))
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out
    return proc.returncode, out


def test_reference_policy_validates(tmp_path: Path) -> None:
    code, out = validate(tmp_path, SOP.read_bytes())
    assert code == 0 and "valid" in out
    assert "warning" in out and "^ls(\\s|$)" in out  # warns, never fails, on wide command patterns


def test_project_policy_validates_with_its_self_tests() -> None:
    proc = enforcer(ROOT, "validate")
    assert proc.returncode == 0 and "self-test(s) pass" in proc.stdout


@pytest.mark.parametrize("text, line, expected, fix", [
    (BASE + "branches:\n  - match: main\n    push: [release-manager]\n", 7,
     "unknown actor or group 'release-manager'", "did you mean 'release-managers'?"),
    (BASE + "  a: ['@b']\n  b: ['@a']\n", 5, "groups include each other", "break the cycle"),
    (BASE + "branches:\n  - match: main\n    name: '(?<=x)'\n", 7, "invalid regex", "RE2"),
    (BASE + "environments:\n  a: {port: 80, data: d/}\n  b: {port: 80, data: e/}\n", 7, "port 80 is also used", ""),
    (BASE + "environments:\n  a: {port: 80, data: d/}\n  b: {port: 81, data: ./d}\n", 7, "data dir", ""),
    (BASE + "environments:\n  a: {port: 80, data: d/, after: qa}\n", 6, "unknown environment 'qa'", ""),
    (BASE + "branches:\n  - match: '**'\n    push: []\n  - match: main\n", 8, "can never apply", "move it above"),
    (BASE + "ownership:\n  - {path: a/, primary: w1}\n  - {path: a/, primary: w2}\n", 7, "already owned", ""),
    (BASE + "branches:\n  - match: main\n    pushh: [w1]\n", 7, "unknown field 'pushh'", "did you mean 'push'?"),
    (BASE + "branches:\n  - match: main\n    push: w1\n", 7, "'w1' is not a list", "write a list"),
    (BASE + "claims: {ttl: soon}\n", 5, "is not a duration", "4h"),
    (BASE + "groups:\n  x: [y]\n", 5, "appears twice", "merge"),
    (BASE + "branches:\n  - match: main\n    on: true\n", 7, "not a plain string", "quote it"),
    (BASE + "branches: [\n", 6, "invalid YAML", ""),
    (BASE + "branches:\n  - {match: main, push: [w2]}\ntests:\n  - {actor: w1, push: main, expect: allow}\n", 8,
     "self-test failed: expected allow, got deny", "fix the rules"),
])
def test_each_problem_is_located_with_a_fix(tmp_path: Path, text: str, line: int, expected: str, fix: str) -> None:
    code, out = validate(tmp_path, text)
    assert code == 2, out
    assert expected in out
    assert f"policy.yaml:{line}:" in out, out
    assert fix in out


def test_every_problem_at_once(tmp_path: Path) -> None:
    code, out = validate(tmp_path, BASE + "foo: 1\nbranches:\n  - match: main\n    push: [nobody_known]\n")
    assert code == 2 and "unknown field 'foo'" in out and "nobody_known" in out


def test_a_10mb_policy_is_refused_at_once(tmp_path: Path) -> None:
    start = time.monotonic()
    code, out = validate(tmp_path, BASE + "#" + "x" * 10_000_000 + "\n")
    assert code == 2 and "the limit is 1 MB" in out
    assert time.monotonic() - start < 10


def test_non_utf8(tmp_path: Path) -> None:
    code, out = validate(tmp_path, BASE.encode() + b"# caf\xe9\n")
    assert code == 2 and "not UTF-8" in out and "policy.yaml:5:" in out


def test_billion_laughs(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]")
    code, out = validate(tmp_path, "\n".join(lines) + "\n")
    assert code == 2 and "aliases expand" in out


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "version: 1\ngroups: 3\n", "\x00\x01"])
def test_other_shapes_are_errors_not_tracebacks(tmp_path: Path, text: str) -> None:
    code, _ = validate(tmp_path, text)
    assert code == 2


def test_catastrophic_regex_runs_in_linear_time(tmp_path: Path) -> None:
    from enforcer.engine import decide
    from enforcer.model import RefUpdate
    from enforcer.policy import load_policy

    f = tmp_path / "p.yaml"
    f.write_text(BASE + "branches:\n  - match: '**'\n    name: '(a+)+$'\n    push: [w1]\n")
    policy = load_policy(f)
    start = time.monotonic()
    decision = decide(policy, RefUpdate(actor="w1", ref="refs/heads/" + "a" * 100_000 + "!", new="1" * 40))
    assert time.monotonic() - start < 1
    assert {v.check for v in decision.violations} == {"branches.name"}


def test_schema_command_prints_the_schema(tmp_path: Path) -> None:
    import json

    proc = enforcer(tmp_path, "schema")
    assert proc.returncode == 0 and json.loads(proc.stdout)["title"] == "enforcer policy.yaml"


def test_cache_is_used_and_equivalent(tmp_path: Path) -> None:
    from enforcer.policy import load_policy

    cache = tmp_path / "cache"
    first = load_policy(SOP, cache_dir=str(cache))
    assert len(list(cache.iterdir())) == 1
    second = load_policy(SOP, cache_dir=str(cache))
    assert second.branches == first.branches and second.ownership == first.ownership and second.groups == first.groups
