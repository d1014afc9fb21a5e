"""Issue 3's benchmark: pushes into a bare repository with and without enforcer's server hooks.

    python3 bench/push.py                      # the realistic history of bench/history.py
    python3 bench/push.py --git-git PATH       # and git/git's first 10,001 commits, from a clone at PATH

Builds what it needs in bench/work/. Pushes with and without the hooks
alternate, each into a fresh copy of the server; the hooks' own time is what
git's trace2 reports for them.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
sys.path.insert(0, str(HERE))

from history import build  # noqa: E402
from run import compile_package, machine, policy_text, side_by_side, write_section  # noqa: E402

RUNS = 15
GIT_GIT_TIP = "41ffe5cdf5b0192cd70ef71b1cc37c7286d1dab0"  # git/git, May 2007: 10,001 commits, 974 files
Row = tuple[str, str, str, str, str]
MANY = 300


def git(cwd: Path, *args: str, input: str | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          input=input).stdout.strip()


def seed_server(client: Path, hooks: bool, base: str | None = None) -> Path:
    """A server whose main holds the policy (as after a bootstrap), copied from a template
    that has served a push already, so its policy cache is warm as on a live server."""
    template = WORK / f"template-{client.name}-{'hooks' if hooks else 'plain'}-{base or 'none'}.git"
    if not template.exists():
        git(WORK, "init", "-q", "--bare", "-b", "main", str(template))
        git(client, "push", "-q", str(template), "policy-main:main")
        if base:
            git(client, "push", "-q", str(template), f"{base}:refs/heads/feature/bench")
        if hooks:
            subprocess.run(["enforcer", "install", "--server", str(template)], check=True, capture_output=True)
            env = {**os.environ, "ENFORCER_ACTOR": "dev"}
            subprocess.run(["git", "push", "-q", str(template), "policy-main:refs/heads/feature/warm"],
                           cwd=client, env=env, check=True, capture_output=True)
    server = WORK / "server.git"
    if server.exists():
        shutil.rmtree(server)
    shutil.copytree(template, server, symlinks=True)
    os.sync()  # the copy's writeback would otherwise land inside the timed push
    return server


def timed_push(client: Path, hooks: bool, refspec: str, base: str | None = None) -> tuple[float, float]:
    """One push into a fresh copy of the server: its wall time, and the time git spent in
    hooks (pre- and post-receive, as git's trace2 reports them: exact, where the difference
    of two pushes carries the noise of both)."""
    server = seed_server(client, hooks, base)
    trace = WORK / "trace.json"
    trace.unlink(missing_ok=True)
    env = {**os.environ, "ENFORCER_ACTOR": "dev", "ENFORCER_CACHE_DIR": str(WORK / "cache"),
           "GIT_TRACE2_EVENT": str(trace)}  # set for both kinds of push: the same cost on each side
    start = time.perf_counter()
    proc = subprocess.run(["git", "push", "-q", str(server), refspec], cwd=client, env=env,
                          capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"push refused: {proc.stderr}")
    hook_children, in_hooks = set(), 0.0
    for line in trace.read_text().splitlines():
        event = json.loads(line)
        child = (event["sid"], event.get("child_id"))
        if event["event"] == "child_start" and event.get("child_class") == "hook":
            hook_children.add(child)
        elif event["event"] == "child_exit" and child in hook_children:
            in_hooks += event["t_rel"]
    return took, in_hooks


def facts_time(client: Path) -> float:
    """What any hook that applies the rules must do: read the pushed commits and the paths
    each changes, as enforcer reads them (both cores), in process, in a server holding the push."""
    server = seed_server(client, False)
    git(client, "push", "-q", str(server), "main:refs/heads/feature/bench")
    script = (f"import statistics, sys, time; sys.path.insert(0, {str(HERE.parent)!r})\n"
              "from enforcer.git import Repo\n"
              f"repo = Repo({str(server)!r}); times = []\n"
              f"for _ in range({RUNS}):\n"
              "    start = time.perf_counter()\n"
              "    repo.commits(['feature/bench'], ['main'])\n"
              "    times.append(time.perf_counter() - start)\n"
              "print(statistics.median(times))\n")
    return float(subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                                text=True).stdout)


def with_policy(client: Path) -> None:
    """Give the client the branch the servers' main is seeded from: the policy alone."""
    if subprocess.run(["git", "rev-parse", "-q", "--verify", "policy-main"], cwd=client,
                      capture_output=True).returncode == 0:
        return
    (WORK / "policy.yaml").write_text(policy_text(1000) + "policy: {owners: [devs]}\n")
    blob = git(client, "hash-object", "-w", str(WORK / "policy.yaml"))
    tree = subprocess.run(["git", "mktree"], cwd=client, input=f"100644 blob {blob}\tpolicy.yaml\n", text=True,
                          capture_output=True, check=True).stdout.strip()
    git(client, "branch", "policy-main", git(client, "commit-tree", tree, "-m", "policy"))


