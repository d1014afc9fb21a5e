"""`enforcer explain`: which rule decides, and why, as a trace of the core's decision."""
from __future__ import annotations

import time

import click

from enforcer.commands.common import clone_actor, clone_claims, clone_policy
from enforcer.errors import EnforcerError


@click.command()
@click.option("--actor", help="Who acts (default: ENFORCER_ACTOR, aliases[user.email], user.name).")
@click.option("--branch", "branch_name", help="Which branch rule decides, and what it allows.")
@click.option("--tag", "tag_name", help="Which tag rule decides.")
@click.option("--path", "path_name", help="Which ownership entry decides.")
@click.option("--env", "env_name", help="What an environment requires.")
@click.option("--policy", "policy_file", help="Policy file (default: policy.yaml).")
def explain(actor: str | None, branch_name: str | None, tag_name: str | None, path_name: str | None,
            env_name: str | None, policy_file: str | None) -> int:
    """Which rule decides for an actor on a branch, tag, path or environment, and why: the
    core's decision on a commit pushed to the branch, the tag's creation, a change to the path
    (with the clone's live claims), traced rule by rule.

    Exit 0 when the actor is allowed, 1 when not, 3 when a person must approve.

    \b
    Examples:
      enforcer explain --actor task_worker1 --branch main
      enforcer explain --actor jgirmay --tag v1.2.3
      enforcer explain --actor task_worker2 --path basic_edu_apps_final/environments/math/x.py
      enforcer explain --actor jgirmay --env prod
    """
    from enforcer import explain as explainer
    from enforcer import report
    from enforcer.model import strictest

    policy = clone_policy(policy_file)
    who = clone_actor(policy, actor)
    if branch_name is tag_name is path_name is env_name is None:
        raise click.UsageError("name one of --branch, --tag, --path or --env")
    now = time.time()
    answers = [explainer.actor(policy, who)]
    if branch_name is not None:
        answers.append(explainer.branch(policy, who, branch_name, now))
    if tag_name is not None:
        answers.append(explainer.tag(policy, who, tag_name, now))
    if path_name is not None:
        answers.append(explainer.path(policy, who, repository_path(path_name), clone_claims(), now))
    if env_name is not None:
        answers.append(explainer.environment(policy, who, env_name))
    click.echo("\n".join(line for _, lines in answers for line in lines))
    return report.EXIT_CODES[strictest(verdict for verdict, _ in answers)]


def repository_path(name: str) -> str:
    """A path as git names it in a commit (``./a//b/`` -> ``a/b``), so that explain judges the
    path a commit would change; a path outside the repository is refused."""
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if name.startswith("/") or ".." in parts or not parts:
        raise EnforcerError(f"--path {name!r}: name a path inside the repository, relative to its root "
                            "(as git names it, e.g. src/app.py)")
    return "/".join(parts)
