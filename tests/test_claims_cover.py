"""A claim covers every directory inside it: the claimant must own each ownership entry that may decide there.

Otherwise a claim on an unowned parent (`basic_edu_apps_final/`) would refuse
the owners of the directories inside it, in their own directories (issue 15,
item 4). Tables of facts through ``decide``: no git.
"""
from __future__ import annotations

import time

import pytest

from enforcer.engine import decide
from enforcer.model import CLAIM_REFS, ZERO, Claim, RefUpdate
from enforcer.policy import Policy, load_policy, load_policy_bytes
from tests.conftest import SOP

ME, OTHER = "task_worker3", "arch_worker1"


def claim(actor: str, directory: str) -> RefUpdate:
    now = time.time()
    return RefUpdate(actor=actor, ref=CLAIM_REFS + directory.rstrip("/"), old=ZERO, new="1" * 40,
                     claim=Claim(directory, actor, now + 600), now=now)


def refused_by(policy: Policy, actor: str, directory: str) -> set[str]:
    """The rules of the claims.owner violations a claim meets (empty: accepted)."""
    decision = decide(policy, claim(actor, directory))
    assert {v.check for v in decision.violations} <= {"claims.owner"}, decision.violations
    return {v.rule for v in decision.violations}


def ownership(*entries: tuple[str, str]) -> Policy:
    """The reference policy with its ownership replaced by (pattern, primary) entries."""
    head, tail = SOP.read_text().split("ownership:\n", 1)
    lines = "".join(f"  - path: '{p}'\n    primary: {who}\n" for p, who in entries)
    text = head + "ownership:\n" + lines + "\nclaims:" + tail.split("\nclaims:", 1)[1]
    return load_policy_bytes(text.encode(), "test.yaml", cache_dir="")


def ids(*positions: int) -> set[str]:
    return {f"ownership[{i}]" for i in positions}


@pytest.mark.parametrize("actor, directory, rules", [
    # the attack: an unowned parent of directories owned by others
    ("task_worker1", "basic_edu_apps_final/", ids(1, 2, 3, 4, 5)),
    # edu_worker1 owns (or backs up) every entry under it, but `architect/` may sit anywhere inside
    ("edu_worker1", "basic_edu_apps_final/", ids(0)),
    ("arch_worker1", "basic_edu_apps_final/", ids(1, 3, 4, 5)),
    # environments/ decides everything in it (architect/ comes earlier); nested entries still count
    ("edu_worker1", "basic_edu_apps_final/environments/", set()),  # backup of architecture/
    ("task_worker2", "basic_edu_apps_final/environments/", ids(2, 3, 4, 5)),
    ("edu_worker1", "basic_edu_apps_final/environments/architecture/", set()),
    ("arch_worker1", "basic_edu_apps_final/environments/architecture/", set()),
    ("task_worker2", "basic_edu_apps_final/environments/architecture/", ids(2)),
    ("task_worker4", "basic_edu_apps_final/environments/math/", set()),
    # `architect/` is unanchored: src/ covers src/architect/
    ("task_worker2", "src/", ids(0)),
    ("task_worker1", "src/", set()),  # backup of architect/
    ("arch_worker1", "src/", set()),
    ("task_worker2", "src/architect/", ids(0)),
    ("task_worker1", "src/architect/", set()),
    ("task_worker2", "architect/", ids(0)),
])
def test_reference_policy_claims(actor: str, directory: str, rules: set[str]) -> None:
    assert refused_by(load_policy(SOP), actor, directory) == rules


@pytest.mark.parametrize("entries, directory, rules", [
    ([("/docs/", OTHER)], "src/", set()),  # nothing owned inside: anyone may claim it
    ([("/src/", OTHER), ("/src/mine/", ME)], "src/mine/", set()),  # a later entry re-grants a subdirectory
    ([("/src/", OTHER), ("/src/mine/", ME)], "src/", ids(0)),
    ([("/src/mine/", ME), ("/src/", OTHER)], "src/mine/", ids(1)),  # ... but not an earlier one
    ([("/src/a/b/", OTHER), ("/src/a/", ME)], "src/", set()),  # src/a/b/ is decided by the later src/a/
    ([("/src/a/", ME), ("/src/a/b/", OTHER)], "src/", ids(1)),
    ([("architect/", OTHER), ("/src/architect/", ME)], "src/architect/", set()),
    ([("architect/", OTHER), ("/src/architect/", ME)], "src/", ids(0)),  # src/lib/architect/ too
    ([("src/*/gen/", OTHER)], "src/", ids(0)),  # wildcards: matched segment by segment
    ([("src/*/gen/", OTHER)], "src/lib/", ids(0)),
    ([("src/*/gen/", OTHER)], "src/lib/other/", set()),
    ([("src/*/gen/", OTHER)], "docs/", set()),
    ([("src/*.md", OTHER)], "src/lib/", set()),
    ([("src/*.md", OTHER)], "src/", ids(0)),
    ([("src/*.md", OTHER)], "src/x.md/", ids(0)),  # the entry that decides the directory itself
    ([("*.key", OTHER)], "src/", ids(0)),  # unanchored: at any depth
    ([("**/secret/", OTHER)], "docs/", ids(0)),
    ([("docs/**/*.key", OTHER)], "docs/a/b/", ids(0)),  # `**` crosses any depth: in doubt, refuse
    ([("docs/**/*.key", OTHER)], "src/", set()),
    ([("/src/[ab]*/", OTHER)], "src/c/", set()),
    ([("/src/[ab]*/", OTHER)], "src/", ids(0)),
    ([("/src/", ME), ("/src/a/", ME), ("*.key", OTHER), ("/src/b/", ME)], "src/", ids(2)),
])
def test_claims_cover_every_entry_that_may_decide_inside(entries: list[tuple[str, str]], directory: str,
                                                          rules: set[str]) -> None:
    assert refused_by(ownership(*entries), ME, directory) == rules


def test_the_refusal_names_the_entry_its_owners_and_a_way_out() -> None:
    decision = decide(load_policy(SOP), claim("task_worker1", "basic_edu_apps_final/"))
    first = decision.violations[0]
    assert first.rule == "ownership[1]" and first.check == "claims.owner"
    assert "basic_edu_apps_final/environments/" in first.reason and "edu_worker1" in first.reason
    assert "task_worker2" in first.reason and "narrower" in first.fix


def test_many_refused_entries_are_summed_up() -> None:
    policy = ownership(*[(f"/src/m{i}/", OTHER) for i in range(40)])
    decision = decide(policy, claim(ME, "src/"))
    assert len(decision.violations) <= 6 and "35 more" in decision.violations[-1].reason


def test_ten_thousand_entries_are_judged_well_under_a_second() -> None:
    entries = []
    for i in range(10_000):
        kind = i % 20
        if kind == 0:
            entries.append((f"*.ext{i}", ME))
        elif kind == 1:
            entries.append((f"team{i % 97}/**/*.sql{i}", ME))
        elif kind == 2:
            entries.append((f"/team{i % 97}/svc{i}", OTHER))
        elif kind in (3, 4):  # a wildcard in the first segment: matched against the claim's own
            entries.append((f"t*{i}/svc{i}/", OTHER))
        else:
            entries.append((f"team{i % 97}/svc{i % 503}/part{i}/", OTHER))
    policy = ownership(*entries)
    start = time.perf_counter()
    assert refused_by(policy, ME, "team5/")  # index build included
    assert not refused_by(policy, ME, "elsewhere/")
    assert time.perf_counter() - start < 0.5
