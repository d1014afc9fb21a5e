"""What the client hooks share: the clone's policy, who is acting, the commit being made.

Client hooks give the refusal early; the server, which fails closed, is the
authority. So here a missing or broken policy never blocks: the hook says
so in a line (or prints ``enforcer validate``'s errors) and lets git go on.
Git runs client hooks at the top of the working tree, where the policy is.
"""
from __future__ import annotations

import os
import time

from enforcer import report
from enforcer.actor import CLONE_SOURCES, clone_actor, needs_identity
from enforcer.engine import decide
from enforcer.errors import EnforcerError
from enforcer.git import CLAIMS_LISTING, STAGED_PATHS, USER_CONFIG, Repo, listing_rows, parse_identity
from enforcer.hookrun import say
from enforcer.model import CLAIM_NAMESPACES, POLICY_FILE, Decision, StagedChange
from enforcer.policy import Policy, load_policy



def user_config() -> tuple[str, ...] | None:
    """The git call that tells who is acting, unless ENFORCER_ACTOR already does."""
    return USER_CONFIG if needs_identity() else None


def clone_policy() -> Policy | None:
    """The working tree's policy, or None (said why) when there is none to enforce."""
    if not os.path.exists(POLICY_FILE):
        say(f"enforcer: no {POLICY_FILE} in this repository: nothing to enforce here")
        return None
    try:
        return load_policy(POLICY_FILE)
    except EnforcerError as e:  # a PolicyError lists every problem, located, with its fix
        say(f"enforcer: {POLICY_FILE} is not valid, so this hook does not block (the server still judges "
            f"your push); `enforcer validate` says:\n{e}")
        return None


def actor_of(policy: Policy, user_config: bytes) -> str | None:
    """ENFORCER_ACTOR, else aliases[user.email], else user.name (from user_config()'s output)."""
    return clone_actor(policy, None, *parse_identity(user_config))


def answer(subject: str, decision: Decision) -> int:
    """Print a refusal (or what was overridden) and give git the exit code."""
    if not decision.allowed or decision.overridden:
        say(report.text([(subject, decision)]))
    return report.EXIT_CODES[decision.verdict]


def merge_own_paths(repo: Repo, heads: list[str]) -> tuple[str, ...]:
    """A merge being committed: the paths where the index differs from git's automatic merge
    of HEAD and the merged commits, the rule the server judges the pushed merge by."""
    from enforcer.merges import own_paths

    head = repo.resolve("HEAD")
    if head is None:
        return ()
    index = repo.index_tree()
    return own_paths(repo, [(index, (head, *heads), None, None)])[index]


def staged_change(policy: Policy, repo: Repo, with_paths: bool = True) -> StagedChange:
    """The commit about to be made: branch, staged paths, merge source, claims, actor."""
    ref = repo.head_ref()
    calls = [user_config(), (*CLAIMS_LISTING, ref) if ref else CLAIMS_LISTING]  # claims, and is HEAD born?
    if with_paths:
        calls.append(STAGED_PATHS)
    user, listing, *staged = repo.run_together(*calls)
    rows = listing_rows(listing)
    claims = [(sha, name) for sha, name in rows if name.startswith(CLAIM_NAMESPACES)]
    born = ref is None or any(name == ref for _, name in rows)
    first_commit = not born and not repo.has_branches()
    branch = ref.removeprefix("refs/heads/") if ref and ref.startswith("refs/heads/") else None
    paths = tuple(p.decode("utf-8", "replace") for p in b"".join(staged).split(b"\0") if p)
    merging = None
    heads = repo.merge_heads()
    if heads:  # which branch it comes from: local names win over remote-tracking ones
        merging = next((name for name, sha in repo.branch_tips(remote_too=True).items() if sha == heads[0]),
                       "(a commit on no branch)")
        if with_paths:  # a merge's own changes, not all it brings: judged as the server will
            paths = merge_own_paths(repo, heads)
    return StagedChange(actor=actor_of(policy, user), branch=branch, paths=paths, merging=merging,
                        claims=repo.claims(claims), now=time.time(), actor_vars=CLONE_SOURCES,
                        first_commit=first_commit)


def judge_commit(policy: Policy, repo: Repo) -> int:
    change = staged_change(policy, repo)
    subject = f"commit on {change.branch}" if change.branch else "commit (detached HEAD)"
    return answer(subject, decide(policy, change))
