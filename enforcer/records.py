"""The records store: every decision, kept. SQLite in WAL mode inside the git directory.

The interface is two methods so that a shared database can stand in later.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from typing import Any, NamedTuple, Protocol

from enforcer.errors import EnforcerError
from enforcer.model import Decision, Violation

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


class Store(Protocol):
    def add(self, records: list[Record]) -> None: ...
    def list(self, limit: int = 100) -> list[dict[str, Any]]: ...


def _violations_json(record: Record) -> str:
    def one(v: Violation, overridden: bool) -> dict[str, Any]:
        return {"rule": v.rule, "check": v.check, "reason": v.reason, "fix": v.fix,
                "evaluate_only": v.evaluate_only, "overridden": overridden}

    return json.dumps([one(v, False) for v in record.violations] + [one(v, True) for v in record.overridden])


class SQLiteStore:
    def __init__(self, path: str) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)
            return db
        except (OSError, sqlite3.Error) as e:
            raise RecordError(f"cannot open the records store {self.path}: {e}") from None

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

    def list(self, limit: int = 100) -> list[dict[str, Any]]:
        if not os.path.exists(self.path):
            return []
        db = self._connect()
        try:
            rows = db.execute("SELECT id, time, hook, actor, ref, old, new, verdict, note, violations "
                              "FROM decisions ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        finally:
            db.close()
        keys = ("id", "time", "hook", "actor", "ref", "old", "new", "verdict", "note", "violations")
        return [{**dict(zip(keys, row)), "violations": json.loads(row[-1])} for row in rows]


def default_store(git_dir: str) -> Store:
    return SQLiteStore(os.path.join(git_dir, "enforcer", "records.sqlite3"))
