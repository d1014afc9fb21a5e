"""post-receive: record what landed."""
from __future__ import annotations

from typing import Sequence

from enforcer.server_hooks.receive import landed, parse_updates


def main(argv: Sequence[str], stdin: bytes) -> int:
    return landed(parse_updates(stdin))
