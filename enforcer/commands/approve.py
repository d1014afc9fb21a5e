"""`enforcer approve ENV TAG`: an environment's approver approves a tag for it, in a clone (pushed
to its remote, where the server's hooks judge it again) or in the bare repository (written there
and recorded); enforcer.approving does the work."""
from __future__ import annotations

import click

from enforcer.errors import EnforcerError

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from enforcer.approving import Place
    from enforcer.claiming import Outcome
    from enforcer.git import Repo


def _place(actor: str | None, remote: str | None) -> Place:
    from enforcer.approving import Place
    from enforcer.git import Repo

    repo = Repo()
    if repo.is_bare():
        return _server_place(repo, actor, remote)
    from enforcer.actor import CLONE_SOURCES
    from enforcer.claiming import choose_remote
    from enforcer.commands.common import clone_actor, clone_policy

    policy = clone_policy(None)
    where = choose_remote(repo, remote)
    if where is None:
        raise EnforcerError("this clone has no remote: an approval is for the server, where the deploy runner reads "
                            "it; add the remote (git remote add origin URL), or run enforcer approve in the bare "
                            "repository")
    return Place(repo, policy, clone_actor(policy, actor), CLONE_SOURCES, where)


def _server_place(repo: Repo, actor: str | None, remote: str | None) -> Place:
    """The bare repository: the server's policy and actor (DESIGN.md, *Who is acting*)."""
    from enforcer.actor import server_actor
    from enforcer.approving import Place
    from enforcer.server_hooks.server_policy import server_policy

    if remote is not None:
        raise EnforcerError("--remote applies in a clone only: the bare repository is the server itself")
    policy, _, blob = server_policy(repo, read_only=True)
    if policy is None:
        raise EnforcerError("this repository has no policy yet: push its first policy.yaml to the default branch "
                            "(the bootstrap), then approve")
    who, names = server_actor(policy)
    if actor is not None and actor != who:
        raise EnforcerError(f"--actor {actor} is not the server's actor ({who or 'none'}, from the first set of "
                            f"{', '.join(names)}): in the bare repository the server says who acts; drop --actor")
    if not who:
        raise EnforcerError(f"who is acting? none of {', '.join(names)} is set: set one (server.actor_from)")
    return Place(repo, policy, who, names, None, policy_blob=blob)


def _show(outcome: Outcome) -> int:
    from enforcer import report

    if outcome.results:
        click.echo(report.text(outcome.results), err=True)
    for line in outcome.lines:
        click.echo(report.escape(line), err=outcome.code != 0)
    return outcome.code


@click.command()
@click.argument("env", metavar="ENV")
@click.argument("tag", metavar="TAG")
@click.option("--revoke", is_flag=True, help="Take the approval back (the environment's approvers, or policy.owners).")
@click.option("--remote", help="The remote a clone's approval goes through (default: origin, else the only one).")
@click.option("--actor", help="Who approves (a clone: default ENFORCER_ACTOR, aliases[user.email], user.name; "
                              "the bare repository: the server's actor).")
def approve(env: str, tag: str, revoke: bool, remote: str | None, actor: str | None) -> int:
    """Approve TAG for the environment ENV, as one of its `approve` actors.

    The approval holds for the object TAG points to now: a tag moved or
    re-created since needs a new approval. In a clone it is pushed to the
    remote as refs/enforcer/approvals/ENV/TAG, and the server judges it
    again; in the bare repository it is written and recorded there.
    Exit 0 approved (or revoked), 1 refused, 2 bad input.

    \b
    Example:
      enforcer approve prod v1.0.3
      enforcer approve prod v1.0.3 --revoke
    """
    from enforcer import approving

    what = approving.target(env, tag)
    place = _place(actor, remote)
    return _show(approving.revoke(place, what) if revoke else approving.approve(place, what))
