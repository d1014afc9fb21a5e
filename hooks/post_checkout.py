"""post-checkout: warn on switching to a branch where commits will be refused. Never blocks."""
from __future__ import annotations

from enforcer import report
from enforcer.client import clone_policy, say, staged_change
from enforcer.engine import decide
from enforcer.git import Repo

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Sequence


def main(argv: Sequence[str], stdin: bytes) -> int:
    if len(argv) < 3 or argv[2] != "1":  # a file checkout, not a branch switch
        return 0
    policy = clone_policy()
    if policy is None:
        return 0
    change = staged_change(policy, Repo(), with_paths=False)
    if change.branch is None:
        return 0
    decision = decide(policy, change)
    if not decision.allowed:
        say(f"enforcer: warning: commits on {change.branch!r} will be refused here:")
        say(report.text([(f"commit on {change.branch}", decision)], prefix="  "))
    return 0
