"""update: judge one ref (for servers that run per-ref hooks; a multi-ref push can land in part)."""
from __future__ import annotations

from enforcer.server_hooks.receive import parse_updates, run, say

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Sequence


def main(argv: Sequence[str], stdin: bytes) -> int:
    if len(argv) != 3:
        say("enforcer: the update hook takes: REF OLD NEW")
        return 1
    ref, old, new = argv
    return run("update", lambda: parse_updates(f"{old} {new} {ref}".encode()))
