"""The records store: decisions, deployments, approvals and claims, in SQLite (WAL) inside the git directory.

Writers (the server hooks; the deploy runner and claims to come) go through
``SQLiteStore._writing``, the one place that creates the directory, migrates
the schema (``MIGRATIONS``, ``PRAGMA user_version``) and ingests the
post-receive spool. Readers (``enforcer decisions``, the web view) change
nothing and create nothing: they may run as another OS user who cannot write
here, and a file a reader left behind would belong to the wrong user
(docs/records.md says how SQLite's WAL files are handled).

The hooks import this module, so it imports neither json nor typing:
``Reader`` and ``Store`` become real ``typing.Protocol`` classes only when
someone asks for them (``__getattr__`` below).
"""
from __future__ import annotations

import os
import sqlite3
import time

from enforcer import serialize
from enforcer.errors import EnforcerError
from enforcer.model import Decision, Violation
from enforcer.tuples import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from typing import Any, Callable, Iterable, TypeVar

    from typing import Protocol as _Protocol
    from typing import runtime_checkable as _checkable

    T = TypeVar("T")
    Row = TypeVar("Row", "Deployment", "Approval", "ClaimRecord")
else:
    _Protocol = object

    def _checkable(cls):
        return cls

DB_NAME = "records.sqlite3"
SPOOL = "landed.spool"  # written by the post-receive shim (enforcer.install): "time old new ref" per line
SPOOL_COLUMN = "spool_offset"  # a landed record keeps the byte offset where its spool line ends
OUTCOMES = ("running", "succeeded", "failed", "rolled-back", "interrupted")
CLAIM_ACTIONS = ("claim", "release")
READ_ATTEMPTS = 20


class RecordError(EnforcerError):
    pass


# -- the kinds of record ---------------------------------------------------------------------------

class Record(NamedTuple):
    """A decision: who asked what, the verdict and why. ``id`` and ``time`` are set when read back."""

    hook: str  # where it was judged: pre-receive, update, post-receive (landed), bootstrap, ...
    actor: str | None
    ref: str  # "" for a request about no ref
    old: str
    new: str
    verdict: str  # allow, ask, deny, landed
    note: str = ""
    violations: tuple[Violation, ...] = ()
    overridden: tuple[Violation, ...] = ()  # found, but not blocking (evaluate mode, break-glass)
    kind: str = "ref-update"  # the request's kind: ref-update, staged, command, deploy
    policy: str | None = None  # the id of the policy blob that judged it; None: unknown (landed, refused unread)
    subject: str = ""  # what a request about no ref was about, e.g. the command line
    time: float | None = None
    id: int | None = None  # None: not stored yet (or a landed line a writer has not read in yet)


class Deployment(NamedTuple):
    """A deploy or rollback of ``tag`` to ``env`` by the deploy runner, from start to outcome."""

    env: str
    tag: str
    commit: str
    actor: str | None
    started: float
    outcome: str = "running"  # one of OUTCOMES
    previous: str | None = None  # the tag live in env before: the version this moves from
    finished: float | None = None
    rollback_of: int | None = None  # a rollback: the id of the deployment it rolls back
    checks: tuple[tuple[str, int], ...] = ()  # checks.before_deploy run: (command, exit status)
    health: str = ""  # what the health check saw last, e.g. "200" or "timeout"
    log: str = ""  # path of this deploy's log
    id: int | None = None


class Approval(NamedTuple):
    """An approval of ``tag`` for ``env``; it holds for ``tag_object`` only (the tag may move)."""

    env: str
    tag: str
    tag_object: str
    actor: str | None
    time: float
    id: int | None = None


class ClaimRecord(NamedTuple):
    """A claim taken or released (the live claims are refs; this is their history)."""

    path: str
    holder: str
    expires: float
    action: str  # one of CLAIM_ACTIONS
    actor: str | None
    time: float
    id: int | None = None


class DecisionFilter(NamedTuple):
    """Which decisions a reader wants: each field given must match (``check``: a violation's check
    id or rule, e.g. branches.push or branches[1]; ``ref``: a part of the ref or subject)."""

    verdict: str | None = None
    actor: str | None = None
    ref: str | None = None
    check: str | None = None

    def matches(self, r: Record) -> bool:
        return (not self.verdict or r.verdict == self.verdict) and (not self.actor or r.actor == self.actor) \
            and (not self.ref or self.ref in r.ref or self.ref in r.subject) \
            and (not self.check or any(self.check in (v.check, v.rule) for v in r.violations + r.overridden))


