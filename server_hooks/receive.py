"""What pre-receive and update share: find the policy, the pusher, judge, record, answer.

The server is the authority, so it fails closed: no policy, no actor, no
record, an internal error — each refuses the push and says why.
"""
from __future__ import annotations

import functools
import os
import time

from enforcer import report
from enforcer.actor import first_set
from enforcer.engine import PathRules, decide
from enforcer.errors import SERVER_HOOK, EnforcerError, PolicyError, guarded
from enforcer.git import POLICY_FILE, Repo
from enforcer.hookrun import say
from enforcer.merges import Resolver
from enforcer.model import CLAIM_REFS, ZERO, Bootstrap, Decision, Violation
from enforcer.policy import Policy, load_policy_bytes
from enforcer.records import RecordError, default_store, record_for
from enforcer.server_hooks import moved_default, read_bytes

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Callable, Iterable

DEFAULT_ACTOR_FROM = ("GL_USERNAME", "GITEA_PUSHER_NAME", "GL_USER", "REMOTE_USER", "ENFORCER_ACTOR")
Update = tuple[str, str, str]  # (old, new, ref)


def parse_updates(stdin: bytes) -> list[Update]:
    """pre-receive's stdin: one "<old> <new> <refname>" line per ref."""
    updates = []
    for number, line in enumerate(stdin.decode("utf-8", "replace").splitlines(), 1):
        fields = line.split(" ", 2)
        if len(fields) != 3 or not all(_is_object_id(f) for f in fields[:2]) or not fields[2]:
            raise EnforcerError(f"cannot read ref line {number} ({line[:100]!r}): git sends "
                                "'<old> <new> <refname>'")
        updates.append((fields[0], fields[1], fields[2]))
    return updates


def _is_object_id(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def push_option(name: str) -> str | None:
    for i in range(int(os.environ.get("GIT_PUSH_OPTION_COUNT", "0") or 0)):
        key, _, value = os.environ.get(f"GIT_PUSH_OPTION_{i}", "").partition("=")
        if key == name:
            return value or None
    return None


def server_policy(repo: Repo, before: str | None = None, keep: bool = True) -> tuple[Policy | None, str]:
    """The policy at the default branch before the push, else the last one that validated.

    ``before``: where the default branch stood before this push, when the push
    has moved it already (update mode, see server_hooks/moved_default.py).
    ``keep``: keep a policy that validates as the last good one, and cache it
    (not when only asked, as by ``install``: that may run as another user).
    (None, "") means there never was a policy and the default branch does not exist
    yet: only the bootstrap push is possible.
    """
    branch = repo.default_branch()
    tip = before or (repo.resolve(f"refs/heads/{branch}") if branch else None)
    tip = None if tip == ZERO else tip
    cache = os.path.join(repo.git_dir(), "enforcer", "cache") if keep else ""
    kept = read_bytes(_last_good(repo))
    if kept is None:  # the bootstrap may have landed without post-receive keeping its policy
        kept = _landed_bootstrap(repo, keep)
    if tip is None:
        if kept is None:
            return None, ""
        # deleted, renamed, or HEAD names another branch: never a way to bootstrap a new policy
        problem = f"the default branch {branch or '(HEAD names none)'} does not exist"
    elif (raw := repo.read_file(tip, POLICY_FILE)) is not None:
        try:
            policy = load_policy_bytes(raw, f"{POLICY_FILE}@{branch}", cache)
            if keep:
                keep_last_good(repo, raw)
            return policy, ""
        except PolicyError as e:
            problem = f"{POLICY_FILE} on {branch} is invalid ({e.problems[0].message})"
    else:
        problem = f"there is no {POLICY_FILE} on {branch}"
    if kept is not None:
        note = f"{problem}: judged by the last policy that validated"
        return load_policy_bytes(kept, "last good policy", cache), note
    raise EnforcerError(f"{problem}, and no earlier policy validated, so every push is refused; "
                        f"fix: a server administrator restores a valid {POLICY_FILE} on {branch} (a repository "
                        "that never had one: see 'Adopting an existing repository' in enforcer's docs/server.md)")


LAST_GOOD = "last-good-policy.yaml"  # in $GIT_DIR/enforcer/
PENDING = "bootstrap-pending."  # + the commit: "<ref>\n" then the policy; see keep_bootstrap


def _last_good(repo: Repo) -> str:
    return os.path.join(repo.git_dir(), "enforcer", LAST_GOOD)


def keep_last_good(repo: Repo, raw: bytes) -> None:
    """Keep a policy that validated, to judge by if the default branch's ever breaks."""
    path = _last_good(repo)
    if read_bytes(path) != raw:
        _write(path, raw)


def _write(path: str, data: bytes) -> None:
    """All or nothing, through a file of this process's own (pushes run side by side), named
    so that the post-receive shim's cleanup of bootstrap-pending.* never takes it."""
    folder, name = os.path.split(path)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".tmp.{os.getpid()}.{name}")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def keep_bootstrap(repo: Repo, ref: str, new: str, raw: bytes) -> None:
    """Set the bootstrap's policy aside until git has really moved ``ref`` to ``new``.

    pre-receive and update run before git moves the ref, and git may still refuse it (another
    hook, a lock, an object it puts on no branch): kept now, a refused bootstrap would judge
    every later push and shut the real owner's out. So it waits in a file of its own, judges
    nothing, and leaves the bootstrap open; the post-receive shim, which git runs only for refs
    that moved, makes it the last good policy (enforcer/install.py), and so does the next
    push that finds the ref there (_landed_bootstrap).
    """
    try:
        _write(os.path.join(repo.git_dir(), "enforcer", PENDING + new), ref.encode() + b"\n" + raw)
    except OSError as e:
        raise EnforcerError(f"cannot set the bootstrap's {POLICY_FILE} aside ({e}), so it could never "
                            "become the policy") from None


