"""The `enforcer` entry point: one error handler for every command.

Exit codes: 0 allowed/clean, 1 denied/violations, 2 bad input, 3 ask,
4 internal error (a bug; enforcement points deny on it).
"""
from __future__ import annotations

import sys

from enforcer.errors import EnforcerError

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Sequence

INTERNAL_ERROR = 4


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == ["hook"]:  # the hot path: no click
            from enforcer.hookrun import main as hook_main

            return hook_main(args[1:])
        if args[:1] == ["check"]:
            from enforcer.prefetch import start_check

            start_check(args)  # git starts on the commits while click loads
        return _run(args)
    except EnforcerError as e:
        from enforcer.hookrun import say  # GitLab shows a hook's lines only with its prefix

        say(f"enforcer: error: {e}")
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug: say so in one line, never a traceback
        print(f"enforcer: internal error ({type(e).__name__}: {e}); this is a bug, please report it. "
              "Set ENFORCER_DEBUG=1 for the traceback.", file=sys.stderr)
        if _debug():
            raise
        return INTERNAL_ERROR


def _debug() -> bool:
    import os

    return bool(os.environ.get("ENFORCER_DEBUG"))


def _run(args: list[str]) -> int:
    import click

    from enforcer.cli import cli

    try:
        result = cli.main(args=args, prog_name="enforcer", standalone_mode=False)
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.ClickException as e:
        e.show()
        return 2
    except click.exceptions.Abort:
        return 130
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
