"""Issue 18's benchmark: the deploy runner's own overhead, outside the deploy command and the checks.

    python3 bench/deploy.py

A bare repository with the server hooks, a policy with one environment whose deploy command is
`true` and no checks, and its service already up (so the first health request answers 200): what
`enforcer deploy qa TAG` then takes is the runner's own work, start-up included (the gates, the
records, a clean checkout of the tag, the health request, the branch move). Measured for an app
of 200 files and for one of 2,000 (the checkout grows with the tree).
"""
from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
sys.path.insert(0, str(HERE))

from run import compile_package, machine, server_and_clone, write_section  # noqa: E402

RUNS = 15
TARGET_MS = 300.0
POLICY = """version: 1
groups:
  releasers: [bench]
  deployers: [deploy-bot]
policy:
  owners: [releasers]
branches:
  - match: main
    push: [releasers]
  - match: qa
    push: [deployers]
    direct_commits: false
tags:
  - match: "v*"
    create: [releasers]
environments:
  qa: {port: PORT, data: qa_data/, tags: '^v[0-9]+$', branch: qa}
deploy:
  command: ["true"]
  health: "http://127.0.0.1:{port}/health"
  timeout: 1m
  actor: deploy-bot
"""


SERVICE = """import http.server, sys
class Healthy(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Healthy).serve_forever()
"""


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def site(files: int, port: int) -> Path:
    """A bare repository (hooks installed) holding the policy, ``files`` files and tag v1."""
    bare, clone = server_and_clone(WORK / f"deploy-{files}")
    (clone / "policy.yaml").write_text(POLICY.replace("PORT", str(port)))
    for i in range(files):
        path = clone / "src" / f"pkg{i % 20}" / f"module{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"VALUE = {i}\n" * 20)
    git(clone, "add", ".")
    git(clone, "-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", "app")
    git(clone, "-c", "user.name=b", "-c", "user.email=b@x", "tag", "-a", "-m", "v1", "v1")
    env = {**os.environ, "ENFORCER_ACTOR": "bench"}
    git(clone, "push", "-q", str(bare), "main", env=env)  # the bootstrap: the default branch alone
    git(clone, "push", "-q", str(bare), "refs/tags/v1", env=env)
    return bare


def deploy_ms(bare: Path, start_as: list[str]) -> float:
    env = {**os.environ, "ENFORCER_ACTOR": "bench", "ENFORCER_DEPLOY_ROOT": str(bare.parent)}
    start = time.perf_counter()
    proc = subprocess.run([*start_as, "deploy", "qa", "v1"], cwd=bare, env=env, capture_output=True, text=True)
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        raise SystemExit(f"the deploy failed: {proc.stdout}{proc.stderr}")
    return elapsed


def checkout_ms(bare: Path, n: int) -> float:
    """What git alone takes to write the tag's tree into a new directory and what removing it takes,
    as the runner does (read-tree into a scratch index, checkout-index, rmtree)."""
    path = bare.parent / ".enforcer-checkouts" / f"bench-{n}"
    path.mkdir(parents=True)
    index = f"{path}.index"
    start = time.perf_counter()
    git(bare, "read-tree", f"--index-output={index}", "v1")
    git(bare, "--work-tree", str(path), "checkout-index", "--all", "--force",
        env={**os.environ, "GIT_INDEX_FILE": index})
    shutil.rmtree(path)
    os.unlink(index)
    return (time.perf_counter() - start) * 1000


def command_ms() -> float:
    start = time.perf_counter()
    subprocess.run(["true"], check=True)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    compile_package()
    WORK.mkdir(exist_ok=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # qa's own service (APP_ENV=qa: the runner checks whose process holds the port)
    service = subprocess.Popen([sys.executable, "-c", SERVICE, str(port)], env={**os.environ, "APP_ENV": "qa"})
    time.sleep(0.5)
    from enforcer.install import python_command

    starts = {"the console script": ["enforcer"],
              "started as the hooks start it (post-receive)": ["sh", "-c", f'{python_command()} "$@"', "enforcer"]}
    rows = []
    try:
        for files in (200, 2000):
            bare = site(files, port)
            floor = statistics.median(command_ms() for _ in range(RUNS))
            checkout = statistics.median(checkout_ms(bare, n) for n in range(RUNS))
            for how, start_as in starts.items():
                deploy_ms(bare, start_as)  # warm: the store created, the page cache filled
                overhead = statistics.median(deploy_ms(bare, start_as) for _ in range(RUNS)) - floor
                rows.append((f"`enforcer deploy`, {how}, an app of {files:,} files", f"{overhead:.0f} ms",
                             f"{floor:.1f} ms", f"{overhead / TARGET_MS:.2f}x of 300 ms",
                             "yes" if overhead <= TARGET_MS else "no"))
                rows.append((f"the same less git's checkout of the tag ({checkout:.0f} ms)",
                             f"{overhead - checkout:.0f} ms", f"{floor:.1f} ms",
                             f"{(overhead - checkout) / TARGET_MS:.2f}x of 300 ms",
                             "yes" if overhead - checkout <= TARGET_MS else "no"))
    finally:
        service.kill()
        service.wait()
    write_section("Issue 18 — deploy runner",
                  f"Measured by `python3 bench/deploy.py` on {machine()}: median of {RUNS} runs of `enforcer "
                  "deploy qa v1` in a bare repository with the server hooks, the deploy command `true`, no "
                  "checks, the service already up. The overhead is the whole run less the command's own "
                  "time (the floor column): start-up, the gates and records, the tag's checkout (written and "
                  "removed), the health request and the branch move. The tag's checkout is git writing the "
                  "tree's files, and grows with the tree; it is shown apart. Target: ≤ 300 ms.", rows)


if __name__ == "__main__":
    main()
