"""The facts a request needs, gathered through enforcer.git; which facts, the rules say.

The decision core judges facts and never runs git; enforcer.git runs git and
knows no rule. Between them, this module asks the rules what a request needs
(where a merge's commits come from only on a branch that takes only merges,
policies/branches.py `merge_sources`; a merge's own changes only where a rule
looks, engine.PathRules) and reads just that.
"""
from __future__ import annotations

from enforcer.engine import PathRules
from enforcer.git import Repo, first_parent_line
from enforcer.merges import Resolver
from enforcer.model import APPROVAL_REFS, CLAIM_NAMESPACES, POLICY_FILE, ZERO, Claim, Commit, PolicyChange, RefUpdate, \
    approval_target, claim_path, parse_approval, parse_claim
from enforcer.policies.branches import merge_sources
from enforcer.policy import Policy

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Callable, Mapping, Sequence

    from enforcer.model import Approved


def merges(repo: Repo, commits: Sequence[Commit], policy: Policy, actor: str | None, claims: tuple[Claim, ...],
           now: float, old_tips: Sequence[str]) -> Resolver:
    """What settles the merges' own changes for ``commits``, only where a rule looks; one for
    all refs of a push settles each merge once."""
    rules = PathRules(policy, actor, claims, now)
    return Resolver(repo, commits, rules, old_tips, rules.pathspecs)


def ref_update(repo: Repo, policy: Policy, actor: str | None, ref: str, old: str, new: str, *,
               exclude: Sequence[str] | None = None,
               branch_tips: Callable[[], Mapping[str, str]] = dict,
               actor_vars: tuple[str, ...] = (), now: float = 0.0,
               break_glass: str | None = None, claims: tuple[Claim, ...] = (),
               bootstrap: bool = False, walk: Callable[[], list[Commit]] | None = None,
               resolver: Resolver | None = None) -> RefUpdate:
    """Everything the core needs about one ref update.

    ``exclude`` limits the new commits (``enforcer check``: the base); None
    means "reachable from no existing ref" (a server, before its refs move).
    ``branch_tips`` gives the branches a merge may come from (name -> sha):
    the server's, plus those pushed along; asked only where a rule needs them.
    ``walk``: the commit walk for this range, if the caller started it already
    (``start_commits``: git can work while the caller loads the policy).
    ``resolver``: works out the merges' own changes (enforcer.merges); one shared by
    every ref of a push settles each merge once.
    """
    deleted = new == ZERO
    if ref.startswith(CLAIM_NAMESPACES):  # a blob stating a claim: no commits to walk
        blob = None if deleted else repo.blob(new)
        return RefUpdate(actor=actor, ref=ref, old=old, new=new, claims=claims, now=now, actor_vars=actor_vars,
                         claim=parse_claim(claim_path(ref), blob.decode("utf-8", "replace")) if blob else None,
                         break_glass=break_glass)
    if ref.startswith(APPROVAL_REFS):  # a blob stating an approval: no commits to walk
        return RefUpdate(actor=actor, ref=ref, old=old, new=new, claims=claims, now=now, actor_vars=actor_vars,
                         approval=None if deleted else pushed_approval(repo, new),
                         tag_object=approved_tag_object(repo, ref), target_is_commit=False,
                         break_glass=break_glass)
    pending_commits: Callable[[], list[Commit]] = list
    if walk is not None:
        pending_commits = walk
    elif not deleted:  # the longest walk starts first; the others run beside it
        pending_commits = repo.start_commits([new], exclude or (), exclude_all_refs=exclude is None)
    branch = ref[len("refs/heads/"):] if ref.startswith("refs/heads/") else None
    takes = merge_sources(policy, branch) if branch is not None and not deleted else None
    pending_sources: Callable[[], dict[str, str]] = dict
    if takes is not None:
        pending_sources = repo.start_sources({name: sha for name, sha in branch_tips().items() if takes(name)}, [old])
    # what the branch gains, whether or not the server had it on another branch
    # (a new branch gains only what is new to the server: the rest is on its branches)
    separate_landing = takes is not None and exclude != [old] and old != ZERO
    pending_landing = repo.start_commits([new], [old]) if separate_landing else list
    walked = pending_commits()
    if resolver is None:
        resolver = merges(repo, walked, policy, actor, claims, now, [old])
    commits = resolver.resolve(walked)
    # the walk holds new itself when it is a new commit; else ask what it is: a branch must
    # point to a commit, a tag to a commit or to a tag object of one
    target_is_commit = deleted or any(c.sha == new for c in commits) or (
        repo.object_type(new) == "commit" if branch is not None else repo.resolve(new) is not None)
    # a new commit whose parent is the old tip proves a fast-forward without another walk
    fast_forward = old == ZERO or deleted or any(old in c.parents for c in commits) or repo.is_ancestor(old, new)
    annotated = None
    if ref.startswith("refs/tags/") and not deleted:
        annotated = repo.object_type(new) == "tag"
    sources: dict[str, str] = {}
    known: set[str] = set()
    landing: list[Commit] = []
    if takes is not None:
        landing = pending_landing() if separate_landing else walked
        if separate_landing:
            resolver = Resolver(repo, landing, resolver.judged_by, [old], resolver.scope)
        # a merge on the branch's own line is judged by everything it changes itself
        landing = resolver.resolve(landing, whole=[c.sha for c in first_parent_line(landing, new) if c.is_merge])
        sources = pending_sources()
        landed = {c.sha for c in landing}
        known = {p for c in landing if c.is_merge for p in c.parents[1:]
                 if p not in landed and p not in sources and old != ZERO and repo.is_ancestor(p, old)}
    change = policy_change(repo, new) if any(POLICY_FILE in c.paths for c in commits) else None
    return RefUpdate(actor=actor, ref=ref, old=old, new=new, commits=tuple(commits), landing=tuple(landing),
                     fast_forward=fast_forward, annotated=annotated, sources=tuple(sources.items()),
                     known=frozenset(known), policy_change=change, break_glass=break_glass, now=now,
                     actor_vars=actor_vars, claims=claims, target_is_commit=target_is_commit,
                     bootstrap=bootstrap)


MAX_APPROVAL_BLOB = 4096  # bytes: an approval states five short lines; a larger object states none


def pushed_approval(repo: Repo, sha: str) -> Approved | None:
    """What an approval ref's new object states: only a blob states one (a commit, tree or tag
    object pushed there states none, and policies/approvals.py refuses it)."""
    if repo.object_type(sha) != "blob":
        return None
    blob = repo.blob(sha)
    if not blob or len(blob) > MAX_APPROVAL_BLOB:
        return None
    return parse_approval(blob.decode("utf-8", "replace"))


def approved_tag_object(repo: Repo, ref: str) -> str | None:
    """What refs/tags/<tag> of the approval ref ``ref`` points to here, unpeeled (the tag object
    of an annotated tag); None when there is no such tag."""
    target = approval_target(ref)
    if target is None:
        return None
    tag_ref = f"refs/tags/{target[1]}"
    return repo.claim_refs(tag_ref).get(tag_ref)  # the exact ref: for-each-ref, no rev-parse guessing


def policy_change(repo: Repo, rev: str) -> PolicyChange:
    """The policy file at ``rev``, checked fully (its `tests:` too): what a push would make the policy."""
    from enforcer.selftest import check_policy_bytes

    raw = repo.read_file(rev, POLICY_FILE)
    if raw is None:
        return PolicyChange((f"the push deletes {POLICY_FILE}",))
    _, problems = check_policy_bytes(raw, POLICY_FILE)
    return PolicyChange(tuple(str(p).replace("\n", " ") for p in problems if not p.warning))
