"""Directory claims: one agent per directory at a time.

A claim is a ref, refs/enforcer/claims/<dir>, pointing to a blob that names
its holder and when it expires; the server accepts it only from the holder
itself, within ``claims.ttl``, where the holder may work, and where no one
else holds a live claim on the directory, inside it or around it. Where the
holder may work means the whole directory: the holder must be primary or
backup of every ownership entry that may decide a path inside it, or the
claim would lock those owners out of their own directories. The holder
releases it by deleting the ref; so may ``policy.owners``. An expired claim
counts as absent. While a claim is live, no one else's change may touch a
path under it.
"""
from __future__ import annotations

import time

from enforcer.model import (CLAIM_NAMESPACES, CLAIM_REFS, ENV_CLAIM_REFS, ENV_PREFIX, Claim, FileEdit, RefUpdate, StagedChange,
                            Violation, claim_path, within)
from enforcer.pathmatch import anchored_literal, may_match_inside
from enforcer.policies.ownership import changed_paths
from enforcer.policy import OwnerEntry, Policy

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Iterator

APPLIES_TO = (RefUpdate, StagedChange, FileEdit)
# whose name a claim bears and what it states stay beyond break-glass
BREAK_GLASS = ("claims.held", "claims.owner", "claims.ttl", "claims.release")
CLOCK_SKEW = 60  # seconds a claim's expiry may exceed now + ttl (the clients' clocks drift)
SHOWN = 5  # claims.owner violations named one by one; the rest are counted


def live_claims(request: RefUpdate | StagedChange | FileEdit) -> list[Claim]:
    return [c for c in request.claims if c.expires > request.now]


def _until(claim: Claim) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(claim.expires))


def check(policy: Policy, request: RefUpdate | StagedChange | FileEdit) -> Iterator[Violation]:
    if isinstance(request, RefUpdate) and request.ref.startswith(CLAIM_NAMESPACES):
        yield from _judge_claim_ref(policy, request)
        return
    others = [c for c in live_claims(request) if c.holder != request.actor]
    if not others or (isinstance(request, RefUpdate) and request.deleted):
        return
    hits: dict[Claim, list[str]] = {}
    for path in changed_paths(request):
        for claim in others:
            if within(path, claim.path):
                hits.setdefault(claim, []).append(path)
    for claim, paths in sorted(hits.items(), key=lambda item: item[0].path):
        yield Violation("claims", "claims.held",
                        f"{claim.path} is claimed by {claim.holder} until {_until(claim)}: "
                        f"{', '.join(sorted(paths)[:5])}",
                        f"wait until {claim.holder} releases it (git push origin :{CLAIM_REFS}"
                        f"{claim.path.rstrip('/')}) or the claim expires; work in another directory meanwhile")


def _judge_claim_ref(policy: Policy, request: RefUpdate) -> Iterator[Violation]:
    path = claim_path(request.ref)
    actor = request.actor
    live = live_claims(request)
    if request.deleted:
        current = next((c for c in live if c.path == path), None)
        if current is not None and current.holder != actor and not policy.allows(policy.owners, actor):
            yield Violation("claims", "claims.release",
                            f"{path} is held by {current.holder} until {_until(current)}; only the holder or "
                            "policy.owners may release it", f"ask {current.holder} to release it, or wait")
        return
    claim = request.claim
    if claim is None:
        yield Violation("claims", "claims.format", f"{request.ref} must point to a blob stating the claim",
                        f"printf 'holder <you>\\nexpires <unix time>\\n' | git hash-object -w --stdin, "
                        f"then git push origin <that blob>:{request.ref}")
        return
    if claim.holder != actor:
        yield Violation("claims", "claims.holder", f"{actor} cannot claim {path} for {claim.holder}",
                        f"claim it as yourself: holder {actor}")
    if not request.now < claim.expires <= request.now + policy.claims_ttl + CLOCK_SKEW:
        yield Violation("claims", "claims.ttl", f"the claim on {path} must expire after now and within "
                        f"claims.ttl ({policy.claims_ttl} s)", f"expires <now + at most {policy.claims_ttl}>")
    if request.ref.startswith(ENV_CLAIM_REFS):
        yield from _judge_environment(policy, path)
    else:
        yield from _judge_cover(policy, actor, path)
    for other in live:
        if other.holder != actor and (other.path == path or path.endswith("/") and other.path.endswith("/") and (
                other.path.startswith(path) or path.startswith(other.path))):
            yield Violation("claims", "claims.held", f"{other.path} is claimed by {other.holder} until "
                            f"{_until(other)}, so {path} cannot be claimed", "claim another directory, or wait")


def _judge_environment(policy: Policy, path: str) -> Iterator[Violation]:
    """An environment is claimed when the policy marks it `exclusive`: one actor at a time."""
    name = path[len(ENV_PREFIX):]
    env = policy.environments.get(name)
    if env is None or not env.exclusive:
        what = "is not defined" if env is None else "is not exclusive"
        yield Violation("claims", "claims.environment", f"environment {name!r} {what}: only an environment the "
                        "policy marks `exclusive: true` is claimed", "claim an exclusive environment, or a directory")


def covered_entries(policy: Policy, directory: str) -> list[OwnerEntry]:
    """The ownership entries that may decide some path inside ``directory`` (``a/b/``), in order.

    The entry that decides the directory matches everything in it, so no
    earlier entry decides there; a later one may, wherever it matches. An
    entry whose reach cannot be told exactly counts (see may_match_inside).
    """
    top = policy.owner_of(directory)
    later = policy.ownership[top.position + 1:] if top else policy.ownership
    inside = [e for e in later if may_match_inside(e.path, directory) and not _overridden(policy, e)]
    return [top, *inside] if top else inside


def _overridden(policy: Policy, entry: OwnerEntry) -> bool:
    """A later entry decides all the entry names (exact for anchored literal patterns only)."""
    root = anchored_literal(entry.path)
    later = policy.owner_of(root) if root is not None else None
    return later is not None and later.position > entry.position


def _judge_cover(policy: Policy, actor: str | None, path: str) -> Iterator[Violation]:
    """A claim may cover only what its holder may change (issue 15, item 4): owners inside keep their way in."""
    top = policy.owner_of(path)
    refused = [e for e in covered_entries(policy, path) if actor not in policy.members(e.owners)]
    for entry in refused[:SHOWN]:
        owners = f"{entry.primary} (primary)" + (f" and {entry.backup} (backup)" if entry.backup else "")
        what = f"{entry.path} belongs to" if entry is top else f"it would cover {entry.path}, which belongs to"
        yield Violation(entry.id, "claims.owner", f"{actor} cannot claim {path}: {what} {owners}",
                        f"claim a narrower directory that you own or no one owns, clear of {entry.path}")
    if len(refused) > SHOWN:
        yield Violation("claims", "claims.owner", f"{actor} cannot claim {path}: {len(refused) - SHOWN} more "
                        "ownership entries inside it belong to others", "claim a narrower directory")
