"""`enforcer claim`, `release` and `claims`: directory and environment claims, in a clone (pushed
to its remote) or in the bare repository (written there); enforcer.claiming does the work."""
from __future__ import annotations

import os

import click

from enforcer.commands.common import FORMATS, show_outcome
from enforcer.errors import EnforcerError

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from enforcer.claiming import Held, Outcome, Place
    from enforcer.git import Repo

_actor = click.option("--actor", help="Who claims (a clone: default ENFORCER_ACTOR, aliases[user.email], "
                                      "user.name; the bare repository: the server's actor).")
_policy = click.option("--policy", "policy_file", help="Policy file (a clone only; default: policy.yaml at the "
                                                       "working tree's root).")
_remote = click.option("--remote", help="The remote a clone's claims go through (default: origin, else the only one).")


def _place(actor: str | None, policy_file: str | None, remote: str | None) -> Place:
    from enforcer.claiming import Place, choose_remote
    from enforcer.git import Repo

    repo = Repo()
    if repo.is_bare():
        return _server_place(repo, actor, policy_file, remote)
    from enforcer.actor import CLONE_SOURCES
    from enforcer.commands.common import clone_actor, clone_policy

    root = repo.toplevel() or "."
    policy = clone_policy(policy_file or os.path.join(root, "policy.yaml"))
    return Place(repo, policy, clone_actor(policy, actor), CLONE_SOURCES, choose_remote(repo, remote))


def _server_place(repo: Repo, actor: str | None, policy_file: str | None, remote: str | None) -> Place:
    """The bare repository: the server's policy and actor (DESIGN.md, *Who is acting*)."""
    from enforcer.claiming import Place
    from enforcer.commands.common import server_context

    if policy_file is not None or remote is not None:
        raise EnforcerError("--policy and --remote apply in a clone only: the bare repository judges by policy.yaml "
                            "on its default branch and is the server itself")
    policy, who, names, blob = server_context(repo, actor, "claim")
    return Place(repo, policy, who, names, None, server=True, policy_blob=blob)


@click.command()
@click.argument("directory", metavar="DIR")
@click.option("--ttl", help="How long it holds: 30m, 2h, 1h30m, or seconds (default: the policy's claims.ttl).")
@_actor
@_policy
@_remote
def claim(directory: str, ttl: str | None, actor: str | None, policy_file: str | None, remote: str | None) -> int:
    """Claim DIR (relative to the repository's root) or env:NAME, so that no one else works there
    until it is released or expires. Exit 0 claimed, 1 refused, 2 bad input.

    \b
    Examples:
      enforcer claim basic_edu_apps_final/environments/math/ --ttl 2h
      enforcer claim env:env3
    """
    from enforcer import claiming

    what = claiming.target(directory)
    seconds = claiming.ttl_seconds(ttl)
    return show_outcome(claiming.claim(_place(actor, policy_file, remote), what, seconds))


@click.command()
@click.argument("directory", metavar="DIR")
@_actor
@_policy
@_remote
def release(directory: str, actor: str | None, policy_file: str | None, remote: str | None) -> int:
    """Release a claim on DIR or env:NAME (its holder, or policy.owners). Exit 0 released or not
    claimed, 1 refused, 2 bad input.

    \b
    Examples:
      enforcer release basic_edu_apps_final/environments/math/
      enforcer release env:env3
    """
    from enforcer import claiming

    what = claiming.target(directory)
    return show_outcome(claiming.release(_place(actor, policy_file, remote), what))


@click.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text")
@_remote
def claims(fmt: str, remote: str | None) -> int:
    """List the claims, live and expired (a clone reads its remote's first).

    \b
    Examples:
      enforcer claims
      enforcer claims --format json
    """
    import json
    import time

    from enforcer import claiming
    from enforcer.git import Repo
    from enforcer.report import escape

    repo = Repo()
    where = None if repo.is_bare() else claiming.choose_remote(repo, remote)
    rows, warning = claiming.listing(repo, where)
    if warning:
        click.echo(f"enforcer: warning: {escape(warning)}", err=True)
    now = time.time()
    if fmt == "json":
        click.echo(json.dumps([_row(h, now) for h in rows], indent=2))
        return 0
    for h in rows:
        if h.claim is None:
            click.echo(f"{escape(h.name)}  (states no claim: {h.ref} -> {h.sha[:10]})")
            continue
        state = "live" if h.claim.expires > now else "expired"
        click.echo(f"{escape(h.name)}  {escape(h.claim.holder)}  until {claiming.until(h.claim.expires)}  {state}")
    if not rows:
        click.echo("no claims")
    return 0


def _row(h: Held, now: float) -> dict[str, object]:
    c = h.claim
    return {"path": h.name, "kind": "environment" if h.name.startswith("env:") else "directory", "ref": h.ref,
            "holder": c.holder if c else None, "expires": int(c.expires) if c else None,
            "live": bool(c and c.expires > now)}
