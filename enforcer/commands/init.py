"""`enforcer init`: a starter policy.yaml from a preset, valid and with its own tests."""
from __future__ import annotations

import json
import os

import click

from enforcer.errors import EnforcerError

PRESETS = {"sop": ("sop.yaml", "sop-tests.yaml"), "github-flow": ("github-flow.yaml",), "trunk": ("trunk.yaml",)}


@click.command()
@click.option("--preset", type=click.Choice(list(PRESETS)), default="github-flow", show_default=True,
              help="sop: the reference policy and its tests; github-flow: main takes only merges; "
                   "trunk: everyone commits to main, never rewritten.")
@click.option("--owner", help="Who owns the policy (github-flow, trunk): default ENFORCER_ACTOR, else git's "
                              "user.name.")
@click.option("--force", is_flag=True, help="Replace a policy.yaml that is already there.")
def init(preset: str, owner: str | None, force: bool) -> int:
    """Write a starter policy.yaml at the repository's root (or here), one that validates and
    proves itself with its own `tests:`, and say the next steps.

    \b
    Example:
      enforcer init --preset github-flow --owner alice
      enforcer init --preset sop && enforcer validate
    """
    from importlib import resources

    from enforcer.git import GitError, Repo
    from enforcer.selftest import check_policy_bytes

    try:
        root = Repo().toplevel() or "."
    except GitError:
        root = "."
    target = os.path.join(root, "policy.yaml")
    if os.path.exists(target) and not force:
        raise EnforcerError(f"{target} is already there: edit it, or pass --force to replace it")
    examples = resources.files("enforcer.policies.examples")
    text = "\n".join(examples.joinpath(name).read_text() for name in PRESETS[preset])
    if "OWNER" in text:
        who = owner or os.environ.get("ENFORCER_ACTOR") or _git_name()
        if not who or any(c in who for c in "\n\r\t") or len(who) > 100:
            raise EnforcerError("who owns the policy? pass --owner NAME (the actor who will push it)")
        text = text.replace("OWNER", json.dumps(who, ensure_ascii=False))  # a YAML string, whatever the name
    problems = [p for p in check_policy_bytes(text.encode(), target)[1] if not p.warning]
    if problems:  # a preset that does not validate is a bug here, not the user's
        raise RuntimeError(f"the {preset} preset does not validate: {problems[0]}")
    with open(target, "w", encoding="utf-8") as f:
        f.write(text)
    click.echo(f"wrote {target} ({preset}): it validates and its tests pass (enforcer validate). Next:")
    click.echo("  1. commit it alone first, and push it as a policy owner (the server's first push, the bootstrap):")
    click.echo("       git add policy.yaml && git commit -m 'policy.yaml' && git push origin HEAD")
    click.echo("  2. in each clone: enforcer install            (client hooks: pre-commit, commit-msg, pre-push)")
    click.echo("  3. on the server:  enforcer install --server /srv/git/REPO.git   (the authority: docs/server.md)")
    if preset == "sop":
        click.echo("  The reference policy names the SOP's team (jgirmay, task_worker1, ...): put yours in `groups`.")
    return 0


def _git_name() -> str | None:
    from enforcer.git import GitError, Repo

    try:
        return Repo().identity()[1]
    except GitError:
        return None