def record_for(hook: str, actor: str | None, ref: str, old: str, new: str, decision: Decision, *,
               kind: str = "ref-update", policy: str | None = None, subject: str = "") -> Record:
    return Record(hook, actor, ref, old, new, decision.verdict, decision.note, decision.violations,
                  decision.overridden, kind, policy, subject)


# -- the interface ---------------------------------------------------------------------------------

@_checkable
class _Reader(_Protocol):
    """What readers may do: every method answers from the store as it is and changes nothing."""

    def exists(self) -> bool: ...
    def decisions(self, limit: int = 100) -> list[Record]: ...
    def query(self, where: DecisionFilter, offset: int = 0, limit: int = 50) -> tuple[list[Record], int]: ...
    def refusals_by_day(self, days: int) -> list[tuple[str, int]]: ...
    def deployments(self, env: str | None = None, limit: int = 100) -> list[Deployment]: ...
    def deployment(self, deployment_id: int) -> Deployment | None: ...
    def approvals(self, env: str | None = None, tag: str | None = None, limit: int = 100) -> list[Approval]: ...
    def claims(self, path: str | None = None, limit: int = 100) -> list[ClaimRecord]: ...


@_checkable
class _Store(_Reader, _Protocol):
    """A reader that writes too: the enforcement points and the deploy runner."""

    def add(self, records: list[Record]) -> None: ...
    def add_deployment(self, deployment: Deployment) -> int: ...
    def update_deployment(self, deployment: Deployment) -> None: ...
    def add_approval(self, approval: Approval) -> int: ...
    def add_claim(self, claim: ClaimRecord) -> int: ...


if TYPE_CHECKING:
    Reader = _Reader
    Store = _Store
else:
    def __getattr__(name: str) -> type:
        """``Reader`` and ``Store`` as ``typing.Protocol`` classes, built on first use (the hooks
        never ask, and typing costs them milliseconds)."""
        plain = {"Reader": (_Reader, ()), "Store": (_Store, ("Reader",))}.get(name)
        if plain is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from typing import Protocol, runtime_checkable

        cls, parents = plain
        body = {k: v for k, v in vars(cls).items() if k not in ("__dict__", "__weakref__")}
        bases = tuple(globals()[p] if p in globals() else __getattr__(p) for p in parents) + (Protocol,)
        built = runtime_checkable(type(name, bases, {**body, "__qualname__": name}))
        globals()[name] = built
        return built


# -- the schema: versioned migrations, applied by writers only ------------------------------------

def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def _v1(db: sqlite3.Connection) -> None:
    """The decisions table as the first enforcer made it (stores made before spool_offset lack it)."""
    db.execute("""CREATE TABLE IF NOT EXISTS decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, hook TEXT NOT NULL, actor TEXT,
        ref TEXT NOT NULL, old TEXT NOT NULL, new TEXT NOT NULL, verdict TEXT NOT NULL, note TEXT NOT NULL,
        violations TEXT NOT NULL)""")
    if SPOOL_COLUMN not in _columns(db, "decisions"):
        db.execute(f"ALTER TABLE decisions ADD COLUMN {SPOOL_COLUMN} INTEGER")
    db.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS decisions_spool ON decisions({SPOOL_COLUMN})")
    db.execute("CREATE INDEX IF NOT EXISTS decisions_update ON decisions(ref, new)")


