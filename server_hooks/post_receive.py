"""post-receive's Python part: what landed that starts something. The sh shim calls it only when
a tag or an approval landed (install.POST_RECEIVE); every other line is only spooled.

- A tag that fits an environment with `on_tag_push` deploys there (enforcer.runner), as the
  pusher, through every gate; its output reaches the pusher as git's "remote:" lines. With
  `deploy.wait: false` the deploy goes on detached and the push returns at once.
- An approval ref that landed is kept in the records store's approvals.

The refs have moved already: nothing here can refuse the push, so it never
fails it either (exit 0), and says what went wrong.
"""
from __future__ import annotations

import json
import os
import sys
import time

from enforcer.errors import SERVER_HOOK, guarded
from enforcer.git import Repo
from enforcer.hookrun import say
from enforcer.model import APPROVAL_REFS, ZERO, approval_target, parse_approval

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from collections.abc import Sequence

    from enforcer.policy import Policy
    from enforcer.records import Store

ANNOUNCE_WAIT = 10.0  # seconds to wait for a detached deploy to say its record's id


def main(argv: Sequence[str]) -> int:
    lines = sys.stdin.buffer.read().decode("utf-8", "replace").splitlines()
    outcome = guarded(lambda: _landed([tuple(line.split(" ", 2)) for line in lines if line.count(" ") >= 2]),
                      SERVER_HOOK)
    if outcome.error is not None:
        say(f"enforcer: post-receive: {outcome.message}")
    return 0


def _landed(updates: list[tuple[str, ...]]) -> int:
    from enforcer.actor import server_actor
    from enforcer.records import default_store
    from enforcer.server_hooks.server_policy import server_policy

    repo = Repo()
    policy, _, blob = server_policy(repo, read_only=True)
    if policy is None:
        return 0
    actor, names = server_actor(policy)
    store = default_store(repo.git_dir())
    for old, new, ref in updates:
        if new == ZERO:
            continue
        if ref.startswith(APPROVAL_REFS):
            _keep_approval(repo, store, ref, new, actor)
        elif ref.startswith("refs/tags/"):
            for env in _triggered(policy, ref[len("refs/tags/"):]):
                _deploy(repo, policy, blob, actor, tuple(names), env, ref[len("refs/tags/"):])
    return 0


def _keep_approval(repo: Repo, store: Store, ref: str, new: str, actor: str | None) -> None:
    from enforcer.records import Approval

    target = approval_target(ref)
    blob = repo.blob(new)
    stated = parse_approval(blob.decode("utf-8", "replace")) if blob is not None else None
    if target is None or stated is None:
        return
    store.add_approval(Approval(target[0], target[1], stated.tag_object, actor, time.time()))


def _triggered(policy: Policy, tag: str) -> list[str]:
    """The environments a pushed tag deploys to at once."""
    from enforcer.regex import compile_regex

    return [e.name for e in policy.environments.values()
            if e.on_tag_push and (e.tags is None or compile_regex(e.tags).search(tag))]


def _deploy(repo: Repo, policy: Policy, blob: str | None, actor: str | None, names: tuple[str, ...], env: str,
            tag: str) -> None:
    from enforcer import runner

    if not actor:
        say(f"enforcer: {tag} was not deployed to {env}: who pushed it? none of {', '.join(names)} is set")
        return
    if policy.deploy.get("wait", True) is False:
        _detach(env, tag)
        return
    say(f"enforcer: {tag} deploys to {env} (on_tag_push)")
    place = runner.Place(repo, policy, actor, names, blob, sys.stderr.buffer, "post-receive")
    try:
        runner.deploy(place, env, tag)
    except runner.Busy as e:
        say(f"enforcer: {tag} was not deployed to {env}: {e}")


def _detach(env: str, tag: str) -> None:
    """Starts the deploy in its own session, waits only for the id of its record, and returns."""
    import subprocess

    start = f"import sys; sys.path[:] = {json.dumps(sys.path)}; " \
            "from enforcer.server_hooks.post_receive import detached; sys.exit(detached(sys.argv[1:]))"
    flags = ["-S"] if sys.flags.no_site else []
    child = subprocess.Popen([sys.executable, *flags, "-P", "-c", start, env, tag], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
                             env={k: v for k, v in os.environ.items() if k != "GIT_QUARANTINE_PATH"})
    assert child.stdout is not None
    import select

    end = time.monotonic() + ANNOUNCE_WAIT
    said = ""  # what the deploy says before its record exists: why it was refused
    while time.monotonic() < end and select.select([child.stdout], [], [], end - time.monotonic())[0]:
        line = child.stdout.readline().decode("utf-8", "replace").rstrip("\n")
        if line.isdigit():
            say(f"enforcer: {tag} deploys to {env} in the background (deploy.wait: false): deployment {line}; "
                f"follow it with: enforcer deploy-log {line}")
            break
        if not line:  # it ended without starting a deploy
            say(f"enforcer: {tag} was not deployed to {env}" + (f":\n{said}" if said else ""))
            break
        said += line + "\n"
    else:
        say(f"enforcer: {tag} deploys to {env} in the background (deploy.wait: false); see: enforcer deployments")
    child.stdout.close()


def detached(argv: Sequence[str]) -> int:
    """The detached deploy: says its record's id on stdout, then writes to its log only."""
    from enforcer import runner
    from enforcer.actor import server_actor
    from enforcer.server_hooks.server_policy import server_policy

    env, tag = argv
    repo = Repo()

    def started(deployment_id: int | None) -> None:
        try:
            print(deployment_id, flush=True)
        except OSError:  # the push returned before this was said: the deploy goes on all the same
            pass
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)

    def body() -> int:
        policy, _, blob = server_policy(repo, read_only=True)
        if policy is None:
            print("no policy", flush=True)
            return 1
        actor, names = server_actor(policy)
        place = runner.Place(repo, policy, actor or "", tuple(names), blob, sys.stdout.buffer, "post-receive",
                             started)
        try:
            return runner.deploy(place, env, tag)
        except runner.Busy as e:
            print(str(e), flush=True)
            return 1

    outcome = guarded(body, SERVER_HOOK)
    if outcome.error is not None:
        try:
            print(outcome.message, flush=True)
        except OSError:
            pass
    return outcome.code
