"""checks.before_merge: the commands a merge into a protected branch must pass (POLICY.md, *checks*).

`enforcer check` runs them on the merge a pull request would make, in a clean
checkout of it, and gives their exit statuses as facts; this module judges
them. Pushes the server judges carry no checks (``checks`` is None): the
server runs no code of the pushed commits.
"""
from __future__ import annotations

from enforcer.model import RefUpdate, Violation
from enforcer.policy import Policy

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Iterator

APPLIES_TO = (RefUpdate,)
BREAK_GLASS = False  # a failing test is not overridden by a push option


def check(policy: Policy, request: RefUpdate) -> Iterator[Violation]:
    if request.checks is None:
        return
    import shlex  # only a pull request's check comes here; shlex brings re

    ran = dict(request.checks)
    for argv in policy.check_commands("before_merge"):
        command = shlex.join(argv)
        if command not in ran:
            yield Violation("checks.before_merge", "checks.before_merge", f"check {command!r} did not run on "
                            f"the merge into {request.name}", "run every check before merging")
        elif ran[command] != 0:
            yield Violation("checks.before_merge", "checks.before_merge", f"check {command!r} failed (exit "
                            f"{ran[command]}) on the merge into {request.name}",
                            "fix the pull request so that the check passes on its merge")
