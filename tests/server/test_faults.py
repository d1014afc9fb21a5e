"""Bad input and faults on the server: each gets a clear message and the right verdict, no ref
moves that should not, no record is lost, never a traceback."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import git
from tests.server.test_receive import ZERO, Server


@pytest.fixture
def server(tmp_path: Path) -> Server:
    s = Server(tmp_path)
    assert s.push("jgirmay", "main").returncode == 0
    return s


def run_hook(server: Server, stdin: str, actor: str = "jgirmay") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENFORCER_ACTOR": actor}
    return subprocess.run([str(server.bare / "hooks" / "pre-receive")], cwd=server.bare, input=stdin, text=True,
                          capture_output=True, env=env)


@pytest.mark.parametrize("stdin", ["garbage\n", "a b\n", f"{ZERO} {ZERO}\n", f"{'z' * 40} {ZERO} refs/heads/x\n"])
def test_garbage_on_stdin_is_refused_clearly(server: Server, stdin: str) -> None:
    proc = run_hook(server, stdin)
    assert proc.returncode == 1 and "cannot read ref line 1" in proc.stderr and "Traceback" not in proc.stderr
    record = server.decisions()[0]  # refused before it could be judged: still a decision, kept
    assert record["verdict"] == "deny" and record["ref"] == "(no readable ref line)"
    assert "cannot read ref line 1" in record["violations"][0]["reason"]


def test_empty_stdin_moves_nothing(server: Server) -> None:
    proc = run_hook(server, "")
    assert proc.returncode == 0 and proc.stderr == ""


def test_hostile_path_names_through_a_push(server: Server) -> None:
    hostile = "architect/a b\n<script>alert(1)</script> ü.md"
    git(server.clone, "switch", "-qc", "feature/hostile-1124")
    server.commit(hostile, "-rf", message="hostile")
    refused = server.push("task_worker2", "feature/hostile-1124")
    assert refused.returncode != 0 and "ownership.owner" in refused.stderr and "<script>" in refused.stderr
    assert server.ref("feature/hostile-1124") is None
    assert server.push("arch_worker1", "feature/hostile-1124").returncode == 0
    record = next(d for d in server.decisions() if d["verdict"] == "deny")
    assert hostile in record["violations"][0]["reason"]  # kept exactly, newline and all


def test_the_servers_git_config_cannot_hide_a_root_commits_paths(server: Server) -> None:
    """log.showRoot=false makes git log show no diff for a root commit: an orphan branch's
    first commit must still be judged by every path it adds."""
    git(server.bare, "config", "log.showRoot", "false")
    git(server.clone, "switch", "-q", "--orphan", "feature/orphan-1124")
    server.commit("architect/plan.md", message="orphan")
    refused = server.push("task_worker2", "feature/orphan-1124")
    assert refused.returncode != 0 and "ownership.owner" in refused.stderr
    assert server.ref("feature/orphan-1124") is None


def test_a_missing_policy_on_the_default_branch(server: Server) -> None:
    """Someone with shell access removed policy.yaml from main: the last policy that validated judges."""
    empty_tree = git(server.bare, "hash-object", "-t", "tree", "-w", "--stdin", input="")
    bare_commit = git(server.bare, "commit-tree", empty_tree, "-p", server.ref("main") or "", "-m", "no policy")
    git(server.bare, "update-ref", "refs/heads/main", bare_commit)
    git(server.clone, "switch", "-qc", "feature/after-1124")
    server.commit("src/a.py")
    proc = server.push("task_worker1", "feature/after-1124")
    assert proc.returncode == 0 and "there is no policy.yaml on main: judged by the last policy" in proc.stderr
    (server.bare / "enforcer" / "last-good-policy.yaml").unlink()
    server.commit("src/b.py")
    proc = server.push("task_worker1", "feature/after-1124")
    assert proc.returncode != 0 and "every push is refused" in proc.stderr
    record = server.decisions()[0]
    assert (record["ref"], record["actor"], record["verdict"]) == ("refs/heads/feature/after-1124", "task_worker1",
                                                                    "deny")
    assert server.ref("feature/after-1124") != git(server.clone, "rev-parse", "HEAD")


def test_a_missing_default_branch_is_no_way_to_bootstrap_a_new_policy(server: Server) -> None:
    """HEAD naming a branch that does not exist (renamed, deleted, or a host's other default)
    must not reopen the bootstrap: the last policy that validated judges."""
    git(server.bare, "symbolic-ref", "HEAD", "refs/heads/master")
    kept = (server.bare / "enforcer" / "last-good-policy.yaml").read_bytes()
    git(server.clone, "switch", "-qc", "master")
    policy = server.clone / "policy.yaml"
    policy.write_text(policy.read_text().replace("owners: [", "owners: [task_worker1, "))
    git(server.clone, "commit", "-qam", "take over")
    proc = server.push("task_worker1", "master")
    assert proc.returncode != 0 and "the default branch master does not exist" in proc.stderr
    assert server.ref("master") is None
    assert (server.bare / "enforcer" / "last-good-policy.yaml").read_bytes() == kept


def test_a_locked_records_store_is_waited_for(server: Server) -> None:
    db = sqlite3.connect(server.bare / "enforcer" / "records.sqlite3", isolation_level=None, check_same_thread=False)
    db.execute("BEGIN EXCLUSIVE")  # another process holds the store

    def release() -> None:
        time.sleep(1.5)
        db.execute("COMMIT")

    releaser = threading.Thread(target=release)
    releaser.start()
    git(server.clone, "switch", "-qc", "feature/locked-1124")
    server.commit("src/locked.py")
    proc = server.push("task_worker1", "feature/locked-1124")
    releaser.join()
    db.close()
    assert proc.returncode == 0 and server.ref("feature/locked-1124")
    assert any(d["ref"] == "refs/heads/feature/locked-1124" and d["verdict"] == "allow" for d in server.decisions())


def test_twenty_pushes_at_once(server: Server, tmp_path: Path) -> None:
    """Ten allowed and ten refused pushes race: each gets its verdict, every one is recorded."""
    clones = []
    for i in range(20):
        clone = tmp_path / f"c{i}"
        git(tmp_path, "clone", "-q", str(server.bare), str(clone))
        branch = f"feature/race{i}-1124" if i % 2 == 0 else "main"
        git(clone, "switch", "-qC", branch)
        (clone / f"f{i}.txt").write_text(str(i))
        git(clone, "add", f"f{i}.txt")
        git(clone, "commit", "-qm", f"race {i}")
        clones.append((clone, branch))

    def push(clone_branch: tuple[Path, str]) -> subprocess.CompletedProcess[str]:
        clone, branch = clone_branch
        env = {**os.environ, "ENFORCER_ACTOR": "jgirmay"}
        return subprocess.run(["git", "push", "origin", branch], cwd=clone, capture_output=True, text=True, env=env)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(push, clones))
    main_before = server.ref("main")
    for i, proc in enumerate(results):
        assert "Traceback" not in proc.stderr
        if i % 2 == 0:
            assert proc.returncode == 0, proc.stderr
            assert server.ref(f"feature/race{i}-1124") == git(clones[i][0], "rev-parse", "HEAD")
        else:
            assert proc.returncode != 0 and "branches.direct_commits" in proc.stderr
    assert server.ref("main") == main_before
    decisions = server.decisions()
    judged = [d for d in decisions if d["hook"] == "pre-receive"]
    assert sum(d["verdict"] == "allow" and "race" in str(d["ref"]) for d in judged) == 10
    assert sum(d["verdict"] == "deny" and d["ref"] == "refs/heads/main" for d in judged) == 10
    assert sum(d["verdict"] == "landed" and "race" in str(d["ref"]) for d in decisions) == 10


def test_the_quarantine_hides_pushed_objects_from_a_naive_lookup(tmp_path: Path) -> None:
    """During pre-receive the pushed objects sit in a quarantine only git's environment points to.
    A lookup that ignores it (as pygit2.Repository(path) does) finds nothing; enforcer's facts see the
    pushed paths and refuse."""
    server = Server(tmp_path)
    assert server.push("jgirmay", "main").returncode == 0
    naive = server.bare / "hooks" / "pre-receive.before-enforcer"
    naive.write_text("#!/bin/sh\nwhile read old new ref; do\n"
                     "  env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES \\\n"
                     "    git cat-file -e \"$new\" 2>/dev/null && echo naive: found || echo naive: not found\n"
                     "done >&2\n")
    naive.chmod(0o755)
    git(server.clone, "switch", "-qc", "feature/q-1124")
    server.commit("architect/plan.md")
    proc = server.push("task_worker2", "feature/q-1124")
    assert "naive: not found" in proc.stderr
    assert proc.returncode != 0 and "ownership.owner" in proc.stderr and "architect/plan.md" in proc.stderr
