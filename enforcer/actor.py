"""Who is acting, and for which branch, by where enforcer runs (docs/policy.md, *Actors*).

One resolution per place, as DESIGN.md's contract table says:

- server (hooks, and server-side commands that change state): the first set
  variable of `server.actor_from`, else the hosting servers' own;
- clone (client hooks, `command`, `agent-hook`, `claim`, `explain`): --actor,
  else ENFORCER_ACTOR, else aliases[user.email], else user.name;
- CI (`enforcer check`): --actor, else the CI's variables, through `aliases`.

The CI variables live in one table, with the branch and pull request variables
beside the actor's, so that a new CI is one row.
"""
from __future__ import annotations

import os

from enforcer.policy import Policy
from enforcer.tuples import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Mapping, Sequence

# what the hosting servers set for the pusher (GitLab, Gitea/Forgejo, gitolite, smart HTTP)
SERVER_VARIABLES = ("GL_USERNAME", "GITEA_PUSHER_NAME", "GL_USER", "REMOTE_USER", "ENFORCER_ACTOR")
CLONE_SOURCES = ("--actor", "ENFORCER_ACTOR", "aliases[user.email]", "user.name")


class CI(NamedTuple):
    """The variables one CI sets: who runs the pipeline, the branch a push pipeline runs for, and
    a pull (merge) request's target and source branches."""

    name: str
    actor: str
    branch: str
    pr_target: str
    pr_source: str


CI_TABLE = (
    CI("GitHub Actions", "GITHUB_ACTOR", "GITHUB_REF_NAME", "GITHUB_BASE_REF", "GITHUB_HEAD_REF"),
    CI("GitLab CI", "GITLAB_USER_LOGIN", "CI_COMMIT_REF_NAME", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
       "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"),
)
CI_VARIABLES = (*(ci.actor for ci in CI_TABLE), "ENFORCER_ACTOR")


def first_set(names: Sequence[str], environ: Mapping[str, str] | None = None) -> str | None:
    environ = os.environ if environ is None else environ
    return next((environ[n] for n in names if environ.get(n)), None)


def aliased(policy: Policy, name: str | None) -> str | None:
    """A git email or login mapped to its actor through `aliases`."""
    return policy.aliases.get(name, name) if name else name


def server_actor(policy: Policy | None) -> tuple[str | None, tuple[str, ...]]:
    """Server side: (the pusher, where it was looked for). Only the hosting server's variables
    count; without a policy yet (a bootstrap), the defaults."""
    names = (policy.actor_from if policy is not None else ()) or SERVER_VARIABLES
    # never a variable git fills from what the pusher sends (the validator refuses them too)
    return first_set([n for n in names if not n.startswith("GIT_")]), tuple(names)


def ci_actor(policy: Policy, explicit: str | None) -> tuple[str | None, tuple[str, ...]]:
    """`enforcer check`: --actor, else the CI's variables, through `aliases`."""
    if explicit:
        return aliased(policy, explicit), ("--actor",)
    return aliased(policy, first_set(CI_VARIABLES)), ("--actor",) + CI_VARIABLES


def ci_branch() -> str | None:
    """The branch a push pipeline runs for."""
    return first_set([ci.branch for ci in CI_TABLE])


def ci_pull_request() -> tuple[str, str | None] | None:
    """(target, source) when the CI runs for a pull or merge request."""
    for ci in CI_TABLE:
        if os.environ.get(ci.pr_target):
            return os.environ[ci.pr_target], os.environ.get(ci.pr_source) or None
    return None


def clone_actor(policy: Policy, explicit: str | None, email: str | None, name: str | None) -> str | None:
    """In a clone: --actor, else ENFORCER_ACTOR, else aliases[user.email], else user.name
    (``email`` and ``name`` from enforcer.git's USER_CONFIG, read only where they are needed:
    ``needs_identity``)."""
    if explicit or os.environ.get("ENFORCER_ACTOR"):
        return aliased(policy, explicit or os.environ["ENFORCER_ACTOR"])
    if email and email in policy.aliases:
        return policy.aliases[email]
    return aliased(policy, name)


def needs_identity(explicit: str | None = None) -> bool:
    """Whether the clone's user.email and user.name must be read to know who acts."""
    return not explicit and not os.environ.get("ENFORCER_ACTOR")
