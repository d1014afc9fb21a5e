"""Claims through a real bare repository with the server hooks (`enforcer install --server`),
reference-transaction included: clones push their claims, the bare repository writes its own,
and racing clones leave exactly one winner."""
from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from enforcer.model import claim_text
from tests.conftest import enforcer, git
from tests.server.test_receive import Server

CLAIMS = "refs/enforcer/claims/"
ACTORS = ("task_worker1", "task_worker2", "task_worker3", "task_worker4", "task_worker5", "arch_worker1",
          "edu_worker1", "jgirmay", "audit_manager", "queue_manager")


@pytest.fixture
def server(tmp_path: Path) -> Server:
    """The reference policy with `architect/` anchored (unanchored, only its owners could claim
    anything: it may match inside any directory), bootstrapped by a policy owner."""
    s = Server(tmp_path)
    policy = s.clone / "policy.yaml"
    policy.write_text(policy.read_text().replace("  - path: architect/", "  - path: /architect/"))
    git(s.clone, "commit", "-q", "--amend", "-am", "policy")
    assert s.push("jgirmay", "main").returncode == 0
    return s


def clone(server: Server, name: str) -> Path:
    path = server.bare.parent / name
    git(server.bare.parent, "clone", "-q", str(server.bare), str(path))
    return path


