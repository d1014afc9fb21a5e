"""`enforcer command LINE`: may an agent run this shell command line without asking? The work is in
enforcer.command_check (no click), which enforcer.main also runs without click for plain arguments."""
from __future__ import annotations

import click

from enforcer.command_check import judge
from enforcer.commands.common import FORMATS


@click.command("command")
@click.argument("line")
@click.option("--actor", help="Who runs it (default: ENFORCER_ACTOR, aliases[user.email], user.name).")
@click.option("--policy", "policy_file", help="Policy file (default: policy.yaml).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text")
def command(line: str, actor: str | None, policy_file: str | None, fmt: str) -> int:
    """Judge a shell command line by the policy's `commands` rules and by what it would do.

    Exit 0 allow, 3 ask (a person approves first), 1 deny, 2 bad input.

    \b
    Example:
      enforcer command "git push origin HEAD:main" --actor task_worker1
    """
    return judge(line, actor, policy_file, fmt)
