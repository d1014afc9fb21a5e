"""Deploy gates: which tags an environment takes, what must come first, who approves, the checks;
and the runner's move of an environment's mirror branch.

Every gate is here, none in the runner (enforcer/runner.py), which only gathers
the facts: the records' successful deploys, the approval refs, the checks'
exit statuses, the claims.
"""
from __future__ import annotations

from enforcer.model import ENV_PREFIX, Deploy, EnvironmentMove, Violation
from enforcer.policies._hints import q, who
from enforcer.policies.branches import pushers
from enforcer.policy import Environment, Policy
from enforcer.regex import compile_regex

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Iterator

APPLIES_TO = (Deploy, EnvironmentMove)
BREAK_GLASS = False  # break-glass is a push option; a deploy has none


def may_deploy(policy: Policy, actor: str | None, env: Environment | None = None, tag: str | None = None) -> bool:
    """deploy.actor, the environment's approvers, and those who may create the tag (DESIGN.md);
    without an environment or a tag (explain): any environment's approvers, any tag's creators."""
    names = [policy.deploy.get("actor", "")]
    names += [n for e in ([env] if env is not None else policy.environments.values()) for n in e.approve]
    if tag is not None:
        rule = policy.tag_rule(tag)
        names += list(rule.create) if rule is not None else []
    else:
        names += [n for rule in policy.tags for n in rule.create]
    return policy.allows([n for n in names if n], actor)


def check(policy: Policy, request: Deploy | EnvironmentMove) -> Iterator[Violation]:
    env = policy.environments.get(request.env)
    if env is None:
        known = ", ".join(policy.environments) or "none"
        yield Violation("environments", "environments.unknown", f"no environment {request.env!r}",
                        f"deploy to one of: {known}")
        return
    if isinstance(request, EnvironmentMove):
        yield from _move(policy, request, env.branch)
        return
    rule = f"environments.{request.env}"
    if not may_deploy(policy, request.actor, env, request.tag):
        yield Violation(rule, "environments.actor", f"{request.actor} may not deploy {request.tag} to {request.env}: "
                        "only deploy.actor, its approvers and those who may create the tag may",
                        "ask a release manager or the deploy actor")
    if env.tags is not None and not compile_regex(env.tags).search(request.tag):
        yield Violation(rule, "environments.tags", f"{request.env} does not take tag {request.tag!r}",
                        f"deploy a tag that matches {env.tags}")
    held = [c for c in request.claims if c.path == ENV_PREFIX + request.env and c.expires > request.now
            and c.holder != request.actor]
    if env.exclusive and held:
        yield Violation(rule, "environments.claimed", f"{request.env} is claimed by {held[0].holder}",
                        f"wait until {held[0].holder} releases env:{request.env}, or ask them")
    strangers = sorted({h for h in request.port_held_by if h != request.env})
    if strangers:
        whose = {"": "a process that is no environment's deploy (it has no APP_ENV)",
                 "?": "a process enforcer cannot see (another user's)"}.get(strangers[0],
                                                                            f"environment {strangers[0]}'s service")
        yield Violation(rule, "environments.port", f"port {env.port} of {request.env} is held by {whose}: the "
                        "health check would answer for it", f"stop it, or give {request.env} a port of its own")
    if request.rollback:
        return  # the version rolled back to passed `after`, approval and the checks before
    if env.after and (env.after, request.tag, request.commit) not in request.deployed:
        yield Violation(rule, "environments.after",
                        f"{request.tag} has not deployed successfully to {env.after} yet",
                        f"enforcer deploy {q(env.after)} {q(request.tag)} first")
    if env.approve:
        yield from _approval(policy, request, env.approve, rule)
    if request.checks is None:
        return  # asked before the checks run: the runner asks again with their results
    import shlex  # here: hooks never judge a deploy, and shlex imports re

    ran = dict(request.checks)
    for argv in policy.check_commands("before_deploy"):
        if shlex.join(argv) not in ran:
            yield Violation("checks.before_deploy", "environments.checks", f"check {shlex.join(argv)!r} did not "
                            f"run on {request.tag}", "run every check before deploying")
    for command, status in request.checks:
        if status != 0:
            yield Violation("checks.before_deploy", "environments.checks",
                            f"check {command!r} failed (exit {status}) on {request.tag}",
                            "fix it on a new tag; the checks run in a clean checkout of the tag")


def _approval(policy: Policy, request: Deploy, approvers: tuple[str, ...], rule: str) -> Iterator[Violation]:
    """An approval holds when one of ``approvers`` gave it for the tag as it points now."""
    valid = [a for a in request.approvals if a.env == request.env and a.tag == request.tag
             and policy.allows(approvers, a.approver)]
    if any(a.tag_object == request.tag_object for a in valid):
        return
    if valid:
        yield Violation(rule, "environments.approve",
                        f"{request.tag} was approved for {request.env} by {valid[0].approver}, but the tag has "
                        f"moved since (it pointed to {valid[0].tag_object[:10]}, now {request.tag_object[:10]})",
                        f"approve it again: enforcer approve {q(request.env)} {q(request.tag)}")
        return
    others = sorted({a.approver for a in request.approvals if a.env == request.env and a.tag == request.tag})
    counted = f" ({', '.join(others)}: not among them, so it does not count)" if others else ""
    yield Violation(rule, "environments.approve",
                    f"{request.tag} is not approved for {request.env}: {who(policy, approvers)} must approve{counted}",
                    f"ask {who(policy, approvers)}: enforcer approve {q(request.env)} {q(request.tag)}")


def _move(policy: Policy, request: EnvironmentMove, branch: str | None) -> Iterator[Violation]:
    rule = f"environments.{request.env}"
    if branch != request.branch:
        yield Violation(rule, "environments.branch", f"{request.branch} is not {request.env}'s branch "
                        f"({branch or 'it has none'})", "move only the branch the environment names")
    elif request.actor not in pushers(policy, branch):
        yield Violation(rule, "environments.branch", f"{request.actor} may not move {branch}: only "
                        f"{', '.join(pushers(policy, branch)) or 'nobody'} may push it",
                        f"add {request.actor} (deploy.actor) to the `push` list of {branch}'s branch rule")