def _landed_bootstrap(repo: Repo, keep: bool) -> bytes | None:
    """The policy of a bootstrap whose ref git did move to its commit, where post-receive has
    not kept it (no post-receive, or it failed); kept now when ``keep``. Else None."""
    folder = os.path.join(repo.git_dir(), "enforcer")
    try:
        names = [name for name in os.listdir(folder) if name.startswith(PENDING)]
    except FileNotFoundError:
        return None
    tips: dict[bytes, str | None] = {}  # refused bootstraps may be many; their ref is one
    for name in names:
        commit = name[len(PENDING):]
        ref, _, raw = (read_bytes(os.path.join(folder, name)) or b"").partition(b"\n")
        if not _is_object_id(commit) or not ref.startswith(b"refs/heads/") or not raw:
            continue
        if ref not in tips:
            tips[ref] = repo.resolve(ref.decode("utf-8", "replace"))
        if tips[ref] == commit:
            if keep:
                keep_last_good(repo, raw)
                _drop_pending(folder, names)
            return raw
    return None


def _drop_pending(folder: str, names: Iterable[str]) -> None:
    """Once a bootstrap's policy is kept, the others set aside (refused by git) go."""
    for name in names:
        try:
            os.remove(os.path.join(folder, name))
        except FileNotFoundError:  # post-receive took it meanwhile
            pass


def _bootstrap(repo: Repo, updates: list[Update]) -> tuple[str | None, list[tuple[str, Decision]]]:
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
    names = policy.actor_from or DEFAULT_ACTOR_FROM
    actor = first_set(names)  # recorded even when refused
    results = [(ref, decide(policy, Bootstrap(actor, ref, new, target, refs, raw is not None, problems,
                                              tuple(names)))) for _, new, ref in updates]
    if raw is not None and all(d.allowed for _, d in results):
        keep_bootstrap(repo, target, new, raw)  # the last good policy once git has moved the ref
        results = [(ref, d._replace(note="bootstrap: the first policy")) for ref, d in results]
    return actor, results


def judge(updates: list[Update], hook: str) -> int:
    repo = Repo()
    # git walks the pushed commits while the policy, the claims and the store are read
    pushed = [(new, not ref.startswith(CLAIM_REFS) and new != ZERO) for _, new, ref in updates]
    brought = repo.start_push_walk(new for new, walked in pushed if walked)
    walks = [functools.partial(brought.part, new) if walked else None for new, walked in pushed]
    store = default_store(repo.git_dir())
    default = repo.default_branch()
    policy, note = server_policy(repo, moved_default.before_this_push(repo, default) if hook == "update" else None)
    if policy is None:
        _finish(walks)
        actor, results = _bootstrap(repo, updates)
        records = [record_for("bootstrap", actor, ref, old, new, d) for (old, new, ref), (_, d) in zip(updates, results)]
    else:
        names = policy.actor_from or DEFAULT_ACTOR_FROM
        actor = first_set(names)

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
        rules = PathRules(policy, actor, claims, now)
        merges = Resolver(repo, brought.every(), rules, [old for old, _, _ in updates if old != ZERO], rules.pathspecs)
        results = []
        for (old, new, ref), walk in zip(updates, walks):
            request = repo.ref_update(policy, actor, ref, old, new, branch_tips=tips, actor_vars=tuple(names),
                                      now=now, break_glass=reason, claims=claims, walk=walk, resolver=merges)
            results.append((ref, decide(policy, request)))
        records = [record_for(hook, actor, ref, old, new, d) for (old, new, ref), (_, d) in zip(updates, results)]
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
    actor = first_set(DEFAULT_ACTOR_FROM)  # the policy that may name others could not be read
    lines = updates or [(ZERO, ZERO, "(no readable ref line)")]
    try:
        default_store(Repo().git_dir()).add([record_for(hook, actor, ref, old, new, decision)
                                             for old, new, ref in lines])
    except Exception as e:  # the refusal stands; say that it left no trace
        say(f"enforcer: warning: this refusal could not be recorded ({e})")
