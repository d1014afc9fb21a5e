"""Who is acting, by where enforcer runs (docs/policy.md, *Actors*)."""
from __future__ import annotations

import os

from enforcer.policy import Policy

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Mapping, Sequence

CI_VARIABLES = ("GITHUB_ACTOR", "GITLAB_USER_LOGIN", "ENFORCER_ACTOR")


def first_set(names: Sequence[str], environ: Mapping[str, str] | None = None) -> str | None:
    environ = os.environ if environ is None else environ
    return next((environ[n] for n in names if environ.get(n)), None)


def aliased(policy: Policy, name: str | None) -> str | None:
    """A git email or login mapped to its actor through `aliases`."""
    return policy.aliases.get(name, name) if name else name


def ci_actor(policy: Policy, explicit: str | None) -> tuple[str | None, tuple[str, ...]]:
    """`enforcer check`: --actor, else the CI's variables, through `aliases`."""
    if explicit:
        return aliased(policy, explicit), ("--actor",)
    return aliased(policy, first_set(CI_VARIABLES)), ("--actor",) + CI_VARIABLES


def clone_actor(policy: Policy, explicit: str | None, email: str | None, name: str | None) -> str | None:
    """In a clone: --actor, else ENFORCER_ACTOR, else aliases[user.email], else user.name."""
    if explicit or os.environ.get("ENFORCER_ACTOR"):
        return aliased(policy, explicit or os.environ["ENFORCER_ACTOR"])
    if email and email in policy.aliases:
        return policy.aliases[email]
    return aliased(policy, name)


CLONE_SOURCES = ("--actor", "ENFORCER_ACTOR", "aliases[user.email]", "user.name")
