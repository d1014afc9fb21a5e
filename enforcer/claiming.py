"""Claims as commands (`enforcer claim`, `release`, `claims`): what is claimed, judged by the
core, then written with compare-and-swap; from a clone through the server (docs/claims.md).

Races. In one repository a lock file in the common git directory serialises
check-and-write for every worktree, and a ref moves only from the value that was
judged (``git update-ref``'s compare-and-swap). Across clones the server decides:
the push's lease is its compare-and-swap, git never keeps a ref inside another
(``a`` and ``a/b`` cannot both exist, so nested claims exclude each other), and
the reference-transaction hook (server_hooks/reference_transaction.py) refuses a
claim whose neighbour is being written by another push at the same moment.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import re
import time

from enforcer.engine import decide
from enforcer.errors import EnforcerError
from enforcer.git import Repo
from enforcer.model import CLAIM_REFS, ZERO, Claim, Decision, RefUpdate, claim_text, parse_claim
from enforcer.policy import Policy
from enforcer.tuples import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from collections.abc import Iterator

ENV_CLAIM_REFS = "refs/enforcer/env-claims/"  # refs/enforcer/env-claims/<environment>
ENV_PREFIX = "env:"  # `enforcer claim env:env3`: a ':' is in no ref name, so no directory reads so
NAMESPACES = (CLAIM_REFS, ENV_CLAIM_REFS)
MIRROR = tuple(f"+{ns}*:{ns}*" for ns in NAMESPACES)  # a clone's copy follows the server's
LOCK_FILE = os.path.join("enforcer", "claims.lock")  # in the common git directory
LOCK_WAIT = 60.0  # seconds; a holder that dies releases its flock at once
DURATION = re.compile(r"(\d+|(\d+[smhd])+)")
# what git allows in one component of a ref name (git check-ref-format)
REF_FORBIDDEN = frozenset(" ~^:?*[\\\x7f" + "".join(map(chr, range(32))))
ACCEPTED = frozenset(" +-*=")
# how git says a hook (pre-push here, pre-receive or reference-transaction there) refused a push
REFUSALS = ("hook declined", "aborted by hook")  # git push --porcelain flags of a ref that landed (or was there already)


class Target(NamedTuple):
    """What is claimed: ``a/b/`` (a directory) or ``env:env3`` (an environment), and its ref."""

    name: str
    ref: str

    @property
    def is_env(self) -> bool:
        return self.name.startswith(ENV_PREFIX)


class Place(NamedTuple):
    """Who claims, where, judged by which policy."""

    repo: Repo
    policy: Policy
    actor: str
    actor_vars: tuple[str, ...]
    remote: str | None  # a clone's remote, which the claim goes through; None: written here only
    server: bool = False  # the bare repository itself
    policy_blob: str | None = None  # the server's policy file, for the records


class Held(NamedTuple):
    """A claim ref as the repository holds it; ``claim`` is None where its blob states none."""

    name: str
    ref: str
    sha: str
    claim: Claim | None


class Outcome(NamedTuple):
    """Exit code, lines for the user, and the core's decisions behind a refusal."""

    code: int
    lines: tuple[str, ...] = ()
    results: tuple[tuple[str, Decision], ...] = ()


# -- what is claimed ---------------------------------------------------------------------------

def target(text: str) -> Target:
    """``./a//b`` -> ``a/b/``; ``env:NAME`` -> an environment. Bad input raises, naming the fix."""
    if text.startswith(ENV_PREFIX):
        env = text[len(ENV_PREFIX):]
        if not env or "/" in env or not ref_component_ok(env):
            raise EnforcerError(f"{text!r}: name an environment of the policy, e.g. env:env3")
        return Target(text, ENV_CLAIM_REFS + env)
    directory = normalise(text)
    return Target(directory, CLAIM_REFS + directory.rstrip("/"))


