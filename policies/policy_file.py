"""Policy protection: only `policy.owners` change the policy file, and only to a valid one."""
from __future__ import annotations

from enforcer.model import RefUpdate, Violation
from enforcer.policies._hints import who
from enforcer.policy import Policy

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Iterator

APPLIES_TO = (RefUpdate,)


def check(policy: Policy, request: RefUpdate) -> Iterator[Violation]:
    change = request.policy_change
    if change is None:
        return
    if not policy.allows(policy.owners, request.actor):
        yield Violation("policy.owners", "policy.owners",
                        f"{request.actor} may not change the policy file: only {who(policy, policy.owners)}",
                        "take the policy change out of your push (git restore --source=origin/HEAD policy.yaml) "
                        f"and propose it to {who(policy, policy.owners)}")
    if change.problems:
        shown = "; ".join(change.problems[:3]) + (" ..." if len(change.problems) > 3 else "")
        yield Violation("policy.owners", "policy.invalid", f"the pushed policy file is invalid: {shown}",
                        "run `enforcer validate` and fix every problem it lists")
