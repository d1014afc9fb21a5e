"""pre-receive: judge every ref of the push; refuse the whole push if one is refused."""
from __future__ import annotations

from typing import Sequence

from enforcer.server_hooks.receive import parse_updates, run


def main(argv: Sequence[str], stdin: bytes) -> int:
    return run("pre-receive", parse_updates(stdin))
