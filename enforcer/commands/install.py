"""`enforcer install` and `uninstall`: where hooks go (a clone's, or a bare repository's in one of
the hosting servers' layouts); enforcer.install writes and removes them."""
from __future__ import annotations

from pathlib import Path

import click

from enforcer.errors import EnforcerError

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from enforcer.git import Repo

CLIENT_HOOKS = ("pre-commit", "commit-msg", "pre-push", "post-checkout")
LAYOUTS = {"plain": ("hooks", False), "gitlab": ("custom_hooks", True), "gitea": ("hooks", True)}


def _hook_targets(server: str | None, layout: str, mode: str) -> tuple[Path, tuple[str, ...], bool]:
    from enforcer.git import Repo

    if server is None:
        if layout != "plain":
            raise click.UsageError("--layout applies to --server installs only")
        return Path(Repo().hooks_dir()).absolute(), CLIENT_HOOKS, False
    repo = Repo(server)
    git_dir = Path(server, repo.git_dir())  # raises a clear error when it is no repository
    folder, d_folders = LAYOUTS[layout]
    if layout == "plain":  # where git runs hooks from: core.hooksPath, else the git dir's hooks/
        hooks_dir = Path(server, repo.hooks_dir())
    else:  # the hosting server runs these from the repository itself
        hooks_dir = git_dir / folder
    # reference-transaction guards claims against racing pushes; hosting servers' hook folders
    # (GitLab, Gitea) take only the three receive hooks
    guards = ("reference-transaction",) if layout == "plain" else ()
    return hooks_dir.absolute(), (mode, "post-receive", *guards), d_folders


_server_opts = [
    click.option("--server", metavar="REPO.git", help="Server hooks in this bare repository (without it: client hooks in this clone)."),
    click.option("--layout", type=click.Choice(list(LAYOUTS)), default="plain", show_default=True,
                 help="Server hook layout: plain hooks/, GitLab custom_hooks/*.d/, Gitea/Forgejo hooks/*.d/."),
    click.option("--mode", type=click.Choice(["pre-receive", "update"]), default="pre-receive", show_default=True,
                 help="Judge the whole push at once (pre-receive) or ref by ref (update)."),
]


def _with_server_opts(fn):  # type: ignore[no-untyped-def]
    for option in reversed(_server_opts):
        fn = option(fn)
    return fn


@click.command()
@_with_server_opts
def install(server: str | None, layout: str, mode: str) -> int:
    """Install hooks: client hooks in this clone, or server hooks with --server.

    Hooks already there keep running: each moves to NAME.before-enforcer and runs first.

    \b
    Examples:
      enforcer install
      enforcer install --server /srv/git/app.git
      enforcer install --server /srv/git/app.git --layout gitea --mode update
    """
    from enforcer.git import Repo
    from enforcer.install import install as do_install, uninstall as do_uninstall

    hooks_dir, hooks, d_folders = _hook_targets(server, layout, mode)
    if server is not None:  # one mode at a time: both would judge every push twice
        other = "update" if mode == "pre-receive" else "pre-receive"
        for line in do_uninstall(hooks_dir, (other,), d_folders):
            click.echo(line)
    for line in do_install(hooks_dir, hooks, d_folders):
        click.echo(line)
    if server is not None:
        Repo(server).set_config("receive.advertisePushOptions", "true")
        click.echo(f"{server}: receive.advertisePushOptions = true (for -o enforcer.break-glass=...)")
        click.echo(f"{server}: {_server_policy_state(Repo(server))}")
    else:
        from enforcer.install import write_launcher

        launcher = write_launcher(Path(Repo().common_dir()))
        click.echo(f"{launcher}: enforcer started as the hooks start, for agents (`agent-hook claude`, "
                   "`command LINE`: docs/agents.md)")
    return 0


def _server_policy_state(repo: Repo) -> str:
    """What will judge the next push, so that an install never leaves a server refusing
    everything without saying so."""
    from enforcer.server_hooks.server_policy import server_policy

    try:
        policy, note, _ = server_policy(repo, read_only=True)  # the hooks may run as another user
    except EnforcerError as e:
        return f"warning: {e}"
    if policy is None:
        return ("no default branch yet: the first push must create it alone, with a valid policy.yaml "
                "whose policy.owners include the pusher (the bootstrap)")
    return f"pushes are judged by {note or 'the policy.yaml on the default branch'}"


@click.command()
@_with_server_opts
def uninstall(server: str | None, layout: str, mode: str) -> int:
    """Remove enforcer's hooks and put back the hooks that were there before.

    \b
    Examples:
      enforcer uninstall
      enforcer uninstall --server /srv/git/app.git
    """
    from enforcer.install import uninstall as do_uninstall

    hooks_dir, hooks, d_folders = _hook_targets(server, layout, mode)
    if server is not None:
        hooks = ("pre-receive", "update", "post-receive", "reference-transaction")
    lines = do_uninstall(hooks_dir, hooks, d_folders)
    if server is None:
        from enforcer.git import Repo
        from enforcer.install import remove_launcher

        lines += remove_launcher(Path(Repo().common_dir()))
    click.echo("\n".join(lines) if lines else "no enforcer hooks were installed")
    return 0
