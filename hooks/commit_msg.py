"""commit-msg: judge a merge commit that `git merge` records.

`git merge` runs commit-msg but not pre-commit, so a merge into an
integration branch from a branch its rule does not name is caught here.
Other commits were judged by pre-commit already; the policy has no rules
about messages, so they pass.
"""
from __future__ import annotations

from enforcer.client import clone_policy, judge_commit
from enforcer.git import Repo

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Sequence


def main(argv: Sequence[str], stdin: bytes) -> int:
    repo = Repo()
    if not repo.merge_heads():
        return 0
    policy = clone_policy()
    return 0 if policy is None else judge_commit(policy, repo)
