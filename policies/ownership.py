"""Directory ownership: a changed path may be changed only by its primary or backup owner.

The last entry that matches a path decides (CODEOWNERS order); unowned paths
are anyone's who may push the branch.
"""
from __future__ import annotations

from enforcer.model import FileEdit, RefUpdate, StagedChange, Violation
from enforcer.policy import OwnerEntry, Policy

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Iterable, Iterator

APPLIES_TO = (RefUpdate, StagedChange, FileEdit)
BREAK_GLASS = True  # the rules break-glass exists for


def changed_paths(request: RefUpdate | StagedChange | FileEdit) -> Iterable[str]:
    if isinstance(request, FileEdit):
        return (request.path,) if request.inside else ()
    if isinstance(request, StagedChange):
        return request.paths
    seen: set[str] = set()
    for commit in request.commits:
        seen.update(commit.paths)
    return seen


def check(policy: Policy, request: RefUpdate | StagedChange | FileEdit) -> Iterator[Violation]:
    if not policy.ownership or (isinstance(request, RefUpdate) and request.deleted):
        return
    actor = request.actor
    denied: dict[int, tuple[OwnerEntry, list[str]]] = {}
    owns: dict[int, bool] = {}  # entry -> whether the actor owns it; many paths share an entry
    for path in changed_paths(request):
        entry = policy.owner_of(path)
        if entry is None:
            continue
        if entry.position not in owns:
            owns[entry.position] = actor in policy.members(entry.owners)
        if not owns[entry.position]:
            denied.setdefault(entry.position, (entry, []))[1].append(path)
    for _, (entry, paths) in sorted(denied.items()):
        paths.sort()
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        backup = f" or {entry.backup} (backup)" if entry.backup else ""
        yield Violation(entry.id, "ownership.owner",
                        f"{actor} does not own {entry.path}: {shown}",
                        f"leave these paths to {entry.primary} (primary){backup}: take them out of your "
                        "change, or ask an owner to make it")
