"""The decision core: ``decide(policy, request) -> Decision``. Pure: no I/O, git or clock."""
from __future__ import annotations

from enforcer.model import POLICY_FILE, Decision, RefUpdate, Violation, strictest, within
from enforcer.pathmatch import LITERAL, pathspecs
from enforcer.policies import REGISTRY
from enforcer.policy import Policy
from enforcer.tuples import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from enforcer.model import Claim, Request
    from enforcer.policy import OwnerEntry


class Considered(NamedTuple):
    """One rule module's part in a decision: what it found, and whether that stopped the rest."""

    rule: str  # the module's name in the registry
    violations: tuple[Violation, ...]
    stopped: bool = False


def trace(policy: Policy, request: Request) -> tuple[Decision, tuple[Considered, ...]]:
    """The decision, and each rule module that judged the request on the way (explain shows them)."""
    steps: list[Considered] = []
    judged = False
    for name, module in REGISTRY.items():
        if not isinstance(request, module.APPLIES_TO):
            continue
        judged = judged or not getattr(module, "ANY_REQUEST", False)
        found = tuple(module.check(policy, request))
        stops = getattr(module, "STOPS", False) and any(not v.evaluate_only for v in found)
        steps.append(Considered(name, found, stops))
        if stops:
            return _verdict(policy, request, steps), tuple(steps)
    for label, part in getattr(request, "derived", ()):  # what a command line would do, by its own rules
        _, inner = trace(policy, part)
        steps.extend(Considered(f"{step.rule} ({label})", tuple(v._replace(reason=f"{label}: {v.reason}")
                                                                for v in step.violations), step.stopped)
                     for step in inner)
    if not judged:  # fail closed: a request no rule was written for is not thereby allowed
        unjudged = Violation("core", "core.unjudged", f"no rule judges a {type(request).__name__} request: "
                             "this is a bug in enforcer", "report it; until it is fixed the request is refused")
        steps.append(Considered("core", (unjudged,), True))
    return _verdict(policy, request, steps), tuple(steps)


def decide(policy: Policy, request: Request) -> Decision:
    return trace(policy, request)[0]


def _verdict(policy: Policy, request: Request, steps: list[Considered]) -> Decision:
    """deny > ask > allow over the blocking violations; break-glass may turn a deny into an
    allow where every rule that refused lets it (policies/__init__.py)."""
    blocking = tuple(v for step in steps for v in step.violations if not v.evaluate_only)
    evaluated = tuple(v for step in steps for v in step.violations if v.evaluate_only)
    verdict = strictest(v.severity for v in blocking)
    if verdict != "deny" or not (isinstance(request, RefUpdate) and request.break_glass):
        return Decision(verdict, blocking, evaluated)
    if not policy.allows(policy.break_glass, request.actor):
        return Decision("deny", blocking, evaluated, note=f"break-glass refused: {request.actor} is not in "
                        "policy.break_glass")
    beyond = sorted({v.check for step in steps for v in step.violations
                     if not v.evaluate_only and not _overridable(step.rule, v)})
    if beyond:
        return Decision("deny", blocking, evaluated, note=f"break-glass cannot override {', '.join(beyond)}")
    note = f"break-glass by {request.actor}: {request.break_glass}"
    return Decision("allow", (), blocking + evaluated, note=note)


def _overridable(rule: str, violation: Violation) -> bool:
    allowed = getattr(REGISTRY[rule], "BREAK_GLASS", False) if rule in REGISTRY else False
    return allowed if isinstance(allowed, bool) else violation.check in allowed


MANY_PATHSPECS = 64  # git matches each path against every pathspec: beyond this, fewer and wider ones


def few(specs: tuple[str, ...]) -> tuple[str, ...] | None:
    """``specs``, or fewer ones that cover them: a literal path widened to its top-level
    directory; None (every path) where even that leaves too many."""
    if len(specs) <= MANY_PATHSPECS:
        return specs
    wide = tuple(dict.fromkeys(LITERAL + s[len(LITERAL):].split("/")[0] if s.startswith(LITERAL) else s
                               for s in specs))
    return wide if len(wide) <= MANY_PATHSPECS else None


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
        specs = [LITERAL + POLICY_FILE]
        for claimed in self.others:
            if not claimed.strip("/"):
                return None
            specs.append(LITERAL + claimed.rstrip("/"))
        for entry in self.policy.ownership:
            if self._foreign(entry):
                found = pathspecs(entry.path)
                if found is None:
                    return None
                specs.extend(found)
        return few(tuple(dict.fromkeys(specs)))

