"""Approvals: an environment's `approve` actors approving a tag for it, authenticated as a push.

An approval is a ref, refs/enforcer/approvals/<env>/<tag>, pointing to a blob
(enforcer.model.approval_text) that names the environment, the tag, the
approver and the object the tag pointed to when it was approved; `enforcer
approve` writes it (in a clone by a push, in the bare repository directly).
It is accepted only from one of the environment's approvers, in their own
name, for a tag that exists here, that the environment takes, and as it
points now: a moved or re-created tag needs a new approval (the runner
compares the object again, policies/environments.py). Deleting the ref
revokes the approval: the environment's approvers or `policy.owners` may.
"""
from __future__ import annotations

from enforcer.model import APPROVAL_REFS, RefUpdate, Violation, approval_target
from enforcer.policies._hints import q, who
from enforcer.policy import Policy
from enforcer.regex import compile_regex

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Iterator

APPLIES_TO = (RefUpdate,)
BREAK_GLASS = False  # who approved what is the point of an approval: no override makes one


def check(policy: Policy, request: RefUpdate) -> Iterator[Violation]:
    if not request.ref.startswith(APPROVAL_REFS):
        return
    target = approval_target(request.ref)
    if target is None:
        yield Violation("approvals", "approvals.format", f"{request.ref} names no environment and tag",
                        "approve with enforcer approve ENV TAG (refs/enforcer/approvals/<env>/<tag>)")
        return
    env_name, tag = target
    env = policy.environments.get(env_name)
    approvers = env.approve if env is not None else ()
    if request.deleted:
        if not (policy.allows(approvers, request.actor) or policy.allows(policy.owners, request.actor)):
            yield Violation(f"environments.{env_name}", "approvals.revoke",
                            f"{request.actor} may not revoke the approval of {tag} for {env_name}: only its "
                            f"approvers ({who(policy, approvers)}) or policy.owners "
                            f"({who(policy, policy.owners)}) may", f"ask {who(policy, approvers or policy.owners)}")
        return
    approval = request.approval
    if approval is None:
        yield Violation("approvals", "approvals.format", f"{request.ref} must point to a blob stating an approval "
                        "(env, tag, approver, object and time lines), not to a commit, tree or tag",
                        f"enforcer approve {q(env_name)} {q(tag)}")
        return
    if (approval.env, approval.tag) != (env_name, tag):
        yield Violation("approvals", "approvals.format", f"{request.ref} states an approval of {approval.tag} "
                        f"for {approval.env}, not of {tag} for {env_name}", f"enforcer approve {q(env_name)} {q(tag)}")
        return
    rule = f"environments.{env_name}"
    if approval.approver != request.actor:
        yield Violation(rule, "approvals.approver", f"{request.actor} cannot approve in the name of "
                        f"{approval.approver}", f"approve as yourself: enforcer approve {q(env_name)} {q(tag)}")
    if env is None or not env.approve:
        what = "no such environment" if env is None else "its deploys need no approval (it has no `approve`)"
        yield Violation(rule, "approvals.environment", f"{tag} cannot be approved for {env_name}: {what}",
                        f"approve for an environment with approvers: "
                        f"{', '.join(n for n, e in policy.environments.items() if e.approve) or 'none'}")
        return
    if not policy.allows(env.approve, request.actor):
        yield Violation(rule, "approvals.actor", f"{request.actor} may not approve tags for {env_name}: only "
                        f"{who(policy, env.approve)}", f"ask {who(policy, env.approve)}: "
                        f"enforcer approve {q(env_name)} {q(tag)}")
    if env.tags is not None and not compile_regex(env.tags).search(tag):
        yield Violation(rule, "approvals.tags", f"{env_name} does not take tag {tag!r}, so it cannot be "
                        f"approved for it", f"approve a tag that matches {env.tags}")
    if request.tag_object is None:
        yield Violation(rule, "approvals.tag", f"an approval for an unknown tag: there is no tag {tag!r} here",
                        f"push the tag first (git push origin tag {q(tag)}), then approve it")
    elif approval.tag_object != request.tag_object:
        yield Violation(rule, "approvals.object", f"the approval names {approval.tag_object[:10]}, but tag {tag} "
                        f"points to {request.tag_object[:10]} here (it moved, or the approver's copy differs)",
                        f"git fetch --force origin tag {q(tag)}, check what it points to, then approve again")
