"""Deploy gates: which tags an environment takes, what must come first, who approves."""
from __future__ import annotations

from enforcer.model import Deploy, Violation
from enforcer.policies._hints import q, who
from enforcer.policy import Policy
from enforcer.regex import compile_regex

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Iterator

APPLIES_TO = (Deploy,)
BREAK_GLASS = True  # the rules break-glass exists for


def may_deploy(policy: Policy, actor: str | None) -> bool:
    """deploy.actor, every environment approver and every tag creator may run deploys."""
    names = [policy.deploy.get("actor", "")]
    names += [n for env in policy.environments.values() for n in env.approve]
    names += [n for rule in policy.tags for n in rule.create]
    return policy.allows([n for n in names if n], actor)


def check(policy: Policy, request: Deploy) -> Iterator[Violation]:
    env = policy.environments.get(request.env)
    rule = f"environments.{request.env}"
    if env is None:
        known = ", ".join(policy.environments) or "none"
        yield Violation("environments", "environments.unknown", f"no environment {request.env!r}",
                        f"deploy to one of: {known}")
        return
    if not may_deploy(policy, request.actor):
        yield Violation(rule, "environments.actor", f"{request.actor} may not run deploys",
                        "ask a release manager or the deploy actor")
    if env.tags is not None and not compile_regex(env.tags).search(request.tag):
        yield Violation(rule, "environments.tags", f"{request.env} does not take tag {request.tag!r}",
                        f"deploy a tag that matches {env.tags}")
    if request.rollback:
        return  # the version rolled back to passed `after` and approval already
    if env.after and env.after not in request.deployed_ok:
        yield Violation(rule, "environments.after",
                        f"{request.tag} has not deployed successfully to {env.after} yet",
                        f"enforcer deploy {q(env.after)} {q(request.tag)} first")
    if env.approve and not any(policy.allows(env.approve, a) for a in request.approved_by):
        yield Violation(rule, "environments.approve",
                        f"{request.tag} is not approved for {request.env}: {who(policy, env.approve)} must approve",
                        f"ask {who(policy, env.approve)}: enforcer approve {q(request.env)} {q(request.tag)}")
