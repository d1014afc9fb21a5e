"""Which rule decides for an actor, and why: a trace of ``decide`` (gitolite's `access -s`).

Each question is a request, built as the policy's own `tests:` build theirs
(enforcer.selftest), and judged by the core: explain shows what each rule
module found and gives the core's verdict, so it cannot say "allowed" where a
push would be refused. Around the trace it describes the policy entry that
matched, so a reader sees why that rule applies.
"""
from __future__ import annotations

from enforcer.engine import trace
from enforcer.model import Claim, StagedChange, within
from enforcer.policy import Policy
from enforcer.regex import compile_glob, compile_regex
from enforcer.selftest import readable, request_for

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from enforcer.model import Request, Verdict

Explanation = tuple["Verdict", list[str]]  # (the core's verdict, lines)
WORDS = {"allow": "allowed", "ask": "ASK: a person must approve", "deny": "DENIED"}


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else "nobody"


def _may(policy: Policy, names: tuple[str, ...], actor: str) -> str:
    return "yes" if policy.allows(names, actor) else f"no (only {_names(names)})"


def judged(policy: Policy, request: Request, what: str) -> Explanation:
    """The core's verdict on ``request`` and each rule module's part in it."""
    decision, steps = trace(policy, request)
    note = f" ({decision.note})" if decision.note else ""
    lines = [f"  decide: {what}: {WORDS[decision.verdict]}{note}"]
    for step in steps:
        if not step.violations:
            lines.append(f"    {step.rule}: passes")
        for v in step.violations:
            tag = " (evaluate only, not enforced)" if v.evaluate_only else ""
            lines.append(f"    {step.rule}: {v.check} ({v.rule}): {readable(v.reason)}{tag}")
            if v.fix:
                lines.append(f"      fix: {readable(v.fix)}")
        if step.stopped:
            lines.append("    (the rules after it are not asked)")
    return decision.verdict, lines


def actor(policy: Policy, who: str) -> Explanation:
    """An actor in no group: the core refuses whatever it asks, whichever rule would decide."""
    from enforcer.model import RefUpdate
    from enforcer.policies import actors

    lines = []
    for v in actors.check(policy, RefUpdate(actor=who, ref="")):
        lines += [f"actor {who!r}: DENIED by {v.rule} {v.check}: {v.reason}; the server refuses its pushes, "
                  "whatever the rules below say", f"  fix: {v.fix}"]
    return ("deny" if lines else "allow"), lines


def branch(policy: Policy, actor: str, name: str, now: float = 0.0) -> Explanation:
    """May ``actor`` push a commit of its own to branch ``name``?"""
    lines = [f"branch {name!r}, actor {actor!r}:"]
    for rule in policy.branches:
        if not compile_glob(rule.match).fullmatch(name):
            lines.append(f"  {rule.id} match {rule.match!r}: does not match")
            continue
        lines.append(f"  {rule.id} match {rule.match!r}: MATCHES, this rule decides"
                     + (f" ({rule.purpose})" if rule.purpose else ""))
        lines.append(f"    push: {_may(policy, rule.push, actor)}")
        if rule.name is not None:
            ok = compile_regex(rule.name).fullmatch(name) is not None
            lines.append(f"    name {rule.name}: {'matches' if ok else 'DOES NOT MATCH'}")
        if rule.direct_commits:
            lines.append("    direct commits: allowed")
        else:
            sources = ", ".join(rule.merge_from) if rule.merge_from is not None else "any branch"
            lines.append(f"    direct commits: no; only merges from {sources}")
        lines.append(f"    force push: {'allowed' if rule.force_push else 'no'}; "
                     f"delete: {'allowed' if rule.delete else 'no'}")
        if rule.evaluate:
            lines.append("    enforcement: evaluate (recorded, never blocks)")
        break
    else:
        lines.append("  no `branches` section: branches are not restricted" if not policy.has_branch_rules
                     else "  no rule matches (fallthru)")
    # a commit of no path: the branch's rules alone (a path's are `path`'s question)
    verdict, trace_lines = judged(policy, request_for({"actor": actor, "push": name, "paths": []})._replace(now=now),
                                  f"a commit of {actor}'s pushed to {name}")
    return verdict, lines + trace_lines


def tag(policy: Policy, actor: str, name: str, now: float = 0.0) -> Explanation:
    """May ``actor`` create the annotated tag ``name``?"""
    lines = [f"tag {name!r}, actor {actor!r}:"]
    for rule in policy.tags:
        if not compile_glob(rule.match).fullmatch(name):
            lines.append(f"  {rule.id} match {rule.match!r}: does not match")
            continue
        lines.append(f"  {rule.id} match {rule.match!r}: MATCHES, this rule decides"
                     + (f" ({rule.purpose})" if rule.purpose else ""))
        lines.append(f"    create: {_may(policy, rule.create, actor)}")
        if rule.name is not None:
            ok = compile_regex(rule.name).fullmatch(name) is not None
            lines.append(f"    name {rule.name}: {'matches' if ok else 'DOES NOT MATCH'}")
        lines.append(f"    annotated only: {'yes' if rule.annotated else 'no'}; move: "
                     f"{'allowed' if rule.move else 'no'}; delete: {'allowed' if rule.delete else 'no'}")
        break
    else:
        lines.append("  no `tags` section: tags are not restricted" if not policy.has_tag_rules
                     else "  no rule matches (fallthru)")
    verdict, trace_lines = judged(policy, request_for({"actor": actor, "tag": name})._replace(now=now),
                                  f"{actor} creates the annotated tag {name}")
    return verdict, lines + trace_lines


def path(policy: Policy, actor: str, name: str, claims: tuple[Claim, ...] = (), now: float = 0.0) -> Explanation:
    """May ``actor`` change ``name``, by ownership and by the live ``claims``?"""
    lines = [f"path {name!r}, actor {actor!r}:"]
    entry = policy.owner_of(name)
    if entry is None:
        lines.append("  no ownership entry matches: unowned, anyone allowed on the branch may change it")
    else:
        owners = f"primary {entry.primary}" + (f", backup {entry.backup}" if entry.backup else "")
        allowed = actor in policy.members(entry.owners)
        lines.append(f"  {entry.id} {entry.path!r}: matches last, this entry decides")
        lines.append(f"    {owners}: {'may change it' if allowed else 'DENIED: not an owner'}")
    for claim in claims:
        if claim.expires > now and within(name, claim.path):
            lines.append(f"  claim on {claim.path} by {claim.holder}")
    change = StagedChange(actor=actor, branch=None, paths=(name,), claims=claims, now=now)
    verdict, trace_lines = judged(policy, change, f"a change of {actor}'s to {name}")
    return verdict, lines + trace_lines


def environment(policy: Policy, actor: str, name: str) -> Explanation:
    """What an environment requires, and whether ``actor`` may run deploys (the rule module's own test)."""
    from enforcer.policies.environments import may_deploy

    env = policy.environments.get(name)
    if env is None:
        return "deny", [f"environment {name!r}: not defined (known: {', '.join(policy.environments) or 'none'})"]
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
    allowed = may_deploy(policy, actor)
    lines.append(f"  run deploys: {'yes' if allowed else 'no'}")
    return ("allow" if allowed else "deny"), lines
