"""Issue 2's benchmarks, each beside its floor in one run; writes bench/RESULTS.md's issue-2 section.

    python3 bench/run.py            # builds bench/work/ (gitignored) and measures

Wall times are medians of interleaved runs of whole processes.
"""
from __future__ import annotations

import os
import platform
import random
import site
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"
sys.path.insert(0, str(HERE))

from history import DIRS, build  # noqa: E402

RUNS = 15
# the console script beside this interpreter, as a virtualenv has it (a version manager's shim on PATH,
# such as pyenv's, would add its own tens of milliseconds to every run)
ENFORCER = str(Path(sys.executable).with_name("enforcer"))


def ownership_yaml(entries: int) -> str:
    lines = ["ownership:"]
    for i in range(entries):
        if i < len(DIRS):
            path = f"{DIRS[i]}/"
        elif i % 10 == 0:
            path = f"mod{i % 60:02d}/**/*.md{i}"
        else:
            path = f"/extra{i}/sub/"
        lines.append(f"  - {{path: '{path}', primary: owner{i % 5}, backup: dev}}")
    return "\n".join(lines) + "\n"


def policy_text(entries: int) -> str:
    return ("version: 1\ngroups:\n  devs: [dev, owner0, owner1, owner2, owner3, owner4]\n"
            "branches:\n"
            "  - {match: main, push: [devs]}\n"
            "  - {match: dev, push: [devs], direct_commits: false, merge_from: ['feature/**']}\n"
            "  - {match: 'feature/**', push: [devs]}\n" + ownership_yaml(entries))


def wall(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def side_by_side(cases: dict[str, tuple[list[str], Path]], env: dict[str, str]) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in cases}
    for name, (cmd, cwd) in cases.items():
        wall(cmd, cwd, env)  # warm caches (page cache, policy cache)
    for _ in range(RUNS):
        for name, (cmd, cwd) in cases.items():
            times[name].append(wall(cmd, cwd, env))
    return {name: statistics.median(t) for name, t in times.items()}


def bench_check() -> list[tuple[str, str, str, str, str]]:
    repo = WORK / "history"
    if not (repo / ".git").exists():
        build(repo)
    policy = WORK / "policy-1000.yaml"
    policy.write_text(policy_text(1000))
    root = subprocess.run(["git", "rev-list", "--max-parents=0", "main"], cwd=repo, capture_output=True,
                          text=True).stdout.split()[0]
    env = {**os.environ, "ENFORCER_CACHE_DIR": str(WORK / "cache")}
    floor = ["git", "log", "--format=%H", "--name-only", f"{root}..main"]
    check = [ENFORCER, "check", "--base", root, "--head", "main", "--actor", "dev", "--policy", str(policy)]
    t = side_by_side({"floor": (floor, repo), "main": (check + ["--branch", "main"], repo),
                      "dev": (check + ["--branch", "dev"], repo)}, env)
    rows = []
    for name, what in (("main", "ownership of every commit: the issue's target"),
                       ("dev", "+ direct_commits and merge_from over 2,001 branches: beyond the target")):
        ratio = t[name] / t["floor"]
        met = "yes" if ratio <= 1.5 else "NO"
        rows.append((f"`enforcer check` over 10,000 commits, 1,000 ownership entries, branch {name} ({what})",
                     f"{t[name] * 1000:.0f} ms", f"{t['floor'] * 1000:.0f} ms (`git log --format=%H --name-only`)",
                     f"{ratio:.2f}x", met if name == "main" else f"(1.5x would be: {met.lower()})"))
    return rows


def bench_ownership() -> list[tuple[str, str, str, str, str]]:
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

    from enforcer.pathmatch import PathIndex, translate

    rng = random.Random(3)
    patterns = []
    for i in range(10_000):
        kind = i % 20
        if kind == 0:
            patterns.append(f"*.ext{i}")
        elif kind == 1:
            patterns.append(f"team{i % 97}/**/*.sql{i}")
        elif kind == 2:
            patterns.append(f"/team{i % 97}/svc{i}")
        else:
            patterns.append(f"team{i % 97}/svc{i % 503}/part{i}/")
    paths = [f"team{rng.randrange(97)}/svc{rng.randrange(503)}/part{rng.randrange(10_000)}/f{k}."
             f"{rng.choice(['py', 'md', 'sql1', 'ext20'])}" for k in range(100_000)]
    start = time.perf_counter()
    index = PathIndex([translate(p) for p in patterns])
    build_time = time.perf_counter() - start
    for path in paths:
        index.last_match(path)
    decided = time.perf_counter() - start
    compiled = [GitIgnoreSpecPattern(p).regex for p in patterns]
    sample = paths[:20]
    start = time.perf_counter()
    for path in sample:
        best = -1
        for i, regex in enumerate(compiled):
            if regex is not None and regex.match(path):
                best = i
    naive = (time.perf_counter() - start) / len(sample) * len(paths)
    return [("10,000 ownership entries x 100,000 paths (index build + all lookups)",
             f"{decided * 1000:.0f} ms (of which index build {build_time * 1000:.0f} ms)",
             f"{naive:.0f} s (each path against each entry, extrapolated from {len(sample)} paths)",
             f"{decided / naive:.5f}x", "yes" if decided <= 1.0 else "NO")]


