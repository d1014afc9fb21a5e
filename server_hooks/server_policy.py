"""The policy a server judges by: the default branch's before the push, else the last one that
validated; and the bootstrap's, kept only once git has moved its ref (DESIGN.md, *Which
repository, which policy*)."""
from __future__ import annotations

import os

from enforcer.errors import EnforcerError, PolicyError
from enforcer.git import Repo, blob_id, is_object_id
from enforcer.model import POLICY_FILE, ZERO
from enforcer.policy import Policy, load_policy_bytes
from enforcer.server_hooks import read_bytes
from enforcer.tuples import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Iterable


class ServerPolicy(NamedTuple):
    """The policy a server judges by, why it is that one (empty: the default branch's), and the
    id of its file's blob (for the records)."""

    policy: Policy | None
    note: str = ""
    blob: str | None = None


def server_policy(repo: Repo, before: str | None = None, read_only: bool = False) -> ServerPolicy:
    """The policy at the default branch before the push, else the last one that validated.

    ``before``: where the default branch stood before this push, when the push
    has moved it already (update mode, see server_hooks/moved_default.py).
    ``read_only``: only look (``install``, the web view, ``decisions``: they may run as
    another user); else keep a policy that validates as the last good one, and cache it.
    No policy means there never was one and the default branch does not exist yet: only
    the bootstrap push is possible.
    """
    branch = repo.default_branch()
    tip = before or (repo.resolve(f"refs/heads/{branch}") if branch else None)
    tip = None if tip == ZERO else tip
    keep = not read_only
    cache = os.path.join(repo.git_dir(), "enforcer", "cache") if keep else ""
    kept = read_bytes(_last_good(repo))
    if kept is None:  # the bootstrap may have landed without post-receive keeping its policy
        kept = _landed_bootstrap(repo, keep)
    if tip is None:
        if kept is None:
            return ServerPolicy(None)
        # deleted, renamed, or HEAD names another branch: never a way to bootstrap a new policy
        problem = f"the default branch {branch or '(HEAD names none)'} does not exist"
    elif (raw := repo.read_file(tip, POLICY_FILE)) is not None:
        try:
            policy = load_policy_bytes(raw, f"{POLICY_FILE}@{branch}", cache)
            if keep:
                keep_last_good(repo, raw)
            return ServerPolicy(policy, "", blob_id(raw, tip))
        except PolicyError as e:
            problem = f"{POLICY_FILE} on {branch} is invalid ({e.problems[0].message})"
    else:
        problem = f"there is no {POLICY_FILE} on {branch}"
    if kept is not None:
        note = f"{problem}: judged by the last policy that validated"
        return ServerPolicy(load_policy_bytes(kept, "last good policy", cache), note, blob_id(kept, tip or repo.zero_id()))
    raise EnforcerError(f"{problem}, and no earlier policy validated, so every push is refused; "
                        f"fix: a server administrator restores a valid {POLICY_FILE} on {branch} (a repository "
                        "that never had one: see 'Adopting an existing repository' in enforcer's docs/server.md)")


LAST_GOOD = "last-good-policy.yaml"  # in $GIT_DIR/enforcer/
PENDING = "bootstrap-pending."  # + the commit: "<ref>\n" then the policy; see keep_bootstrap


def _last_good(repo: Repo) -> str:
    return os.path.join(repo.git_dir(), "enforcer", LAST_GOOD)


def keep_last_good(repo: Repo, raw: bytes) -> None:
    """Keep a policy that validated, to judge by if the default branch's ever breaks."""
    path = _last_good(repo)
    if read_bytes(path) != raw:
        _write(path, raw)


def _write(path: str, data: bytes) -> None:
    """All or nothing, through a file of this process's own (pushes run side by side), named
    so that the post-receive shim's cleanup of bootstrap-pending.* never takes it."""
    folder, name = os.path.split(path)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".tmp.{os.getpid()}.{name}")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def keep_bootstrap(repo: Repo, ref: str, new: str, raw: bytes) -> None:
    """Set the bootstrap's policy aside until git has really moved ``ref`` to ``new``.

    pre-receive and update run before git moves the ref, and git may still refuse it (another
    hook, a lock, an object it puts on no branch): kept now, a refused bootstrap would judge
    every later push and shut the real owner's out. So it waits in a file of its own, judges
    nothing, and leaves the bootstrap open; the post-receive shim, which git runs only for refs
    that moved, makes it the last good policy (enforcer/install.py), and so does the next
    push that finds the ref there (_landed_bootstrap).
    """
    try:
        _write(os.path.join(repo.git_dir(), "enforcer", PENDING + new), ref.encode() + b"\n" + raw)
    except OSError as e:
        raise EnforcerError(f"cannot set the bootstrap's {POLICY_FILE} aside ({e}), so it could never "
                            "become the policy") from None


def _landed_bootstrap(repo: Repo, keep: bool) -> bytes | None:
    """The policy of a bootstrap whose ref git did move to its commit, where post-receive has
    not kept it (no post-receive, or it failed); kept now when ``keep``. Else None."""
    folder = os.path.join(repo.git_dir(), "enforcer")
    try:
        names = [name for name in os.listdir(folder) if name.startswith(PENDING)]
    except FileNotFoundError:
        return None
    tips: dict[bytes, str | None] = {}  # refused bootstraps may be many; their ref is one
    for name in names:
        commit = name[len(PENDING):]
        ref, _, raw = (read_bytes(os.path.join(folder, name)) or b"").partition(b"\n")
        if not is_object_id(commit) or not ref.startswith(b"refs/heads/") or not raw:
            continue
        if ref not in tips:
            tips[ref] = repo.resolve(ref.decode("utf-8", "replace"))
        if tips[ref] == commit:
            if keep:
                keep_last_good(repo, raw)
                _drop_pending(folder, names)
            return raw
    return None


def _drop_pending(folder: str, names: Iterable[str]) -> None:
    """Once a bootstrap's policy is kept, the others set aside (refused by git) go."""
    for name in names:
        try:
            os.remove(os.path.join(folder, name))
        except FileNotFoundError:  # post-receive took it meanwhile
            pass
