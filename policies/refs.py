"""Ref namespaces and what a ref may point to.

Branches, tags, claims (refs/enforcer/claims/, refs/enforcer/env-claims/) and
approvals (refs/enforcer/approvals/<env>/<tag>) are judged by their rules
(policies/claims.py, policies/approvals.py); anything else is refused (the
server fails closed), every other refs/enforcer/ namespace included.
"""
from __future__ import annotations

from enforcer.model import APPROVAL_REFS, CLAIM_NAMESPACES, RefUpdate, Violation
from enforcer.policy import Policy

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Iterator

APPLIES_TO = (RefUpdate,)
STOPS = True  # the other rules judge branches and tags of commits
BREAK_GLASS = False


def check(policy: Policy, request: RefUpdate) -> Iterator[Violation]:
    if request.kind == "other":
        yield Violation("refs", "refs.namespace", f"{request.ref} is outside refs/heads/ and refs/tags/",
                        "push branches and tags only")
    elif request.kind == "enforcer" and not request.ref.startswith((*CLAIM_NAMESPACES, APPROVAL_REFS)):
        yield Violation("refs", "refs.namespace",
                        f"{request.ref}: of refs/enforcer/ only claims (refs/enforcer/claims/<dir>, "
                        "refs/enforcer/env-claims/<environment>) and approvals (refs/enforcer/approvals/<env>/<tag>) "
                        "are accepted", "enforcer claim DIR, or enforcer approve ENV TAG")
    elif request.kind == "branch" and not request.deleted and not request.target_is_commit:
        yield Violation("refs", "refs.object", f"{request.ref} would point to {request.new[:10]}, which is not a "
                        "commit (a branch points to a commit itself, not to a tag of one)",
                        f"push the commit: git push origin <commit>:{request.ref}")
    elif request.kind == "tag" and not request.deleted and not request.target_is_commit:
        yield Violation("refs", "refs.object", f"{request.ref} would point to {request.new[:10]}, which is not a "
                        "commit nor a tag of one", f"push a commit: git push origin <commit>:{request.ref}")
