"""pre-receive: judge every ref of the push; refuse the whole push if one is refused."""
from __future__ import annotations

from enforcer.server_hooks.receive import parse_updates, run

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Sequence


def main(argv: Sequence[str], stdin: bytes) -> int:
    return run("pre-receive", lambda: parse_updates(stdin))
