"""`enforcer status`: the overview of a server repository (enforcer.status), in the terminal."""
from __future__ import annotations

import click

from enforcer.commands.common import FORMATS


@click.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text")
def status(fmt: str) -> int:
    """What is deployed where, emergency patches in production not yet merged back into dev, the
    live claims and the latest refusals, in the bare repository (read-only).

    \b
    Example:
      enforcer -C /srv/git/app.git status --format json
    """
    import json

    from enforcer.commands.common import server_context
    from enforcer.errors import EnforcerError
    from enforcer.git import Repo
    from enforcer.report import escape
    from enforcer.status import overview, text

    repo = Repo()
    if not repo.is_bare():
        raise EnforcerError("status reads the server's records: run it in the bare repository (enforcer -C PATH)")
    policy = server_context(repo, None, "read its status", need_actor=False)[0]
    view = overview(repo, policy)
    if fmt == "json":
        click.echo(json.dumps(view, indent=2))
    else:
        for line in text(view):
            click.echo(escape(line))
    return 0
