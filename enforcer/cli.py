"""The command line: each command builds a request, asks the core, reports, returns an exit code."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import click

from enforcer import __version__
from enforcer.errors import EnforcerError
from enforcer.policy import Policy, load_policy, load_policy_bytes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from enforcer.git import Repo
    from enforcer.model import Claim

FORMAT = click.Choice(["text", "json"])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-C", "directory", metavar="PATH", help="Run as if enforcer was started in PATH (like git -C).")
@click.version_option(__version__, prog_name="enforcer")
def cli(directory: str | None) -> None:
    """One policy.yaml, enforced everywhere git work happens."""
    if directory:
        try:
            os.chdir(directory)
        except OSError as e:
            raise EnforcerError(f"-C {directory}: {e.strerror}") from None


@cli.command()
@click.argument("file", default="policy.yaml", metavar="[FILE]")
@click.option("--format", "fmt", type=FORMAT, default="text")
def validate(file: str, fmt: str) -> int:
    """Check a policy file: schema, names, regexes, conflicts, and its own tests.

    Prints every problem at once with file:line:column and the fix; exit 2 when any is an error.
    """
    from enforcer.policy import MAX_POLICY_BYTES
    from enforcer.selftest import check_policy_bytes

    try:
        with open(file, "rb") as f:
            raw = f.read(MAX_POLICY_BYTES + 1)
    except OSError as e:
        raise EnforcerError(f"{file}: {e.strerror}") from None
    data, problems = check_policy_bytes(raw, file)
    errors = [p for p in problems if not p.warning]
    if fmt == "json":
        click.echo(json.dumps({"file": file, "valid": not errors, "problems": [
            {"line": p.line, "column": p.column, "path": p.path, "message": p.message, "fix": p.fix,
             "severity": "warning" if p.warning else "error"} for p in problems]}, indent=2))
    else:
        for problem in problems:
            click.echo(str(problem), err=not problem.warning)
        if errors:
            click.echo(f"{file}: {len(errors)} error(s); the policy cannot be used until they are fixed", err=True)
        else:
            tests = len(data.get("tests") or ())
            click.echo(f"{file}: valid" + (f"; {tests} self-test(s) pass" if tests else "")
                       + (f"; {len(problems)} warning(s)" if problems else ""))
    return 2 if errors else 0


@cli.command()
def schema() -> int:
    """Print the JSON Schema of policy.yaml (for editors and check-jsonschema)."""
    from importlib import resources

    click.echo(resources.files("enforcer.policies").joinpath("schema.json").read_text(), nl=False)
    return 0


def _load(policy_file: str | None) -> Policy:
    return load_policy(policy_file or "policy.yaml")


@cli.command()
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
    request into --merge-into (detected from GitHub's and GitLab's PR variables)."""
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