def _v2(db: sqlite3.Connection) -> None:
    """Which policy judged a decision and the request's kind; deployments, approvals, claims."""
    have = _columns(db, "decisions")
    for column, declaration in (("kind", "TEXT NOT NULL DEFAULT 'ref-update'"), ("policy", "TEXT"),
                                ("subject", "TEXT NOT NULL DEFAULT ''")):
        if column not in have:
            db.execute(f"ALTER TABLE decisions ADD COLUMN {column} {declaration}")
    db.execute(f"""CREATE TABLE IF NOT EXISTS deployments (
        id INTEGER PRIMARY KEY AUTOINCREMENT, env TEXT NOT NULL, tag TEXT NOT NULL, "commit" TEXT NOT NULL,
        actor TEXT, started REAL NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ({", ".join(f"'{o}'" for o in OUTCOMES)})),
        previous TEXT, finished REAL, rollback_of INTEGER REFERENCES deployments(id),
        checks TEXT NOT NULL DEFAULT '[]', health TEXT NOT NULL DEFAULT '', log TEXT NOT NULL DEFAULT '')""")
    db.execute("CREATE INDEX IF NOT EXISTS deployments_env ON deployments(env, id)")
    db.execute("""CREATE TABLE IF NOT EXISTS approvals (
        id INTEGER PRIMARY KEY AUTOINCREMENT, env TEXT NOT NULL, tag TEXT NOT NULL, tag_object TEXT NOT NULL,
        actor TEXT, time REAL NOT NULL)""")
    db.execute("CREATE INDEX IF NOT EXISTS approvals_tag ON approvals(env, tag)")
    db.execute(f"""CREATE TABLE IF NOT EXISTS claims (
        id INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT NOT NULL, holder TEXT NOT NULL, expires REAL NOT NULL,
        action TEXT NOT NULL CHECK (action IN ({", ".join(f"'{a}'" for a in CLAIM_ACTIONS)})),
        actor TEXT, time REAL NOT NULL)""")
    db.execute("CREATE INDEX IF NOT EXISTS claims_path ON claims(path, id)")


# Append only: a store at version N runs MIGRATIONS[N:]. Each step is idempotent, so a store that
# some step's statements already reached (one made before versions were kept) converges too.
MIGRATIONS = (_v1, _v2)
VERSION = len(MIGRATIONS)


