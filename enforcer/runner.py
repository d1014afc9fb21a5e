"""The deploy runner: `enforcer deploy`, `rollback`, and tag pushes through post-receive.

It gathers the facts (the tag, the records' successful deploys, the approval
refs, the claims, the checks' exit statuses), asks the decision core
(policies/environments.py holds every gate), acts, and records. One deploy per
environment at a time (a lock file; the OS releases it when a runner dies,
and the next run marks what that runner left `running` as `interrupted`).

A deploy: a clean checkout of the tag's commit (its files only, outside the
repository); checks.before_deploy
there; then deploy.command (an argv, placeholders substituted per argument,
never a shell) with APP_ENV, PORT, DATA_DIR and ENFORCER_TAG set; then the
health URL polled; all within deploy.timeout, after which the running
program's whole process group is killed. On success the environment's branch
moves to the deployed commit as deploy.actor (compare-and-swap); on failure,
with rollback_on_failure, the last good version is deployed again, as its own
record.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shlex
import time

from enforcer import health, processes, report
from enforcer.engine import decide
from enforcer.errors import EnforcerError
from enforcer.git import Repo
from enforcer.model import ZERO, Approved, Deploy, EnvironmentMove
from enforcer.policy import Policy, parse_duration
from enforcer.records import Deployment, default_store, record_for
from enforcer.tuples import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from collections.abc import Callable, Iterator
    from typing import BinaryIO

    from enforcer.model import Decision
    from enforcer.policy import Environment
    from enforcer.records import Store

DEFAULT_TIMEOUT = "10m"
HISTORY = 100_000  # deployments read back to find a version's earlier successes
PLACEHOLDERS = ("{env}", "{tag}", "{port}", "{data}")
SUCCEEDED = ("succeeded",)
LIVE_ONCE = ("succeeded", "rolled-back")  # outcomes of a deploy that was live at some time


class Busy(EnforcerError):
    """Another deploy to the environment is running (exit 1: a refusal, not bad input)."""


class Place(NamedTuple):
    """Who runs the deploy, where, judged by which policy, and where its output goes."""

    repo: Repo
    policy: Policy
    actor: str
    actor_vars: tuple[str, ...]
    policy_blob: str | None
    stream: BinaryIO | None  # the caller's terminal, or the pusher's through git; None: the log only
    hook: str = "deploy"  # what the decision records name as the place: deploy, post-receive
    started: Callable[[int | None], None] | None = None  # told each deployment record's id once made


class Version(NamedTuple):
    """What a deploy deploys: the tag, the object its ref points to, the commit."""

    tag: str
    tag_object: str
    commit: str


# -- entry points -------------------------------------------------------------------------------

def deploy(place: Place, env: str, tag: str) -> int:
    """Deploys ``tag`` to ``env`` through every gate. Exit code: 0 deployed, 1 refused or failed."""
    version = _version(place.repo, tag)
    with _locked(place, env) as store:
        return _deploy(place, store, env, version, rollback_of=None)


def rollback(place: Place, env: str, to: str | None = None) -> int:
    """Deploys again the version live before the current one (or ``to``, an earlier successful
    deploy of ``env``); the current one is then marked rolled back."""
    with _locked(place, env) as store:
        history = store.deployments(env, HISTORY)
        live = _live(history)
        if live is None:
            raise EnforcerError(f"nothing is deployed to {env} yet: there is nothing to roll back")
        target = _rollback_target(history, live, to)
        if target is None:
            wanted = f"no earlier successful deploy of {to}" if to else "no earlier version"
            raise EnforcerError(f"{env} has {wanted} to roll back to (live: {live.tag}, deployment {live.id}); "
                                f"see enforcer deployments {shlex.quote(env)}")
        return _deploy(place, store, env, Version(target.tag, "", target.commit), rollback_of=live)


# -- the steps --------------------------------------------------------------------------------

def _deploy(place: Place, store: Store, env_name: str, version: Version, rollback_of: Deployment | None) -> int:
    policy, repo = place.policy, place.repo
    history = store.deployments(None, HISTORY)
    ours = [d for d in history if d.env == env_name]
    live = _live(ours)
    request = Deploy(place.actor, env_name, version.tag, version.commit, version.tag_object,
                     deployed=tuple((d.env, d.tag, d.commit) for d in history if d.outcome in LIVE_ONCE),
                     approvals=_approvals(repo, env_name, version.tag), checks=None,
                     rollback=rollback_of is not None, claims=repo.claims(),
                     port_held_by=_port_holders(policy.environments[env_name].port), now=time.time(),
                     actor_vars=place.actor_vars)
    env = policy.environments[env_name]
    branch_before = (repo.resolve(f"refs/heads/{env.branch}") or ZERO) if env.branch else ZERO  # the move's lease
    if not _judged(place, store, request, "gates"):
        return 1
    now = time.time()
    log_path = _log_path(repo, env_name, now)
    opened = Deployment(env_name, version.tag, version.commit, place.actor, now, log=log_path,
                        previous=live.tag if live else None, rollback_of=rollback_of.id if rollback_of else None)
    deployment = opened._replace(id=store.add_deployment(opened))
    if place.started is not None:
        place.started(deployment.id)
    log = processes.Log(log_path, place.stream)
    command_ran = [False]  # whether the deploy command started: only then is there anything to roll back
    try:
        deployment = _run(place, store, env, version, deployment, request, log,
                          lambda pid: _note_group(repo, env_name, deployment.id, pid), command_ran)
    except Exception as e:  # noqa: BLE001 - recorded, never lost: the deploy failed, and says why
        log.say(f"enforcer: the deploy stopped on an error: {type(e).__name__}: {e}")
        deployment = _ended(deployment, "failed", "")
    finally:
        log.close()
    store.update_deployment(deployment)
    if deployment.outcome == "succeeded":
        if rollback_of is not None and rollback_of.outcome == "succeeded":  # a live version rolled back from
            store.update_deployment(rollback_of._replace(outcome="rolled-back"))
        return 0 if _move_branch(place, store, env, version.commit, branch_before) else 1
    if rollback_of is not None:
        _say(place, f"enforcer: rollback {deployment.id} (of deployment {rollback_of.id}) failed: it is not rolled "
                    f"back in turn; {env_name} needs a person (enforcer deploy-log {deployment.id})")
    elif command_ran[0] and live is not None and policy.deploy.get("rollback_on_failure"):
        _say(place, f"enforcer: rolling {env_name} back to {live.tag} (deployment {live.id}), the last good version")
        _deploy(place, store, env_name, Version(live.tag, "", live.commit), rollback_of=deployment)
    return 1


def _run(place: Place, store: Store, env: Environment, version: Version, deployment: Deployment, request: Deploy,
         log: processes.Log, started: Callable[[int], None], command_ran: list[bool]) -> Deployment:
    """The checks, the command and the health check in a checkout of the version: the deployment
    as it ended."""
    policy = place.policy
    what = "rollback" if deployment.rollback_of else "deploy"
    log.say(f"enforcer: {what} {deployment.id}: {version.tag} ({version.commit[:10]}) to {env.name} by {place.actor}")
    deadline = time.monotonic() + parse_duration(policy.deploy.get("timeout", DEFAULT_TIMEOUT))
    data = _data_dir(place.repo, env)
    variables = {"APP_ENV": env.name, "PORT": str(env.port), "DATA_DIR": data, "ENFORCER_TAG": version.tag}
    environment = processes.clean_environment(variables)
    with _checkout(place.repo, env, version.commit, deployment.id) as checkout:
        if not request.rollback:
            results = []
            for argv in policy.check_commands("before_deploy"):
                log.say(f"enforcer: check: {shlex.join(argv)}")
                ran = processes.run(argv, checkout, environment, deadline, log, started)
                results.append((shlex.join(argv), ran.status if ran.status is not None else 127))
                if not ran.ok:
                    log.say(f"enforcer: check failed: {ran.describe()}")
                    break
            deployment = deployment._replace(checks=tuple(results))
            # the approvals and the tag as they are now: one may have been revoked, or moved, meanwhile
            fresh = request._replace(checks=tuple(results), approvals=_approvals(place.repo, env.name, version.tag),
                                     tag_object=_tag_object(place.repo, version.tag) or "")
            if not _judged(place, store, fresh, "checks", log):
                return _ended(deployment, "failed", "")
        command = [_substitute(a, env, version.tag, data) for a in policy.deploy.get("command") or ()]
        if not command:
            log.say("enforcer: the policy has no deploy.command")
            return _ended(deployment, "failed", "")
        os.makedirs(data, exist_ok=True)
        log.say(f"enforcer: run: {shlex.join(command)}")
        command_ran[0] = True
        outcome = processes.run(command, checkout, environment, deadline, log, started)
        if not outcome.ok:
            log.say(f"enforcer: deploy command failed: {outcome.describe()}")
            return _ended(deployment, "failed", "timeout" if outcome.timed_out else "")
    url = policy.deploy.get("health")
    if not url:
        log.say(f"enforcer: {what} {deployment.id} succeeded (no health check in the policy)")
        return _ended(deployment, "succeeded", "")
    url = _substitute(url, env, version.tag, data)
    log.say(f"enforcer: health: waiting for {url}")
    up, seen = health.wait_healthy(url, deadline)
    log.say(f"enforcer: health: {seen}")
    log.say(f"enforcer: {what} {deployment.id} {'succeeded' if up else 'failed'}")
    return _ended(deployment, "succeeded" if up else "failed", seen)


def _ended(deployment: Deployment, outcome: str, seen: str) -> Deployment:
    return deployment._replace(outcome=outcome, health=seen, finished=time.time())


def _judged(place: Place, store: Store, request: Deploy | EnvironmentMove, stage: str,
            log: processes.Log | None = None) -> bool:
    """Asks the core, records the decision, says a refusal; True when allowed."""
    decision = decide(place.policy, request)
    _record(place, store, request, decision, stage)
    if decision.allowed:
        return True
    text = report.text([(_label(request), decision)])
    if log is not None:
        log.say(text)
    else:
        _say(place, text)
    return False


def _record(place: Place, store: Store, request: Deploy | EnvironmentMove, decision: Decision, stage: str) -> None:
    if isinstance(request, EnvironmentMove):
        row = record_for(place.hook, request.actor, f"refs/heads/{request.branch}", request.old, request.new,
                         decision, kind="deploy", policy=place.policy_blob, subject=f"{request.env}: branch move")
    else:
        what = "rollback" if request.rollback else "deploy"
        row = record_for(place.hook, request.actor, f"refs/tags/{request.tag}", ZERO, request.commit or ZERO,
                         decision, kind="deploy", policy=place.policy_blob, subject=f"{what} {request.env}: {stage}")
    store.add([row])


def _label(request: Deploy | EnvironmentMove) -> str:
    if isinstance(request, EnvironmentMove):
        return f"{request.env}: move {request.branch}"
    return f"{'rollback' if request.rollback else 'deploy'} {request.tag} to {request.env}"


def _move_branch(place: Place, store: Store, env: Environment, commit: str, old: str) -> bool:
    """The environment's branch to ``commit``, as deploy.actor, only from ``old``, its value when
    the deploy was judged: a push that moved it meanwhile is not overwritten."""
    if not env.branch:
        return True
    ref = f"refs/heads/{env.branch}"
    if old == commit and (place.repo.resolve(ref) or ZERO) == commit:
        return True
    mover = place.policy.deploy.get("actor")
    move = EnvironmentMove(mover, env.name, env.branch, old, commit, ("deploy.actor",))
    if not _judged(place, store, move, "branch"):
        return False
    failed = place.repo.swap_claim_ref(ref, commit, old, f"enforcer: {env.name} deployed {commit[:10]} as {mover}")
    if failed:
        _say(place, f"enforcer: {env.branch} moved while the deploy ran, so it was left as it is ({failed}); "
                    f"deploy again to move it")
        return False
    _say(place, f"enforcer: {env.branch} -> {commit[:10]}")
    return True


# -- facts --------------------------------------------------------------------------------------

def _tag_object(repo: Repo, tag: str) -> str | None:
    """What refs/tags/TAG points to, unpeeled: an annotated tag's own object, which approvals name."""
    from enforcer.approving import tag_object

    return tag_object(repo, tag)


