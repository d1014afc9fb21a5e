"""A repository's start: its first commit and first push come from `policy.owners` alone.

Server side (a ``Bootstrap`` request: no policy yet) the first push must create
the default branch alone, with a valid policy file that names the pusher among
its owners; it is judged against the pushed policy. Client side (the first
commit, or a push to a remote without branches) the working tree's policy says
who its owners are.
"""
from __future__ import annotations

from enforcer.model import POLICY_FILE, Bootstrap, RefUpdate, StagedChange, Violation
from enforcer.policies._hints import who
from enforcer.policy import Policy

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Iterator

APPLIES_TO = (Bootstrap, RefUpdate, StagedChange)
STOPS = True  # a refused bootstrap leaves nothing else to judge
BREAK_GLASS = False  # break-glass is granted by a policy; a bootstrap is where the policy comes from


def check(policy: Policy, request: Bootstrap | RefUpdate | StagedChange) -> Iterator[Violation]:
    if isinstance(request, Bootstrap):
        yield from _first_push(policy, request)
    elif request.bootstrap if isinstance(request, RefUpdate) else request.first_commit:
        branch = request.branch if isinstance(request, StagedChange) else (
            request.name if request.kind == "branch" else None)
        if branch is not None and policy.has_branch_rules:  # a policy that protects branches
            yield from _owners_only(policy, request)


def _owners_only(policy: Policy, request: RefUpdate | StagedChange) -> Iterator[Violation]:
    if not policy.allows(policy.owners, request.actor):
        yield Violation("policy", "policy.bootstrap",
                        f"the first commit of a repository and its first push are its bootstrap, which only "
                        f"policy.owners ({who(policy, policy.owners)}) may make",
                        "let a policy owner make the first commit and push it")


def _first_push(policy: Policy, request: Bootstrap) -> Iterator[Violation]:
    branch = request.target[len("refs/heads/"):]
    if list(request.refs) != [request.target] or request.new == "0" * len(request.new):
        yield Violation("bootstrap", "policy.bootstrap",
                        f"this repository has no {branch} yet: the first push must create {branch} alone",
                        f"git push origin HEAD:{branch} with a valid {POLICY_FILE} committed")
    elif not request.target_is_commit:
        yield Violation("bootstrap", "policy.bootstrap", f"{request.ref} would point to {request.new[:10]}, which "
                        "is not a commit", f"push the commit that holds {POLICY_FILE}: git push origin HEAD:{branch}")
    elif not request.policy_found:
        yield Violation("bootstrap", "policy.bootstrap", f"the first push must bring {POLICY_FILE}",
                        f"commit a {POLICY_FILE} (see `enforcer validate`, docs/policy.md)")
    elif request.problems:
        yield Violation("bootstrap", "policy.bootstrap", f"the pushed {POLICY_FILE} is invalid: {request.problems[0]}",
                        "run `enforcer validate` and fix it")
    elif not policy.allows(policy.owners, request.actor):
        yield Violation("bootstrap", "policy.bootstrap",
                        f"{request.actor or 'an unknown pusher'} is not in policy.owners of the pushed {POLICY_FILE} "
                        f"(actor read from {', '.join(request.actor_vars)})",
                        "the first push must come from a policy owner")
