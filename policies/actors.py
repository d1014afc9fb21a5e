"""Who is acting: an actor the policy does not know is refused, naming where we looked."""
from __future__ import annotations

from enforcer.model import CommandLine, Deploy, EnvironmentMove, FileEdit, RefUpdate, StagedChange, Violation
from enforcer.policy import Policy

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Iterator

    from enforcer.model import Request

# every request but a Bootstrap, which has no policy yet: policies/bootstrap.py judges its pusher
APPLIES_TO = (RefUpdate, StagedChange, Deploy, EnvironmentMove, CommandLine, FileEdit)
ANY_REQUEST = True
STOPS = True  # the rules would judge someone the policy does not know
BREAK_GLASS = False  # break-glass is granted to a known actor


def check(policy: Policy, request: Request) -> Iterator[Violation]:
    actor = request.actor
    if not actor:
        looked = ", ".join(request.actor_vars) if request.actor_vars else "no source"
        yield Violation("actors", "actors.missing", f"no actor: none of {looked} is set",
                        "set one of them (server side the hosting server sets it for the pusher)")
    elif actor not in policy.actors:
        yield Violation("groups", "actors.unknown", f"actor {actor!r} is in no group of the policy",
                        f"add {actor} to a group under `groups:` in {policy.source}, or map your git "
                        "email to an actor under `aliases:`")
