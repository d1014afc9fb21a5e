"""Policy self-tests: turn a `tests:` entry into the request it describes."""
from __future__ import annotations

from typing import Any, Mapping

from enforcer.model import ZERO, Commit, RefUpdate

OLD, NEW, SIDE = "1" * 40, "2" * 40, "3" * 40
# a test's request has made-up commits: its messages name them by what they stand for
MEANINGS = ((NEW, "the test's commit"), (SIDE, "the test's merged commit"), (OLD, "the branch's tip before it"))


def readable(message: str) -> str:
    """``message`` with the placeholder commit ids (whole, or shortened as reasons show them) named."""
    for sha, meaning in MEANINGS:
        message = message.replace(sha, meaning).replace(sha[:10], meaning)
    return message


def request_for(test: Mapping[str, Any]) -> RefUpdate:
    """`{actor, push: B, [merge: SOURCE], [create], [force], [delete], [paths]}` or
    `{actor, tag: T, [annotated], [move], [delete]}` as a ref update."""
    actor = test["actor"]
    paths = tuple(test.get("paths", ("README.md",)))
    old = ZERO if test.get("create") else OLD
    if "tag" in test:
        moved = test.get("move") or test.get("delete")
        return RefUpdate(actor=actor, ref=f"refs/tags/{test['tag']}", old=OLD if moved else ZERO,
                         new=ZERO if test.get("delete") else NEW, annotated=test.get("annotated", True))
    ref = f"refs/heads/{test['push']}"
    if test.get("delete"):
        return RefUpdate(actor=actor, ref=ref, old=OLD, new=ZERO)
    commits: tuple[Commit, ...]
    if "merge" in test:
        commits = (Commit(NEW, (OLD, SIDE), ()), Commit(SIDE, (OLD,), paths))
        sources: tuple[tuple[str, str], ...] = ((SIDE, test["merge"]),)
    else:
        commits = (Commit(NEW, (OLD,), paths),)
        sources = ()
    return RefUpdate(actor=actor, ref=ref, old=old, new=NEW, commits=commits,
                     fast_forward=not test.get("force"), sources=sources)
