"""The rules, one pure module per concern.

Each module exposes ``APPLIES_TO`` (the request types it judges) and
``check(policy, request) -> Iterable[Violation]``. A new concern is a module
and a line here.
"""
from __future__ import annotations

from types import ModuleType

from enforcer.policies import actors, branches, claims, environments, ownership, policy_file, refs, tags

REGISTRY: dict[str, ModuleType] = {
    "actors": actors,
    "refs": refs,
    "branches": branches,
    "tags": tags,
    "ownership": ownership,
    "claims": claims,
    "policy": policy_file,
    "environments": environments,
}
