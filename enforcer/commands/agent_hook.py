"""`enforcer agent-hook claude`: listed for --help; enforcer.main answers it before click loads."""
from __future__ import annotations

import sys

import click


@click.command("agent-hook", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("agent")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def agent_hook(agent: str, args: tuple[str, ...]) -> int:
    """Claude Code's PreToolUse hook (AGENT: claude): the tool call as JSON on stdin, the answer
    (allow, ask or deny, with the reason) as JSON on stdout; always exit 0 (docs/agents.md).

    \b
    Example (.claude/settings.json):
      {"hooks": {"PreToolUse": [{"matcher": "Bash|Edit|Write|MultiEdit|NotebookEdit",
        "hooks": [{"type": "command", "command": "enforcer agent-hook claude"}]}]}}

    \b
    Example, by hand (a tool call as Claude Code sends it):
      echo '{"tool_name": "Bash", "tool_input": {"command": "rm -rf build"}}' | enforcer agent-hook claude
    """
    from enforcer.agent_hook import main

    return main([agent, *args], sys.stdin.buffer.read())