def _version(repo: Repo, tag: str) -> Version:
    from enforcer.claiming import ref_component_ok

    if not tag or not all(ref_component_ok(part) for part in tag.split("/")):
        raise EnforcerError(f"{tag!r} is not a tag name git allows: name a tag of this repository")
    tag_object = _tag_object(repo, tag)
    commit = repo.resolve(tag_object) if tag_object else None
    if tag_object is None or commit is None:
        raise EnforcerError(f"no tag {tag!r} in this repository (or it names no commit): push the tag first")
    return Version(tag, tag_object, commit)


def _approvals(repo: Repo, env: str, tag: str) -> tuple[Approved, ...]:
    from enforcer.approving import stated

    return stated(repo, env, tag)


def _live(deployments: list[Deployment]) -> Deployment | None:
    """The environment's live version: its newest successful deploy (a rollback is one)."""
    return next((d for d in deployments if d.outcome == "succeeded"), None)


def _rollback_target(history: list[Deployment], live: Deployment, to: str | None) -> Deployment | None:
    earlier = [d for d in history if d.id is not None and live.id is not None and d.id < live.id]
    if to is not None:
        return next((d for d in earlier if d.tag == to and d.outcome in LIVE_ONCE), None)
    return next((d for d in earlier if d.outcome == "succeeded" and d.commit != live.commit), None)


