"""Smaller defects found on the way (issue 15): each test failed before its fix."""
from __future__ import annotations

import fcntl
import json
import re
import shutil
import subprocess
import threading
import time
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT, SOP, enforcer, git
from tests.test_validate import validate

BASE = "version: 1\ngroups:\n  release-managers: [jgirmay]\n  workers: [w1, w2]\n  managers: [m1]\n"


# -- 1. a string where a list of names belongs: one error with the line to write ----------------

@pytest.mark.parametrize("text, field, fix", [
    (BASE + "branches:\n  - match: main\n    push: managers\n", "branches[0].push", "`push: [managers]`"),
    (BASE + "branches:\n  - match: dev\n    merge_from: feature/**\n", "branches[0].merge_from",
     "`merge_from: ['feature/**']`"),
    (BASE + "tags:\n  - match: v*\n    create: release-managers\n", "tags[0].create",
     "`create: [release-managers]`"),
    (BASE + "policy:\n  owners: jgirmay\n", "policy.owners", "`owners: [jgirmay]`"),
    (BASE + "policy:\n  break_glass: '@managers'\n", "policy.break_glass", "`break_glass: ['@managers']`"),
    (BASE + "policy:\n  owners: jgirmay, m1\n", "policy.owners", "`owners: [jgirmay, m1]`"),
    (BASE + "commands:\n  roles:\n    - who: managers\n      default: deny\n", "commands.roles[0].who",
     "`who: [managers]`"),
    (BASE + "commands:\n  allow: '^ls'\n", "commands.allow", "`allow: ['^ls']`"),
    (BASE + "environments:\n  qa:\n    port: 8001\n    data: qa/\n    approve: release-managers\n",
     "environments.qa.approve", "`approve: [release-managers]`"),
    (BASE + "  everyone: workers\n", "groups.everyone", "`everyone: [workers]`"),
])
def test_a_string_for_a_list_is_one_error_with_its_fix(tmp_path: Path, text: str, field: str, fix: str) -> None:
    code, out = validate(tmp_path, text)
    assert code == 2, out
    assert "1 error(s)" in out, out
    assert f"{field}: " in out and "is not a list" in out and f"fix: write a list: {fix}" in out, out
    assert f"{field}[0]" not in out and "unknown actor or group" not in out, out
    assert re.search(r"policy\.yaml:\d+:\d+: ", out), out


# -- 2. a group named without @ inside a group ----------------------------------------------------

def test_a_group_named_without_at_inside_a_group_warns(tmp_path: Path) -> None:
    code, out = validate(tmp_path, BASE + "  everyone: [workers, '@managers', jgirmay]\n"
                         "branches:\n  - match: main\n    push: [everyone]\n")
    assert code == 0, out
    assert "policy.yaml:6:" in out and "warning: groups.everyone[0]: 'workers' is also a group" in out, out
    assert "fix: write '@workers' to include the group" in out and "'@managers'" not in out, out


def test_the_reference_policy_names_no_group_without_at(tmp_path: Path) -> None:
    code, out = validate(tmp_path, SOP.read_bytes())
    assert code == 0 and "is also a group" not in out, out


# -- 3. `enforcer decisions` where no decisions are kept -------------------------------------------

def test_decisions_in_a_clone_says_where_records_live(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "init", "-q", str(clone))
    for fmt in ("text", "json"):
        proc = enforcer(clone, "decisions", "--format", fmt)
        assert proc.returncode == 2 and proc.stdout == "", proc.stdout
        assert "bare repository" in proc.stderr and "enforcer -C path/to/repo.git decisions" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_decisions_in_a_bare_repository_without_records_is_empty(tmp_path: Path) -> None:
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    text, as_json = enforcer(bare, "decisions"), enforcer(tmp_path, "-C", str(bare), "decisions", "--format", "json")
    assert (text.returncode, text.stdout, text.stderr) == (0, "", "")
    assert as_json.returncode == 0 and json.loads(as_json.stdout) == []
    assert not (bare / "enforcer").exists()  # a reader creates nothing


# -- 4. `enforcer explain` and an actor in no group ------------------------------------------------

def test_explain_says_an_unknown_actor_is_refused(tmp_path: Path) -> None:
    proc = enforcer(tmp_path, "explain", "--policy", str(SOP), "--actor", "stranger", "--path", "src/x")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    first = proc.stdout.splitlines()[0]
    assert "actor 'stranger'" in first and "actors.unknown" in first and "in no group" in first
    assert "fix: add stranger to a group under `groups:`" in proc.stdout
    assert "unowned" in proc.stdout  # the rules are still traced
    known = enforcer(tmp_path, "explain", "--policy", str(SOP), "--actor", "task_worker1", "--path", "src/x")
    assert known.returncode == 0 and "actors.unknown" not in known.stdout


