"""pre-commit: refuse a commit the server would refuse, before the work goes into it.

Judged: the branch (no direct commits, who may push it, its naming rule),
the staged paths (ownership, other actors' claims) and a merge in progress
(MERGE_HEAD: allowed from the branches the rule names).
"""
from __future__ import annotations

from enforcer.client import clone_policy, judge_commit
from enforcer.git import Repo

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Sequence


def main(argv: Sequence[str], stdin: bytes) -> int:
    policy = clone_policy()
    return 0 if policy is None else judge_commit(policy, Repo())
