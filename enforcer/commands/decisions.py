"""`enforcer decisions`: the recorded decisions of a bare repository (reading changes nothing)."""
from __future__ import annotations

import time

import click

from enforcer.commands.common import FORMATS
from enforcer.errors import EnforcerError


@click.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=0), help="The newest N decisions.")
def decisions(fmt: str, limit: int) -> int:
    """List the recorded decisions of this (bare) repository, newest first (reading changes nothing).

    \b
    Examples:
      enforcer decisions --limit 20
      enforcer -C /srv/git/app.git decisions --format json
    """
    from enforcer.git import Repo
    from enforcer.records import default_store
    from enforcer.report import escape
    from enforcer.serialize import dumps

    repo = Repo()
    store = default_store(repo.git_dir())
    if not repo.is_bare() and not store.exists():  # a clone keeps none: the server's hooks record them
        raise EnforcerError("no decisions here: the server records them in its bare repository; run "
                            "`enforcer decisions` there, or `enforcer -C path/to/repo.git decisions`")
    rows = store.decisions(limit)
    if fmt == "json":  # the records' one JSON shape (enforcer.serialize), as the web API serves it
        click.echo(dumps(rows))
        return 0
    for r in rows:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.time or 0))
        note = f" ({escape(r.note)})" if r.note else ""
        click.echo(f"{when} {r.hook} {escape(r.actor or '-')} {escape(r.ref or r.subject)} "
                   f"{escape(r.old[:10])}..{escape(r.new[:10])} {r.verdict}{note}")
        for v, overridden in [(v, False) for v in r.violations] + [(v, True) for v in r.overridden]:
            label = "evaluate only, not enforced: " if v.evaluate_only else "overridden: " if overridden else ""
            click.echo(f"    {label}{escape(v.rule)} {escape(v.check)}: {escape(v.reason)}")
    return 0
