"""`enforcer hook NAME`: listed for --help; enforcer.main runs hooks before click loads."""
from __future__ import annotations

import click


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("name")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def hook(name: str, args: tuple[str, ...]) -> int:
    """What installed hooks call: pre-commit, commit-msg, pre-push and post-checkout in a clone;
    pre-receive or update on a server (post-receive is a few lines of sh that record what landed).

    \b
    Example (what .git/hooks/pre-commit runs; by hand, it judges what is staged):
      enforcer hook pre-commit
    """
    from enforcer.hookrun import main as hook_main

    return hook_main([name, *args])
