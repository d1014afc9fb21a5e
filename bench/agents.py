"""Issue 17's benchmark: `enforcer command` and `enforcer agent-hook claude` beside pre-commit-hooks'
`no-commit-to-branch`, in one run.

    python3 bench/agents.py   # installs pre-commit-hooks if it is missing

An agent pays the check on every tool call. Each is measured as a whole process, both through
the `enforcer` console script and through the launcher `enforcer install` writes
(.git/enforcer/agent-hook: started as the git hooks start, without `site`), in a clone of the
reference policy, with a compound line (`git status && ls -la | head -5 && python3 -m pytest -q`).
"""
from __future__ import annotations

import json
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

from client_hooks import no_commit_to_branch  # noqa: E402
from run import compile_package, machine, write_section  # noqa: E402

RUNS = 21
LINE = "git status && ls -la | head -5 && python3 -m pytest -q"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def setup() -> Path:
    clone = WORK / "agents"
    shutil.rmtree(clone, ignore_errors=True)
    clone.mkdir(parents=True)
    git(clone, "init", "-q", "-b", "main")
    shutil.copy(ROOT / "policies" / "examples" / "sop.yaml", clone / "policy.yaml")
    git(clone, "add", "policy.yaml")
    git(clone, "-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", "policy")
    git(clone, "switch", "-qc", "feature/bench-0101")
    subprocess.run(["enforcer", "install"], cwd=clone, check=True, capture_output=True)
    return clone


def main() -> None:
    compile_package()
    WORK.mkdir(exist_ok=True)
    clone = setup()
    floor = no_commit_to_branch()
    call = json.dumps({"session_id": "bench", "cwd": str(clone), "hook_event_name": "PreToolUse",
                       "tool_name": "Bash", "tool_input": {"command": LINE}}).encode()
    launcher = str(clone / ".git" / "enforcer" / "enforcer")
    cases: dict[str, tuple[list[str], bytes | None]] = {
        "floor": ([floor], None),
        "command": (["enforcer", "command", LINE], None),
        "agent-hook": (["enforcer", "agent-hook", "claude"], call),
        "launcher": ([launcher, "agent-hook", "claude"], call),
        "launched command": ([launcher, "command", LINE], None),
    }
    env = {**os.environ, "ENFORCER_ACTOR": "task_worker1"}
    for cmd, data in cases.values():  # warm: page cache, policy cache, byte code
        subprocess.run(cmd, cwd=clone, input=data, capture_output=True, env=env)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(RUNS):
        for name, (cmd, data) in cases.items():
            start = time.perf_counter()
            subprocess.run(cmd, cwd=clone, input=data, capture_output=True, env=env)
            times[name].append(time.perf_counter() - start)
    ms = {name: statistics.median(t) * 1000 for name, t in times.items()}
    shown = f"{ms['floor']:.0f} ms (pre-commit-hooks' `no-commit-to-branch`)"
    rows = []
    for name, what in (("command", "`enforcer command` (the console script)"),
                       ("agent-hook", "`enforcer agent-hook claude` (the console script)"),
                       ("launcher", "`.git/enforcer/enforcer agent-hook claude` (the launcher `enforcer install` "
                                    "writes)"),
                       ("launched command", "`.git/enforcer/enforcer command` (the launcher)")):
        ratio = ms[name] / ms["floor"]
        rows.append((f"{what}: `{LINE.replace('|', chr(92) + '|')}`", f"{ms[name]:.0f} ms", shown, f"{ratio:.2f}x",
                     "yes" if ratio <= 1.0 else "NO"))
    write_section("Issue 17 — the command check and the Claude Code hook",
                  f"Measured by `python3 bench/agents.py` on {machine()}; medians of {RUNS} interleaved runs of "
                  "whole processes, in a clone of the reference policy. Target: ≤ 1.0x the floor, measured in the "
                  "same run.", rows)


if __name__ == "__main__":
    main()
