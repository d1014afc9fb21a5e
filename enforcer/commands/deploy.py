"""`enforcer deploy`, `rollback`, `deployments` and `deploy-log`: the deploy runner (enforcer.runner)
and its records, in the bare repository (the server)."""
from __future__ import annotations

import sys

import click

from enforcer.commands.common import FORMATS
from enforcer.errors import EnforcerError

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from enforcer.records import Deployment
    from enforcer.runner import Place

_actor = click.option("--actor", help="Who deploys: the server's actor (server.actor_from); a different one is "
                                      "refused.")


def _place(actor: str | None, hook: str = "deploy", quiet: bool = False) -> Place:
    from enforcer.commands.common import server_context
    from enforcer.git import Repo
    from enforcer.runner import Place

    repo = Repo()
    if not repo.is_bare():
        raise EnforcerError("deploys run in the bare repository, the server (DESIGN.md): cd there, or use "
                            "enforcer -C PATH")
    policy, who, names, blob = server_context(repo, actor, "deploy")
    return Place(repo, policy, who, names, blob, None if quiet else sys.stdout.buffer, hook)


def _run(call: object, *args: object) -> int:
    from enforcer.runner import Busy

    try:
        return call(*args)  # type: ignore[operator]
    except Busy as e:
        click.echo(f"enforcer: {e}", err=True)
        return 1


@click.command()
@click.argument("env", metavar="ENV")
@click.argument("tag", metavar="TAG")
@_actor
def deploy(env: str, tag: str, actor: str | None) -> int:
    """Deploy TAG to ENV through every gate: the environment takes the tag, it deployed to `after`
    first, an approver approved it, checks.before_deploy pass in a clean checkout; then
    deploy.command and the health check. Exit 0 deployed, 1 refused or failed, 2 bad input.

    \b
    Example, in the bare repository:
      ENFORCER_ACTOR=jgirmay enforcer deploy prod v1.2.3
    """
    from enforcer import runner

    return _run(runner.deploy, _place(actor), env, tag)


@click.command()
@click.argument("env", metavar="ENV")
@click.option("--to", "to", metavar="TAG", help="An earlier successful deploy of ENV (default: the version live "
                                                 "before the current one).")
@_actor
def rollback(env: str, to: str | None, actor: str | None) -> int:
    """Deploy again the version of ENV live before the current one (or --to TAG); the current
    one is recorded as rolled back. Exit 0 rolled back, 1 refused or failed, 2 bad input.

    \b
    Example, in the bare repository:
      ENFORCER_ACTOR=jgirmay enforcer rollback prod --to v1.2.2
    """
    from enforcer import runner

    return _run(runner.rollback, _place(actor), env, to)


@click.command()
@click.argument("env", metavar="[ENV]", required=False)
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text")
def deployments(env: str | None, limit: int, fmt: str) -> int:
    """The deploys and rollbacks on record, newest first (a running deploy whose runner is gone
    shows as interrupted).

    \b
    Example:
      enforcer deployments prod --format json
    """
    import json

    from enforcer import serialize
    from enforcer.git import Repo
    from enforcer.records import default_store
    from enforcer.report import escape
    from enforcer.runner import outcome_now

    repo = Repo()
    rows = [r._replace(outcome=outcome_now(repo, r)) for r in default_store(repo.git_dir()).deployments(env, limit)]
    if fmt == "json":
        click.echo(json.dumps([serialize.deployment(r) for r in rows], indent=2))
        return 0
    for r in rows:
        click.echo(escape(_line(r)))
    if not rows:
        click.echo(f"no deployments{' to ' + env if env else ''} on record")
    return 0


def _line(r: Deployment) -> str:
    import time

    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.started))
    what = f"rollback of {r.rollback_of}" if r.rollback_of else "deploy"
    moved = f" (from {r.previous})" if r.previous else ""
    seen = f", health {r.health}" if r.health else ""
    return f"{r.id:>5}  {when}  {r.env}  {r.tag}{moved}  {r.outcome}  {what} by {r.actor}{seen}"


@click.command("deploy-log")
@click.argument("deployment_id", metavar="ID", type=int)
def deploy_log(deployment_id: int) -> int:
    """Print the log of deployment ID (as far as it has come, for one still running).

    \b
    Example:
      enforcer deploy-log 12
    """
    from enforcer.git import Repo
    from enforcer.records import default_store

    repo = Repo()
    found = next((d for d in default_store(repo.git_dir()).deployments(None, 100_000) if d.id == deployment_id),
                 None)
    if found is None:
        raise EnforcerError(f"no deployment {deployment_id} on record: see enforcer deployments")
    try:
        with open(found.log, "rb") as f:
            sys.stdout.buffer.write(f.read())
    except OSError as e:
        raise EnforcerError(f"the log of deployment {deployment_id} ({found.log}) cannot be read: {e.strerror}") \
            from None
    return 0
