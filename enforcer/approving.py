"""Approvals as a command (`enforcer approve ENV TAG`): judged by the core, then written with
compare-and-swap; from a clone through the server as a push, as claims are (enforcer.claiming,
docs/deploy.md *Approvals*). And what the deploy runner reads: ``stated``.

An approval is the ref refs/enforcer/approvals/<env>/<tag>, pointing to a blob
(enforcer.model.approval_text) that binds it to the object the tag pointed to
when it was approved: a tag moved or re-created since is unapproved.
"""
from __future__ import annotations

import time

from enforcer.claiming import Outcome, ref_component_ok
from enforcer.engine import decide
from enforcer.errors import EnforcerError
from enforcer.git import Repo, git_env
from enforcer.model import APPROVAL_REFS, ZERO, Approved, Decision, RefUpdate, approval_ref, approval_text
from enforcer.policy import Policy
from enforcer.tuples import NamedTuple

MIRROR = (f"+{APPROVAL_REFS}*:{APPROVAL_REFS}*",)  # a clone's copy follows the server's
MISSING = "couldn't find remote ref"  # how git fetch says the remote has no such ref


class Target(NamedTuple):
    """A tag approved for an environment, and its ref."""

    env: str
    tag: str

    @property
    def ref(self) -> str:
        return approval_ref(self.env, self.tag)

    @property
    def tag_ref(self) -> str:
        return f"refs/tags/{self.tag}"


class Place(NamedTuple):
    """Who approves, where, judged by which policy."""

    repo: Repo
    policy: Policy
    actor: str
    actor_vars: tuple[str, ...]
    remote: str | None  # a clone's remote, which the approval goes through; None: the bare repository
    policy_blob: str | None = None  # the server's policy file, for the records

    @property
    def server(self) -> bool:
        return self.remote is None


# -- what is approved --------------------------------------------------------------------------

def target(env: str, tag: str) -> Target:
    """ENV and TAG as given, checked as ref names (approvals are refs); bad input raises, naming the fix."""
    if not env or "/" in env or not ref_component_ok(env):
        raise EnforcerError(f"environment {env!r}: name an environment of the policy, e.g. prod (git allows no "
                            "such name in a ref, and approvals are refs)")
    tag = tag.removeprefix("refs/tags/")
    if not tag or not all(ref_component_ok(part) for part in tag.split("/")):
        raise EnforcerError(f"tag {tag!r}: name a tag as git does, e.g. v1.0.3 (git allows no such tag name)")
    return Target(env, tag)


# -- what the repository holds -----------------------------------------------------------------

def stated(repo: Repo, env: str, tag: str) -> tuple[Approved, ...]:
    """The approval(s) the repository's refs/enforcer/approvals/<env>/<tag> states: empty when
    there is no such ref, or it states no approval (whether it still holds, the runner's rule
    says: policies/environments.py compares its tag_object with the tag's)."""
    from enforcer.facts import pushed_approval

    try:
        what = target(env, tag)
    except EnforcerError:
        return ()
    sha = repo.claim_refs(what.ref).get(what.ref)
    approval = pushed_approval(repo, sha) if sha else None
    return (approval,) if approval is not None else ()


def tag_object(repo: Repo, tag: str) -> str | None:
    """What refs/tags/<tag> points to here, unpeeled (an annotated tag's tag object, as approvals
    name it); None when there is no such tag."""
    ref = f"refs/tags/{tag}"
    return repo.claim_refs(ref).get(ref)


def current(repo: Repo, ref: str) -> str:
    """What ``ref`` points to here; ZERO when absent."""
    return repo.claim_refs(ref).get(ref, ZERO)


def refresh(place: Place, what: Target, tag: bool = True) -> bool:
    """A clone's approvals as the server holds them, and (``tag``) the tag as the server has it.
    False when the server has no such tag (the core then judges an unknown tag); a tag of this
    clone that differs from the server's is bad input: fetching it would clobber the clone's."""
    assert place.remote is not None
    error = place.repo.fetch_claim_refs(place.remote, MIRROR)
    if error is not None:
        raise EnforcerError(f"cannot read the approvals on {place.remote}: {error}")
    if not tag:
        return True
    # not --quiet: it would hide why a tag was rejected
    child = place.repo.spawn(("fetch", "--no-tags", "--no-write-fetch-head", "--no-auto-gc",
                              "--end-of-options", place.remote, f"{what.tag_ref}:{what.tag_ref}"),
                             env=git_env(GIT_TERMINAL_PROMPT="0", LC_ALL="C"))  # git's words read below
    _, err = child.communicate()
    if child.wait() == 0:
        return True
    said = err.decode("utf-8", "replace").strip()
    if MISSING in said:
        return False
    if "clobber" in said or "rejected" in said:
        raise EnforcerError(f"this clone's tag {what.tag} differs from the one on {place.remote}, which is the one "
                            f"approved: look at both, then git fetch --force {place.remote} tag {what.tag} (or push "
                            "yours first, if the tag rules let you) and approve again")
    lines = said.splitlines()
    first = next((line for line in lines if line.startswith(("fatal:", "error:"))),
                 lines[0] if lines else f"git fetch: exit {child.returncode}")
    raise EnforcerError(f"cannot read tag {what.tag} on {place.remote}: {first}")


