"""Directory claims: no change under a directory another actor holds a live claim on."""
from __future__ import annotations

import datetime
from typing import Iterator

from enforcer.model import Claim, RefUpdate, StagedChange, Violation
from enforcer.policies.ownership import changed_paths
from enforcer.policy import Policy

APPLIES_TO = (RefUpdate, StagedChange)


def live_claims(request: RefUpdate | StagedChange) -> list[Claim]:
    return [c for c in request.claims if c.expires > request.now]


def check(policy: Policy, request: RefUpdate | StagedChange) -> Iterator[Violation]:
    others = [c for c in live_claims(request) if c.holder != request.actor]
    if not others or (isinstance(request, RefUpdate) and request.deleted):
        return
    hits: dict[Claim, list[str]] = {}
    for path in changed_paths(request):
        for claim in others:
            if path.startswith(claim.path):
                hits.setdefault(claim, []).append(path)
    for claim, paths in sorted(hits.items(), key=lambda item: item[0].path):
        until = datetime.datetime.fromtimestamp(claim.expires).strftime("%Y-%m-%d %H:%M")
        yield Violation("claims", "claims.held",
                        f"{claim.path} is claimed by {claim.holder} until {until}: {', '.join(sorted(paths)[:5])}",
                        f"wait until {claim.holder} releases it (enforcer release {claim.path}) or the claim "
                        "expires; work in another directory meanwhile")
