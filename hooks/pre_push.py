"""pre-push: judge every ref of the push as the server will, before anything is sent.

Git gives one line per ref: ``<local ref> <local sha> <remote ref> <remote sha>``
(deletions, explicit refspecs such as HEAD:main, new branches, force pushes
and tags alike). Under the pre-commit framework, which keeps stdin and passes
only the first ref in PRE_COMMIT_* variables, that one ref is judged.

- The policy is the one the server will use: policy.yaml on the remote's
  default branch as this clone last fetched it (refs/remotes/<remote>/HEAD,
  else see default_tip()); the working tree's judges only a bootstrap, or
  when that one cannot be had (said in a line).
- "New commits" are those no remote-tracking ref (of any remote) reaches,
  nor the remote's branch tips when it had to be asked.
- A push is a bootstrap (the server takes it from policy.owners only) when the
  remote has no branch. The clone knows a remote has branches when it tracks
  one; else the remote is asked (git ls-remote), only then.
"""
from __future__ import annotations

import os
import time

from enforcer import facts, report
from enforcer.actor import CLONE_SOURCES
from enforcer.client import actor_of, clone_policy, say, user_config
from enforcer.engine import decide
from enforcer.errors import EnforcerError
from enforcer.git import SYMREF_LISTING, Repo
from enforcer.model import CLAIM_NAMESPACES, POLICY_FILE, ZERO
from enforcer.policy import Policy, load_policy_bytes

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Iterable, Sequence

Line = tuple[str, str, str, str]  # local ref, local sha, remote ref, remote sha
Answer = tuple[dict[str, str], str | None]  # the remote's branches (name -> sha), the branch its HEAD names
Tip = tuple[str, str]  # a commit, and how to name it in a message


def parse_lines(stdin: bytes) -> list[Line]:
    lines = []
    for raw in stdin.decode("utf-8", "replace").splitlines():
        parts = raw.split(" ")
        if len(parts) == 4:  # SHA-256's null id is 64 zeros: the one ZERO inside
            lines.append((parts[0], null(parts[1]), parts[2], null(parts[3])))
    return lines


def null(sha: str) -> str:
    return ZERO if set(sha) == {"0"} else sha


def framework_line(repo: Repo, remote_tips: dict[str, str]) -> list[Line]:
    """The one ref the pre-commit framework tells its hooks about."""
    local, remote_ref = os.environ.get("PRE_COMMIT_LOCAL_BRANCH"), os.environ.get("PRE_COMMIT_REMOTE_BRANCH")
    if not local or not remote_ref:
        return []
    new = os.environ.get("PRE_COMMIT_TO_REF") or repo.resolve(local) or ZERO
    old = remote_tips.get(remote_ref.removeprefix("refs/heads/"), ZERO) if remote_ref.startswith("refs/heads/") \
        else ZERO
    return [(local, new, remote_ref, old)]


class Clone:
    """What this clone knows of the remotes (one for-each-ref): claims, every remote-tracking
    tip, this remote's branches and the branch its HEAD names (refs/remotes/<remote>/HEAD)."""

    def __init__(self, listing: bytes, remote: str) -> None:
        prefix = f"refs/remotes/{remote}/"
        self.claims: list[tuple[str, str]] = []
        self.tracked: set[str] = set()  # every commit a remote-tracking ref points at
        self.tips: dict[str, str] = {}  # this remote's branches, as last fetched
        self.head: Tip | None = None
        for line in listing.decode("utf-8", "replace").splitlines():
            sha, name, symref = (line.split(" ") + ["", ""])[:3]
            if name.startswith(CLAIM_NAMESPACES):
                self.claims.append((sha, name))
                continue
            self.tracked.add(sha)
            if name == f"{prefix}HEAD":
                self.head = (sha, symref.removeprefix("refs/remotes/") or name[len("refs/remotes/"):])
            elif name.startswith(prefix):
                self.tips[name[len(prefix):]] = sha


def ask_remote(repo: Repo, url: str, *patterns: str) -> Answer | str:
    """The remote's branches and default branch as it answers now, or why it did not answer."""
    return repo.ls_remote(url, patterns)


def default_tip(repo: Repo, remote: str, url: str, clone: Clone, answer: Answer | None) -> Tip | str | None:
    """The remote's default branch as last fetched, or why it is not known (None: said already).

    refs/remotes/<remote>/HEAD when set (git clone sets it; `git remote add` + `git fetch` does
    not). Else, when the clone tracks every branch of the remote and they all carry the same
    policy file, the default branch carries it too, whichever it is. Else the remote is asked
    which branch its HEAD names (one ls-remote; `git remote set-head <remote> --auto` spares it)."""
    if clone.head is not None:
        return clone.head
    if clone.tips and answer is None:
        if tracks_all(repo, remote) and len(set(policy_blobs(repo, clone.tips.values()))) == 1:
            name, sha = next(iter(clone.tips.items()))
            return sha, f"{remote}/{name}" if len(clone.tips) == 1 else f"every branch of {remote}"
        asked = ask_remote(repo, url, "HEAD")
        if isinstance(asked, str):
            return f"could not ask {url} for its default branch ({asked})"
        answer = asked
    if answer is None:
        return None
    heads, default = answer
    if default is None:
        return f"{url} names no default branch"
    if default in clone.tips:
        return clone.tips[default], f"{remote}/{default}"
    answered = heads.get(default)
    if answered and repo.existing([answered]):
        return answered, f"{default} on {remote} ({answered[:10]})"
    return f"{remote}'s default branch {default} is not fetched here (git fetch {remote})"


