"""The branch protection matrix: who may push where, names, force pushes, deletions,
and no direct commits on integration branches."""
from __future__ import annotations

from enforcer.model import Commit, RefUpdate, StagedChange, Violation
from enforcer.policies._hints import example_name, q, short, switch_hint, who
from enforcer.policy import BranchRule, Policy
from enforcer.regex import compile_regex

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Callable, Iterator

APPLIES_TO = (RefUpdate, StagedChange)
BREAK_GLASS = True  # the rules break-glass exists for


def check(policy: Policy, request: RefUpdate | StagedChange) -> Iterator[Violation]:
    if isinstance(request, RefUpdate):
        if request.kind != "branch":
            return
        branch: str | None = request.name
    else:
        branch = request.branch
    if branch is None or not policy.has_branch_rules:
        return  # detached HEAD: nothing to judge until a push names a branch
    if request.bootstrap if isinstance(request, RefUpdate) else request.first_commit:
        return  # the bootstrap rule judges a repository's start (policies/bootstrap.py)
    rule = policy.branch_rule(branch)
    if rule is None:
        yield Violation("branches", "branches.no_rule", f"no rule in `branches` matches {branch!r}",
                        switch_hint(policy, request.actor, request.now))
        return
    found = (_judge_update(policy, rule, branch, request) if isinstance(request, RefUpdate)
             else _judge_staged(policy, rule, branch, request))
    for violation in found:
        yield violation._replace(evaluate_only=rule.evaluate)


def _purpose(rule: BranchRule) -> str:
    return f" ({rule.purpose})" if rule.purpose else ""


def _push_and_name(policy: Policy, rule: BranchRule, branch: str,
                   request: RefUpdate | StagedChange, deleting: bool = False) -> Iterator[Violation]:
    actor = request.actor
    if not policy.allows(rule.push, actor):
        fix = switch_hint(policy, actor, request.now)
        if not rule.direct_commits and rule.push:
            fix += f", push it, and ask {who(policy, rule.push)} to merge it into {branch}"
        yield Violation(rule.id, "branches.push",
                        f"{actor} may not push to {branch!r}{_purpose(rule)}: "
                        f"{'only ' + who(policy, rule.push) + ' may' if rule.push else 'nobody may'}", fix)
    if rule.name is not None and not deleting and not compile_regex(rule.name).fullmatch(branch):
        example = example_name(rule, request.now) or "<a name the rule accepts>"
        yield Violation(rule.id, "branches.name", f"{branch!r} does not match the naming rule {rule.name}",
                        f"rename it: git branch -m {q(branch)} {example}")


def _judge_update(policy: Policy, rule: BranchRule, branch: str, request: RefUpdate) -> Iterator[Violation]:
    yield from _push_and_name(policy, rule, branch, request, deleting=request.deleted)
    if request.deleted:
        if not rule.delete:
            yield Violation(rule.id, "branches.delete", f"{branch!r} may not be deleted{_purpose(rule)}",
                            "keep the branch: this rule does not allow deletion")
        return
    if not request.created and not request.fast_forward and not rule.force_push:
        yield Violation(rule.id, "branches.force_push",
                        f"non-fast-forward update of {branch!r}: force pushes are not allowed here",
                        f"git pull --rebase origin {q(branch)}, then push without --force")
    if not rule.direct_commits:
        yield from _direct_commits(policy, rule, branch, request)


def _direct_commits(policy: Policy, rule: BranchRule, branch: str, request: RefUpdate) -> Iterator[Violation]:
    """Walk the new first-parent line: only merges from `merge_from` branches, or a
    fast-forward to commits already on such a branch, may land."""
    new: dict[str, Commit] = {c.sha: c for c in request.landing or request.commits}
    sources = dict(request.sources)
    sources_text = ", ".join(rule.merge_from) if rule.merge_from is not None else "any branch"

    def from_allowed(sha: str) -> bool:
        return rule.takes_from(sources.get(sha), branch)

    direct: list[str] = []
    evil: list[Commit] = []
    bad: list[tuple[Commit, str]] = []
    sha: str | None = request.new
    while sha in new and not from_allowed(sha):  # what an allowed branch holds came from there
        commit = new[sha]
        if commit.is_merge:
            if commit.paths:
                evil.append(commit)
            bad += [(commit, p) for p in commit.parents[1:] if p not in request.known and not from_allowed(p)]
        else:
            direct.append(commit.sha)
        sha = commit.parents[0] if commit.parents else None
    if direct:
        yield Violation(rule.id, "branches.direct_commits",
                        f"{len(direct)} direct commit(s) on {branch!r}{_purpose(rule)}: {short(direct)}",
                        f"put them on a branch ({switch_hint(policy, request.actor, request.now)}), push it, "
                        f"and merge it into {branch} from {sources_text}")
    for commit in evil:
        paths = ", ".join(commit.paths[:5]) + (" ..." if len(commit.paths) > 5 else "")
        yield Violation(rule.id, "branches.direct_commits",
                        f"merge {commit.sha[:10]} makes changes of its own to {paths}: it differs there from "
                        "git's automatic merge of its parents (an edit inside the merge, a conflict resolution, "
                        "or a version taken from a parent whose side never changed it)",
                        f"resolve it on the source branch (merge {branch} into it there and push), "
                        "then merge again without edits")
    for commit, parent in bad:
        source = sources.get(parent)
        whence = f"from {source!r}" if source else "which is on no branch"
        yield Violation(rule.id, "branches.merge_from",
                        f"merge {commit.sha[:10]} brings {parent[:10]} {whence}; {branch!r} takes merges "
                        f"only from {sources_text}",
                        f"merge from {sources_text}, and push that branch first")


def _judge_staged(policy: Policy, rule: BranchRule, branch: str, request: StagedChange) -> Iterator[Violation]:
    yield from _push_and_name(policy, rule, branch, request)
    if rule.direct_commits:
        return
    merging = request.merging
    if rule.takes_from(merging, branch):
        if request.paths:  # the merge's own changes (where it differs from git's automatic merge)
            shown = ", ".join(request.paths[:5]) + (" ..." if len(request.paths) > 5 else "")
            yield Violation(rule.id, "branches.direct_commits",
                            f"this merge makes changes of its own to {shown}: it differs there from git's "
                            "automatic merge (an edit inside the merge, or a conflict resolution)",
                            f"git merge --abort; resolve it on {merging} (merge {branch} into it there and push), "
                            "then merge again without edits")
        return
    if merging is not None:
        sources = ", ".join(rule.merge_from or ())
        yield Violation(rule.id, "branches.merge_from",
                        f"{branch!r} takes merges only from {sources}, not from {merging!r}",
                        "git merge --abort, and merge a branch the rule names")
        return
    yield Violation(rule.id, "branches.direct_commits",
                    f"no direct commits on {branch!r}{_purpose(rule)}",
                    f"take the staged work to a new branch: {switch_hint(policy, request.actor, request.now)} "
                    "(staged changes come along), then commit there")


def merge_sources(policy: Policy, branch: str) -> Callable[[str], bool] | None:
    """For a branch that takes only merges, which branches its merges may come from; the facts
    builder then reads where each merged commit comes from (enforcer.facts). None: no rule
    here asks."""
    rule = policy.branch_rule(branch)
    if rule is None or rule.direct_commits:
        return None
    return lambda source: rule.takes_from(source, branch)


def pushers(policy: Policy, branch: str) -> list[str]:
    """The actors who may push ``branch`` (and so merge into it), by its rule's `push` list."""
    rule = policy.branch_rule(branch)
    return sorted(policy.members(rule.push)) if rule is not None else []
