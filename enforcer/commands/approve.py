"""`enforcer approve ENV TAG`: an environment's approver approves a tag for it, in a clone (pushed
to its remote, where the server's hooks judge it again) or in the bare repository (written there
and recorded); enforcer.approving does the work."""
from __future__ import annotations

import click

from enforcer.commands.common import show_outcome
from enforcer.errors import EnforcerError

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from enforcer.approving import Place
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
    from enforcer.approving import Place
    from enforcer.commands.common import server_context

    if remote is not None:
        raise EnforcerError("--remote applies in a clone only: the bare repository is the server itself")
    policy, who, names, blob = server_context(repo, actor, "approve")
    return Place(repo, policy, who, names, None, policy_blob=blob)


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
    return show_outcome(approving.revoke(place, what) if revoke else approving.approve(place, what))