def tracks_all(repo: Repo, remote: str) -> bool:
    """Whether fetching brings every branch of the remote (not a --single-branch clone)."""
    refspecs = repo.config_all(f"remote.{remote}.fetch")
    return any(r.lstrip("+") == f"refs/heads/*:refs/remotes/{remote}/*" for r in refspecs)


def policy_blobs(repo: Repo, tips: Iterable[str]) -> list[str]:
    """The policy file's blob at each tip ("<tip>:policy.yaml missing" where it has none)."""
    return repo.object_ids([f"{sha}:{POLICY_FILE}" for sha in tips])


def push_policy(repo: Repo, remote: str, url: str, clone: Clone, answer: Answer | None) -> Policy | None:
    """The policy the server will judge this push by, or None (said why) when there is none.

    The working tree's judges a bootstrap (that is the policy it brings), and stands in when
    the remote's cannot be had: the hook never blocks on what it does not know."""
    if answer is not None and not answer[0]:  # the remote has no branch: a bootstrap
        return clone_policy()
    tip = default_tip(repo, remote, url, clone, answer)
    if not isinstance(tip, tuple):
        if tip:
            say(f"enforcer: {tip}: judged by the working tree's {POLICY_FILE} (the server still judges the push)")
        return clone_policy()
    sha, where = tip
    raw = repo.read_file(sha, POLICY_FILE)
    if raw is None:
        say(f"enforcer: no {POLICY_FILE} on {where}: judged by the working tree's")
        return clone_policy()
    try:
        policy = load_policy_bytes(raw, f"{POLICY_FILE} on {where}")
    except EnforcerError:
        say(f"enforcer: {POLICY_FILE} on {where} is not valid (the server judges by the last valid one): "
            "judged by the working tree's")
        return clone_policy()
    if working_tree_policy() != raw:
        say(f"enforcer: judged by {POLICY_FILE} on {where} as last fetched, the policy the server will use; "
            f"the working tree's {POLICY_FILE} differs")
    return policy


def working_tree_policy() -> bytes | None:
    try:
        with open(POLICY_FILE, "rb") as f:  # git runs client hooks at the top of the working tree
            return f.read()
    except OSError:
        return None


def main(argv: Sequence[str], stdin: bytes) -> int:
    if not argv:  # under the pre-commit framework
        argv = [os.environ.get("PRE_COMMIT_REMOTE_NAME", "origin"), os.environ.get("PRE_COMMIT_REMOTE_URL", "")]
    remote = argv[0]
    url = argv[1] if len(argv) > 1 and argv[1] else remote  # git passes the URL twice for `git push URL`
    repo = Repo()
    user, listing = repo.run_together(user_config(), (*SYMREF_LISTING, *CLAIM_NAMESPACES, "refs/remotes/"))
    clone = Clone(listing, remote)
    answer = None
    if not clone.tips:  # never fetched, or a URL: only the remote can say whether it has branches
        asked = ask_remote(repo, url, "HEAD", "refs/heads/*")
        if isinstance(asked, str):
            say(f"enforcer: could not ask {url} which branches it has ({asked}): judged by the working tree's "
                f"{POLICY_FILE}, with what this clone has fetched as known (the server still judges the push)")
        else:
            answer = asked
    policy = push_policy(repo, remote, url, clone, answer)
    if policy is None:
        return 0
    remote_tips = clone.tips or (answer[0] if answer else {})
    lines = parse_lines(stdin) or framework_line(repo, remote_tips)
    asked_tips = set(answer[0].values()) if answer else set()
    here = repo.existing({old for _, _, _, old in lines} | asked_tips)
    known = clone.tracked | (asked_tips & here)  # commits the server has, as far as this clone can tell
    pushed = {ref[len("refs/heads/"):]: new for _, new, ref, _ in lines
              if ref.startswith("refs/heads/") and new != ZERO}
    tips = {**{b: sha for b, sha in remote_tips.items() if sha in known}, **pushed}  # the branches after the push
    empty = answer is not None and not answer[0]
    actor, now = actor_of(policy, user), time.time()
    known_claims = repo.claims(clone.claims)
    results = []
    for _, new, ref, old in lines:
        if old != ZERO and old not in here and old not in clone.tracked:
            say(f"enforcer: {ref} on {remote} is at {old[:10]}, which this clone has not fetched: the server "
                f"will judge this push (git fetch {remote} to have it judged here first)")
            continue
        exclude = sorted(known | ({old} - {ZERO}))
        request = facts.ref_update(repo, policy, actor, ref, old, new, exclude=exclude, branch_tips=lambda: tips,
                                  actor_vars=CLONE_SOURCES, now=now, claims=known_claims,
                                  bootstrap=empty and old == ZERO and ref.startswith("refs/heads/"))
        results.append((f"push to {ref}", decide(policy, request)))
    refused = [(subject, d) for subject, d in results if not d.allowed or d.overridden]
    if refused:
        say(report.text(refused))
    return report.exit_code(results)
