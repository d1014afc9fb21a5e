"""`enforcer check` starts its walk over the commits before its command line is parsed.

That walk (git reading every commit's changed paths) is most of what check
does; parsing the command line needs click and the CLI, which take tens of
milliseconds to import. So ``main`` looks for ``--base``/``--head`` itself and
starts the walk at once, and the check command takes it when it asks for the
same range. Anything unusual (``-C``, a revision that does not resolve) starts
nothing: check then does it all the usual way, with its own errors.
"""
from __future__ import annotations

from enforcer.git import Repo

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Callable, Sequence

    from enforcer.model import Commit

    Started = tuple[str, str, Callable[[], list[Commit]]]  # base sha, head sha, the walk

_started: dict[tuple[str, str], Started] = {}


def _option(args: Sequence[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg[len(name) + 1:]
    return None


def start_check(args: Sequence[str]) -> None:
    if args[:1] != ["check"]:
        return
    base, head = _option(args, "--base"), _option(args, "--head") or "HEAD"
    if base is None:
        return
    repo = Repo()
    base_sha, head_sha = repo.resolve(base), repo.resolve(head)
    if base_sha and head_sha:
        _started[(base, head)] = (base_sha, head_sha, repo.start_commits([head_sha], [base_sha]))


def take(base: str, head: str) -> Started | None:
    """The walk started for this --base/--head, if one was."""
    return _started.pop((base, head), None)
