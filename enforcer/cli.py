"""The command line: the `enforcer` group and its commands (one module each, enforcer.commands)."""
from __future__ import annotations

import os

import click

from enforcer import __version__
from enforcer.commands.agent_hook import agent_hook
from enforcer.commands.approve import approve
from enforcer.commands.check import check
from enforcer.commands.claims import claim, claims, release
from enforcer.commands.command import command
from enforcer.commands.decisions import decisions
from enforcer.commands.demo import demo
from enforcer.commands.deploy import deploy, deploy_log, deployments, rollback
from enforcer.commands.explain import explain
from enforcer.commands.hook import hook
from enforcer.commands.init import init
from enforcer.commands.install import install, uninstall
from enforcer.commands.serve import serve
from enforcer.commands.status import status
from enforcer.commands.validate import schema, validate
from enforcer.errors import EnforcerError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-C", "directory", metavar="PATH", help="Run as if enforcer was started in PATH (like git -C).")
@click.version_option(__version__, prog_name="enforcer")
def cli(directory: str | None) -> None:
    """One policy.yaml, enforced everywhere git work happens.

    \b
    Examples:
      enforcer demo                                   # see it work, in a sandbox
      enforcer init --preset github-flow              # a starter policy.yaml
      enforcer validate
      enforcer explain --actor task_worker1 --branch main
      enforcer install                                # client hooks in this clone
      enforcer COMMAND --help

    Shell completion: docs/completion.md.
    """
    if directory:
        try:
            os.chdir(directory)
        except OSError as e:
            raise EnforcerError(f"-C {directory}: {e.strerror}") from None


for one in (validate, schema, check, explain, install, uninstall, hook, decisions, command, agent_hook,
            claim, release, claims, deploy, rollback, deployments, deploy_log, status, serve, demo, init):
    cli.add_command(one)
cli.add_command(approve)
