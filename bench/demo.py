"""Issue 20's figure: how long `enforcer demo --no-serve` takes, the story before the web view.

    python3 bench/demo.py
"""
from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
sys.path.insert(0, str(HERE))

from run import machine, write_section  # noqa: E402

RUNS = 3
TARGET_S = 60.0


def main() -> None:
    WORK.mkdir(exist_ok=True)
    times = []
    for _ in range(RUNS):
        where = WORK / "demo"
        shutil.rmtree(where, ignore_errors=True)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "enforcer", "demo", "--dir", str(where), "--no-serve"],
                              capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(proc.stdout + proc.stderr)
    median = statistics.median(times)
    write_section("Issue 20 — enforcer demo",
                  f"Measured by `python3 bench/demo.py` on {machine()}: `enforcer demo --no-serve` as a whole "
                  f"process, median of {RUNS} runs (the sandbox built, 14 steps, 3 deploys with their checks and "
                  "health checks, the services stopped). Target: under 60 s before serving.",
                  [("`enforcer demo --no-serve`", f"{median:.1f} s", "-", f"{median / TARGET_S:.2f}x of 60 s",
                    "yes" if median < TARGET_S else "no")])


if __name__ == "__main__":
    main()
