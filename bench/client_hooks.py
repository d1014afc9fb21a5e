"""Issue 4's benchmark: the client hooks beside pre-commit-hooks' `no-commit-to-branch`, in one run.

    python3 bench/client_hooks.py   # installs pre-commit-hooks if it is missing

Each hook runs as git runs it: the installed shim, at the top of the work
tree. The reference policy; 10 staged files for pre-commit (branch, name,
ownership, claims judged); a push of 10 new commits for pre-push.
"""
from __future__ import annotations

import os
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

from run import compile_package, machine, write_section  # noqa: E402

RUNS = 21
BRANCH = "feature/bench-0101"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def no_commit_to_branch() -> str:
    script = shutil.which("no-commit-to-branch", path=os.path.dirname(sys.executable))
    if script is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "pre-commit-hooks"], check=True)
        script = shutil.which("no-commit-to-branch", path=os.path.dirname(sys.executable))
    assert script is not None
    return script


def setup() -> tuple[Path, str]:
    """A clone of an origin with the reference policy, on a feature branch 10 commits ahead, 10 files staged."""
    base = WORK / "client"
    shutil.rmtree(base, ignore_errors=True)
    origin, clone = base / "origin.git", base / "clone"
    git(WORK, "init", "-q", "--bare", "-b", "main", str(origin))
    git(WORK, "clone", "-q", str(origin), str(clone))
    shutil.copy(ROOT / "policies" / "examples" / "sop.yaml", clone / "policy.yaml")
    git(clone, "add", "policy.yaml")
    git(clone, "commit", "-qm", "policy")
    git(clone, "push", "-q", "origin", "main")
    git(clone, "switch", "-qc", BRANCH)
    for i in range(10):
        (clone / f"src{i}").mkdir()
        (clone / f"src{i}" / "a.py").write_text(f"{i}\n")
        git(clone, "add", ".")
        git(clone, "commit", "-qm", f"work {i}")
    for i in range(10):
        (clone / f"src{i}" / "b.py").write_text(f"{i}\n")
    git(clone, "add", ".")
    subprocess.run(["enforcer", "install"], cwd=clone, check=True, capture_output=True)
    line = f"refs/heads/{BRANCH} {git(clone, 'rev-parse', 'HEAD')} refs/heads/{BRANCH} {'0' * 40}\n"
    return clone, line


def timed(cmd: list[str], cwd: Path, env: dict[str, str], stdin: str = "") -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, input=stdin, text=True, capture_output=True, env=env)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, (cmd, proc.stderr)
    return elapsed


def main() -> None:
    compile_package()
    WORK.mkdir(exist_ok=True)
    floor_script = no_commit_to_branch()
    clone, line = setup()
    hooks = clone / ".git" / "hooks"
    env = {**os.environ, "ENFORCER_ACTOR": "task_worker1", "GIT_INDEX_FILE": ".git/index"}
    cases = {
        "floor": ([floor_script], ""),
        "pre-commit": ([str(hooks / "pre-commit")], ""),
        "pre-push": ([str(hooks / "pre-push"), "origin", str(clone.parent / "origin.git")], line),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for cmd, stdin in cases.values():
        timed(cmd, clone, env, stdin)  # warm: page cache, the policy cache
    for _ in range(RUNS):
        for name, (cmd, stdin) in cases.items():
            times[name].append(timed(cmd, clone, env, stdin))
    median = {name: statistics.median(t) for name, t in times.items()}
    floor = median["floor"]
    rows = []
    for name, what in (("pre-commit", "pre-commit hook: 10 staged files, branch, name, ownership and claims"),
                       ("pre-push", "pre-push hook: a push of 10 new commits")):
        ratio = median[name] / floor
        rows.append((what, f"{median[name] * 1000:.0f} ms",
                     f"{floor * 1000:.0f} ms (pre-commit-hooks' `no-commit-to-branch`)", f"{ratio:.2f}x",
                     "yes" if ratio <= 1.0 else "NO"))
    write_section("Issue 4 — client hooks",
                  f"Measured by `python3 bench/client_hooks.py` on {machine()}; medians of {RUNS} interleaved "
                  "runs of each hook as git runs it (the installed shim, the reference policy). Target: ≤ 1.0x "
                  "the floor.", rows)


if __name__ == "__main__":
    main()
