"""Which rule decides for an actor, and why: each rule considered, in order (gitolite's `access -s`)."""
from __future__ import annotations

from enforcer.policy import Policy
from enforcer.regex import compile_glob, compile_regex

Explanation = tuple[bool, list[str]]  # (allowed, lines)


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else "nobody"


def _may(policy: Policy, names: tuple[str, ...], actor: str) -> str:
    return "yes" if policy.allows(names, actor) else f"no (only {_names(names)})"


def actor(policy: Policy, who: str) -> Explanation:
    """An actor in no group: the server refuses whatever it pushes, whichever rule decides
    (the same check, `actors.unknown`, as decide's)."""
    from enforcer.model import RefUpdate
    from enforcer.policies import actors

    lines = []
    for v in actors.check(policy, RefUpdate(actor=who, ref="")):
        lines += [f"actor {who!r}: DENIED by {v.rule} {v.check}: {v.reason}; the server refuses its pushes, "
                  "whatever the rules below say", f"  fix: {v.fix}"]
    return not lines, lines


def branch(policy: Policy, actor: str, name: str) -> Explanation:
    lines = [f"branch {name!r}, actor {actor!r}:"]
    for rule in policy.branches:
        if not compile_glob(rule.match).fullmatch(name):
            lines.append(f"  {rule.id} match {rule.match!r}: does not match")
            continue
        lines.append(f"  {rule.id} match {rule.match!r}: MATCHES, this rule decides"
                     + (f" ({rule.purpose})" if rule.purpose else ""))
        may_push = policy.allows(rule.push, actor)
        lines.append(f"    push: {_may(policy, rule.push, actor)}")
        name_ok = rule.name is None or compile_regex(rule.name).fullmatch(name) is not None
        if rule.name is not None:
            lines.append(f"    name {rule.name}: {'matches' if name_ok else 'DOES NOT MATCH'}")
        if rule.direct_commits:
            lines.append("    direct commits: allowed")
        else:
            sources = ", ".join(rule.merge_from) if rule.merge_from is not None else "any branch"
            lines.append(f"    direct commits: no; only merges from {sources}")
        lines.append(f"    force push: {'allowed' if rule.force_push else 'no'}; "
                     f"delete: {'allowed' if rule.delete else 'no'}")
        if rule.evaluate:
            lines.append("    enforcement: evaluate (recorded, never blocks)")
        return may_push and name_ok, lines
    if not policy.has_branch_rules:
        return True, lines + ["  no `branches` section: branches are not restricted"]
    return False, lines + ["  DENIED by fallthru: no rule matches"]


def tag(policy: Policy, actor: str, name: str) -> Explanation:
    lines = [f"tag {name!r}, actor {actor!r}:"]
    for rule in policy.tags:
        if not compile_glob(rule.match).fullmatch(name):
            lines.append(f"  {rule.id} match {rule.match!r}: does not match")
            continue
        lines.append(f"  {rule.id} match {rule.match!r}: MATCHES, this rule decides"
                     + (f" ({rule.purpose})" if rule.purpose else ""))
        lines.append(f"    create: {_may(policy, rule.create, actor)}")
        name_ok = rule.name is None or compile_regex(rule.name).fullmatch(name) is not None
        if rule.name is not None:
            lines.append(f"    name {rule.name}: {'matches' if name_ok else 'DOES NOT MATCH'}")
        lines.append(f"    annotated only: {'yes' if rule.annotated else 'no'}; move: "
                     f"{'allowed' if rule.move else 'no'}; delete: {'allowed' if rule.delete else 'no'}")
        return policy.allows(rule.create, actor) and name_ok, lines
    if not policy.has_tag_rules:
        return True, lines + ["  no `tags` section: tags are not restricted"]
    return False, lines + ["  DENIED by fallthru: no rule matches"]


def path(policy: Policy, actor: str, name: str) -> Explanation:
    lines = [f"path {name!r}, actor {actor!r}:"]
    entry = policy.owner_of(name)
    for e in policy.ownership:
        if e is entry:
            lines.append(f"  {e.id} {e.path!r}: matches last, this entry decides")
    if entry is None:
        return True, lines + ["  no entry matches: unowned, anyone allowed on the branch may change it"]
    owners = f"primary {entry.primary}" + (f", backup {entry.backup}" if entry.backup else "")
    allowed = actor in policy.members(entry.owners)
    lines.append(f"    {owners}: {'may change it' if allowed else 'DENIED: not an owner'}")
    return allowed, lines


def environment(policy: Policy, actor: str, name: str) -> Explanation:
    env = policy.environments.get(name)
    if env is None:
        return False, [f"environment {name!r}: not defined (known: {', '.join(policy.environments) or 'none'})"]
    lines = [f"environment {name!r}, actor {actor!r}: port {env.port}, data {env.data}"]
    lines.append(f"  tags: {env.tags or 'any'}" + ("; deploys on tag push" if env.on_tag_push else ""))
    if env.after:
        lines.append(f"  after: a tag must first deploy successfully to {env.after}")
    if env.approve:
        lines.append(f"  approve: {_names(env.approve)}; {actor} "
                     f"{'may' if policy.allows(env.approve, actor) else 'may not'} approve")
    if env.branch:
        lines.append(f"  branch: the runner moves {env.branch!r} to the deployed commit")
    if env.exclusive:
        lines.append("  exclusive: one actor at a time (claimed like a directory)")
    from enforcer.policies.environments import may_deploy

    allowed = may_deploy(policy, actor)
    lines.append(f"  run deploys: {'yes' if allowed else 'no'}")
    return allowed, lines