def normalise(text: str) -> str:
    """A directory relative to the repository's root, as claims name it (DESIGN.md, *Claims*)."""
    hint = "name a directory relative to the repository's root, e.g. src/app"
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if text.startswith("/"):
        raise EnforcerError(f"{text!r} is an absolute path: {hint}")
    if ".." in parts:
        raise EnforcerError(f"{text!r} leaves the directory it names ('..'): {hint}")
    if not parts:
        raise EnforcerError(f"{text!r} is the repository's root, which is not claimed: {hint}")
    if any(p.lower() == ".git" for p in parts):
        raise EnforcerError(f"{text!r} is inside .git, git's own directory, which is not claimed: {hint}")
    bad = next((p for p in parts if not ref_component_ok(p)), None)
    if bad is not None:
        raise EnforcerError(f"{text!r}: git allows no {bad!r} in a ref name, and claims are refs "
                            "(docs/claims.md): claim its parent directory")
    return "/".join(parts) + "/"


def ref_component_ok(part: str) -> bool:
    """One component of a ref name, as git check-ref-format allows it."""
    return bool(part) and not part.startswith(".") and not part.endswith((".lock", ".")) \
        and ".." not in part and "@{" not in part and part != "@" and not REF_FORBIDDEN.intersection(part)


def ttl_seconds(text: str | None) -> int | None:
    """``--ttl`` as seconds (None: the policy's ``claims.ttl``)."""
    if text is None:
        return None
    from enforcer.policy import parse_duration

    if not DURATION.fullmatch(text) or parse_duration(text) <= 0:
        raise EnforcerError(f"--ttl {text!r}: give a duration such as 30m, 2h, 1h30m or a number of seconds")
    return parse_duration(text)


def choose_remote(repo: Repo, wanted: str | None) -> str | None:
    """The remote a clone's claims go through: --remote, else origin, else the only one."""
    remotes = repo.claim_remotes()
    if wanted is not None:
        if wanted not in remotes:
            raise EnforcerError(f"--remote {wanted!r}: this clone has no such remote "
                                f"({', '.join(remotes) or 'it has none'}); see git remote -v")
        return wanted
    if not remotes or "origin" in remotes:
        return "origin" if remotes else None
    if len(remotes) == 1:
        return remotes[0]
    raise EnforcerError(f"several remotes ({', '.join(remotes)}) and none is origin: pass --remote NAME")


# -- what the repository holds -----------------------------------------------------------------

def held(repo: Repo) -> dict[str, Held]:
    """Every claim ref, by ref name; directories' claims parsed as the server parses them."""
    refs = repo.claim_refs(*NAMESPACES)
    dirs = {CLAIM_REFS + c.path.rstrip("/"): c
            for c in repo.claims([(sha, ref) for ref, sha in refs.items() if ref.startswith(CLAIM_REFS)])}
    found = {}
    for ref, sha in sorted(refs.items()):
        if ref.startswith(CLAIM_REFS):
            name = ref[len(CLAIM_REFS):] + "/"
            claim = dirs.get(ref)
        else:
            name = ENV_PREFIX + ref[len(ENV_CLAIM_REFS):]
            blob = repo.blob(sha)
            claim = parse_claim(name, blob.decode("utf-8", "replace")) if blob else None
        found[ref] = Held(name, ref, sha, claim)
    return found


def directory_claims(found: dict[str, Held]) -> tuple[Claim, ...]:
    """The claims (directories' and environments'), as the server gives them to the core (Repo.claims)."""
    return tuple(h.claim for h in found.values() if h.claim is not None)


def nested(found: dict[str, Held], name: str) -> list[Held]:
    """Claims inside ``name`` or around it (not ``name`` itself): git keeps no ref inside another."""
    return [h for h in found.values() if h.ref.startswith(CLAIM_REFS) and h.name != name
            and (h.name.startswith(name) or name.startswith(h.name))]


def until(expires: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(expires))


