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

_started: dict[tuple[str, str, str], Started] = {}


def _option(args: Sequence[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg[len(name) + 1:]
    return None


def start_check(args: Sequence[str]) -> None:
    """Start the walk of a push-form check: --base..--head, less what the remote's other
    branches hold (enforcer.check.push asks for exactly that)."""
    from enforcer.actor import ci_branch, ci_pull_request
    from enforcer.check import branch_tips, others

    if args[:1] != ["check"] or "--merge-into" in args or any(a.startswith("--merge-into=") for a in args) \
            or ci_pull_request():
        return
    base, head = _option(args, "--base"), _option(args, "--head") or "HEAD"
    if base is None:
        return
    repo = Repo()
    branch = _option(args, "--branch") or ci_branch() or repo.default_branch()
    base_sha, head_sha = repo.resolve(base), repo.resolve(head)
    if base_sha and head_sha and branch:
        exclude = [base_sha, *others(branch_tips(repo), branch)]
        _started[(base, head, branch)] = (base_sha, head_sha, repo.start_commits([head_sha], exclude))


def take(base: str, head: str, branch: str) -> Started | None:
    """The walk started for this --base/--head/--branch, if one was."""
    return _started.pop((base, head, branch), None)
