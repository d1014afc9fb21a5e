"""``enforcer hook NAME [--shim PATH] -- ARGS``: what the installed shims call.

Kept free of click and every heavy import: a hook runs on every commit and
push. The chained hook (``NAME.before-enforcer`` beside the shim) runs first with the
same arguments and stdin; if it refuses, so do we.
"""
from __future__ import annotations

import importlib
import os
import sys

from enforcer.errors import CLIENT_HOOK, INVALID, SERVER_HOOK, guarded

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
SERVER_HOOKS = {"pre-receive", "update"}
# what git stops when a client hook fails (it ignores post-checkout's exit code)
STOPS = {"pre-commit": "the commit", "commit-msg": "the commit", "pre-push": "the push"}


def say(text: str) -> None:
    """Lines for whoever pushed or committed; GitLab shows a hook's output to the pusher
    only on lines with its GL-HOOK-ERR: prefix."""
    gitlab = any(os.environ.get(v) for v in ("GL_ID", "GL_USERNAME", "GL_PROTOCOL"))
    for line in text.splitlines():
        print(f"GL-HOOK-ERR: {line}" if gitlab else line, file=sys.stderr)


def main(argv: Sequence[str]) -> int:
    """Run a hook; what it raises becomes a refusal that says why (enforcer.errors has the codes)."""
    args = list(argv)
    if not args or args[0] not in HOOKS:
        say(f"enforcer hook: name one of {', '.join(HOOKS)}")
        return INVALID
    name = args.pop(0)
    server = name in SERVER_HOOKS
    outcome = guarded(lambda: _run(name, args), SERVER_HOOK if server else CLIENT_HOOK)
    if outcome.error is None:
        return outcome.code
    if server:  # receive.run says and records its own; this is what escaped before it ran
        say(f"enforcer: push refused: {outcome.message}")
    elif outcome.bug:
        stops = f"; {STOPS[name]} is refused, as a failing hook must not let work through" if name in STOPS else ""
        say(f"enforcer: {outcome.message}{stops}. Set ENFORCER_DEBUG=1 for the traceback.")
    else:
        say(f"enforcer: error: {outcome.message}")
    return outcome.code


def _run(name: str, args: list[str]) -> int:
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