def bench_load() -> list[tuple[str, str, str, str, str]]:
    from enforcer.policy import load_policy

    sop = ROOT / "policies" / "examples" / "sop.yaml"
    cache = WORK / "cache"
    load_policy(sop, cache_dir=str(cache))
    loads = []
    for _ in range(50):
        start = time.perf_counter()
        load_policy(sop, cache_dir=str(cache))
        loads.append(time.perf_counter() - start)
    start = time.perf_counter()
    load_policy(sop, cache_dir="")
    cold = time.perf_counter() - start
    # started as the hook shims start Python: without site, sys.path set (enforcer.install.python_command)
    paths = [str(ROOT)] + [p for p in site.getsitepackages() if os.path.isdir(p)]
    script = (f"import sys; sys.path += {paths!r}; from enforcer.policy import load_policy; import enforcer.engine; "
              f"load_policy({str(sop)!r}, cache_dir={str(cache)!r}); "
              "heavy = {'yaml', 'jsonschema', 'click', 'pathspec', 'pygit2'} & set(sys.modules); "
              "sys.exit(1 if heavy else 0)")
    env = {**os.environ}
    start_python = [sys.executable, "-S", "-P", "-c"]
    t = side_by_side({"floor": (start_python + ["pass"], ROOT), "hook": (start_python + [script], ROOT)}, env)
    clean = subprocess.run(start_python + [script], env=env).returncode == 0
    return [
        ("Load the reference policy, cache hit (in process)", f"{statistics.median(loads) * 1000:.2f} ms",
         f"{cold * 1000:.0f} ms (cache miss in a warm process: YAML, schema, semantic checks)", "-",
         "yes" if statistics.median(loads) <= 0.010 else "NO"),
        ("A process that imports the core and loads the policy (cache hit)", f"{t['hook'] * 1000:.0f} ms",
         f"{t['floor'] * 1000:.0f} ms (`python3 -S -c pass`)", f"{(t['hook'] - t['floor']) * 1000:+.0f} ms",
         "yes: no yaml/jsonschema/click/pathspec/pygit2 imported" if clean else "NO: a heavy module was imported"),
    ]


def server_and_clone(base: Path) -> tuple[Path, Path]:
    """``base`` made anew, holding app.git (a bare repository with the server hooks) and clone/ (a
    new repository on main), for a benchmark to fill."""
    import shutil

    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    bare, clone = base / "app.git", base / "clone"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True, capture_output=True)
    subprocess.run(["enforcer", "install", "--server", str(bare)], check=True, capture_output=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(clone)], check=True, capture_output=True)
    return bare, clone


def compile_package() -> None:
    """Byte-compile the package, as `pip install` does: where PYTHONDONTWRITEBYTECODE is set (as on
    the machines these figures come from), a module changed since its .pyc would be compiled at every start."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "enforcer", "hooks", "policies", "server_hooks"],
                   cwd=ROOT, check=True)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    return (f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores ({cpu}), {git}, "
            f"Python {platform.python_version()}")


def write_section(title: str, intro: str, rows: list[tuple[str, str, str, str, str]]) -> None:
    """Replace (or add) one section of bench/RESULTS.md, leaving the others as they are."""
    table = ["| measurement | enforcer | floor | ratio | target met |", "|---|---|---|---|---|"]
    table += [f"| {' | '.join(row)} |" for row in rows]
    section = f"## {title}\n\n{intro}\n\n" + "\n".join(table) + "\n"
    results = HERE / "RESULTS.md"
    text = results.read_text() if results.exists() else "# Benchmark results\n"
    start = text.find(f"## {title}")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + ("\n" + text[end + 1:] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    results.write_text(text)
    print(section)


def main() -> None:
    compile_package()
    WORK.mkdir(exist_ok=True)
    rows = bench_check() + bench_ownership() + bench_load()
    write_section("Issue 2 — policy core",
                  f"Measured by `python3 bench/run.py` on {machine()}. Wall times are medians of {RUNS} interleaved "
                  "runs. Targets: check ≤ 1.5x the floor; 10k x 100k ≤ 1 s; cache-hit load ≤ 10 ms. On this "
                  "VM the check ratio moved between 1.19x and 1.27x over the day's runs (other tenants take CPU, "
                  "which hurts check's parallel git walks more than the single `git log`).", rows)


if __name__ == "__main__":
    main()