# -- 5. a failing self-test names no made-up commit ------------------------------------------------

@pytest.mark.parametrize("rule, test, shown", [
    ("{match: main, push: [w2], direct_commits: false}", "{actor: w2, push: main, expect: allow}",
     "1 direct commit(s) on 'main': the test's commit"),
    ("{match: main, push: [w2], direct_commits: false, merge_from: [dev]}",
     "{actor: w2, push: main, merge: feature/x, expect: allow}",
     "merge the test's commit brings the test's merged commit from 'feature/x'"),
])
def test_a_failing_self_test_shows_no_placeholder_commit(tmp_path: Path, rule: str, test: str, shown: str) -> None:
    code, out = validate(tmp_path, BASE + f"branches:\n  - {rule}\ntests:\n  - {test}\n")
    assert code == 2 and "self-test failed" in out, out
    assert shown in out, out
    assert not re.search(r"([123])\1{6}", out), out


# -- 6. tests/install-deps.sh waits for another apt process ----------------------------------------

def _apt_root(tmp_path: Path) -> Path:
    """An apt tree of its own (no sources, no packages): apt runs for real and touches nothing else."""
    root = tmp_path / "apt"
    for d in ("etc/apt/apt.conf.d", "etc/apt/preferences.d", "etc/apt/sources.list.d",
              "var/lib/apt/lists/partial", "var/cache/apt/archives/partial", "var/lib/dpkg", "var/log/apt"):
        (root / d).mkdir(parents=True)
    (root / "etc/apt/sources.list").touch()
    (root / "var/lib/dpkg/status").touch()
    return root


def _hold(lock: Path, seconds: float) -> threading.Thread:
    """Hold apt's lock (an fcntl lock, as apt takes it) from this process for ``seconds``."""
    f = open(lock, "a")
    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def release() -> None:
        time.sleep(seconds)
        f.close()

    thread = threading.Thread(target=release)
    thread.start()
    return thread


@pytest.mark.skipif(shutil.which("apt-get") is None or not hasattr(__import__("os"), "geteuid")
                    or __import__("os").geteuid() != 0, reason="needs apt-get, as root")
@pytest.mark.parametrize("wait, held, ok", [(30, 2.0, True), (1, 4.0, False)])
def test_install_deps_waits_for_the_apt_lists_lock(tmp_path: Path, wait: int, held: float, ok: bool) -> None:
    root = _apt_root(tmp_path)
    holder = _hold(root / "var/lib/apt/lists/lock", held)
    started = time.monotonic()
    proc = subprocess.run(["bash", "-c", 'source "$0" && apt_update -o Dir="$1" -o Dir::State::status="$2"',
                           str(ROOT / "tests/install-deps.sh"), str(root), str(root / "var/lib/dpkg/status")],
                          capture_output=True, text=True, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                                                               "APT_WAIT": str(wait)})
    took = time.monotonic() - started
    holder.join()
    if ok:
        assert proc.returncode == 0 and took >= held - 0.5, (took, proc.stderr)
    else:  # it gives up after APT_WAIT, saying why
        assert proc.returncode != 0 and "Could not get lock" in proc.stderr and wait <= took < held + 1


def test_install_deps_passes_the_lock_timeout_to_apt_get() -> None:
    script = (ROOT / "tests/install-deps.sh").read_text()
    assert "DPkg::Lock::Timeout" in script
    calls = re.findall(r"^\s*(?:\S+=\S+ )*apt-get .*$", script, flags=re.M)
    assert calls and all("DPkg::Lock::Timeout" in line for line in calls), calls


# -- 7. the distribution is git-enforcer ------------------------------------------------------------

def test_the_distribution_is_git_enforcer_and_the_command_enforcer() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "git-enforcer"
    assert project["scripts"] == {"enforcer": "enforcer.main:main"}
    assert "importlib.metadata" not in (ROOT / "enforcer/__init__.py").read_text()  # the version is not looked up


# -- 8. the pre-commit framework example names a real rev ------------------------------------------

def test_the_pre_commit_example_pins_a_real_commit(tmp_path: Path) -> None:
    docs = (ROOT / "docs/client.md").read_text()
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", docs, flags=re.S) if "repos:" in b]
    import yaml

    (repo,) = yaml.safe_load(block)["repos"]
    rev = repo["rev"]
    assert re.fullmatch(r"[0-9a-f]{40}", rev), rev  # a full commit id: immutable, as pre-commit wants
    assert subprocess.run(["git", "cat-file", "-e", f"{rev}^{{commit}}"], cwd=ROOT).returncode == 0
    hook_ids = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert {h["id"] for h in repo["hooks"]} <= hook_ids
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(block)
    proc = subprocess.run(["python3", "-m", "pre_commit", "validate-config", str(config)], capture_output=True,
                          text=True)
    assert proc.returncode == 0 and "WARNING" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
