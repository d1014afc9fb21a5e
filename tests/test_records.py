"""The records store on real SQLite files: readers change nothing, writers migrate and ingest, every kind
of record round-trips, one JSON shape."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from enforcer import records, serialize
from enforcer.model import Decision, Violation
from enforcer.records import Approval, ClaimRecord, Deployment, Record, RecordError, SQLiteStore, record_for
from tests.conftest import ROOT, enforcer

ZERO, A, B = "0" * 40, "a" * 40, "b" * 40

# The schema as enforcer made it before versions were kept: SCHEMA ran on every open, then the
# spool column was added by ALTER when missing, then two indexes.
OLD_SCHEMA = """
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
OLD_VIOLATIONS = json.dumps([{"rule": "branches[0]", "check": "branches.push", "reason": "no", "fix": "ask",
                              "evaluate_only": False, "overridden": False}])


def old_store(path: Path, with_spool_column: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(OLD_SCHEMA)
    if with_spool_column:
        db.execute("ALTER TABLE decisions ADD COLUMN spool_offset INTEGER")
        db.execute("CREATE UNIQUE INDEX IF NOT EXISTS decisions_spool ON decisions(spool_offset)")
        db.execute("CREATE INDEX IF NOT EXISTS decisions_update ON decisions(ref, new)")
    with db:
        db.execute("INSERT INTO decisions (time, hook, actor, ref, old, new, verdict, note, violations) "
                   "VALUES (1.0, 'pre-receive', 'bob', 'refs/heads/main', ?, ?, 'deny', '', ?)", (ZERO, A, OLD_VIOLATIONS))
    db.close()


def store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore(str(tmp_path / "git" / "enforcer" / "records.sqlite3"))


def allow(ref: str = "refs/heads/main", old: str = ZERO, new: str = A, actor: str = "bob") -> Record:
    return record_for("pre-receive", actor, ref, old, new, Decision("allow"), policy="c0ffee")


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """Every file in the store's directory with its size and mtime: what a reader must leave alone."""
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in directory.iterdir()}


def read_everything(s: SQLiteStore) -> tuple[object, ...]:
    return s.decisions(), s.deployments(), s.approvals(), s.claims(), s.exists()


# -- readers change nothing ------------------------------------------------------------------------

def test_a_reader_of_no_store_gets_nothing_and_creates_nothing(tmp_path: Path) -> None:
    s = store(tmp_path)
    assert read_everything(s) == ([], [], [], [], False)
    assert not (tmp_path / "git").exists()


def test_a_reader_changes_nothing_and_leaves_no_wal_files(tmp_path: Path) -> None:
    s = store(tmp_path)
    s.add([allow()])
    s.add_deployment(Deployment("qa", "v1", A, "deploy-bot", 10.0))
    directory = Path(s.path).parent
    before = snapshot(directory)
    assert set(before) == {"records.sqlite3"}  # the last writer closed: SQLite removed -wal and -shm
    for _ in range(3):
        assert [r.actor for r in s.decisions()] == ["bob"] and len(s.deployments()) == 1
    assert snapshot(directory) == before


def test_a_reader_shares_the_wal_of_a_writer_that_has_the_store_open(tmp_path: Path) -> None:
    s = store(tmp_path)
    s.add([allow()])
    writer = sqlite3.connect(s.path, isolation_level=None)
    try:
        writer.execute("INSERT INTO decisions (time, hook, actor, ref, old, new, verdict, note, violations) "
                       "VALUES (2.0, 'pre-receive', 'carol', 'refs/heads/x', ?, ?, 'allow', '', '[]')", (ZERO, B))
        directory = Path(s.path).parent
        before = snapshot(directory)
        assert {"records.sqlite3-wal", "records.sqlite3-shm"} <= set(before)  # the writer's, open
        assert [r.actor for r in s.decisions()] == ["carol", "bob"]  # committed, still only in the -wal
        assert {name: size for name, (size, _) in snapshot(directory).items()} == {
            name: size for name, (size, _) in before.items()}
    finally:
        writer.close()


