"""Directory claims: one agent per directory at a time.

A claim is a ref, refs/enforcer/claims/<dir>, pointing to a blob that names
its holder and when it expires; the server accepts it only from the holder
itself, within ``claims.ttl``, where the holder may work (unowned, or its
primary or backup owner), and where no one else holds a live claim on the
directory, inside it or around it. The holder releases it by deleting the
ref; so may ``policy.owners``. An expired claim counts as absent. While a
claim is live, no one else's change may touch a path under it.
"""
from __future__ import annotations

import time

from enforcer.model import CLAIM_REFS, Claim, RefUpdate, StagedChange, Violation, claim_path
from enforcer.policies.ownership import changed_paths
from enforcer.policy import Policy

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Iterator

APPLIES_TO = (RefUpdate, StagedChange)
CLOCK_SKEW = 60  # seconds a claim's expiry may exceed now + ttl (the clients' clocks drift)


def live_claims(request: RefUpdate | StagedChange) -> list[Claim]:
    return [c for c in request.claims if c.expires > request.now]


def _until(claim: Claim) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(claim.expires))


def check(policy: Policy, request: RefUpdate | StagedChange) -> Iterator[Violation]:
    if isinstance(request, RefUpdate) and request.ref.startswith(CLAIM_REFS):
        yield from _judge_claim_ref(policy, request)
        return
    others = [c for c in live_claims(request) if c.holder != request.actor]
    if not others or (isinstance(request, RefUpdate) and request.deleted):
        return
    hits: dict[Claim, list[str]] = {}
    for path in changed_paths(request):
        for claim in others:
            if path.startswith(claim.path):
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
    entry = policy.owner_of(path)
    if entry is not None and actor not in policy.members(entry.owners):
        yield Violation(entry.id, "claims.owner", f"{actor} cannot claim {path}: {entry.path} belongs to "
                        f"{' and '.join(entry.owners)}", "claim a directory you own, or one no one owns")
    for other in live:
        if other.holder != actor and (other.path.startswith(path) or path.startswith(other.path)):
            yield Violation("claims", "claims.held", f"{other.path} is claimed by {other.holder} until "
                            f"{_until(other)}, so {path} cannot be claimed", "claim another directory, or wait")
