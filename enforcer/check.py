"""`enforcer check`: judge what CI holds as the server will judge it, in one of two forms.

- **A push**: the commits ``--base..--head`` land on ``--branch`` as one push by
  the actor. New commits are those on no other branch of the clone's remote
  (its remote-tracking branches; in a clone without any, its other local
  branches), as the server finds new only what no ref of its own reaches.
- **A pull request** (``--merge-into TARGET``, or the CI's PR variables): the
  PR's commits are judged as the author's pushes to the source branch, and
  git's own merge of the source into TARGET is judged as a push of TARGET by
  each actor who may push it; those the policy lets merge it are named.
"""
from __future__ import annotations

import time

from enforcer import facts
from enforcer.errors import EnforcerError
from enforcer.git import Repo
from enforcer.model import STRICTNESS, ZERO, Decision

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Callable

    from enforcer.model import Commit
    from enforcer.policy import Policy
    from enforcer.report import Result

def branch_tips(repo: Repo) -> dict[str, str]:
    """The remote's branches as this clone knows them (name -> sha), else the local ones:
    what the server holds, as near as CI can tell."""
    local, remote = repo.branches(remote_too=True)
    return remote or local


def others(tips: dict[str, str], *branches: str) -> list[str]:
    """The tips of every branch but these: what a push of these finds on the server already."""
    return sorted({sha for name, sha in tips.items() if name not in branches})


def target_tip(repo: Repo, target: str, given: str | None) -> str:
    for rev in ([given] if given else [f"refs/remotes/origin/{target}", f"refs/heads/{target}"]):
        sha = repo.resolve(rev)
        if sha:
            return sha
    remote = branch_tips(repo).get(target)
    if remote:
        return remote
    raise EnforcerError(f"--merge-into {target}: this clone has no branch {target} (fetch it: "
                        f"git fetch origin {target}; GitHub: actions/checkout with fetch-depth: 0)")


def source_tip(repo: Repo, source: str) -> str:
    """A PR's head for ``--merge-into`` without --head: the source branch as this clone has it
    (the remote's first: a local branch may be behind), else HEAD. (In CI, HEAD is what the job
    checked out: the PR's head.)"""
    for rev in (f"refs/remotes/origin/{source}", f"refs/heads/{source}", "HEAD"):
        sha = repo.resolve(rev)
        if sha:
            return sha
    raise EnforcerError("no commit to judge: pass --head REV (the pull request's head)")


def push(repo: Repo, policy: Policy, actor: str | None, looked: tuple[str, ...], base: str, head: str,
         branch: str, walk: Callable[[], list[Commit]] | None = None) -> list[Result]:
    from enforcer.engine import decide

    tips = branch_tips(repo)
    request = facts.ref_update(repo, policy, actor, f"refs/heads/{branch}", base, head,
                              exclude=[base, *others(tips, branch)], branch_tips=lambda: tips,
                              actor_vars=looked, now=time.time(), walk=walk)
    return [(f"{base[:10]}..{head[:10]} -> {branch}", decide(policy, request))]


def before_merge(repo: Repo, policy: Policy, target: str, merge: str) -> tuple[tuple[str, int], ...] | None:
    """checks.before_merge run on ``merge`` in a clean checkout of it, their output on stderr, where
    ``target`` is protected (it takes no direct commits): (command, exit status) of each run, up to
    the first that fails; None where none are to run."""
    commands = policy.check_commands("before_merge")
    rule = policy.branch_rule(target)
    if not commands or rule is None or rule.direct_commits:
        return None
    import os
    import shlex
    import sys
    import tempfile

    from enforcer import processes
    from enforcer.checkout import clean_checkout

    ran: list[tuple[str, int]] = []
    scratch = tempfile.mkdtemp(prefix="enforcer-check-")
    try:
        log = processes.Log(os.path.join(scratch, "checks.log"), sys.stderr.buffer)
        deadline = time.monotonic() + 3600.0
        with clean_checkout(repo, merge, os.path.join(scratch, "merge")) as checkout:
            for argv in commands:
                log.say(f"enforcer: check before merging into {target}: {shlex.join(argv)}")
                done = processes.run(argv, checkout, processes.clean_environment({}), deadline, log)
                ran.append((shlex.join(argv), done.status if done.status is not None else 127))
                if not done.ok:
                    log.say(f"enforcer: check failed: {done.describe()}")
                    break
        log.close()
    finally:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)
    return tuple(ran)


def merge_request(repo: Repo, policy: Policy, author: str | None, looked: tuple[str, ...], target: str,
                  target_sha: str, source: str, head: str) -> list[Result]:
    from enforcer.engine import decide
    from enforcer.policies.branches import pushers

    now = time.time()
    tips = {**branch_tips(repo), source: head}
    pushes = facts.ref_update(repo, policy, author, f"refs/heads/{source}", ZERO, head,
                             exclude=[target_sha, *others(tips, source)], branch_tips=lambda: tips,
                             actor_vars=looked, now=now)
    results: list[Result] = [(f"{source}: the pull request's commits, pushed by {author}", decide(policy, pushes))]
    # git's own merge, as a commit of this clone (the server would judge the merge commit pushed)
    [(tree, _)] = repo.merge_trees([(target_sha, head)])
    merge = repo.commit_tree(tree, (target_sha, head), f"enforcer check: merge {source} into {target}")
    after = {**tips, target: merge}
    ran = before_merge(repo, policy, target, merge)
    verdicts: dict[str, Decision] = {}
    for merger in pushers(policy, target) or [author or ""]:
        request = facts.ref_update(repo, policy, merger or None, f"refs/heads/{target}", target_sha, merge,
                                  exclude=[target_sha, head, *others(after, target, source)],
                                  branch_tips=lambda: after, actor_vars=("the branch rule's push list",), now=now)
        verdicts[merger] = decide(policy, request._replace(checks=ran))
    # the merge stands as the core judged it for the merger it treats best
    best = min(verdicts.values(), key=lambda d: STRICTNESS[d.verdict])
    mergers = [m for m, d in verdicts.items() if d.verdict == best.verdict]
    note = f"may be merged by {', '.join(mergers)}" if best.allowed else "no one the policy names may merge it"
    results.append((f"merge of {source} into {target}", best._replace(note=note)))
    return results
