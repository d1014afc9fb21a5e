"""``enforcer hook NAME [--shim PATH] -- ARGS``: what the installed shims call.

Kept free of click and every heavy import: a hook runs on every commit and
push. The chained hook (``NAME.before-enforcer`` beside the shim) runs first with the
same arguments and stdin; if it refuses, so do we.
"""
from __future__ import annotations

import importlib
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Sequence

HOOKS = {
    "pre-receive": "enforcer.server_hooks.pre_receive",
    "update": "enforcer.server_hooks.update",
    "pre-commit": "enforcer.hooks.pre_commit",
    "commit-msg": "enforcer.hooks.commit_msg",
    "pre-push": "enforcer.hooks.pre_push",
    "post-checkout": "enforcer.hooks.post_checkout",
}
# where a hook that was there before enforcer lives on (not ".legacy": the pre-commit
# framework keeps its own hook under that name and refuses to run from it)
CHAINED = ".before-enforcer"
# hooks that read stdin (the rest must not consume the terminal's)
READS_STDIN = {"pre-receive", "pre-push"}


def say(text: str) -> None:
    """Lines for whoever pushed or committed; GitLab shows a hook's output to the pusher
    only on lines with its GL-HOOK-ERR: prefix."""
    gitlab = any(os.environ.get(v) for v in ("GL_ID", "GL_USERNAME", "GL_PROTOCOL"))
    for line in text.splitlines():
        print(f"GL-HOOK-ERR: {line}" if gitlab else line, file=sys.stderr)


def main(argv: Sequence[str]) -> int:
    args = list(argv)
    if not args or args[0] not in HOOKS:
        say(f"enforcer hook: name one of {', '.join(HOOKS)}")
        return 2
    name = args.pop(0)
    shim = None
    if args[:1] == ["--shim"] and len(args) >= 2:
        shim = args[1]
        args = args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    stdin = sys.stdin.buffer.read() if name in READS_STDIN and not sys.stdin.isatty() else b""
    if shim:
        code = run_chained(shim + CHAINED, args, stdin)
        if code != 0:
            say(f"enforcer: the chained hook {os.path.basename(shim)}{CHAINED} refused (exit {code})")
            return code
    module = importlib.import_module(HOOKS[name])
    return int(module.main(args, stdin))


def run_chained(path: str, args: Sequence[str], stdin: bytes) -> int:
    if not os.path.isfile(path):
        return 0
    if not os.access(path, os.X_OK):
        return 0  # git itself ignores a hook that is not executable
    from enforcer.proc import Child

    child = Child([path, *args], stdin=True, capture=False)  # its output goes where ours goes
    child.communicate(stdin)
    return child.wait()