def test_a_reader_does_not_migrate_an_old_store(tmp_path: Path) -> None:
    s = store(tmp_path)
    old_store(Path(s.path))
    before = snapshot(Path(s.path).parent)
    [row] = s.decisions()
    assert (row.kind, row.policy, row.subject, row.verdict) == ("ref-update", None, "", "deny")
    assert [v.check for v in row.violations] == ["branches.push"]
    assert s.deployments() == [] and s.claims() == []  # tables no writer has made yet
    assert snapshot(Path(s.path).parent) == before
    db = sqlite3.connect(f"file:{s.path}?mode=ro", uri=True)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 0
    db.close()


def _system_python() -> str | None:
    """A Python another user may run (this one may sit in root's home), new enough for enforcer."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.access(candidate, os.X_OK):
            proc = subprocess.run([candidate, "-c", "import sys, sqlite3; print(sys.version_info >= (3, 11))"],
                                  capture_output=True, text=True)
            if proc.stdout.strip() == "True":
                return candidate
    return None


READ_AS_NOBODY = """
import json, sys
from enforcer.records import SQLiteStore
from enforcer.serialize import dumps
s = SQLiteStore(sys.argv[1])
print(dumps(s.decisions()))
"""


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root to start a reader as another user (setpriv)")
@pytest.mark.parametrize("writer_open", [False, True])
def test_another_user_who_cannot_write_reads_the_store(writer_open: bool) -> None:
    python = _system_python()
    if python is None:
        pytest.skip("no Python 3.11+ that another user may run")
    with tempfile.TemporaryDirectory(dir="/tmp") as top:  # pytest's tmp_path is private to this user
        os.chmod(top, 0o755)
        s = SQLiteStore(os.path.join(top, "enforcer", "records.sqlite3"))
        s.add([allow(), allow(ref="refs/heads/dev", new=B)])
        writer = sqlite3.connect(s.path, isolation_level=None) if writer_open else None
        try:
            if writer is not None:
                writer.execute("SELECT count(*) FROM decisions").fetchone()  # opens the -wal and -shm
            directory = Path(s.path).parent
            for f in directory.iterdir():
                f.chmod(0o644)
            directory.chmod(0o755)  # the reader may read, not write
            before = snapshot(directory)
            proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", python, "-S", "-c",
                                   READ_AS_NOBODY, s.path], capture_output=True, text=True, cwd="/",
                                  env={"PYTHONPATH": str(ROOT), "PATH": os.environ["PATH"]})
            assert proc.returncode == 0, proc.stderr
            assert [d["ref"] for d in json.loads(proc.stdout)] == ["refs/heads/dev", "refs/heads/main"]
            assert snapshot(directory) == before
        finally:
            if writer is not None:
                writer.close()


def test_readers_during_writes_see_whole_transactions(tmp_path: Path) -> None:
    """A writer in another process commits and closes again and again (each close checkpoints into the
    main file and removes the -wal); every read sees a whole prefix of the writes."""
    s = store(tmp_path)
    s.add([allow()])
    script = ("import sys; from enforcer.records import SQLiteStore, record_for; from enforcer.model import Decision\n"
              "s = SQLiteStore(sys.argv[1])\n"
              "for i in range(150): s.add([record_for('pre-receive', f'w{i}', 'refs/heads/x', '0'*40, '1'*40, "
              "Decision('allow')) for _ in range(3)])\n")
    writer = subprocess.Popen([sys.executable, "-c", script, s.path], cwd=ROOT)
    seen = 0
    reads = 0
    while writer.poll() is None or reads < 5:
        ids = [r.id for r in s.decisions(limit=1000)]
        assert ids == list(range(len(ids), 0, -1))  # no torn or partial read
        assert (len(ids) - 1) % 3 == 0 and len(ids) >= seen  # whole transactions, never fewer
        seen, reads = len(ids), reads + 1
    assert writer.wait() == 0 and len(s.decisions(limit=1000)) == 1 + 450


# -- migrations ------------------------------------------------------------------------------------

@pytest.mark.parametrize("with_spool_column", [True, False])
def test_an_old_store_migrates_on_its_first_write(tmp_path: Path, with_spool_column: bool) -> None:
    s = store(tmp_path)
    old_store(Path(s.path), with_spool_column)
    s.add([allow()])
    db = sqlite3.connect(s.path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == records.VERSION
    assert {"spool_offset", "kind", "policy", "subject"} <= {r[1] for r in db.execute("PRAGMA table_info(decisions)")}
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"decisions", "deployments", "approvals", "claims"} <= tables
    db.close()
    old, new = reversed(s.decisions())
    assert (old.id, old.actor, old.verdict, old.kind, old.policy) == (1, "bob", "deny", "ref-update", None)
    assert [v.reason for v in old.violations] == ["no"]
    assert (new.id, new.kind, new.policy) == (2, "ref-update", "c0ffee")


def test_migrations_are_idempotent(tmp_path: Path) -> None:
    """Each step may meet a store that its statements already reached: running them again is harmless."""
    s = store(tmp_path)
    s.add([allow()])
    db = sqlite3.connect(s.path)
    db.execute("PRAGMA user_version = 0")
    db.commit()
    db.close()
    s.add([allow(new=B)])
    assert [r.new for r in s.decisions()] == [B, A]


def test_writers_racing_on_an_old_store_migrate_it_once(tmp_path: Path) -> None:
    s = store(tmp_path)
    old_store(Path(s.path))
    script = ("import sys; from enforcer.records import SQLiteStore, record_for; from enforcer.model import Decision\n"
              "SQLiteStore(sys.argv[1]).add([record_for('pre-receive', sys.argv[2], 'refs/heads/x', '0'*40, "
              "'1'*40, Decision('allow'))])\n")
    writers = [subprocess.Popen([sys.executable, "-c", script, s.path, f"w{i}"], cwd=ROOT, stderr=subprocess.PIPE,
                                text=True) for i in range(6)]
    for w in writers:
        _, err = w.communicate()
        assert w.returncode == 0, err
    assert sorted(r.actor or "" for r in s.decisions()) == ["bob", "w0", "w1", "w2", "w3", "w4", "w5"]


def test_a_store_newer_than_this_enforcer_is_read_but_not_written(tmp_path: Path) -> None:
    s = store(tmp_path)
    s.add([allow()])
    db = sqlite3.connect(s.path)
    db.execute(f"PRAGMA user_version = {records.VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(RecordError, match="newer than this enforcer knows"):
        s.add([allow(new=B)])
    assert [r.new for r in s.decisions()] == [A]


# -- the spool -------------------------------------------------------------------------------------

def spool_line(s: SQLiteStore, old: str, new: str, ref: str, when: int = 1700000000) -> None:
    with open(s.spool, "a") as f:  # as the post-receive shim writes it (enforcer.install)
        f.write(f"{when} {old} {new} {ref}\n")


def test_readers_show_what_landed_and_the_next_writer_keeps_it_once(tmp_path: Path) -> None:
    s = store(tmp_path)
    s.add([allow()])
    spool_line(s, ZERO, A, "refs/heads/main")
    with open(s.spool, "a") as f:
        f.write("garbage\n1700000001 " + ZERO)  # a line git never wrote, then one still being written
    before = snapshot(Path(s.path).parent)
    for _ in range(2):
        landed, decided = s.decisions()
        assert (landed.id, landed.verdict, landed.actor, landed.time) == (None, "landed", "bob", 1700000000.0)
        assert decided.id == 1
    assert snapshot(Path(s.path).parent) == before  # shown, not stored
    s.add([allow(ref="refs/heads/dev", new=B)])  # the writer reads the spool in first
    for _ in range(2):
        assert [(r.id, r.verdict, r.ref) for r in s.decisions()] == [
            (3, "allow", "refs/heads/dev"), (2, "landed", "refs/heads/main"), (1, "allow", "refs/heads/main")]
    s.add([])
    assert len(s.decisions()) == 3


def test_a_spool_without_a_store_is_shown(tmp_path: Path) -> None:
    s = store(tmp_path)
    Path(s.spool).parent.mkdir(parents=True)
    spool_line(s, ZERO, A, "refs/heads/main")
    assert s.exists() and [(r.verdict, r.actor) for r in s.decisions()] == [("landed", None)]
    assert not Path(s.path).exists()


# -- every kind of record --------------------------------------------------------------------------

def test_decisions_keep_their_policy_kind_and_violations(tmp_path: Path) -> None:
    s = store(tmp_path)
    found = Violation("branches[0]", "branches.push", "not allowed", "ask an owner", evaluate_only=True)
    waived = Violation("branches[1]", "branches.force_push", "force", "")
    decision = Decision("allow", (found,), (waived,), note="break-glass: INC-1")
    s.add([record_for("pre-receive", "ann", "refs/heads/main", ZERO, A, decision, policy="f00d"),
           record_for("command", "ann", "", "", "", Decision("deny"), kind="command", subject="rm -rf /")])
    command, push = s.decisions()
    assert (push.violations, push.overridden, push.note, push.policy) == ((found,), (waived,), decision.note, "f00d")
    assert (command.kind, command.subject, command.ref, command.policy) == ("command", "rm -rf /", "", None)
    assert s.decisions(limit=1) == [command] and s.decisions(limit=0) == []


def test_deployments_approvals_and_claims_round_trip(tmp_path: Path) -> None:
    s = store(tmp_path)
    first = Deployment("qa", "v1.0.0", A, "deploy-bot", 100.0, checks=(("make test", 0),), log="/var/log/d1")
    first_id = s.add_deployment(first)
    done = first._replace(id=first_id, outcome="succeeded", finished=130.0, health="200")
    s.update_deployment(done)
    second_id = s.add_deployment(Deployment("qa", "v1.0.1", B, "deploy-bot", 200.0, previous="v1.0.0"))
    back_id = s.add_deployment(Deployment("qa", "v1.0.0", A, "ann", 300.0, "succeeded", "v1.0.1", 320.0,
                                          rollback_of=second_id))
    s.add_deployment(Deployment("prod", "v1.0.0", A, "deploy-bot", 400.0))
    assert [d.id for d in s.deployments("qa")] == [back_id, second_id, first_id]
    assert s.deployments("qa")[-1] == done and s.deployments("qa")[0].rollback_of == second_id
    assert [d.env for d in s.deployments()] == ["prod", "qa", "qa", "qa"]
    s.add_approval(Approval("prod", "v1.0.0", B, "ann", 500.0))
    s.add_approval(Approval("prod", "v1.0.1", B, "ann", 501.0))
    assert [a.tag for a in s.approvals("prod", "v1.0.0")] == ["v1.0.0"] and len(s.approvals()) == 2
    s.add_claim(ClaimRecord("src/", "bob", 900.0, "claim", "bob", 600.0))
    s.add_claim(ClaimRecord("src/", "bob", 900.0, "release", "alice", 700.0))
    assert [(c.action, c.actor) for c in s.claims("src/")] == [("release", "alice"), ("claim", "bob")]
    assert s.claims("docs/") == []


def test_bad_rows_are_refused_with_a_reason(tmp_path: Path) -> None:
    s = store(tmp_path)
    with pytest.raises(RecordError, match="outcome is one of running"):
        s.add_deployment(Deployment("qa", "v1", A, "bot", 1.0, outcome="done"))
    with pytest.raises(RecordError, match="has none"):
        s.update_deployment(Deployment("qa", "v1", A, "bot", 1.0))
    with pytest.raises(RecordError, match="no deployment 42"):
        s.update_deployment(Deployment("qa", "v1", A, "bot", 1.0, id=42))
    with pytest.raises(RecordError, match="claim or release"):
        s.add_claim(ClaimRecord("src/", "bob", 1.0, "steal", "bob", 1.0))
    with pytest.raises(RecordError, match="0 or more"):
        s.decisions(limit=-1)


def test_an_unreadable_store_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    (bare / "enforcer").mkdir()
    (bare / "enforcer" / "records.sqlite3").write_text("not a database, but long enough to look like a header " * 4)
    with pytest.raises(RecordError, match="cannot read the records store"):
        SQLiteStore(str(bare / "enforcer" / "records.sqlite3")).decisions()
    proc = enforcer(bare, "decisions")
    assert proc.returncode == 2 and "cannot read the records store" in proc.stderr and "Traceback" not in proc.stderr
    proc = enforcer(bare, "decisions", "--limit", "-1")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


# -- one JSON shape, one interface -----------------------------------------------------------------

def test_the_cli_prints_the_serializers_json(tmp_path: Path) -> None:
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    s = SQLiteStore(str(bare / "enforcer" / "records.sqlite3"))
    s.add([record_for("pre-receive", "ann", "refs/heads/main", ZERO, A,
                      Decision("deny", (Violation("branches[0]", "branches.push", "no", "ask"),)), policy="f00d")])
    printed = json.loads(enforcer(bare, "decisions", "--format", "json").stdout)
    assert printed == json.loads(serialize.dumps(s.decisions()))
    [row] = printed
    assert set(row) == {"id", "time", "kind", "hook", "actor", "ref", "old", "new", "subject", "verdict", "note",
                        "violations", "policy"}
    assert set(row["violations"][0]) == {*Violation._fields, "overridden"}
    text = enforcer(bare, "decisions").stdout
    assert "pre-receive ann refs/heads/main" in text and "branches[0] branches.push: no" in text


def test_every_kind_serializes_by_its_type(tmp_path: Path) -> None:
    d = Deployment("qa", "v1", A, "bot", 1.0, checks=(("make test", 0),))
    assert serialize.to_dict(d)["checks"] == [{"command": "make test", "exit": 0}]
    assert serialize.to_dict(Approval("qa", "v1", B, "ann", 2.0))["tag_object"] == B
    assert serialize.to_dict(ClaimRecord("src/", "bob", 3.0, "claim", "bob", 2.0))["action"] == "claim"
    with pytest.raises(TypeError):
        serialize.to_dict(Violation("r", "c", "why"))  # type: ignore[arg-type]


def test_the_store_is_a_real_protocol_that_hooks_never_load() -> None:
    import typing

    assert typing.Protocol in records.Store.__mro__ and typing.Protocol in records.Reader.__mro__
    assert isinstance(SQLiteStore("/nonexistent/records.sqlite3"), records.Store)
    assert issubclass(records.Store, records.Reader) and not isinstance(object(), records.Reader)
    code = ("import sys; import enforcer.records, enforcer.serialize; "
            "print(sorted({'typing', 'json', 're'} & set(sys.modules)))")
    proc = subprocess.run([sys.executable, "-S", "-P", "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); {code}"],
                          capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_enforcer_decisions_after_real_pushes_reads_without_writing(tmp_path: Path) -> None:
    from tests.conftest import git
    from tests.server.test_receive import Server

    server = Server(tmp_path)
    assert server.push("jgirmay", "main").returncode == 0
    git(server.clone, "switch", "-qc", "feature/rec-1124")
    tip = server.commit("src/rec.py")
    assert server.push("task_worker1", "feature/rec-1124").returncode == 0
    directory = server.bare / "enforcer"
    before = snapshot(directory)
    for _ in range(2):
        landed = [(d["ref"], d["new"], d["actor"], d["id"]) for d in server.decisions() if d["verdict"] == "landed"]
        # the last push's line is shown from the spool: no writer has read it in yet
        assert landed == [("refs/heads/feature/rec-1124", tip, "task_worker1", None),
                          ("refs/heads/main", server.ref("main"), "jgirmay", 2)]  # read in by the 2nd push
    assert snapshot(directory) == before
    assert all(d["kind"] == "ref-update" for d in server.decisions())