def request(place: Place, what: Target, old: str, new: str, now: float, tag_known: bool = True) -> RefUpdate:
    """The ref update the server will judge, as enforcer.facts builds it on the server."""
    from enforcer import facts

    update = facts.ref_update(place.repo, place.policy, place.actor, what.ref, old, new, now=now,
                              actor_vars=place.actor_vars)
    return update if tag_known else update._replace(tag_object=None)


def judged(place: Place, update: RefUpdate, action: str) -> Decision:
    decision = decide(place.policy, update)
    if place.server:  # the server keeps every decision, as its hooks do
        from enforcer.records import default_store, record_for

        default_store(place.repo.git_dir()).add([record_for(action, place.actor, update.ref, update.old, update.new,
                                                            decision, policy=place.policy_blob)])
    return decision


# -- the commands ------------------------------------------------------------------------------

def approve(place: Place, what: Target) -> Outcome:
    """Approve ``what.tag`` for ``what.env`` as ``place.actor``: exit 0 approved, 1 refused."""
    tag_known = refresh(place, what) if place.remote is not None else True
    now = time.time()
    old = current(place.repo, what.ref)
    pointed = tag_object(place.repo, what.tag) if tag_known else None
    approval = Approved(what.env, what.tag, place.actor, pointed or ZERO, now)
    blob = place.repo.write_claim_blob(approval_text(approval))
    decision = judged(place, request(place, what, old, blob, now, tag_known), "approve")
    if not decision.allowed:
        return Outcome(1, results=((what.ref, decision),))
    failed = write(place, what, old, blob, f"enforcer approve by {place.actor}")
    if failed is not None:
        return failed
    if place.server:
        recorded = _record(place, approval, old, blob)
        if recorded is not None:
            return recorded
    return Outcome(0, (f"approved {what.tag} ({approval.tag_object[:10]}) for {what.env} as {place.actor} "
                       f"({_where(place)})",))


def revoke(place: Place, what: Target) -> Outcome:
    """Delete the approval (its environment's approvers, or policy.owners): exit 0 revoked or
    there was none, 1 refused."""
    if place.remote is not None:
        refresh(place, what, tag=False)  # a revocation needs no tag: the tag may be gone
    old = current(place.repo, what.ref)
    if old == ZERO:
        return Outcome(0, (f"{what.tag} is not approved for {what.env}: nothing to revoke",))
    decision = judged(place, request(place, what, old, ZERO, time.time()), "revoke")
    if not decision.allowed:
        return Outcome(1, results=((what.ref, decision),))
    failed = write(place, what, old, ZERO, f"enforcer approve --revoke by {place.actor}")
    if failed is not None:
        return failed
    return Outcome(0, (f"revoked the approval of {what.tag} for {what.env} ({_where(place)})",))


def _record(place: Place, approval: Approved, old: str, blob: str) -> Outcome | None:
    """The approvals history beside the decisions. An approval that cannot be recorded is taken
    back (the ref returns to ``old``): nothing is approved without a trace."""
    from enforcer.records import Approval, default_store

    what = Target(approval.env, approval.tag)
    try:
        default_store(place.repo.git_dir()).add_approval(Approval(approval.env, approval.tag, approval.tag_object,
                                                                  place.actor, approval.time))
    except EnforcerError as e:
        place.repo.swap_claim_ref(what.ref, old, blob, "enforcer approve: not recorded, taken back")
        return Outcome(1, (f"enforcer: {what.tag} was not approved for {what.env}: the approval could not be "
                           f"recorded ({e}), so it was taken back", "  fix: see to the records store, then try again"))
    return None


def write(place: Place, what: Target, old: str, new: str, message: str) -> Outcome | None:
    """Move the ref from ``old`` (as judged) to ``new``: through the remote first, then here.
    None when done; else the refusal."""
    if place.remote is not None:
        refused = push(place, what, old, new)
        if refused is not None:
            return refused
    error = place.repo.swap_claim_ref(what.ref, new, None if place.remote is not None else old, message)
    if error is None:
        return None
    return Outcome(1, (f"enforcer: {what.ref}: another approval or revocation was written at the same moment, "
                       f"so nothing was written ({error.splitlines()[0]})", "  fix: try again"))


def push(place: Place, what: Target, old: str, new: str) -> Outcome | None:
    """The approval ref pushed as any push (the server's hooks judge it again); None when it landed."""
    from enforcer.claiming import push_ref

    assert place.remote is not None
    return push_ref(place.repo, place.remote, place.actor, what.ref, old, new,
                    f"the approval of {what.tag} for {what.env} changed on {place.remote} while it was judged "
                    "(another approval or revocation at the same moment)", "try again")


def _where(place: Place) -> str:
    return "in this repository" if place.server else f"on {place.remote} and in this clone"
