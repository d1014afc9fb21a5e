"""Issue 19's benchmark: each page of the status web view rendered on the server, with 10,000
decisions and 1,000 deployments recorded.

    python3 bench/web.py

A bare repository holding the reference policy, its records store filled through the store's own
writer API (decisions of every verdict by the SOP's actors, deployments and rollbacks across its
environments, each with a log), then each page asked for through Flask's test client (what
waitress hands a request to) RUNS times: the median is the page's server-side time.
"""
from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"
sys.path.insert(0, str(HERE))

from run import compile_package, machine, server_and_clone, write_section  # noqa: E402

RUNS = 21
DECISIONS, DEPLOYMENTS = 10_000, 1_000
TARGET_MS = 100.0
ACTORS = ("task_worker1", "task_worker2", "edu_worker1", "jgirmay", "audit_manager", "command_runner", "deploy-bot")
CHECKS = (("branches[1]", "branches.direct_commits"), ("ownership[3]", "ownership.owner"),
          ("branches[4]", "branches.name"), ("commands", "commands.ask"), ("claims", "claims.held"))
PAGES = ("/", "/rules", "/deployments", "/deployments/500", "/decisions", "/decisions?verdict=deny&page=20",
         "/decisions?rule=branches.name", "/decisions?actor=task_worker1&ref=feature", "/agents",
         "/agents/task_worker1", "/api/status", "/api/decisions?page=3", "/api/deployments", "/api/claims")


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def site() -> Path:
    from enforcer.model import Decision, Violation
    from enforcer.records import Deployment, default_store, record_for

    bare, clone = server_and_clone(WORK / "web")
    shutil.copy(ROOT / "policies" / "examples" / "sop.yaml", clone / "policy.yaml")
    git(clone, "add", ".")
    git(clone, "-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", "policy")
    git(clone, "push", "-q", str(bare), "main", env={**os.environ, "ENFORCER_ACTOR": "jgirmay"})
    store = default_store(str(bare))
    rng = random.Random(19)
    now = time.time()
    batch = []
    for i in range(DECISIONS):
        verdict = rng.choice(("allow", "allow", "deny", "ask"))
        rule, check = rng.choice(CHECKS)
        found = (Violation(rule, check, f"refused {i}: feature/<script>x</script>-{i}", "do it right"),) \
            if verdict != "allow" else ()
        batch.append(record_for("pre-receive", rng.choice(ACTORS), f"refs/heads/feature/work-{i % 300}-1124",
                                "0" * 40, f"{i:040x}", Decision(verdict, found))._replace(
            time=now - (DECISIONS - i) * 240))
        if len(batch) == 500:
            store.add(batch)
            batch = []
    logs = bare / "enforcer" / "deploy-logs"
    logs.mkdir(parents=True, exist_ok=True)
    for i in range(DEPLOYMENTS):
        env = ("qa", "prod", "dev", "env3")[i % 4]
        log = logs / f"bench-{i}.log"
        log.write_text("enforcer: deploy\n" * 40)
        outcome = rng.choice(("succeeded", "succeeded", "succeeded", "failed", "rolled-back"))
        store.add_deployment(Deployment(env, f"v1.{i // 10}.{i % 10}", f"{i:040x}", "jgirmay",
                                        now - (DEPLOYMENTS - i) * 600, outcome, finished=now - (DEPLOYMENTS - i) * 590,
                                        health="200", log=str(log)))
    return bare


def main() -> None:
    compile_package()
    WORK.mkdir(exist_ok=True)
    bare = site()
    from enforcer.web import create_app

    client = create_app(str(bare)).test_client()
    rows = []
    for page in PAGES:
        assert client.get(page).status_code == 200, page  # warm: imports, templates compiled
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            answer = client.get(page)
            times.append((time.perf_counter() - start) * 1000)
            assert answer.status_code == 200
        median = statistics.median(times)
        rows.append((f"`{page}`", f"{median:.1f} ms", "-", f"{median / TARGET_MS:.2f}x of 100 ms",
                     "yes" if median <= TARGET_MS else "no"))
    write_section("Issue 19 — status web view",
                  f"Measured by `python3 bench/web.py` on {machine()}: each page's server-side time (Flask's test "
                  f"client, as waitress hands it a request), median of {RUNS}, with {DECISIONS:,} decisions and "
                  f"{DEPLOYMENTS:,} deployments recorded in a bare repository holding the reference policy. "
                  "Target: ≤ 100 ms median per page.", rows)


if __name__ == "__main__":
    main()
