"""`enforcer check`: a range judged as the server will judge it, for CI (docs/ci.md)."""
from __future__ import annotations

import click

from enforcer.errors import EnforcerError
from enforcer.policy import Policy, load_policy, load_policy_bytes

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from enforcer.git import Repo


@click.command()
@click.option("--base", help="Push form: where the branch stood before the range. PR form: the target's tip "
              "(default: origin/TARGET).")
@click.option("--head", help="The commit to judge (default: HEAD; for a PR, the source branch where this clone "
              "has it, else HEAD).")
@click.option("--branch", help="The branch the range lands on (push) or comes from (PR); default: the CI's "
              "branch, else the current one.")
@click.option("--merge-into", "target", metavar="TARGET", help="PR form: the range is a pull request into TARGET "
              "(default from GITHUB_BASE_REF or CI_MERGE_REQUEST_TARGET_BRANCH_NAME).")
@click.option("--actor", help="Who pushes (default: GITHUB_ACTOR, GITLAB_USER_LOGIN, ENFORCER_ACTOR).")
@click.option("--policy", "policy_file", help="Policy file (default: policy.yaml as of --base, or of TARGET).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text")
def check(base: str | None, head: str | None, branch: str | None, target: str | None, actor: str | None,
          policy_file: str | None, fmt: str) -> int:
    """Judge a range as the server will: as a push of --base..--head onto --branch, or as a pull
    request into --merge-into (detected from GitHub's and GitLab's PR variables).

    Exit 0 clean, 1 violations, 2 bad input (docs/ci.md).

    \b
    Examples:
      enforcer check --base origin/main --head HEAD --branch main --actor jgirmay
      enforcer check --merge-into main --branch feature/login-0612 --format github
    """
    from enforcer import actor as actors
    from enforcer import check as checks
    from enforcer import report
    from enforcer.git import Repo
    from enforcer.prefetch import take

    repo = Repo()
    asked = actors.ci_pull_request()
    explicit = target is not None  # --merge-into: run by hand, where HEAD need not be the PR's head
    if target or asked:
        target = target or (asked[0] if asked else None)
        source = branch or (asked[1] if asked else None) or repo.default_branch()
        if not target or not source:
            raise EnforcerError("which branch does the pull request come from? pass --branch NAME")
        target_sha = checks.target_tip(repo, target, base)
        head_sha = _commit(repo, head or "HEAD", "--head") if head or not explicit else checks.source_tip(repo, source)
        policy = _policy_at(repo, policy_file, target_sha, target)
        who, looked = actors.ci_actor(policy, actor)
        results = checks.merge_request(repo, policy, who, looked, target, target_sha, source, head_sha)
    else:
        if base is None:
            raise click.UsageError("--base is required for a push (or pass --merge-into TARGET for a pull request)")
        branch = branch or actors.ci_branch() or repo.default_branch()
        if not branch:
            raise EnforcerError("which branch does this range land on? pass --branch NAME")
        head = head or "HEAD"
        started = take(base, head, branch)
        base_sha, head_sha, walk = started if started else (_commit(repo, base, "--base"),
                                                            _commit(repo, head, "--head"), None)
        policy = _policy_at(repo, policy_file, base_sha, f"--base {base}")
        who, looked = actors.ci_actor(policy, actor)
        results = checks.push(repo, policy, who, looked, base_sha, head_sha, branch, walk)
    click.echo(report.RENDERERS[fmt](results))
    return report.exit_code(results)


def _commit(repo: Repo, rev: str, option: str) -> str:
    sha = repo.resolve(rev)
    if sha is None:
        if repo.is_shallow():
            raise EnforcerError(f"{option} {rev} is not in this shallow clone: fetch the whole history "
                                "(GitHub: actions/checkout with fetch-depth: 0; GitLab: GIT_DEPTH: 0)")
        raise EnforcerError(f"{option} {rev}: no such commit")
    return sha


def _policy_at(repo: Repo, policy_file: str | None, sha: str, where: str) -> Policy:
    """--policy, else policy.yaml as of ``sha``: a range cannot loosen the policy it is judged by."""
    from enforcer.model import POLICY_FILE

    if policy_file:
        return load_policy(policy_file)
    raw = repo.read_file(sha, POLICY_FILE)
    if raw is None:
        raise EnforcerError(f"no {POLICY_FILE} at {where}: pass --policy FILE")
    return load_policy_bytes(raw, f"{POLICY_FILE}@{sha[:10]}")