def _version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _migrate(db: sqlite3.Connection, path: str) -> None:
    version = _version(db)
    if version == VERSION:  # the common case: one read of the file's header
        return
    db.execute("BEGIN IMMEDIATE")  # one writer migrates; one racing it waits, then finds it done
    try:
        version = _version(db)
        if version > VERSION:
            raise RecordError(f"the records store {path} is version {version}, newer than this enforcer "
                              f"knows ({VERSION}): upgrade enforcer")
        for step in MIGRATIONS[version:]:
            step(db)
        db.execute(f"PRAGMA user_version = {VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


# -- the post-receive spool -----------------------------------------------------------------------

def _landed(db: sqlite3.Connection | None, spool: str, start: int) -> list[tuple[Record, int]]:
    """The landed records in the spool after byte ``start``, each with the offset where its line ends.

    The pusher is the actor whose push of exactly this update was allowed. A
    last line without its newline is still being written and waits.
    """
    try:
        with open(spool, "rb") as f:
            f.seek(start)
            data = f.read()
    except FileNotFoundError:
        return []
    known = db is not None and bool(_columns(db, "decisions"))
    found = []
    end = start
    for line in data.split(b"\n")[:-1]:
        end += len(line) + 1
        fields = line.decode("utf-8", "replace").split(" ", 3)
        if len(fields) != 4:
            continue
        when, old, new, ref = fields
        actor = None
        if known and db is not None:
            row = db.execute("SELECT actor FROM decisions WHERE ref = ? AND old = ? AND new = ? "
                             "AND verdict = 'allow' ORDER BY id DESC LIMIT 1", (ref, old, new)).fetchone()
            actor = row[0] if row else None
        found.append((Record("post-receive", actor, ref, old, new, "landed",
                             time=float(when) if when.isdigit() else time.time()), end))
    return found


def _ingested(db: sqlite3.Connection) -> int:
    """Where the spool's lines not yet in the store start."""
    if SPOOL_COLUMN not in _columns(db, "decisions"):
        return 0
    return int(db.execute(f"SELECT COALESCE(MAX({SPOOL_COLUMN}), 0) FROM decisions").fetchone()[0])


# -- rows to and from SQL --------------------------------------------------------------------------

DECISION_COLUMNS = ("time", "hook", "kind", "actor", "ref", "old", "new", "verdict", "note", "violations",
                    "policy", "subject")
# what a store not yet migrated holds where a column is missing
DECISION_DEFAULTS = {"kind": "'ref-update'", "policy": "NULL", "subject": "''"}
TABLES = {"Deployment": "deployments", "Approval": "approvals", "ClaimRecord": "claims"}


def _decision_values(r: Record, now: float) -> tuple[object, ...]:
    return (r.time if r.time is not None else now, r.hook, r.kind, r.actor, r.ref, r.old, r.new, r.verdict,
            r.note, serialize.violations_text(r.violations, r.overridden), r.policy, r.subject)


def _decision_from(row: tuple[Any, ...]) -> Record:
    (id_, when, hook, kind, actor, ref, old, new, verdict, note, text, policy, subject) = row
    try:
        found, overridden = serialize.parse_violations(text)
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise RecordError(f"decision {id_} in the records store has unreadable violations ({e})") from None
    return Record(hook, actor, ref, old, new, verdict, note, found, overridden, kind, policy, subject, when, id_)


def _row_values(row: Deployment | Approval | ClaimRecord) -> tuple[object, ...]:
    values = row._asdict()
    del values["id"]
    if isinstance(row, Deployment):
        if row.outcome not in OUTCOMES:
            raise RecordError(f"a deployment's outcome is one of {', '.join(OUTCOMES)}, not {row.outcome!r}")
        values["checks"] = serialize.checks_text(row.checks)
    if isinstance(row, ClaimRecord) and row.action not in CLAIM_ACTIONS:
        raise RecordError(f"a claim record's action is claim or release, not {row.action!r}")
    return tuple(values.values())


def _row_from(cls: type[Row], values: tuple[Any, ...]) -> Row:
    fields = dict(zip(cls._fields, values))
    if "checks" in fields:
        try:
            fields["checks"] = serialize.parse_checks(fields["checks"])
        except (ValueError, TypeError) as e:
            raise RecordError(f"deployment {fields['id']} in the records store has unreadable checks ({e})") from None
    return cls(**fields)


def _names(fields: Iterable[str]) -> str:
    return ", ".join(f'"{f}"' for f in fields)  # quoted: "commit" is an SQL keyword


def _uri(path: str, mode: str) -> str:
    escaped = path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    return f"file:{escaped}?{mode}"


def _stamp(path: str) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


# -- the store -------------------------------------------------------------------------------------

class SQLiteStore:
    """Records in one SQLite file; what post-receive spooled is read in by the next writer, exactly once.

    The spool is append-only and never rewritten (it is a record too). Each
    landed record keeps the offset where its line ends: reading resumes there,
    and two writers at once insert the same offsets, which the unique index
    keeps once. Readers show the lines no writer has read in yet as well,
    without storing them.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.spool = os.path.join(os.path.dirname(path), SPOOL)

    # writing

    def _writing(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Open as a writer (directory, WAL, migrations), read the spool in, then ``work``: one transaction."""
        db = None
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)  # transactions are explicit
            db.execute("PRAGMA journal_mode=WAL")
            _migrate(db, self.path)
            db.execute("BEGIN IMMEDIATE")
            try:
                self._ingest(db)
                result = work(db)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return result
        except (OSError, sqlite3.Error) as e:
            raise RecordError(f"cannot write to the records store {self.path}: {e}") from None
        finally:
            if db is not None:
                db.close()

    def _ingest(self, db: sqlite3.Connection) -> None:
        """The one place the spool is read into the store (inside the writer's transaction)."""
        try:
            size = os.path.getsize(self.spool)
        except FileNotFoundError:
            return
        start = _ingested(db)
        if start >= size:
            return
        rows = [(*_decision_values(r, 0.0), end) for r, end in _landed(db, self.spool, start)]
        db.executemany(f"INSERT OR IGNORE INTO decisions ({', '.join(DECISION_COLUMNS)}, {SPOOL_COLUMN}) "
                       f"VALUES ({', '.join('?' * (len(DECISION_COLUMNS) + 1))})", rows)

    def add(self, records: list[Record]) -> None:
        """Decisions, in one transaction: all are kept or none (then RecordError)."""
        now = time.time()
        self._writing(lambda db: db.executemany(
            f"INSERT INTO decisions ({', '.join(DECISION_COLUMNS)}) VALUES ({', '.join('?' * len(DECISION_COLUMNS))})",
            [_decision_values(r, now) for r in records]))

    def _insert(self, row: Deployment | Approval | ClaimRecord) -> int:
        table = TABLES[type(row).__name__]
        values = _row_values(row)
        fields = [f for f in row._fields if f != "id"]
        return self._writing(lambda db: int(db.execute(
            f"INSERT INTO {table} ({_names(fields)}) VALUES ({', '.join('?' * len(fields))})", values).lastrowid
            or 0))

    def add_deployment(self, deployment: Deployment) -> int:
        return self._insert(deployment)

    def update_deployment(self, deployment: Deployment) -> None:
        """The deployment with ``deployment.id``, as it now stands (its outcome, finish, checks, ...)."""
        if deployment.id is None:
            raise RecordError("a deployment is updated by its id, and this one has none")
        values = _row_values(deployment)
        fields = [f for f in Deployment._fields if f != "id"]

        def update(db: sqlite3.Connection) -> None:
            cursor = db.execute(f"UPDATE deployments SET {', '.join(f'{_names([f])} = ?' for f in fields)} "
                                "WHERE id = ?", (*values, deployment.id))
            if cursor.rowcount != 1:
                raise RecordError(f"no deployment {deployment.id} in the records store {self.path}")

        self._writing(update)

    def add_approval(self, approval: Approval) -> int:
        return self._insert(approval)

    def add_claim(self, claim: ClaimRecord) -> int:
        return self._insert(claim)

    # reading

    def exists(self) -> bool:
        """Whether anything was ever recorded here (asking creates nothing)."""
        return os.path.exists(self.path) or os.path.exists(self.spool)

    def _reading(self, read: Callable[[sqlite3.Connection], T]) -> T | None:
        """``read`` on a read-only connection; None when there is no store. Nothing is created or changed.

        While a writer has the store open, its -wal and -shm files exist and a
        read-only connection shares them. Without them, SQLite would create
        them, which a reader must not do (and cannot, as another user without
        write access here); but then every record is in the main file, read
        as it stands (immutable). A writer that came and went meanwhile
        changed that file: the read is done again.
        """
        wal = self.path + "-wal"
        for _ in range(READ_ATTEMPTS):
            before = _stamp(self.path)
            if before is None:
                return None
            live = os.path.exists(wal)
            try:
                db = sqlite3.connect(_uri(self.path, "mode=ro" if live else "immutable=1"), uri=True, timeout=10)
                try:
                    result = read(db)
                finally:
                    db.close()
            except sqlite3.Error as e:
                if live and not os.path.exists(wal):
                    continue  # the last writer closed as this opened: read the main file alone
                raise RecordError(f"cannot read the records store {self.path}: {e}") from None
            if live or (not os.path.exists(wal) and _stamp(self.path) == before):
                return result
            time.sleep(0.01)
        raise RecordError(f"the records store {self.path} kept changing while it was read: try again")

    def decisions(self, limit: int = 100) -> list[Record]:
        """The newest ``limit`` decisions, newest first, with what landed and no writer has read in yet."""
        _check_limit(limit)

        def read(db: sqlite3.Connection) -> list[Record]:
            have = _columns(db, "decisions")
            if not have:
                return [r for r, _ in reversed(_landed(None, self.spool, 0))][:limit]
            pending = [r for r, _ in reversed(_landed(db, self.spool, _ingested(db)))][:limit]
            exprs = [c if c in have else DECISION_DEFAULTS[c] for c in DECISION_COLUMNS]
            rows = db.execute(f"SELECT id, {', '.join(exprs)} FROM decisions ORDER BY id DESC LIMIT ?",
                              (limit - len(pending),)).fetchall()
            return pending + [_decision_from(row) for row in rows]

        found = self._reading(read)
        return found if found is not None else [r for r, _ in reversed(_landed(None, self.spool, 0))][:limit]

    def query(self, where: DecisionFilter, offset: int = 0, limit: int = 50) -> tuple[list[Record], int]:
        """The decisions ``where`` selects, newest first, from ``offset``: (a page of ``limit``, how
        many there are in all). What landed and no writer has read in yet comes first."""
        _check_limit(limit)
        _check_limit(offset)

        def read(db: sqlite3.Connection) -> tuple[list[Record], int]:
            have = _columns(db, "decisions")
            pending = [r for r, _ in reversed(_landed(db if have else None, self.spool, _ingested(db) if have else 0))
                       if where.matches(r)]
            if not have:
                return pending[offset:offset + limit], len(pending)
            sql, args = _where(where, have)
            total = int(db.execute(f"SELECT COUNT(*) FROM decisions{sql}", args).fetchone()[0])
            page = pending[offset:offset + limit]
            skip = max(0, offset - len(pending))
            exprs = [c if c in have else DECISION_DEFAULTS[c] for c in DECISION_COLUMNS]
            rows = db.execute(f"SELECT id, {', '.join(exprs)} FROM decisions{sql} ORDER BY id DESC LIMIT ? OFFSET ?",
                              (*args, limit - len(page), skip)).fetchall()
            return page + [_decision_from(row) for row in rows], total + len(pending)

        return self._reading(read) or ([], 0)

    def refusals_by_day(self, days: int) -> list[tuple[str, int]]:
        """(day, refusals that day) for the last ``days`` days up to today (UTC), oldest first."""
        today = int(time.time() // 86400)
        first = today - days + 1

        def read(db: sqlite3.Connection) -> dict[int, int]:
            if not _columns(db, "decisions"):
                return {}
            rows = db.execute("SELECT CAST(time / 86400 AS INTEGER) AS day, COUNT(*) FROM decisions "
                              "WHERE verdict = 'deny' AND time >= ? GROUP BY day", (first * 86400,)).fetchall()
            return {int(day): int(n) for day, n in rows}

        counts = self._reading(read) or {}
        return [(time.strftime("%Y-%m-%d", time.gmtime(day * 86400)), counts.get(day, 0))
                for day in range(first, today + 1)]

    def _rows(self, cls: type[Row], where: dict[str, str | None], limit: int) -> list[Row]:
        _check_limit(limit)
        table = TABLES[cls.__name__]
        given: dict[str, str] = {k: v for k, v in where.items() if v is not None}
        condition = " AND ".join(f"{_names([k])} = ?" for k in given) or "1"

        def read(db: sqlite3.Connection) -> list[Row]:
            if not _columns(db, table):  # a store no writer has migrated yet
                return []
            rows = db.execute(f"SELECT {_names(cls._fields)} FROM {table} WHERE {condition} "
                              "ORDER BY id DESC LIMIT ?", (*given.values(), limit)).fetchall()
            return [_row_from(cls, row) for row in rows]

        return self._reading(read) or []

    def deployments(self, env: str | None = None, limit: int = 100) -> list[Deployment]:
        """Newest first; ``env`` limits them to one environment."""
        return self._rows(Deployment, {"env": env}, limit)

    def deployment(self, deployment_id: int) -> Deployment | None:
        """The deployment with this id, or None."""
        found = self._rows(Deployment, {"id": str(deployment_id)}, 1)
        return found[0] if found else None

    def approvals(self, env: str | None = None, tag: str | None = None, limit: int = 100) -> list[Approval]:
        return self._rows(Approval, {"env": env, "tag": tag}, limit)

    def claims(self, path: str | None = None, limit: int = 100) -> list[ClaimRecord]:
        """The history of claims (taken, released), newest first; the live claims are refs."""
        return self._rows(ClaimRecord, {"path": path}, limit)

    def list(self, limit: int = 100) -> list[dict[str, object]]:
        """The newest decisions as JSON-able dicts (``serialize.decision``), for callers of the old interface."""
        return [serialize.decision(r) for r in self.decisions(limit)]


def _where(where: DecisionFilter, have: set[str]) -> tuple[str, tuple[str, ...]]:
    """SQL that selects the decisions ``where`` selects (violations are kept as serialize's JSON,
    in which a check or rule reads `"check": "<id>"` or `"rule": "<id>"`)."""
    import json

    terms: list[str] = []
    args: list[str] = []
    if where.verdict:
        terms.append("verdict = ?")
        args.append(where.verdict)
    if where.actor:
        terms.append("actor = ?")
        args.append(where.actor)
    if where.ref:
        terms.append("(instr(ref, ?) > 0 OR instr(subject, ?) > 0)" if "subject" in have else "instr(ref, ?) > 0")
        args += [where.ref, where.ref] if "subject" in have else [where.ref]
    if where.check:
        value = json.dumps(where.check, ensure_ascii=False)
        terms.append("(instr(violations, ?) > 0 OR instr(violations, ?) > 0)")
        args += [f'"check": {value}', f'"rule": {value}']
    return (" WHERE " + " AND ".join(terms) if terms else ""), tuple(args)


def _check_limit(limit: int) -> None:
    if limit < 0:
        raise RecordError(f"a limit is a number of records, 0 or more, not {limit}")


def default_store(git_dir: str) -> Store:
    return SQLiteStore(os.path.join(git_dir, "enforcer", DB_NAME))
