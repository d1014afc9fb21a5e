"""`enforcer serve`: the read-only status web view (enforcer.web) on waitress, a production WSGI server."""
from __future__ import annotations

import ipaddress
import os

import click

from enforcer.errors import EnforcerError

THREADS = 4


@click.command()
@click.option("--repo", "repo_path", metavar="PATH", help="The server repository to show (default: -C, or the "
                                                          "working directory).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; anything but loopback "
                                                                     "needs a token.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--token", envvar="ENFORCER_TOKEN", help="Required of every request (Authorization: Bearer TOKEN, "
                                                       "or ?token=TOKEN once); default: ENFORCER_TOKEN.")
def serve(repo_path: str | None, host: str, port: int, token: str | None) -> int:
    """Serve the status web view of a server repository: the pipeline, the rules, deployments,
    decisions, claims and agents, and the same as JSON under /api/ (docs/web.md). Read-only.

    \b
    Example:
      enforcer serve --repo /srv/git/app.git --port 8080
      ENFORCER_TOKEN=s3cret enforcer serve --repo /srv/git/app.git --host 0.0.0.0
    """
    from enforcer.git import GitError, Repo

    path = os.path.abspath(repo_path or ".")
    try:
        Repo(path).git_dir()
    except GitError:
        raise EnforcerError(f"{path} is not a git repository: --repo names the server's bare repository") from None
    if not _loopback(host) and not token:
        raise EnforcerError(f"--host {host} is not loopback: anyone who reaches it would read the records; give "
                            "--token TOKEN (or ENFORCER_TOKEN), or bind 127.0.0.1")
    if token is not None and len(token) < 8:
        raise EnforcerError("the token is too short to guard anything: use 8 characters or more")
    import waitress

    from enforcer.web import create_app

    app = create_app(path, token)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"enforcer: serving {path} on http://{shown}:{port}/ (Ctrl-C stops it)", err=True)
    waitress.serve(app, host=host, port=port, threads=THREADS, ident="enforcer", _quiet=True)
    return 0


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
