"""pre-push: judge every ref of the push as the server will, before anything is sent.

Git gives one line per ref: ``<local ref> <local sha> <remote ref> <remote sha>``
(deletions, explicit refspecs such as HEAD:main, new branches, force pushes
and tags alike). "New commits" are those the remote's branches, as this
clone last saw them (refs/remotes/<remote>/), do not have. Under the
pre-commit framework, which keeps stdin and passes only the first ref in
PRE_COMMIT_* variables, that one ref is judged. A named remote of which
this clone knows no branch is taken to be empty: the push is its bootstrap,
which the server takes from policy.owners only.
"""
from __future__ import annotations

import os
import time

from enforcer import report
from enforcer.actor import CLONE_SOURCES
from enforcer.client import actor_of, clone_policy, say, user_config
from enforcer.engine import decide
from enforcer.git import LISTING, Repo, listing_rows
from enforcer.model import CLAIM_REFS, ZERO

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Sequence

Line = tuple[str, str, str, str]  # local ref, local sha, remote ref, remote sha


def parse_lines(stdin: bytes) -> list[Line]:
    lines = []
    for raw in stdin.decode("utf-8", "replace").splitlines():
        parts = raw.split(" ")
        if len(parts) == 4:
            lines.append((parts[0], parts[1], parts[2], parts[3]))
    return lines


def framework_line(repo: Repo, remote_tips: dict[str, str]) -> list[Line]:
    """The one ref the pre-commit framework tells its hooks about."""
    local, remote_ref = os.environ.get("PRE_COMMIT_LOCAL_BRANCH"), os.environ.get("PRE_COMMIT_REMOTE_BRANCH")
    if not local or not remote_ref:
        return []
    new = os.environ.get("PRE_COMMIT_TO_REF") or repo.resolve(local) or ZERO
    old = remote_tips.get(remote_ref.removeprefix("refs/heads/"), ZERO) if remote_ref.startswith("refs/heads/") \
        else ZERO
    return [(local, new, remote_ref, old)]


def main(argv: Sequence[str], stdin: bytes) -> int:
    policy = clone_policy()
    if policy is None:
        return 0
    if not argv:  # under the pre-commit framework
        argv = [os.environ.get("PRE_COMMIT_REMOTE_NAME", "origin"), os.environ.get("PRE_COMMIT_REMOTE_URL", "")]
    remote = argv[0]
    named = len(argv) > 1 and argv[0] != argv[1]  # git passes the URL twice for `git push URL`
    prefix = f"refs/remotes/{remote}/"
    repo = Repo()
    user, listing = repo.run_together(user_config(), (*LISTING, CLAIM_REFS, prefix))  # claims, remote branches
    remote_tips: dict[str, str] = {}
    claims = []
    for sha, name in listing_rows(listing):
        if name.startswith(CLAIM_REFS):
            claims.append((sha, name))
        elif name != f"{prefix}HEAD":
            remote_tips[name[len(prefix):]] = sha
    lines = parse_lines(stdin) or framework_line(repo, remote_tips)
    here = repo.existing({old for _, _, _, old in lines} - set(remote_tips.values())) | set(remote_tips.values())
    pushed = {ref[len("refs/heads/"):]: new for _, new, ref, _ in lines
              if ref.startswith("refs/heads/") and new != ZERO}
    tips = {**remote_tips, **pushed}  # the server's branches as they will be after the push
    actor, now = actor_of(policy, user), time.time()
    known_claims = repo.claims(claims)
    results = []
    for _, new, ref, old in lines:
        if old != ZERO and old not in here:
            say(f"enforcer: {ref} on {remote} is at {old[:10]}, which this clone has not fetched: the server "
                f"will judge this push (git fetch {remote} to have it judged here first)")
            continue
        exclude = sorted(set(remote_tips.values()) | ({old} - {ZERO}))
        request = repo.ref_update(policy, actor, ref, old, new, exclude=exclude, branch_tips=lambda: tips,
                                  actor_vars=CLONE_SOURCES, now=now, claims=known_claims,
                                  bootstrap=named and not remote_tips and old == ZERO and ref.startswith("refs/heads/"))
        results.append((f"push to {ref}", decide(policy, request)))
    refused = [(subject, d) for subject, d in results if not d.allowed or d.overridden]
    if refused:
        say(report.text(refused))
    return report.exit_code(results)