def _port_holders(port: int) -> tuple[str, ...]:
    """Each listener on ``port`` by the environment it was deployed for (its APP_ENV); "" for a
    process without one, "?" for one that cannot be seen (another user's)."""
    return tuple("?" if pid is None else owner or "" for pid, owner in health.port_holders(port))


def _deploy_root(repo: Repo) -> str:
    """ENFORCER_DEPLOY_ROOT, else the directory that holds the repository."""
    return os.environ.get("ENFORCER_DEPLOY_ROOT") or os.path.dirname(os.path.abspath(repo.common_dir()))


def _data_dir(repo: Repo, env: Environment) -> str:
    """The environment's data directory: as written if absolute, else under the deploy root."""
    return os.path.normpath(os.path.join(_deploy_root(repo), env.data))


def _substitute(text: str, env: Environment, tag: str, data: str) -> str:
    """The placeholders in one pass: a value that holds `{port}` is not expanded again."""
    import re

    values = dict(zip(PLACEHOLDERS, (env.name, tag, str(env.port), data)))
    return re.sub(r"\{(?:env|tag|port|data)\}", lambda m: values[m.group(0)], text)


def outcome_now(repo: Repo, deployment: Deployment) -> str:
    """The deployment's outcome as it stands: one on record as running whose runner is gone (its
    environment's lock is free) is interrupted, as the next deploy will record it. Read without
    taking the lock (/proc/locks), so a reader never makes a deploy that starts at that moment
    busy; where /proc/locks is missing the lock is probed for an instant."""
    if deployment.outcome != "running":
        return deployment.outcome
    path = os.path.join(repo.common_dir(), "enforcer", "deploy-locks", f"{deployment.env}.lock")
    try:
        st = os.stat(path)
    except OSError:
        return "interrupted"
    held = _flocked(st)
    if held is not None:
        return "running" if held else "interrupted"
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return "running"
    finally:
        os.close(fd)  # closing releases a lock taken here
    return "interrupted"


