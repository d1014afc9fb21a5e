"""reference-transaction (git >= 2.28): the last word on a claim ref, with git's ref locks held.

pre-receive judges every push before any ref moves, so two pushes racing with
nested claims (``a/`` and ``a/b/``) can both pass it. git then moves each ref in a
transaction: it locks every ref first (``<ref>.lock`` beside the ref), runs this
hook in the ``prepared`` state, and aborts the transaction when it exits non-zero.
Here a claim ref about to be written is refused while a claim ref around it or
inside it exists, or is locked by another transaction: two claims never nest,
whoever judged them, and the same ref is git's own compare-and-swap.

Two transactions that see each other's locks must not both give up: the one
whose ref sorts first waits (up to WAIT seconds) for the other to end, and the
other gives up at once, so exactly one of them lands. Anything unexpected
refuses (exit 1, a bug 4): fail closed. The installed shim (enforcer/install.py)
starts Python only for a transaction that writes a claim ref.
"""
from __future__ import annotations

import os
import sys
import time

from enforcer.errors import SERVER_HOOK, guarded
from enforcer.git import Repo
from enforcer.hookrun import say
from enforcer.model import CLAIM_REFS

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from collections.abc import Sequence

WAIT = 5.0  # seconds a transaction waits for a neighbour's lock to go
LOCK = ".lock"


def written_claims(stdin: bytes) -> tuple[set[str], list[str]]:
    """(every ref this transaction moves, the claim refs it writes); lines are "<old> <new> <ref>"."""
    moved: set[str] = set()
    written: list[str] = []
    for line in stdin.decode("utf-8", "replace").splitlines():
        fields = line.split(" ", 2)
        if len(fields) != 3:
            continue
        moved.add(fields[2])
        if fields[2].startswith(CLAIM_REFS) and fields[1].strip("0"):  # all zeros: a deletion
            written.append(fields[2])
    return moved, written


def overlap(a: str, b: str) -> bool:
    """Does one claim ref lie inside the other (never the same ref)?"""
    return a != b and (a.startswith(b + "/") or b.startswith(a + "/"))


def locked_claims(git_dir: str) -> set[str]:
    """Claim refs whose lock file exists: some transaction is moving them right now."""
    top = os.path.join(git_dir, *CLAIM_REFS.rstrip("/").split("/"))
    found = set()
    for folder, _, files in os.walk(top):
        for name in files:
            if name.endswith(LOCK):
                relative = os.path.relpath(os.path.join(folder, name[:-len(LOCK)]), git_dir)
                found.add(relative.replace(os.sep, "/"))
    return found


def conflict(repo: Repo, git_dir: str, ref: str, moved: set[str]) -> str | None:
    """Why ``ref`` may not be written now, or None. Waits while a later-sorting neighbour is locked."""
    deadline = time.monotonic() + WAIT
    while True:
        existing = [r for r in repo.claim_refs(CLAIM_REFS) if r not in moved and overlap(r, ref)]
        if existing:
            return f"{existing[0]} exists, and a claim cannot lie inside another"
        busy = sorted(r for r in locked_claims(git_dir) if r not in moved and overlap(r, ref))
        if not busy:
            return None
        if busy[0] < ref:  # the other one waits for this one: give way at once
            return f"{busy[0]} is being written by another push at this moment"
        if time.monotonic() > deadline:
            return f"{busy[0]} has been locked for {WAIT:.0f} s (a push in progress, or a stale lock file)"
        time.sleep(0.01)


def judge(state: str, stdin: bytes) -> int:
    if state != "prepared":
        return 0
    moved, written = written_claims(stdin)
    if not written:
        return 0
    repo = Repo()
    git_dir = repo.git_dir()
    refused = 0
    for ref in written:
        reason = conflict(repo, git_dir, ref, moved)
        if reason is not None:
            say(f"enforcer: {ref} refused: {reason}; see `enforcer claims`")
            refused = 1
    return refused


def main(argv: Sequence[str] | None = None, stdin: bytes | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    data = sys.stdin.buffer.read() if stdin is None else stdin
    outcome = guarded(lambda: judge(args[0] if args else "", data), SERVER_HOOK)
    if outcome.error is not None:
        say(f"enforcer: claim refused: {outcome.message}")
    return outcome.code
