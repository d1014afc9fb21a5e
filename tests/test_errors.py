"""One error handler (enforcer.errors): bad input is 2 (1 in a server hook), a bug is 4 and,
where something is enforced, a refusal; a bug in a validator check never lets a policy pass."""
from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from enforcer.errors import (CLIENT_HOOK, COMMAND, SERVER_HOOK, EnforcerError, bug_message, guarded)
from enforcer.pathmatch import pattern_problem
from enforcer.validate import check
from tests.conftest import SOP, enforcer


def run_patched(cwd: Path, patch: str, *args: str, stdin: str = "",
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real entry point (enforcer.main, as the `enforcer` script and the hook shims start it)
    after ``patch`` has put a bug into the code: there is no other way to meet a bug on purpose."""
    import os

    code = (f"import sys\nfrom enforcer.errors import EnforcerError\n{patch}\n"
            "from enforcer.main import main\nsys.exit(main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True,
                          input=stdin, env={**os.environ, **(env or {})})


def raiser(target: str, error: str) -> str:
    """Source that makes ``target`` (module:attribute or module:Class.method) raise ``error``."""
    module, _, attr = target.partition(":")
    owner, _, name = attr.rpartition(".")
    holder = f"m.{owner}" if owner else "m"
    return (f"import importlib\nm = importlib.import_module({module!r})\n"
            f"def boom(*a, **k):\n    raise {error}\n"
            f"setattr({holder}, {name!r}, boom)")


# -- the mapping ------------------------------------------------------------------------------

def fail(error: BaseException) -> int:
    raise error


@pytest.mark.parametrize(("place", "invalid", "internal"), [
    (COMMAND, 2, 4), (CLIENT_HOOK, 2, 4), (SERVER_HOOK, 1, 4)])
def test_each_place_maps_bad_input_and_bugs_to_its_codes(place: str, invalid: int, internal: int) -> None:
    assert guarded(lambda: 3, place) == (3, "", None)
    bad = guarded(lambda: fail(EnforcerError("no such file")), place)
    assert (bad.code, bad.message, bad.bug) == (invalid, "no such file", False)
    bug = guarded(lambda: fail(KeyError("x")), place)
    assert (bug.code, bug.message, bug.bug) == (internal, bug_message(KeyError("x")), True)
    assert "internal error (KeyError: 'x'); this is a bug" in bug.message


def test_ctrl_c_is_not_an_outcome_of_the_body() -> None:
    with pytest.raises(KeyboardInterrupt):
        guarded(lambda: fail(KeyboardInterrupt()))


# -- commands -----------------------------------------------------------------------------------

def test_usage_errors_are_2(tmp_path: Path) -> None:
    assert enforcer(tmp_path, "validate", "--no-such-option").returncode == 2
    assert enforcer(tmp_path, "no-such-command").returncode == 2
    missing = enforcer(tmp_path, "validate", "missing.yaml")
    assert (missing.returncode, missing.stderr.strip()) == (2, "enforcer: error: missing.yaml: No such file or directory")


@pytest.mark.parametrize("error", ["TypeError('t')", "AttributeError('a')", "KeyError('k')", "ValueError('v')"])
def test_a_bug_in_a_validator_check_is_exit_4_never_a_pass(tmp_path: Path, error: str) -> None:
    """These four used to be swallowed around every check, so a broken check let a policy validate."""
    shutil.copy(SOP, tmp_path / "policy.yaml")
    proc = run_patched(tmp_path, raiser("enforcer.validate:Semantics.check_tags", error), "validate")
    assert proc.returncode == 4, proc.stderr
    assert "enforcer: internal error (" in proc.stderr and "this is a bug" in proc.stderr
    assert "valid" not in proc.stdout and "Traceback" not in proc.stderr


def test_enforcer_debug_shows_the_traceback_and_keeps_the_code(tmp_path: Path) -> None:
    shutil.copy(SOP, tmp_path / "policy.yaml")
    proc = run_patched(tmp_path, raiser("enforcer.validate:Semantics.check_ownership", "TypeError('t')"),
                       "validate", env={"ENFORCER_DEBUG": "1"})
    assert proc.returncode == 4
    assert "Traceback" in proc.stderr and "internal error (TypeError: t)" in proc.stderr


WRONG_SHAPES = """\
version: 1
groups: {devs: [a, b], ops: c}
branches:
  - managers
  - {match: main, push: devs, name: 5}
  - {match: "release/*", merge_from: [main, 7]}
tags: {match: v*}
ownership:
  - {path: "src/[a", primary: a}
  - {path: docs/, primary: [a]}
  - {primary: a}
environments:
  prod: {port: "80", data: /d, after: stage}
  stage: {port: 80, data: [x], after: prod}
  qa: []
commands: {allow: "^ls", roles: [{who: devs, allow: [5]}]}
deploy: {command: ["{env.x}", 5], actor: [a]}
"""


def test_wrong_shapes_are_invalid_input_located_not_a_bug(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(WRONG_SHAPES, encoding="utf-8")
    proc = enforcer(tmp_path, "validate")
    assert proc.returncode == 2, proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    located = re.findall(r"^policy\.yaml:(\d+):\d+: (\S+):", proc.stderr, re.M)
    fields = {field for _, field in located}
    assert {"branches[0]", "branches[1].push", "tags", "ownership[0].path", "ownership[1].primary",
            "ownership[2]", "environments.prod.port", "environments.qa", "commands.allow",
            "deploy.command[0]", "deploy.actor"} <= fields, proc.stderr
    # the checks still judge what the schema accepted beside what it rejected
    assert "environments wait on each other" in proc.stderr
    assert "git ignores this pattern" in proc.stderr


def paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found += paths(item, path + (key,))
    return found


def other_shape(value: Any) -> Any:
    return {"a": 1} if isinstance(value, list) else [1] if isinstance(value, (dict, str)) else "x"


def test_no_wrong_shape_anywhere_in_the_reference_policy_reaches_a_check_as_a_bug() -> None:
    """Every value of the reference policy replaced by null and by another shape: the checks read
    only what the schema accepted, so each comes back as problems, never as an exception."""
    data = yaml.safe_load(SOP.read_text(encoding="utf-8"))
    for path in paths(data):
        for wrong in (None, other_shape(_at(data, path))):
            changed = copy.deepcopy(data)
            _at(changed, path[:-1])[path[-1]] = wrong
            check(yaml.safe_dump(changed).encode(), "policy.yaml")  # raises on a bug


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def test_a_lone_surrogate_is_reported_where_libyaml_is_missing(tmp_path: Path) -> None:
    """PyYAML's own loader (used without libyaml) reads "\\ud800" into a string RE2 cannot take."""
    (tmp_path / "policy.yaml").write_text('version: 1\ngroups: {devs: [a]}\n'
                                          'branches:\n  - {match: main, push: [devs], name: "ma\\ud800in"}\n')
    proc = run_patched(tmp_path, "import yaml\ndel yaml.CSafeLoader", "validate")
    assert proc.returncode == 2, proc.stderr
    assert re.search(r"^policy\.yaml:4:\d+: branches\[0\]\.name: .*not a character", proc.stderr, re.M), proc.stderr


# -- pathmatch ----------------------------------------------------------------------------------

def test_pattern_problem_reports_bad_patterns_and_lets_bugs_through() -> None:
    assert "not a valid gitignore-style pattern" in (pattern_problem("docs/\\") or "")
    assert "git ignores this pattern" in (pattern_problem("src/[a") or "")
    assert pattern_problem("src/**/*.py") is None
    with pytest.raises(TypeError):  # a caller's bug (bytes), not a bad pattern
        pattern_problem(b"docs/*")  # type: ignore[arg-type]


# -- hooks --------------------------------------------------------------------------------------

def test_a_bug_in_a_client_hook_refuses_the_commit_and_says_so(tmp_path: Path) -> None:
    proc = run_patched(tmp_path, raiser("enforcer.hooks.pre_commit:main", "AttributeError('a')"),
                       "hook", "pre-commit")
    assert proc.returncode == 4
    assert proc.stderr.startswith("enforcer: internal error (AttributeError: a); this is a bug")
    assert "the commit is refused" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_input_in_a_client_hook_is_2(tmp_path: Path) -> None:
    proc = run_patched(tmp_path, raiser("enforcer.hooks.pre_push:main", "EnforcerError('no remote')"),
                       "hook", "pre-push")
    assert (proc.returncode, proc.stderr) == (2, "enforcer: error: no remote\n")


@pytest.mark.parametrize(("error", "code", "says"), [
    ("EnforcerError('cannot read the ref line')", 1, "enforcer: push refused: cannot read the ref line"),
    ("KeyError('k')", 4, "enforcer: push refused: internal error (KeyError: 'k'); this is a bug")])
def test_what_escapes_a_server_hook_refuses_the_push(tmp_path: Path, error: str, code: int, says: str) -> None:
    proc = run_patched(tmp_path, raiser("enforcer.server_hooks.pre_receive:main", error), "hook", "pre-receive", stdin=f"{'0' * 40} {'1' * 40} refs/heads/main\n")
    assert proc.returncode == code
    assert proc.stderr.startswith(says), proc.stderr


def test_a_hook_on_gitlab_says_its_error_on_lines_gitlab_shows(tmp_path: Path) -> None:
    proc = run_patched(tmp_path, raiser("enforcer.server_hooks.update:main", "ValueError('v')"),
                       "hook", "update", "refs/heads/main", "0" * 40, "1" * 40, env={"GL_ID": "user-1"})
    assert proc.returncode == 4
    assert proc.stderr.startswith("GL-HOOK-ERR: enforcer: push refused: internal error (ValueError: v)")
