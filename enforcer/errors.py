"""The errors users see, and the one map from an outcome to an exit code in every place.

| outcome | command (`enforcer ...`) | client hook | server hook | `agent-hook` (DESIGN.md) |
|---|---|---|---|---|
| allowed, clean, done | 0 | 0 | 0 | 0 |
| denied, violations, deploy failed | 1 | 1 | 1 | 0, JSON deny |
| bad input (`EnforcerError`, usage) | 2 | 2 | 1, refused | 0, JSON deny |
| ask | 3 | 3, refused | 3, refused | 0, JSON ask |
| internal error (a bug) | 4 | 4, refused | 4, refused | 0, JSON deny |

Git stops a commit or push on any non-zero exit of its hook (post-checkout's
is ignored), so in a hook a bug denies; it says so, and on the server the
refusal is recorded as ``server.refused`` with the same message. A server hook
gives 1 for input it cannot judge because, to the pusher, that is a refusal like
any other. `agent-hook` answers in JSON and always exits 0. README.md has this table for users.
"""
from __future__ import annotations

import os
import sys

from enforcer.tuples import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Callable

ALLOWED = 0
DENIED = 1
INVALID = 2  # usage error or invalid input
ASK = 3
INTERNAL = 4  # a bug
INTERRUPTED = 130  # the shell's code for Ctrl-C

# where an exception ends up: the places whose codes differ (the table above)
COMMAND = "command"
CLIENT_HOOK = "client hook"
SERVER_HOOK = "server hook"
# (EnforcerError, bug) -> exit code, per place
EXCEPTION_CODES: dict[str, tuple[int, int]] = {
    COMMAND: (INVALID, INTERNAL),
    CLIENT_HOOK: (INVALID, INTERNAL),  # git stops the commit or push on either
    SERVER_HOOK: (DENIED, INTERNAL),  # a push that cannot be judged is refused
}


class EnforcerError(Exception):
    """An error the user can act on: printed as one message, exit 2 (1 in a server hook), no traceback."""


class Problem(NamedTuple):
    """One thing wrong with a policy file, located and with its fix."""

    file: str
    line: int  # 1-based; 0 when unknown
    column: int  # 1-based; 0 when unknown
    path: str  # field path such as branches[2].push
    message: str
    fix: str = ""
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        field = f" {self.path}:" if self.path else ""
        text = f"{where}:{field} {self.message}"
        if self.warning:
            text = f"{where}: warning:{field} {self.message}"
        return f"{text}\n  fix: {self.fix}" if self.fix else text


class PolicyError(EnforcerError):
    """A policy file that cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Outcome(NamedTuple):
    """How a guarded body ended: its exit code, and what to tell the user when it raised."""

    code: int
    message: str = ""  # empty when the body returned
    error: BaseException | None = None  # what it raised, for places that treat kinds apart

    @property
    def bug(self) -> bool:
        return self.error is not None and not isinstance(self.error, EnforcerError)


def bug_message(error: BaseException) -> str:
    """One line for a bug, never a traceback (ENFORCER_DEBUG=1 prints it too)."""
    return f"internal error ({type(error).__name__}: {error}); this is a bug, please report it"


def guarded(body: Callable[[], int], place: str = COMMAND) -> Outcome:
    """Run ``body`` and turn what it raises into the exit code of ``place``: an
    EnforcerError is input the user can fix, anything else a bug. Ctrl-C and
    SystemExit pass through (they are not outcomes of the body's work)."""
    invalid, internal = EXCEPTION_CODES[place]
    try:
        return Outcome(body())
    except EnforcerError as e:
        return Outcome(invalid, str(e), e)
    except Exception as e:  # a bug: reported, and where something is enforced, a refusal
        if os.environ.get("ENFORCER_DEBUG"):
            import traceback

            traceback.print_exc(file=sys.stderr)
        return Outcome(internal, bug_message(e), e)