def bench_history(client: Path, label: str) -> tuple[list[Row], float, float]:
    """The 10,000-commit push of ``client``'s main: its rows, the facts' time and the plain push's."""
    floor = side_by_side({"log": (["git", "log", "--format=%H", "--name-only", "main"], client)},
                         dict(os.environ))["log"]
    runs: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for _ in range(RUNS):  # interleaved: a slow spell of the machine hits both kinds alike
        for hooks in (False, True):
            runs[hooks].append(timed_push(client, hooks, "main:refs/heads/feature/bench"))
    w, wo = (statistics.median(took for took, _ in runs[hooks]) for hooks in (True, False))
    hook = statistics.median(in_hooks for _, in_hooks in runs[True])
    rows = [(f"push of {label}: the hooks' time (pre- and post-receive, from git's trace2)",
             f"{hook * 1000:.0f} ms", f"{floor * 1000:.0f} ms (`git log --format=%H --name-only`)",
             f"{hook / floor:.2f}x", "yes" if hook <= 1.5 * floor else "NO (target 1.5x)"),
            (f"push of {label}: the whole push", f"{w * 1000:.0f} ms", f"{wo * 1000:.0f} ms (no hooks)",
             f"{w / wo:.2f}x", "yes" if w <= 1.15 * wo else "NO (target 1.15x)")]
    return rows, facts_time(client), wo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--git-git", type=Path, help=f"a clone of git/git holding {GIT_GIT_TIP[:12]}")
    args = parser.parse_args()
    compile_package()
    WORK.mkdir(exist_ok=True)
    for old in WORK.glob("template-*.git"):
        shutil.rmtree(old)
    history = WORK / "history"
    if not (history / ".git").exists():
        build(history)
    with_policy(history)
    git(history, "branch", "-f", "one-more", "main")
    git(history, "branch", "-f", "one-less", "main~1")
    rows, facts, plain = bench_history(history, "10,000 commits")
    # one commit on top of a branch the server has
    hook = statistics.median(timed_push(history, True, "one-more:refs/heads/feature/bench", base="one-less")[1]
                             for _ in range(RUNS))
    rows.append(("one-commit push: the hooks' time", f"{hook * 1000:.0f} ms", "100 ms (target)", "-",
                 "yes" if hook <= 0.100 else "NO"))
    # many refs over one history, as a mirror or a migration pushes them: one walk serves them all
    git(history, "update-ref", "--stdin", input="".join(f"update refs/heads/many/b{i} main~{i * 6}\n"
                                                        for i in range(1, MANY + 1)))
    many = {hooks: statistics.median(timed_push(history, hooks, "refs/heads/many/*:refs/heads/feature/many/*")[0]
                                     for _ in range(5)) for hooks in (False, True)}
    rows.append((f"push of {MANY} branches sharing the 10,000 commits (a mirror): the whole push (beyond the "
                 "target)", f"{many[True] * 1000:.0f} ms", f"{many[False] * 1000:.0f} ms (no hooks)",
                 f"{many[True] / many[False]:.2f}x", "-"))
    why = (f"reading them alone (enforcer's walk, in process, over both cores: {facts * 1000:.0f} ms) is "
           f"{facts / plain:.0%} of the push without hooks")
    if args.git_git:
        real = WORK / "gitgit"
        if not real.exists():
            git(WORK, "init", "-q", str(real))
            git(real, "fetch", "-q", str(args.git_git.resolve()), f"{GIT_GIT_TIP}:refs/heads/main")
        with_policy(real)
        real_rows, facts, plain = bench_history(real, "git/git's first 10,001 commits")
        rows += real_rows
        why += (f"; with git/git's history {facts / plain:.0%} ({facts * 1000:.0f} ms; its paths lie outside "
                "the 1,000 entries, and each is still looked up)")
    write_section("Issue 3 — server hooks", f"Measured by `python3 bench/push.py{' --git-git PATH' * bool(args.git_git)}`"
                  f" on {machine()}; medians of {RUNS} interleaved runs, each push into a fresh copy of the "
                  "server (pre-receive + post-receive installed, 1,000 ownership entries). The whole-push target "
                  "cannot be met by a hook that reads every pushed commit's changed paths, as the rules need: "
                  f"{why}, where the target allows 15%. The hooks start Python without `site` "
                  "(see docs/client.md).", rows)


if __name__ == "__main__":
    main()