@cli.command()
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
    """
    from enforcer import explain as explainer
    from enforcer import report
    from enforcer.model import strictest

    policy = _load(policy_file)
    who = _clone_actor(policy, actor)
    if branch_name is tag_name is path_name is env_name is None:
        raise click.UsageError("name one of --branch, --tag, --path or --env")
    now = time.time()
    answers = [explainer.actor(policy, who)]
    if branch_name is not None:
        answers.append(explainer.branch(policy, who, branch_name, now))
    if tag_name is not None:
        answers.append(explainer.tag(policy, who, tag_name, now))
    if path_name is not None:
        answers.append(explainer.path(policy, who, path_name, _clone_claims(), now))
    if env_name is not None:
        answers.append(explainer.environment(policy, who, env_name))
    click.echo("\n".join(line for _, lines in answers for line in lines))
    return report.EXIT_CODES[strictest(verdict for verdict, _ in answers)]


def _clone_claims() -> tuple[Claim, ...]:
    """The claims this clone knows (refs/enforcer/claims/, as fetched); none outside a repository."""
    from enforcer.git import Repo

    try:
        return Repo().claims()
    except EnforcerError:  # not a repository (a GitError is one)
        return ()


def _clone_actor(policy: Policy, explicit: str | None) -> str:
    from enforcer import actor as actors
    from enforcer.git import Repo

    email, name = Repo().identity() if actors.needs_identity(explicit) else (None, None)
    who = actors.clone_actor(policy, explicit, email, name)
    if not who:
        raise EnforcerError(f"who is acting? looked at {', '.join(actors.CLONE_SOURCES)}: pass --actor NAME")
    return who



CLIENT_HOOKS = ("pre-commit", "commit-msg", "pre-push", "post-checkout")
LAYOUTS = {"plain": ("hooks", False), "gitlab": ("custom_hooks", True), "gitea": ("hooks", True)}


def _hook_targets(server: str | None, layout: str, mode: str) -> tuple[Path, tuple[str, ...], bool]:
    from enforcer.git import Repo

    if server is None:
        if layout != "plain":
            raise click.UsageError("--layout applies to --server installs only")
        repo = Repo()
        hooks_dir = Path(repo.run("rev-parse", "--git-path", "hooks").decode().strip())
        return hooks_dir.absolute(), CLIENT_HOOKS, False
    repo = Repo(server)
    git_dir = Path(server, repo.git_dir())  # raises a clear error when it is no repository
    folder, d_folders = LAYOUTS[layout]
    if layout == "plain":  # where git runs hooks from: core.hooksPath, else the git dir's hooks/
        hooks_dir = Path(server, repo.run("rev-parse", "--git-path", "hooks").decode().strip())
    else:  # the hosting server runs these from the repository itself
        hooks_dir = git_dir / folder
    return hooks_dir.absolute(), (mode, "post-receive"), d_folders


_server_opts = [
    click.option("--server", metavar="REPO.git", help="Install server hooks in this bare repository."),
    click.option("--layout", type=click.Choice(list(LAYOUTS)), default="plain", show_default=True,
                 help="Server hook layout: plain hooks/, GitLab custom_hooks/*.d/, Gitea/Forgejo hooks/*.d/."),
    click.option("--mode", type=click.Choice(["pre-receive", "update"]), default="pre-receive", show_default=True,
                 help="Judge the whole push at once (pre-receive) or ref by ref (update)."),
]


def _with_server_opts(fn):  # type: ignore[no-untyped-def]
    for option in reversed(_server_opts):
        fn = option(fn)
    return fn


@cli.command()
@_with_server_opts
def install(server: str | None, layout: str, mode: str) -> int:
    """Install hooks: client hooks in this clone, or server hooks with --server.

    Hooks already there keep running: each moves to NAME.before-enforcer and runs first.
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
        Repo(server).run("config", "receive.advertisePushOptions", "true")
        click.echo(f"{server}: receive.advertisePushOptions = true (for -o enforcer.break-glass=...)")
        click.echo(f"{server}: {_server_policy_state(Repo(server))}")
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


@cli.command()
@_with_server_opts
def uninstall(server: str | None, layout: str, mode: str) -> int:
    """Remove enforcer's hooks and put back the hooks that were there before."""
    from enforcer.install import uninstall as do_uninstall

    hooks_dir, hooks, d_folders = _hook_targets(server, layout, mode)
    if server is not None:
        hooks = ("pre-receive", "update", "post-receive")
    lines = do_uninstall(hooks_dir, hooks, d_folders)
    click.echo("\n".join(lines) if lines else "no enforcer hooks were installed")
    return 0


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("name")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def hook(name: str, args: tuple[str, ...]) -> int:
    """What installed hooks call (pre-commit, commit-msg, pre-push, post-checkout, pre-receive, update,
    post-receive). Handled before click loads; listed here for --help."""
    from enforcer.hookrun import main as hook_main

    return hook_main([name, *args])


@cli.command()
@click.option("--format", "fmt", type=FORMAT, default="text")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=0), help="The newest N decisions.")
def decisions(fmt: str, limit: int) -> int:
    """List the recorded decisions of this (bare) repository, newest first (reading changes nothing)."""
    from enforcer.git import Repo
    from enforcer.records import default_store
    from enforcer.report import escape
    from enforcer.serialize import dumps

    repo = Repo()
    store = default_store(repo.git_dir())
    bare = repo.run("rev-parse", "--is-bare-repository").strip() == b"true"
    if not bare and not store.exists():  # a clone keeps none: the server's hooks record them
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
