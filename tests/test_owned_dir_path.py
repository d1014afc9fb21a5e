"""Something at an owned directory's own path (a symlink, a gitlink, a file) is owned as the directory is.

git names a symlink or a submodule `architect`, with no slash, and a
directory-only pattern such as `architect/` does not match that name as a
file: without this rule a non-owner could replace an owned directory.
"""
from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

from enforcer.engine import decide
from enforcer.model import StagedChange
from enforcer.pathmatch import PathIndex, translate
from enforcer.policy import Policy, load_policy, load_policy_bytes
from tests.conftest import SOP, git
from tests.server.test_receive import Server
from tests.test_pathmatch import PARTS, SHAPES
from tests.test_client_hooks import Clone

FEATURE = "feature/sub-1124"


def _policy(*patterns: str) -> Policy:
    """The reference policy with its ownership replaced: entry i is `patterns[i]`, owned by arch_worker1."""
    text = SOP.read_text()
    head, tail = text.split("ownership:\n", 1)
    entries = "".join(f"  - path: '{p}'\n    primary: arch_worker1\n" for p in patterns)
    return load_policy_bytes((head + "ownership:\n" + entries + "\nclaims:" + tail.split("\nclaims:", 1)[1]).encode(),
                             "test.yaml", cache_dir="")


@pytest.mark.parametrize("path, entry", [
    ("architect", 0),  # a symlink or gitlink where the directory `architect/` is owned
    ("architect/plan.md", 0),
    ("src/architect", 0),  # `architect/` is unanchored: any directory of that name
    ("architects", None),
    ("architect.md", None),
    ("basic_edu_apps_final", None),
    ("basic_edu_apps_final/environments", 1),
    ("basic_edu_apps_final/environments/architecture", 2),  # the last matching entry still decides
    ("basic_edu_apps_final/environments/architecture/a.py", 2),
    ("basic_edu_apps_final/environments/math", 4),
    ("basic_edu_apps_final/environments/other", 1),
    ("basic_edu_apps_final/environments/", 1),  # a directory named as one (claims do) is unchanged
])
def test_reference_policy_owner_of(path: str, entry: int | None) -> None:
    found = load_policy(SOP).owner_of(path)
    assert (found.position if found else None) == entry


@pytest.mark.parametrize("patterns, path, entry", [
    (["/docs/"], "docs", 0),
    (["/docs/"], "x/docs", None),  # anchored: only at the root
    (["gen*/"], "src/generated", 0),  # a wildcard directory pattern
    (["src/*/"], "src/lib", 0),
    (["src/*/"], "src", None),
    (["a/**"], "a", None),  # everything inside a/, not a itself (git: `a/**` does not match `a`)
    (["**/build/"], "x/y/build", 0),
    (["vendor"], "vendor", 0),  # not directory-only: matched as a file already
    (["architect/", "*.md"], "architect", 0),
    (["*.lnk", "architect/"], "architect", 1),
    (["architect/", "/architect"], "architect", 1),  # the last matching entry decides, files or directories
    (["architect/", "/src/"], "src/architect", 1),
])
def test_owner_of_a_path_where_a_directory_pattern_matches(patterns: list[str], path: str,
                                                           entry: int | None) -> None:
    found = _policy(*patterns).owner_of(path)
    assert (found.position if found else None) == entry


def test_an_entry_at_an_owned_directory_path_is_judged_as_owned() -> None:
    policy = load_policy(SOP)
    change = StagedChange(actor="task_worker2", branch=FEATURE, paths=("architect",))
    assert {v.check for v in decide(policy, change).violations} == {"ownership.owner"}
    assert decide(policy, change._replace(actor="arch_worker1")).allowed


# -- through a real push ------------------------------------------------------

@pytest.fixture
def server(tmp_path: Path) -> Server:
    s = Server(tmp_path)
    assert s.push("jgirmay", "main").returncode == 0
    git(s.clone, "switch", "-qc", FEATURE)
    return s


def _add_symlink(server: Server) -> str:
    os.symlink("/etc", server.clone / "architect")
    git(server.clone, "add", "architect")
    git(server.clone, "commit", "-qm", "architect is a symlink now")
    return git(server.clone, "rev-parse", "HEAD")


def _add_gitlink(server: Server) -> str:
    some_commit = git(server.clone, "rev-parse", "main")
    git(server.clone, "update-index", "--add", "--cacheinfo", f"160000,{some_commit},architect")
    git(server.clone, "commit", "-qm", "architect is a submodule now")
    return git(server.clone, "rev-parse", "HEAD")


@pytest.mark.parametrize("add", [_add_symlink, _add_gitlink], ids=["symlink", "gitlink"])
def test_a_non_owner_cannot_push_something_at_an_owned_directory_path(server: Server,
                                                                     add: Callable[[Server], str]) -> None:
    tip = add(server)
    refused = server.push("task_worker2", FEATURE)
    assert refused.returncode != 0 and server.ref(FEATURE) is None
    assert "ownership[0] ownership.owner" in refused.stderr and "architect/: architect" in refused.stderr
    assert server.push("arch_worker1", FEATURE).returncode == 0 and server.ref(FEATURE) == tip


# -- through the client's pre-commit hook ---------------------------------------

def test_the_pre_commit_hook_refuses_a_symlink_at_an_owned_directory_path(tmp_path: Path) -> None:
    clone = Clone(tmp_path)
    clone.switch(FEATURE)
    os.symlink("/etc", clone.path / "architect")
    git(clone.path, "add", "architect")
    before = clone.head()
    refused = clone.run("task_worker2", "commit", "-qm", "architect is a symlink now")
    assert refused.returncode == 1 and clone.head() == before
    assert "ownership.owner" in refused.stderr and "arch_worker1" in refused.stderr
    assert clone.run("arch_worker1", "commit", "-qm", "architect is a symlink now").returncode == 0
    assert clone.head() != before


@pytest.mark.parametrize("seed", range(10))
def test_the_index_as_dir_equals_trying_every_pattern(seed: int) -> None:
    """As tests/test_pathmatch.py, for a path matched as a file and as a directory."""
    rng = random.Random(seed)
    patterns = [rng.choice(SHAPES).format(rng.choice(PARTS), rng.choice(PARTS)) for _ in range(25)]
    regexes = [r for r in (GitIgnoreSpecPattern(p).regex for p in patterns) if r is not None]
    assert len(regexes) == len(patterns)
    index = PathIndex([translate(p) for p in patterns])
    for _ in range(200):
        path = "/".join(rng.choice(PARTS) for _ in range(rng.randint(1, 4)))
        naive = max((i for i, (p, r) in enumerate(zip(patterns, regexes))
                     if r.match(path) or (p.endswith("/") and r.match(path + "/"))), default=-1)
        assert index.last_match_as_dir(path) == naive, (patterns, path)
