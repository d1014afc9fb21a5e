"""`enforcer command LINE`: may an agent run this shell command line without asking?"""
from __future__ import annotations

import time

import click

from enforcer.commands.common import FORMAT, clone_actor, clone_claims, clone_policy


@click.command("command")
@click.argument("line")
@click.option("--actor", help="Who runs it (default: ENFORCER_ACTOR, aliases[user.email], user.name).")
@click.option("--policy", "policy_file", help="Policy file (default: policy.yaml).")
@click.option("--format", "fmt", type=FORMAT, default="text")
def command(line: str, actor: str | None, policy_file: str | None, fmt: str) -> int:
    """Judge a shell command line by the policy's `commands` rules and by what it would do.

    Exit 0 allow, 3 ask (a person approves first), 1 deny, 2 bad input.

    \b
    Example:
      enforcer command "git push origin HEAD:main" --actor task_worker1
    """
    from enforcer import report
    from enforcer.actor import CLONE_SOURCES
    from enforcer.command_facts import command_line
    from enforcer.engine import decide

    if not line.strip():
        raise click.UsageError("the command line is empty: pass the line to judge, quoted")
    policy = clone_policy(policy_file)
    who = clone_actor(policy, actor)
    request = command_line(policy, who, line, ".", now=time.time(), claims=clone_claims(), actor_vars=CLONE_SOURCES)
    decision = decide(policy, request)
    if fmt == "json":
        import json

        from enforcer.serialize import violation

        click.echo(json.dumps({"verdict": decision.verdict, "actor": who, "line": line,
                               "violations": [violation(v) for v in decision.violations]}, indent=2,
                              ensure_ascii=False))
    else:
        click.echo(report.text([("command", decision)]))
    return report.EXIT_CODES[decision.verdict]
