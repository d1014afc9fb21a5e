"""Policy protection: only `policy.owners` change the policy file, and only to a valid one."""
from __future__ import annotations

from enforcer.model import POLICY_FILE, Commit, FileEdit, RefUpdate, StagedChange, Violation
from enforcer.policies._hints import q, short, who
from enforcer.policy import Policy

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Iterator

APPLIES_TO = (RefUpdate, StagedChange, FileEdit)
BREAK_GLASS = False  # one override could rewrite every rule


def check(policy: Policy, request: RefUpdate | StagedChange | FileEdit) -> Iterator[Violation]:
    if isinstance(request, FileEdit):
        if request.inside and request.path == POLICY_FILE and not policy.allows(policy.owners, request.actor):
            yield Violation("policy.owners", "policy.owners",
                            f"{request.actor} may not change the policy file: only {who(policy, policy.owners)}",
                            f"propose the change to {who(policy, policy.owners)}")
        return
    if isinstance(request, StagedChange):  # the commit its push would be refused for, refused at once
        if POLICY_FILE in request.paths and not request.first_commit and not policy.allows(policy.owners,
                                                                                            request.actor):
            yield Violation("policy.owners", "policy.owners",
                            f"{request.actor} may not change the policy file: only {who(policy, policy.owners)}",
                            f"git restore --staged {POLICY_FILE}, commit the rest, and propose the change to "
                            f"{who(policy, policy.owners)}")
        return
    change = request.policy_change
    if change is None:
        return
    if not policy.allows(policy.owners, request.actor):
        yield Violation("policy.owners", "policy.owners",
                        f"{request.actor} may not change the policy file: only {who(policy, policy.owners)}",
                        f"{drop_hint(request)}; then push again, and propose the change{proposal(request)} to "
                        f"{who(policy, policy.owners)}")
    if change.problems:
        shown = "; ".join(change.problems[:3]) + (" ..." if len(change.problems) > 3 else "")
        yield Violation("policy.owners", "policy.invalid", f"the pushed policy file is invalid: {shown}",
                        "run `enforcer validate` and fix every problem it lists")


def drop_hint(request: RefUpdate) -> str:
    """How to take the policy change out of the pushed history (a commit that undoes it would still
    push the change). Commands by commit id: they work whatever the remote is called, and
    whether or not the clone knows the remote's default branch."""
    changing = oldest_first([c for c in request.commits if POLICY_FILE in c.paths], request.commits)
    if not changing or request.kind != "branch" or any(c.is_merge or not c.parents for c in changing):
        return f"drop the commits that change {POLICY_FILE} from what you push (git rebase -i, then drop them)"
    branch = q(request.name)
    if len(changing) <= 3 and all(c.paths == (POLICY_FILE,) for c in changing):  # drop them, newest first
        plural = "s" if len(changing) > 1 else ""
        return f"drop the commit{plural} that change{'' if plural else 's'} only {POLICY_FILE}: " + " && ".join(
            f"git rebase -q --onto {c.parents[0][:10]} {c.sha[:10]} {branch}" for c in reversed(changing))
    first, base = changing[0].sha[:10], changing[0].parents[0][:10]
    return (f"fold your commits from {first} on into one without the change: git switch -q {branch} && "
            f"git reset -q --soft {base} && git restore --source={base} --staged --worktree -- {POLICY_FILE} && "
            f"git commit -qC {first}")


def proposal(request: RefUpdate) -> str:
    """The commits that hold the change, so that dropping them does not lose it."""
    changing = [c.sha for c in request.commits if POLICY_FILE in c.paths]
    return f" ({short(changing, 3)})" if changing else ""


def oldest_first(changing: list[Commit], commits: tuple[Commit, ...]) -> list[Commit]:
    """``changing`` with parents before children, through the pushed ``commits`` (the walk's
    order need not say which came first). Iterative: a long history must not hit the recursion limit."""
    by_sha = {c.sha: c for c in commits}
    depth: dict[str, int] = {}
    for start in changing:
        stack = [start.sha]
        while stack:
            sha = stack[-1]
            parents = [p for p in by_sha[sha].parents if p in by_sha]
            waiting = [p for p in parents if p not in depth]
            if waiting and sha not in depth:
                stack.extend(waiting)
                continue
            depth.setdefault(sha, 1 + max((depth[p] for p in parents), default=0))
            stack.pop()
    return sorted(changing, key=lambda c: depth[c.sha])
