"""The rules, one pure module per concern.

Each module exposes ``APPLIES_TO`` (the request types it judges) and
``check(policy, request) -> Iterable[Violation]``, and may say:

- ``STOPS = True``: a violation it finds stops the modules after it (who is
  acting, what a ref is, a refused bootstrap: the rest would judge facts that
  mean nothing);
- ``BREAK_GLASS``: whether `policy.break_glass` may override its violations:
  True, False (the default: a module that does not say is beyond it), or the
  check ids it may override (a new check is then beyond break-glass until
  listed);
- ``ANY_REQUEST = True``: it judges every request type but decides none alone
  (the actor check); a request that no other module judges is refused.

The registry's order is the order of judgement. A new concern is a module
and a line here.
"""
from __future__ import annotations

from types import ModuleType

from enforcer.policies import (actors, approvals, bootstrap, branches, checks, claims, commands, environments,
                               ownership, policy_file, refs, tags)

REGISTRY: dict[str, ModuleType] = {
    "actors": actors,
    "refs": refs,
    "bootstrap": bootstrap,
    "branches": branches,
    "tags": tags,
    "ownership": ownership,
    "claims": claims,
    "approvals": approvals,
    "policy": policy_file,
    "checks": checks,
    "environments": environments,
    "commands": commands,
}