@contextlib.contextmanager
def claims_lock(repo: Repo) -> Iterator[None]:
    """One check-and-write at a time in this repository, every worktree included."""
    path = os.path.join(repo.common_dir(), LOCK_FILE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise EnforcerError(f"another claim or release has held {path} for {LOCK_WAIT:.0f} s: "
                                        "wait for it to finish, then try again") from None
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def refresh(place: Place) -> None:
    """A clone's claims as the server holds them now (judged against, and then written beside)."""
    if place.remote is not None:
        error = place.repo.fetch_claim_refs(place.remote, MIRROR)
        if error is not None:
            raise EnforcerError(f"cannot read the claims on {place.remote}: {error}")


# -- the requests the core judges --------------------------------------------------------------

def request(place: Place, what: Target, old: str, new: str, found: dict[str, Held], now: float,
            claim: Claim | None) -> RefUpdate:
    """The ref update the server will judge, as enforcer.facts builds it on the server."""
    claims = directory_claims(found)
    from enforcer import facts

    return facts.ref_update(place.repo, place.policy, place.actor, what.ref, old, new, claims=claims, now=now,
                            actor_vars=place.actor_vars)


def judged(place: Place, what: Target, old: str, new: str, found: dict[str, Held], now: float,
           claim: Claim | None, action: str) -> Decision:
    decision = decide(place.policy, request(place, what, old, new, found, now, claim))
    if place.server:  # the server keeps every decision, as its hooks do
        from enforcer.records import default_store, record_for

        default_store(place.repo.git_dir()).add([record_for(action, place.actor, what.ref, old, new, decision,
                                                            policy=place.policy_blob)])
    return decision


# -- the commands ------------------------------------------------------------------------------

def claim(place: Place, what: Target, ttl: int | None) -> Outcome:
    with claims_lock(place.repo):
        refresh(place)
        found = held(place.repo)
        now = time.time()
        expires = int(now + (place.policy.claims_ttl if ttl is None else ttl))
        current = found.get(what.ref)
        old = current.sha if current else ZERO
        around = [] if what.is_env else nested(found, what.name)
        mine = [h for h in around if h.claim and h.claim.holder == place.actor and h.claim.expires > now]
        if mine:
            return Outcome(1, (f"enforcer: {what.name}: not claimed: your claim on {mine[0].name} lies "
                               f"{'around' if what.name.startswith(mine[0].name) else 'inside'} it, and git keeps "
                               "no claim inside another",
                               f"  fix: renew {mine[0].name} (enforcer claim {mine[0].name}), or release it first"))
        blob = place.repo.write_claim_blob(claim_text(place.actor, expires))
        stated = Claim(what.name, place.actor, float(expires))
        decision = judged(place, what, old, blob, found, now, stated, "claim")
        if not decision.allowed:
            return Outcome(1, results=((what.ref, decision),))
        for stale in [h for h in around if h.claim is None or h.claim.expires <= now]:
            cleared = _clear(place, stale, found, now)
            if cleared is not None:
                return cleared
        failed = write(place, what, old, blob)
        if failed is not None:
            return failed
        _history(place, stated, "claim", now)
        return Outcome(0, (f"claimed {what.name} for {place.actor} until {until(expires)} ({_where(place)})",))


def release(place: Place, what: Target) -> Outcome:
    with claims_lock(place.repo):
        refresh(place)
        found = held(place.repo)
        current = found.get(what.ref)
        if current is None:
            return Outcome(0, (f"{what.name} is not claimed: nothing to release",))
        now = time.time()
        decision = judged(place, what, current.sha, ZERO, found, now, None, "release")
        if not decision.allowed:
            return Outcome(1, results=((what.ref, decision),))
        failed = write(place, what, current.sha, ZERO)
        if failed is not None:
            return failed
        if current.claim is not None:
            _history(place, current.claim, "release", now)
        return Outcome(0, (f"released {what.name} ({_where(place)})",))


def _clear(place: Place, stale: Held, found: dict[str, Held], now: float) -> Outcome | None:
    """Delete an expired claim (anyone may) that would nest with the new one: git keeps no ref
    inside another. Judged as its own release."""
    what = Target(stale.name, stale.ref)
    decision = judged(place, what, stale.sha, ZERO, found, now, None, "release")
    if not decision.allowed:
        return Outcome(1, results=((stale.ref, decision),))
    return write(place, what, stale.sha, ZERO)


def write(place: Place, what: Target, old: str, new: str) -> Outcome | None:
    """Move the ref from ``old`` (as judged) to ``new``: through the remote first, then here.
    None when done; else the refusal."""
    if place.remote is not None:
        refused = push(place, what, old, new)
        if refused is not None:
            return refused
    message = f"enforcer {'release' if new == ZERO else 'claim'} by {place.actor}"
    error = place.repo.swap_claim_ref(what.ref, new, old, message)
    if error is not None and place.remote is not None:  # the server took it: this clone's copy follows
        error = place.repo.swap_claim_ref(what.ref, new, None, message)
    if error is None:
        return None
    return Outcome(1, (f"enforcer: {what.name}: another claim or release was written at the same moment, "
                       f"so nothing was written ({error.splitlines()[0]})",
                       "  fix: see `enforcer claims`, then try again"))


def push(place: Place, what: Target, old: str, new: str) -> Outcome | None:
    """The claim ref pushed as any push (the server's hooks judge it again); None when it landed."""
    assert place.remote is not None
    return push_ref(place.repo, place.remote, place.actor, what.ref, old, new,
                    f"{what.name} changed on {place.remote} while it was judged (another claim or release at the "
                    "same moment)", "see `enforcer claims`, then try again",
                    lost="a claim around or inside it landed first; see `enforcer claims`")


def push_ref(repo: Repo, remote: str, actor: str, ref: str, old: str, new: str, raced: str, fix: str,
             lost: str = "") -> Outcome | None:
    """``ref`` pushed to ``remote`` as ``actor``, to ``new`` (ZERO deletes it) with a lease on
    ``old``, as any push: None when it landed, else why not (``raced``: what a lost lease means;
    ``lost``: what a refusal for a neighbour that landed first means)."""
    spec = f":{ref}" if new == ZERO else f"+{new}:{ref}"
    rows, err = repo.push_claim_refs(remote, [spec], {ref: old}, {"ENFORCER_ACTOR": actor})
    flag, summary = rows.get(ref, ("", ""))
    if flag and flag in ACCEPTED:
        return None
    # the server's own words: its hooks' lines (unprefixed where receive-pack died on a refusal)
    said = tuple(line for line in err.splitlines() if line.startswith(("remote:", "enforcer:")))
    if "stale info" in summary:
        return Outcome(1, (f"enforcer: {raced}: nothing was written", f"  fix: {fix}"))
    if flag == "!" or any(word in err for word in REFUSALS):
        landed_first = lost and ("failed to update ref" in summary or "aborted by hook" in err)
        return Outcome(1, (*said, f"enforcer: {remote} refused {ref}: {summary or 'a hook declined it'}",
                           *([f"  fix: {lost}"] if landed_first else [])))
    first = next((line for line in err.splitlines() if line.strip()), "no answer")
    raise EnforcerError(f"cannot push {ref} to {remote}: {first}")


def _where(place: Place) -> str:
    if place.server:
        return "in this repository"
    if place.remote is None:
        return "in this clone only: it has no remote, so no other clone sees it"
    return f"on {place.remote} and in this clone"


def _history(place: Place, claim: Claim, action: str, now: float) -> None:
    """The server keeps the history of claims beside its decisions (the live ones are refs)."""
    if not place.server:
        return
    from enforcer.records import ClaimRecord, default_store

    default_store(place.repo.git_dir()).add_claim(ClaimRecord(claim.path, claim.holder, claim.expires, action,
                                                              place.actor, now))


def listing(repo: Repo, remote: str | None) -> tuple[list[Held], str | None]:
    """Every claim ref, live or expired, refreshed from ``remote`` first; and why it could not be."""
    warning = None
    if remote is not None:
        with claims_lock(repo):
            error = repo.fetch_claim_refs(remote, MIRROR)
        if error is not None:
            warning = f"could not read the claims on {remote} ({error}): showing this clone's copy"
    return list(held(repo).values()), warning
