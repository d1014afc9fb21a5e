"""What pre-receive and update share: find the policy, the pusher, judge, record, answer.

The server is the authority, so it fails closed: no policy, no actor, no
record, an internal error — each refuses the push and says why.
"""
from __future__ import annotations

import functools
import os
import time

from enforcer import facts, report
from enforcer.actor import server_actor
from enforcer.engine import decide
from enforcer.errors import SERVER_HOOK, EnforcerError, guarded
from enforcer.git import Repo, blob_id, is_object_id
from enforcer.hookrun import say
from enforcer.model import APPROVAL_REFS, CLAIM_NAMESPACES, POLICY_FILE, ZERO, Bootstrap, Decision, Violation
from enforcer.policy import Policy, load_policy_bytes
from enforcer.records import RecordError, default_store, record_for
from enforcer.server_hooks import moved_default
from enforcer.server_hooks.server_policy import keep_bootstrap, server_policy

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Callable, Iterable

Update = tuple[str, str, str]  # (old, new, ref)


def parse_updates(stdin: bytes) -> list[Update]:
    """pre-receive's stdin: one "<old> <new> <refname>" line per ref."""
    updates = []
    for number, line in enumerate(stdin.decode("utf-8", "replace").splitlines(), 1):
        fields = line.split(" ", 2)
        if len(fields) != 3 or not all(is_object_id(f) for f in fields[:2]) or not fields[2]:
            raise EnforcerError(f"cannot read ref line {number} ({line[:100]!r}): git sends "
                                "'<old> <new> <refname>'")
        old, new = (ZERO if set(f) == {"0"} else f for f in fields[:2])  # SHA-256's null id is 64 zeros
        updates.append((old, new, fields[2]))
    return updates


def push_option(name: str) -> str | None:
    for i in range(int(os.environ.get("GIT_PUSH_OPTION_COUNT", "0") or 0)):
        key, _, value = os.environ.get(f"GIT_PUSH_OPTION_{i}", "").partition("=")
        if key == name:
            return value or None
    return None


def _bootstrap(repo: Repo, updates: list[Update]) -> tuple[str | None, list[tuple[str, Decision]], str | None]:
    """The push into a repository without a policy, judged by the core against the policy it
    brings (policies/bootstrap.py); its policy is set aside until git has moved the ref."""
    target = f"refs/heads/{repo.default_branch() or 'main'}"
    refs = tuple(ref for _, _, ref in updates)
    new = updates[0][1]
    raw = repo.read_file(new, POLICY_FILE) if refs == (target,) and new != ZERO else None
    policy = Policy({}, "(no policy yet)", [])
    problems: tuple[str, ...] = ()
    if raw is not None:
        from enforcer.selftest import check_policy_bytes

        errors = [p for p in check_policy_bytes(raw, POLICY_FILE)[1] if not p.warning]  # its tests too
        if errors:
            problems = (str(errors[0]),)
        else:
            policy = load_policy_bytes(raw, POLICY_FILE, "")
    actor, names = server_actor(policy)  # recorded even when refused
    is_commit = refs == (target,) and new != ZERO and repo.object_type(new) == "commit"
    results = [(ref, decide(policy, Bootstrap(actor, ref, new, target, refs, raw is not None, problems, names,
                                              is_commit))) for _, new, ref in updates]
    if raw is not None and all(d.allowed for _, d in results):
        keep_bootstrap(repo, target, new, raw)  # the last good policy once git has moved the ref
        results = [(ref, d._replace(note="bootstrap: the first policy")) for ref, d in results]
    return actor, results, blob_id(raw, new) if raw is not None else None


def judge(updates: list[Update], hook: str) -> int:
    repo = Repo()
    # git walks the pushed commits while the policy, the claims and the store are read
    pushed = [(new, not ref.startswith((*CLAIM_NAMESPACES, APPROVAL_REFS)) and new != ZERO) for _, new, ref in updates]
    brought = repo.start_push_walk(new for new, walked in pushed if walked)
    walks = [functools.partial(brought.part, new) if walked else None for new, walked in pushed]
    store = default_store(repo.git_dir())
    default = repo.default_branch()
    policy, note, blob = server_policy(repo, moved_default.before_this_push(repo, default) if hook == "update"
                                       else None)
    if policy is None:
        _finish(walks)
        actor, results, blob = _bootstrap(repo, updates)
    else:
        actor, names = server_actor(policy)

        @functools.cache
        def tips() -> dict[str, str]:  # the server's branches as they will be after the push
            found = repo.branch_tips()
            found.update({ref[len("refs/heads/"):]: new for _, new, ref in updates
                          if ref.startswith("refs/heads/") and new != ZERO})
            return found

        now = time.time()
        reason = push_option("enforcer.break-glass")
        claims = repo.claims()
        # each merge the push brings is settled once, whichever refs reach it
        merges = facts.merges(repo, brought.every(), policy, actor, claims, now,
                              [old for old, _, _ in updates if old != ZERO])
        results = []
        for (old, new, ref), walk in zip(updates, walks):
            request = facts.ref_update(repo, policy, actor, ref, old, new, branch_tips=tips, actor_vars=names,
                                       now=now, break_glass=reason, claims=claims, walk=walk, resolver=merges)
            results.append((ref, decide(policy, request)))
    recorded_as = hook if policy is not None else "bootstrap"
    records = [record_for(recorded_as, actor, ref, old, new, d, policy=blob)
               for (old, new, ref), (_, d) in zip(updates, results)]
    if hook == "update":
        moved_default.note_move(repo, default, updates, [d for _, d in results])
    store.add(records)  # a decision without a trace is no decision: RecordError refuses the push
    if note:
        say(f"enforcer: note: {note}")
    refused = any(not d.allowed for _, d in results)
    shown = results if refused or any(d.overridden or d.note for _, d in results) else []
    if shown:
        say(report.text(shown))
    if refused and len(results) > 1:
        say("enforcer: the whole push is refused: every ref must pass")
    return report.exit_code(results)  # a push no person can approve here is refused: ask is 3, not 0


def _finish(walks: Iterable[Callable[[], object] | None]) -> None:
    """Wait for walks no one will read (the bootstrap is judged without them)."""
    for walk in walks:
        try:
            if walk is not None:
                walk()
        except EnforcerError:
            pass


def run(hook: str, read: Callable[[], list[Update]]) -> int:
    """Read the ref updates, judge them, and fail closed on anything unexpected (enforcer/errors.py
    maps bad input to 1 and a bug to 4 here; either refuses the push)."""
    updates: list[Update] = []

    def body() -> int:
        updates.extend(read())
        return judge(updates, hook)
    outcome = guarded(body, SERVER_HOOK)
    if outcome.error is None:
        return outcome.code
    say(f"enforcer: push refused: {outcome.message}")
    if not isinstance(outcome.error, RecordError):  # the store itself failed: nothing more can be kept
        _record_refusal(hook, updates, outcome.message)
    return outcome.code


def _record_refusal(hook: str, updates: list[Update], reason: str) -> None:
    """A push refused before it could be judged is a decision too: keep it where the store allows."""
    decision = Decision("deny", (Violation("server", "server.refused", reason, ""),))
    actor, _ = server_actor(None)  # the policy that may name others could not be read
    lines = updates or [(ZERO, ZERO, "(no readable ref line)")]
    try:
        default_store(Repo().git_dir()).add([record_for(hook, actor, ref, old, new, decision)
                                             for old, new, ref in lines])
    except Exception as e:  # the refusal stands; say that it left no trace
        say(f"enforcer: warning: this refusal could not be recorded ({e})")