def run(repo: Path, actor: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    proc = enforcer(repo, *args, env={"ENFORCER_ACTOR": actor} if actor else None)
    assert "Traceback" not in proc.stderr
    return proc


def holders(repo: Path) -> dict[str, str]:
    """path -> holder of the live claims, as `enforcer claims` lists them there."""
    import json

    proc = run(repo, None, "claims", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return {r["path"]: r["holder"] for r in json.loads(proc.stdout) if r["live"]}


def test_install_adds_the_reference_transaction_hook(server: Server) -> None:
    hook = server.bare / "hooks" / "reference-transaction"
    assert hook.exists() and os.access(hook, os.X_OK)
    assert run(server.bare.parent, None, "uninstall", "--server", str(server.bare)).returncode == 0
    assert not hook.exists()


def test_a_clone_claims_through_the_server_and_other_clones_see_it(server: Server) -> None:
    first, second = clone(server, "first"), clone(server, "second")
    proc = run(first, "task_worker1", "claim", "src/app", "--ttl", "1h")
    assert proc.returncode == 0 and "on origin and in this clone" in proc.stdout
    assert server.ref(CLAIMS + "src/app") == git(first, "rev-parse", CLAIMS + "src/app")
    assert holders(second) == {"src/app/": "task_worker1"}  # `claims` reads the server's first
    refused = run(second, "task_worker2", "claim", "src")
    assert refused.returncode == 1 and "claims.held" in refused.stderr
    # the claim is honoured by the server for pushes that touch the directory
    git(second, "switch", "-qc", "feature/app-1124")
    (second / "src" / "app").mkdir(parents=True)
    (second / "src" / "app" / "x.py").write_text("x\n")
    git(second, "add", ".")
    git(second, "commit", "-qm", "x")
    pushed = subprocess.run(["git", "push", "origin", "feature/app-1124"], cwd=second, capture_output=True,
                            text=True, env={**os.environ, "ENFORCER_ACTOR": "task_worker2"})
    assert pushed.returncode != 0 and "claims.held" in pushed.stderr
    released = run(first, "task_worker1", "release", "src/app")
    assert released.returncode == 0 and server.ref(CLAIMS + "src/app") is None
    assert holders(second) == {}  # released on the server: gone from every clone's next listing


def test_the_server_judges_again(server: Server, tmp_path: Path) -> None:
    """A clone whose policy lets the claim through is still refused by the server, in its words."""
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text((server.clone / "policy.yaml").read_text().replace("claims:\n  ttl: 4h", "claims:\n  ttl: 9h"))
    work = clone(server, "work")
    proc = run(work, "task_worker1", "claim", "src", "--ttl", "8h", "--policy", str(lenient))
    assert proc.returncode == 1 and "remote:" in proc.stderr and "claims.ttl" in proc.stderr
    assert server.ref(CLAIMS + "src") is None and holders(work) == {}


def test_the_bare_repository_writes_claims_as_the_servers_actor(server: Server) -> None:
    bare = server.bare
    mismatch = run(bare, "task_worker1", "claim", "src", "--actor", "task_worker2")
    assert mismatch.returncode == 2 and "server's actor" in mismatch.stderr
    assert run(bare, None, "claim", "src").returncode == 2  # no actor set: bad input, naming the variables
    assert run(bare, "task_worker1", "claim", "src", "--policy", "x.yaml").returncode == 2
    proc = run(bare, "task_worker1", "claim", "./src//", "--ttl", "30m")
    assert proc.returncode == 0 and "in this repository" in proc.stdout
    assert run(bare, "task_worker2", "claim", "src/lib").returncode == 1
    kinds = [(d["hook"], d["actor"], d["verdict"]) for d in server.decisions()]
    assert ("claim", "task_worker1", "allow") in kinds and ("claim", "task_worker2", "deny") in kinds
    work = clone(server, "work")
    assert holders(work) == {"src/": "task_worker1"}
    assert run(bare, "task_worker1", "release", "src").returncode == 0 and holders(work) == {}


def claim_at_once(clones: list[Path], claims: list[tuple[str, str]]) -> list[int]:
    procs = [subprocess.Popen(["enforcer", "claim", directory], cwd=where, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env={**os.environ, "ENFORCER_ACTOR": actor})
             for where, (actor, directory) in zip(clones, claims)]
    codes = []
    for p in procs:
        _, err = p.communicate()
        assert "Traceback" not in err and p.returncode in (0, 1), err
        codes.append(p.returncode)
    return codes


@pytest.mark.parametrize("inner", ["", "/a"])
def test_two_clones_racing_through_the_server_one_wins(server: Server, inner: str) -> None:
    clones = [clone(server, "one"), clone(server, "two")]
    for round in range(5):
        base = f"race{round}"
        codes = claim_at_once(clones, [("task_worker1", base), ("task_worker2", base + inner)])
        assert sorted(codes) == [0, 1], codes
        on_server = [r for r in git(server.bare, "for-each-ref", "--format=%(refname)", CLAIMS).split()
                     if r.startswith(CLAIMS + base)]
        assert len(on_server) == 1


def test_ten_clones_racing_on_nested_directories_one_wins(server: Server) -> None:
    clones = [clone(server, f"c{i}") for i in range(10)]
    for round in range(3):
        base = f"race{round}"
        dirs = [base + "/a" * (i % 3) for i in range(10)]
        codes = claim_at_once(clones, list(zip(ACTORS, dirs)))
        assert codes.count(0) == 1, codes
        live = {p: h for p, h in holders(server.bare).items() if p.startswith(base + "/")}
        assert list(live.values()) == [ACTORS[codes.index(0)]]


def blob(server: Server, actor: str) -> str:
    return git(server.clone, "hash-object", "-w", "--stdin", input=claim_text(actor, int(time.time()) + 600))


def push(server: Server, actor: str, spec: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "push", "origin", spec], cwd=server.clone, capture_output=True, text=True,
                          env={**os.environ, "ENFORCER_ACTOR": actor})


def test_a_claim_next_to_one_being_written_gives_way(server: Server) -> None:
    """reference-transaction sees a neighbour's lock: pre-receive passed both, only one may land."""
    claims = server.bare / "refs" / "enforcer" / "claims"
    claims.mkdir(parents=True, exist_ok=True)
    lock = claims / "src.lock"  # another transaction is writing src/ (it sorts first: this one gives way)
    lock.write_text("")
    refused = push(server, "task_worker1", f"{blob(server, 'task_worker1')}:{CLAIMS}src/app")
    assert refused.returncode != 0 and "refs/enforcer/claims/src is being written" in refused.stderr
    assert server.ref(CLAIMS + "src/app") is None
    lock.unlink()
    assert push(server, "task_worker1", f"{blob(server, 'task_worker1')}:{CLAIMS}src/app").returncode == 0


def test_the_claim_that_sorts_first_waits_for_its_neighbour(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two transactions holding nested locks: the one that sorts first (docs) waits for the other
    (docs/api) to end, which gives way at once; so one of them lands, never neither."""
    from enforcer.server_hooks.reference_transaction import judge

    claims = server.bare / "refs" / "enforcer" / "claims"
    (claims / "docs").mkdir(parents=True)
    inner = claims / "docs" / "api.lock"
    inner.write_text("")
    monkeypatch.chdir(server.bare)
    monkeypatch.setenv("GIT_DIR", str(server.bare))
    line = f"{'0' * 40} {'1' * 40} {CLAIMS}docs\n".encode()
    threading.Timer(0.3, inner.unlink).start()
    started = time.monotonic()
    assert judge("prepared", line) == 0 and time.monotonic() - started >= 0.3
    inner.write_text("")  # ... and refuses once it has waited too long (a stale lock)
    monkeypatch.setattr("enforcer.server_hooks.reference_transaction.WAIT", 0.2)
    assert judge("prepared", line) == 1
    assert judge("committed", line) == 0  # only the prepared state is judged
    assert judge("prepared", f"{'1' * 40} {'0' * 40} {CLAIMS}docs\n".encode()) == 0  # a deletion never waits


def test_other_ref_updates_do_not_start_python(server: Server) -> None:
    """The shim filters: a branch push passes reference-transaction in sh alone."""
    hook = (server.bare / "hooks" / "reference-transaction").read_text()
    assert '*" refs/enforcer/claims/"*) ;; *) exit 0' in hook
    git(server.clone, "switch", "-qc", "feature/x-1124")
    server.commit("src/x.py")
    assert server.push("task_worker1", "feature/x-1124").returncode == 0
