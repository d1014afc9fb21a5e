"""What several commands share: the policy a clone judges by, and who acts in a clone (without click,
which the agents' fast path never loads)."""
from __future__ import annotations

from enforcer.errors import EnforcerError
from enforcer.policy import Policy, load_policy

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from enforcer.claiming import Outcome
    from enforcer.git import Repo
    from enforcer.model import Claim

FORMATS = ["text", "json"]  # click.Choice(FORMATS): this module stays free of click for enforcer.main's fast paths


def clone_policy(policy_file: str | None) -> Policy:
    """--policy, else policy.yaml at the working tree's root (not the current directory's: a
    policy.yaml an agent wrote in a subdirectory judges nothing)."""
    if policy_file:
        return load_policy(policy_file)
    import os

    from enforcer.git import GitError, Repo

    try:
        root = Repo().toplevel()
    except GitError:
        root = None
    return load_policy(os.path.join(root, "policy.yaml") if root else "policy.yaml")


def clone_actor(policy: Policy, explicit: str | None) -> str:
    """Who acts in a clone (enforcer.actor): --actor, ENFORCER_ACTOR, aliases[user.email], user.name."""
    from enforcer import actor as actors
    from enforcer.git import Repo

    email, name = Repo().identity() if actors.needs_identity(explicit) else (None, None)
    who = actors.clone_actor(policy, explicit, email, name)
    if not who:
        raise EnforcerError(f"who is acting? looked at {', '.join(actors.CLONE_SOURCES)}: pass --actor NAME")
    return who


def clone_claims() -> tuple[Claim, ...]:
    """The claims this clone knows (refs/enforcer/claims/, as fetched); none outside a repository."""
    from enforcer.git import Repo

    try:
        return Repo().claims()
    except EnforcerError:  # not a repository (a GitError is one)
        return ()


def server_context(repo: Repo, actor: str | None, what: str, need_actor: bool = True
                   ) -> tuple[Policy, str, tuple[str, ...], str | None]:
    """In the bare repository: (the server's policy, the server's actor, where it was read, the
    policy blob's id), DESIGN.md *Who is acting*. ``what`` names the action for the messages;
    ``need_actor`` False: a reader, for whom no actor need be set ("" then)."""
    from enforcer.actor import server_actor
    from enforcer.server_hooks.server_policy import server_policy

    policy, _, blob = server_policy(repo, read_only=True)
    if policy is None:
        raise EnforcerError("this repository has no policy yet: push its first policy.yaml to the default branch "
                            f"(the bootstrap), then {what}")
    who, names = server_actor(policy)
    if actor is not None and actor != who:
        raise EnforcerError(f"--actor {actor} is not the server's actor ({who or 'none'}, from the first set of "
                            f"{', '.join(names)}): in the bare repository the server says who acts; drop --actor")
    if not who and need_actor:
        raise EnforcerError(f"who is acting? none of {', '.join(names)} is set: set one (server.actor_from)")
    return policy, who or "", tuple(names), blob


def show_outcome(outcome: Outcome) -> int:
    """A claim's or an approval's outcome for the user: the core's refusals, then its lines."""
    import click

    from enforcer import report

    if outcome.results:
        click.echo(report.text(outcome.results), err=True)
    for line in outcome.lines:
        click.echo(report.escape(line), err=outcome.code != 0)
    return outcome.code
