"""The `enforcer` entry point: every command through the one error handler (enforcer.errors).

Exit codes: 0 allowed/clean, 1 denied/violations, 2 bad input, 3 ask,
4 internal error (a bug; enforcement points deny on it). The table per
place (commands, client hooks, server hooks, agent-hook) is in enforcer.errors.
"""
from __future__ import annotations

import sys

from enforcer.errors import COMMAND, INTERRUPTED, INVALID, guarded

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Callable, Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    helped = "-h" in args[1:2] or "--help" in args[1:2]  # a person asking: click answers, as for any command
    if args[:1] == ["hook"] and not helped:  # the hot path: no click; a hook says its own errors as git's hooks should
        from enforcer.hookrun import main as hook_main

        return _interruptible(lambda: hook_main(args[1:]))
    if args[:1] == ["agent-hook"] and not helped:  # on every tool call of an agent: no click; always exit 0 with an answer
        from enforcer.agent_hook import main as agent_main

        return _interruptible(lambda: agent_main(args[1:], sys.stdin.buffer.read()))
    return _interruptible(lambda: _command(args))


def _interruptible(body: Callable[[], int]) -> int:
    try:
        return body()
    except KeyboardInterrupt:
        return INTERRUPTED


def _command(args: list[str]) -> int:
    outcome = guarded(lambda: _run(args), COMMAND)
    if outcome.bug:
        print(f"enforcer: {outcome.message}. Set ENFORCER_DEBUG=1 for the traceback.", file=sys.stderr)
    elif outcome.error is not None:
        from enforcer.hookrun import say  # GitLab shows a hook's lines only with its prefix

        say(f"enforcer: error: {outcome.message}")
    return outcome.code


def _run(args: list[str]) -> int:
    if args[:1] == ["command"]:  # an agent asks on every tool call: plain arguments skip click
        from enforcer.command_check import fast

        code = fast(args)
        if code is not None:
            return code
    if args[:1] == ["check"]:
        from enforcer.prefetch import start_check

        start_check(args)  # git starts on the commits while click loads
    import click

    from enforcer.cli import cli

    try:
        result = cli.main(args=args, prog_name="enforcer", standalone_mode=False)
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.ClickException as e:  # a usage error: click says what was wrong
        e.show()
        return INVALID
    except click.exceptions.Abort:
        return INTERRUPTED
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
