"""Ref namespaces: branches and tags; anything else is refused.

refs/enforcer/ (claims and approvals) is refused too until the rules that
authenticate those refs exist: the server fails closed.
"""
from __future__ import annotations

from typing import Iterator

from enforcer.model import RefUpdate, Violation
from enforcer.policy import Policy

APPLIES_TO = (RefUpdate,)


def check(policy: Policy, request: RefUpdate) -> Iterator[Violation]:
    if request.kind == "other":
        yield Violation("refs", "refs.namespace", f"{request.ref} is outside refs/heads/ and refs/tags/",
                        "push branches and tags only")
    elif request.kind == "enforcer":
        yield Violation("refs", "refs.namespace", f"{request.ref}: claims and approvals are not accepted by push yet",
                        "leave refs/enforcer/ alone for now")
