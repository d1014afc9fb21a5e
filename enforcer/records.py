"""The records store: every decision, kept. SQLite in WAL mode inside the git directory.

The interface is three small methods so that a shared database can stand in later.
"""
from __future__ import annotations

import os
import sqlite3
import time

from enforcer.errors import EnforcerError
from enforcer.model import Decision, Violation
from enforcer.tuples import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from typing import Any, Protocol

SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    hook TEXT NOT NULL,
    actor TEXT,
    ref TEXT NOT NULL,
    old TEXT NOT NULL,
    new TEXT NOT NULL,
    verdict TEXT NOT NULL,
    note TEXT NOT NULL,
    violations TEXT NOT NULL
)
"""
# landed records read from the spool carry the byte offset where their line ends
SPOOL_COLUMN = "spool_offset"
SPOOL = "landed.spool"  # written by the post-receive shim: "time old new ref" per line


class RecordError(EnforcerError):
    pass


class Record(NamedTuple):
    hook: str  # pre-receive, update, post-receive (landed), bootstrap
    actor: str | None
    ref: str
    old: str
    new: str
    verdict: str  # allow, deny, landed
    note: str = ""
    violations: tuple[Violation, ...] = ()
    overridden: tuple[Violation, ...] = ()


def record_for(hook: str, actor: str | None, ref: str, old: str, new: str, decision: Decision) -> Record:
    return Record(hook, actor, ref, old, new, decision.verdict, decision.note, decision.violations,
                  decision.overridden)


if TYPE_CHECKING:
    class Store(Protocol):
        def add(self, records: list[Record]) -> None: ...
        def list(self, limit: int = 100) -> list[dict[str, Any]]: ...
        def exists(self) -> bool: ...


def _violations_json(record: Record) -> str:
    def one(v: Violation, overridden: bool) -> dict[str, Any]:
        return {"rule": v.rule, "check": v.check, "reason": v.reason, "fix": v.fix,
                "evaluate_only": v.evaluate_only, "overridden": overridden}

    if not record.violations and not record.overridden:
        return "[]"  # the common case, without importing json
    import json

    return json.dumps([one(v, False) for v in record.violations] + [one(v, True) for v in record.overridden])


class SQLiteStore:
    """Decisions in SQLite; what post-receive spooled is read in first, exactly once.

    The spool is append-only and never rewritten (it is a record too). Each
    landed record keeps the offset where its line ends: reading resumes there,
    and two readers at once insert the same offsets, which the unique index
    keeps once.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.spool = os.path.join(os.path.dirname(path), SPOOL)

    def _connect(self) -> sqlite3.Connection:
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)
            if SPOOL_COLUMN not in {row[1] for row in db.execute("PRAGMA table_info(decisions)")}:
                db.execute(f"ALTER TABLE decisions ADD COLUMN {SPOOL_COLUMN} INTEGER")  # stores made before it
            db.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS decisions_spool ON decisions({SPOOL_COLUMN})")
            db.execute("CREATE INDEX IF NOT EXISTS decisions_update ON decisions(ref, new)")
            self._read_spool(db)
            return db
        except (OSError, sqlite3.Error) as e:
            raise RecordError(f"cannot open the records store {self.path}: {e}") from None

    def _read_spool(self, db: sqlite3.Connection) -> None:
        try:
            size = os.path.getsize(self.spool)
        except FileNotFoundError:
            return
        with db:
            start = db.execute(f"SELECT COALESCE(MAX({SPOOL_COLUMN}), 0) FROM decisions").fetchone()[0]
            if start >= size:
                return
            with open(self.spool, "rb") as f:
                f.seek(start)
                data = f.read(size - start)
            rows = []
            end = start
            for line in data.split(b"\n")[:-1]:  # a last line without its newline is still being written
                end += len(line) + 1
                fields = line.decode("utf-8", "replace").split(" ", 3)
                if len(fields) != 4:
                    continue
                when, old, new, ref = fields
                # who pushed it: the actor whose push of exactly this update was allowed
                actor = db.execute("SELECT actor FROM decisions WHERE ref = ? AND old = ? AND new = ? "
                                   "AND verdict = 'allow' ORDER BY id DESC LIMIT 1", (ref, old, new)).fetchone()
                rows.append((float(when) if when.isdigit() else time.time(), "post-receive",
                             actor[0] if actor else None, ref, old, new, "landed", "", "[]", end))
            db.executemany("INSERT OR IGNORE INTO decisions (time, hook, actor, ref, old, new, verdict, note, "
                           f"violations, {SPOOL_COLUMN}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def add(self, records: list[Record]) -> None:
        db = self._connect()
        try:
            with db:
                db.executemany(
                    "INSERT INTO decisions (time, hook, actor, ref, old, new, verdict, note, violations) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(time.time(), r.hook, r.actor, r.ref, r.old, r.new, r.verdict, r.note, _violations_json(r))
                     for r in records])
        except sqlite3.Error as e:
            raise RecordError(f"cannot write to the records store {self.path}: {e}") from None
        finally:
            db.close()

    def exists(self) -> bool:
        """Whether anything was ever recorded here (reading creates nothing)."""
        return os.path.exists(self.path) or os.path.exists(self.spool)

    def list(self, limit: int = 100) -> list[dict[str, Any]]:
        if not self.exists():
            return []
        db = self._connect()
        try:
            rows = db.execute("SELECT id, time, hook, actor, ref, old, new, verdict, note, violations "
                              "FROM decisions ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        finally:
            db.close()
        keys = ("id", "time", "hook", "actor", "ref", "old", "new", "verdict", "note", "violations")
        import json

        return [{**dict(zip(keys, row)), "violations": json.loads(row[-1])} for row in rows]


def default_store(git_dir: str) -> Store:
    return SQLiteStore(os.path.join(git_dir, "enforcer", "records.sqlite3"))
