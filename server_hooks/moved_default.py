"""Update mode: where the default branch stood before this push.

git runs the update hook once per ref and moves each ref as soon as its hook
allows it, so a ref after the default branch in the same push would be judged
by the policy that very push had just landed. The default branch's own hook
notes where the branch stood; the later hooks of the same push read that.
"The same push" is the git receive-pack process above the hooks, known by its
pid and start time (/proc); where it cannot be found (no /proc, or a hosting
server that runs hooks from a process of its own), nothing is noted, and a
later ref sees the moved branch (docs/server.md).
"""
from __future__ import annotations

import os

from enforcer.errors import EnforcerError
from enforcer.git import Repo
from enforcer.model import Decision
from enforcer.server_hooks import read_bytes

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Sequence

NOTE = "update-moved-default"  # in $GIT_DIR/enforcer/: "<receive-pack> <old> <new>"


def receive_pack() -> str | None:
    """The receive-pack process above this hook, as "pid:start time"; None where not found."""
    pid = os.getppid()
    try:
        for _ in range(8):  # the hook's parent, or a hosting server's dispatcher or shell between
            stat = read_bytes(f"/proc/{pid}/stat")
            if stat is None or b")" not in stat:
                return None
            fields = stat[stat.rindex(b")") + 2:].split()  # after "pid (comm) ": state, ppid, ...
            argv = (read_bytes(f"/proc/{pid}/cmdline") or b"").split(b"\0")
            if any(arg.endswith(b"receive-pack") for arg in argv[:2]):  # git-receive-pack, git receive-pack
                return f"{pid}:{fields[19].decode()}"
            pid = int(fields[1])
            if pid <= 1:
                return None
    except OSError:  # another user's process, hidden: as good as none found
        return None
    return None


def _path(repo: Repo) -> str:
    return os.path.join(repo.git_dir(), "enforcer", NOTE)


def before_this_push(repo: Repo, branch: str | None) -> str | None:
    """Where ``branch`` (the default branch) stood before this push, if an earlier ref of
    this same push has moved it; else None."""
    me = receive_pack()
    noted = read_bytes(_path(repo))
    if me is None or noted is None or not branch:
        return None
    fields = noted.decode("ascii", "replace").split()
    if len(fields) != 3 or fields[0] != me:
        return None  # another push's note, or a damaged one
    _, old, new = fields
    return old if repo.resolve(f"refs/heads/{branch}") == new else None


def note_move(repo: Repo, branch: str | None, updates: Sequence[tuple[str, str, str]],
              decisions: Sequence[Decision]) -> None:
    """Before git moves the default branch: note where it stood, for this push's later refs.
    A note that cannot be written refuses the move (later refs would go by its policy)."""
    me = receive_pack()
    if me is None or not branch:
        return
    for (old, new, ref), decision in zip(updates, decisions):
        if ref == f"refs/heads/{branch}" and decision.allowed:
            path = _path(repo)
            tmp = f"{path}.{os.getpid()}.tmp"
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(tmp, "w") as f:
                    f.write(f"{me} {old} {new}\n")
                os.replace(tmp, path)
            except OSError as e:
                raise EnforcerError(f"cannot note where {branch} stood before this push ({e}), so later refs "
                                    f"of the push could not be judged by the policy from before it") from None
