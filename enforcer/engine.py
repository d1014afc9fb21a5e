"""The decision core: ``decide(policy, request) -> Decision``. Pure: no I/O, git or clock."""
from __future__ import annotations

from enforcer.model import POLICY_FILE, Decision, RefUpdate, Violation, within
from enforcer.pathmatch import pathspecs
from enforcer.policies import REGISTRY
from enforcer.policy import Policy

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from enforcer.model import Claim, Request
    from enforcer.policy import OwnerEntry


def violations(policy: Policy, request: Request) -> list[Violation]:
    """Every violation every rule module finds. An unknown actor, or a ref that is no branch or
    tag of a commit, stops the rest: their facts would mean nothing."""
    found: list[Violation] = []
    for name, module in REGISTRY.items():
        if isinstance(request, module.APPLIES_TO):
            found.extend(module.check(policy, request))
            if name in ("actors", "refs") and found:
                break
    return found


# Who is pushing, the policy file itself, what a ref is, whose name a claim bears: break-glass
# is for the rules, not for the ground they stand on (or one override could rewrite them all).
BEYOND_BREAK_GLASS = ("actors.", "policy.", "refs.", "claims.holder", "claims.format")


def decide(policy: Policy, request: Request) -> Decision:
    found = violations(policy, request)
    blocking = tuple(v for v in found if not v.evaluate_only)
    evaluated = tuple(v for v in found if v.evaluate_only)
    if not blocking:
        return Decision("allow", (), evaluated)
    if not (isinstance(request, RefUpdate) and request.break_glass):
        return Decision("deny", blocking, evaluated)
    if not policy.allows(policy.break_glass, request.actor):
        return Decision("deny", blocking, evaluated, note=f"break-glass refused: {request.actor} is not in "
                        "policy.break_glass")
    beyond = sorted({v.check for v in blocking if v.check.startswith(BEYOND_BREAK_GLASS)})
    if beyond:
        return Decision("deny", blocking, evaluated, note=f"break-glass cannot override {', '.join(beyond)}")
    note = f"break-glass by {request.actor}: {request.break_glass}"
    return Decision("allow", (), blocking + evaluated, note=note)


class PathRules:
    """The rules that judge a path when a commit by ``actor`` changes it: the ownership entry
    that owns it for others, another actor's live claim on it, the policy file; one key each
    (no key: no rule looks at the path). A merge's own changes are worked out
    (enforcer.merges) only where they could touch such a path, since settling them can
    take git a whole re-merge, and not for a key a plain commit of the same push already
    meets: the verdict stands without them."""

    def __init__(self, policy: Policy, actor: str | None, claims: tuple[Claim, ...], now: float) -> None:
        self.policy = policy
        self.actor = actor
        self.others = tuple(c.path for c in claims if c.holder != actor and c.expires > now)
        self.foreign: dict[int, bool] = {}  # ownership entry -> the actor is not among its owners

    def __call__(self, path: str) -> tuple[str, ...]:
        keys = [f"claims:{claimed}" for claimed in self.others if within(path, claimed)]
        if path == POLICY_FILE:
            keys.append("policy")
        entry = self.policy.owner_of(path)
        if entry is not None and self._foreign(entry):
            keys.append(entry.id)
        return tuple(keys)

    def _foreign(self, entry: OwnerEntry) -> bool:
        if entry.position not in self.foreign:
            self.foreign[entry.position] = self.actor not in self.policy.members(entry.owners)
        return self.foreign[entry.position]

    def pathspecs(self) -> tuple[str, ...] | None:
        """git pathspecs covering every path that has a key (and maybe more), so that a diff
        asked only for what a rule could see skips the rest; None: every path may have one."""
        specs = [f":(top,literal){POLICY_FILE}"]
        for claimed in self.others:
            if not claimed.strip("/"):
                return None
            specs.append(f":(top,literal){claimed.rstrip('/')}")
        for entry in self.policy.ownership:
            if self._foreign(entry):
                found = pathspecs(entry.path)
                if found is None:
                    return None
                specs.extend(found)
        return tuple(dict.fromkeys(specs))