def _flocked(st: os.stat_result) -> bool | None:
    """Whether a process holds a write flock on the file ``st`` describes, from /proc/locks
    (`1: FLOCK ADVISORY WRITE <pid> <major>:<minor>:<inode> 0 EOF`); None where it cannot tell."""
    wanted = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    try:
        with open("/proc/locks") as f:
            rows = f.read().splitlines()
    except OSError:
        return None
    return any(len(fields) > 5 and fields[1] == "FLOCK" and fields[3] == "WRITE" and fields[5] == wanted
               for fields in (row.split() for row in rows if "->" not in row))


# -- places on disk -----------------------------------------------------------------------------

def _state_dir(repo: Repo, name: str) -> str:
    path = os.path.join(repo.common_dir(), "enforcer", name)
    os.makedirs(path, exist_ok=True)
    return path


def _log_path(repo: Repo, env: str, started: float) -> str:
    """A new log's path, known before its record exists (the record names it)."""
    return os.path.join(_state_dir(repo, "deploy-logs"), f"{env}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime(started))}"
                        f"-{os.getpid()}-{int(started * 1e6) % 1_000_000:06d}.log")


@contextlib.contextmanager
def _locked(place: Place, env: str) -> Iterator[Store]:
    """The environment's deploy lock, held for the whole deploy; refuses when another holds it.
    What a runner that died left `running` is marked `interrupted` once the lock is ours."""
    if not place.repo.is_bare():
        raise EnforcerError("deploys run in the bare repository, the server (DESIGN.md): cd there, or use "
                            "enforcer -C PATH")
    if env not in place.policy.environments:
        known = ", ".join(place.policy.environments) or "none"
        raise EnforcerError(f"no environment {env!r} in the policy: one of {known}")
    store = default_store(place.repo.git_dir())
    fd = os.open(_lock_path(place.repo, env), os.O_RDWR | os.O_CREAT, 0o640)
    try:
        try:
            _lock(fd)
        except BlockingIOError:
            running = next((d for d in store.deployments(env, 20) if d.outcome == "running"), None)
            what = (f"deployment {running.id} ({running.tag}, by {running.actor}, since "
                    f"{time.strftime('%H:%M:%S', time.localtime(running.started))})" if running else "another deploy")
            raise Busy(f"{env} is busy: {what} is running; one deploy per environment at a time: try again "
                       f"when it ends (enforcer deployments {shlex.quote(env)})") from None
        _mark_interrupted(place.repo, store, env)
        yield store
    finally:
        os.close(fd)


