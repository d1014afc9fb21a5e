"""Ref namespaces: branches, tags and enforcer's own refs; anything else is refused."""
from __future__ import annotations

from typing import Iterator

from enforcer.model import RefUpdate, Violation
from enforcer.policy import Policy

APPLIES_TO = (RefUpdate,)


def check(policy: Policy, request: RefUpdate) -> Iterator[Violation]:
    if request.kind == "other":
        yield Violation("refs", "refs.namespace", f"{request.ref} is outside refs/heads/ and refs/tags/",
                        "push branches and tags only")
