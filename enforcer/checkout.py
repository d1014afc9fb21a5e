"""A clean checkout of a commit into a directory: the tree's files only, no .git, no hook run,
removed afterwards (the deploy runner's checks and command, `enforcer check`'s before_merge)."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess

from enforcer.errors import EnforcerError
from enforcer.git import Repo, git_env

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from collections.abc import Iterator


@contextlib.contextmanager
def clean_checkout(repo: Repo, commit: str, path: str) -> Iterator[str]:
    """``commit``'s files written into ``path`` (made anew), through a scratch index beside it; the
    code checked out finds no repository there to write into."""
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    index = path + ".index"
    try:
        repo.run("read-tree", f"--index-output={index}", commit)
        written = subprocess.run(repo.argv(("--work-tree", path, "checkout-index", "--all", "--force")),
                                 env=git_env(GIT_INDEX_FILE=index), capture_output=True)
        if written.returncode != 0:
            raise EnforcerError(f"cannot check {commit[:10]} out into {path}: "
                                f"{written.stderr.decode('utf-8', 'replace').strip()}")
        yield path
    finally:
        remove(path)


def remove(path: str) -> None:
    """A checkout and its scratch index, whatever is left of them."""
    shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path + ".index")
