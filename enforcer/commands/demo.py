"""`enforcer demo`: the reference policy at work in a sandbox (enforcer.demo), then the web view."""
from __future__ import annotations

import click


@click.command()
@click.option("--dir", "directory", default="enforcer-demo", show_default=True,
              help="The sandbox; a previous demo's directory is cleared, any other must be new or empty.")
@click.option("--no-serve", is_flag=True, help="Stop after the story instead of serving the web view.")
@click.option("--port", default=0, type=click.IntRange(0, 65535),
              help="The web view's port on 127.0.0.1 (default: a free one).")
def demo(directory: str, no_serve: bool, port: int) -> int:
    """Play the reference policy's story in a sandbox, every verdict real: feature work allowed, a
    direct commit on dev and a force push refused, an agent refused in another's directory and
    a claim, a reviewer's merge, a tag deploying to QA, production refused until approved, a
    failing deploy rolled back. Then serve the web view over it. Exit 0 when every verdict is
    the policy's, 1 otherwise.

    \b
    Example:
      enforcer demo                      # then open the address it prints
      enforcer demo --dir /tmp/d --no-serve
    """
    import signal
    import sys

    from enforcer import demo as story

    # a `kill` or a closed terminal ends the demo as Ctrl-C does: its services are stopped too
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda number, _: sys.exit(128 + number))
    sandbox, good = story.run(directory, click.echo)
    try:
        if no_serve or not good:
            return 0 if good else 1
        import waitress

        from enforcer.web import create_app

        port = port or story._free_port()
        click.echo(f"\nThe web view: http://127.0.0.1:{port}/  (Ctrl-C stops it and the demo's services)")
        waitress.serve(create_app(str(sandbox.origin)), host="127.0.0.1", port=port, threads=4, _quiet=True)
        return 0
    finally:
        sandbox.stop_services()
