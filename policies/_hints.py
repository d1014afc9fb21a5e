"""Shared wording for fixes: names to suggest and commands to copy."""
from __future__ import annotations

import time

from enforcer.policy import BranchRule, Policy
from enforcer.regex import compile_regex


def today(now: float) -> str:
    """MMDD of the request's time (the SOP's branch-name suffix)."""
    return time.strftime("%m%d", time.localtime(now or 0))


def example_name(rule: BranchRule, now: float) -> str | None:
    """A name this rule accepts, with <what> for the part the user chooses: feature/<what>-1124."""
    stem = rule.match.replace("**", "*").split("*", 1)[0]
    if "*" not in rule.match or not stem:
        return None
    if rule.name is None:
        return f"{stem}<what>"
    name = compile_regex(rule.name)
    for suffix in ("", f"-{today(now)}"):
        if name.fullmatch(f"{stem}work{suffix}"):
            return f"{stem}<what>{suffix}"
    return None


def work_branch(policy: Policy, actor: str | None, now: float) -> str | None:
    """A branch the actor may create and commit on directly."""
    for rule in policy.branches:
        if rule.direct_commits and policy.allows(rule.push, actor):
            name = example_name(rule, now)
            if name:
                return name
    return None


def switch_hint(policy: Policy, actor: str | None, now: float) -> str:
    branch = work_branch(policy, actor, now)
    return f"git switch -c {branch}" if branch else "work on a branch that a `branches` rule lets you push"


def who(policy: Policy, names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else "nobody"


def q(name: str) -> str:
    """Quote a (possibly hostile) name for a command the user will paste."""
    import shlex  # only refusals quote names; shlex brings re

    return shlex.quote(name)


def short(shas: list[str], limit: int = 5) -> str:
    shown = ", ".join(s[:10] for s in shas[:limit])
    return shown + (f" and {len(shas) - limit} more" if len(shas) > limit else "")
