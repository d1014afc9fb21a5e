"""The command check as a command: read the line, gather its facts, ask the core, render.

An agent asks on every tool call, so enforcer.main runs ``fast`` before click loads when the
arguments are plain; anything else goes through click (enforcer.commands.command), to ``judge``.
"""
from __future__ import annotations

import time

from enforcer.commands.common import clone_actor, clone_claims, clone_policy
from enforcer.errors import EnforcerError

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from collections.abc import Sequence

OPTIONS = ("--actor", "--policy", "--format")


def fast(args: Sequence[str]) -> int | None:
    """`command LINE [--actor A] [--policy F] [--format text|json]` without click; None: let click
    parse what is not that (help, a typo, options it must explain)."""
    if len(args) < 2 or args[0] != "command" or args[1].startswith("-"):
        return None
    line, rest, given = args[1], list(args[2:]), {}
    while rest:
        name = rest.pop(0)
        if name not in OPTIONS or not rest or name in given:
            return None
        given[name] = rest.pop(0)
    if given.get("--format", "text") not in ("text", "json"):
        return None
    return judge(line, given.get("--actor"), given.get("--policy"), given.get("--format", "text"))


def judge(line: str, actor: str | None, policy_file: str | None, fmt: str) -> int:
    from enforcer import report
    from enforcer.actor import CLONE_SOURCES
    from enforcer.command_facts import command_line
    from enforcer.engine import decide

    if not line.strip():
        raise EnforcerError("the command line is empty: pass the line to judge, quoted")
    policy = clone_policy(policy_file)
    who = clone_actor(policy, actor)
    request = command_line(policy, who, line, ".", now=time.time(), claims=clone_claims(), actor_vars=CLONE_SOURCES)
    decision = decide(policy, request)
    if fmt == "json":
        import json

        from enforcer.serialize import violation

        print(json.dumps({"verdict": decision.verdict, "actor": who, "line": line,
                          "violations": [violation(v) for v in decision.violations]}, indent=2, ensure_ascii=False))
    else:
        print(report.text([("command", decision)]))
    return report.EXIT_CODES[decision.verdict]
