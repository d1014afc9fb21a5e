"""update: judge one ref (for servers that run per-ref hooks; a multi-ref push can land in part)."""
from __future__ import annotations

from typing import Sequence

from enforcer.server_hooks.receive import run, say


def main(argv: Sequence[str], stdin: bytes) -> int:
    if len(argv) != 3:
        say("enforcer: the update hook takes: REF OLD NEW")
        return 1
    ref, old, new = argv
    return run("update", [(old, new, ref)])