def _lock_path(repo: Repo, env: str) -> str:
    return os.path.join(_state_dir(repo, "deploy-locks"), f"{env}.lock")


def _note_group(repo: Repo, env: str, deployment_id: int | None, pid: int) -> None:
    """Which process group the deploy runs now, for a runner that finds this one dead."""
    with open(_lock_path(repo, env) + ".group", "w") as f:
        f.write(f"{deployment_id} {pid}\n")


def _kill_leftover(repo: Repo, env: str, deployment_id: int | None) -> None:
    """A dead runner's program may still run (it has its own session): end its group, if it is
    still that deploy's (its APP_ENV says so: a pid may have been reused)."""
    try:
        with open(_lock_path(repo, env) + ".group") as f:
            noted, _, pid = f.read().strip().partition(" ")
    except OSError:
        return
    if noted == str(deployment_id) and pid.isdigit() and any(
            health.app_env(member) == env for member in processes.group_members(int(pid))):
        processes.kill_group(int(pid))


def _lock(fd: int, wait: float = 0.5) -> None:
    """The environment's lock, waiting ``wait`` seconds at most: a reader (enforcer deployments, the
    web view) probes it for an instant; a deploy holds it for minutes. Raises BlockingIOError."""
    end = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= end:
                raise
            time.sleep(0.02)


def _mark_interrupted(repo: Repo, store: Store, env: str) -> None:
    for stale in (d for d in store.deployments(env, 50) if d.outcome == "running"):
        _kill_leftover(repo, env, stale.id)
        store.update_deployment(stale._replace(outcome="interrupted", finished=time.time()))
        if stale.log:
            with contextlib.suppress(OSError), open(stale.log, "a") as f:
                f.write("enforcer: the runner stopped before this deploy ended (killed?): marked interrupted\n")
        from enforcer.checkout import remove

        remove(os.path.join(_deploy_root(repo), ".enforcer-checkouts", f"{env}-{stale.id}"))


def _checkout(repo: Repo, env: Environment, commit: str, deployment_id: int | None) -> contextlib.AbstractContextManager[str]:
    """A clean checkout of ``commit`` under the deploy root, outside the repository, so the code
    being deployed finds no repository to write into (an approval ref it made itself, say)."""
    from enforcer.checkout import clean_checkout

    return clean_checkout(repo, commit, _checkout_path(repo, env, deployment_id))


def _checkout_path(repo: Repo, env: Environment, deployment_id: int | None) -> str:
    """Beside the environments' data, under the deploy root: .enforcer-checkouts/<env>-<id>."""
    return os.path.join(_deploy_root(repo), ".enforcer-checkouts", f"{env.name}-{deployment_id}")


def _say(place: Place, text: str) -> None:
    if place.stream is not None:
        try:
            place.stream.write(text.encode("utf-8", "replace") + b"\n")
            place.stream.flush()
        except (OSError, ValueError):
            pass
