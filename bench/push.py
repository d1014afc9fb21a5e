"""Issue 3's benchmark: pushes into a bare repository with and without enforcer's server hooks.

    python3 bench/push.py                      # the realistic history of bench/history.py
    python3 bench/push.py --git-git PATH       # and git/git's history, from a clone at PATH holding master 1a3e64c6c4
    python3 bench/push.py --runs 5 ...         # fewer runs, for a quick look (the figures kept use 15)

With --git-git: the push of git/git's first 10,001 commits into a server holding
only the policy, and the push of its 10,402 later commits (8bf6fbd..1a3e64c6c4)
onto a branch holding 8bf6fbd; each also pushed to `integration`, a
`direct_commits: false` branch, where every merge on the pushed first-parent
line is judged by all its own changes (enforcer/merges.py, steps 2 and 3): git/git
commits directly on its mainline, so that push is refused and lands as a
break-glass override.

Builds what it needs in bench/work/. Pushes with and without the hooks
alternate, each into a fresh copy of the server (its object files hard-linked
from a template: they are never written to); the hooks' own time is what git's
trace2 reports for them.
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
import run  # noqa: E402
from run import compile_package, machine, policy_text, side_by_side, write_section  # noqa: E402

RUNS = 15
GIT_GIT_TIP = "41ffe5cdf5b0192cd70ef71b1cc37c7286d1dab0"  # git/git, May 2007: 10,001 commits, 974 files
GIT_GIT_BASE = "8bf6fbd00dc74c5c83ff5a20ef9293a9d77845a8"  # git/git: 71,564 commits below ...
GIT_GIT_LATER = "1a3e64c6c4a623626ff0687008732a8e007e2a1c"  # ... master, 10,402 commits above it
GLASS = "policy-integration"  # the client's branch holding the integration-branch policy
Row = tuple[str, str, str, str, str]
MANY = 300


def git(cwd: Path, *args: str, input: str | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          input=input).stdout.strip()


def copy_repo(source: Path, target: Path) -> None:
    """A copy of a bare repository whose object files are hard links: git never writes to one
    (a push adds files beside them), and a copy of git/git's 235 MB would dwarf the push."""
    def link(src: str, dst: str) -> None:
        if Path(src).parent.name != "info" and "/objects/" in src:
            os.link(src, dst)
        else:
            shutil.copy2(src, dst)
    shutil.copytree(source, target, symlinks=True, copy_function=link)


def seed_server(client: Path, hooks: bool, base: str | None = None, policy: str = "policy-main",
                seed: Path | None = None) -> Path:
    """A server whose main holds the policy (as after a bootstrap), copied from a template
    that has served a push already, so its policy cache is warm as on a live server.
    ``seed``: a bare repository the template starts from (the history already on the server)."""
    template = WORK / (f"template-{client.name}-{'hooks' if hooks else 'plain'}-{base or 'none'}-{policy}-"
                       f"{seed.name if seed else 'empty'}.git")
    if not template.exists():
        if seed:
            copy_repo(seed, template)
        else:
            git(WORK, "init", "-q", "--bare", "-b", "main", str(template))
        git(client, "push", "-q", str(template), f"{policy}:main")
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
    copy_repo(template, server)
    os.sync()  # the copy's writeback would otherwise land inside the timed push
    return server


def timed_push(client: Path, hooks: bool, refspec: str, base: str | None = None, policy: str = "policy-main",
               seed: Path | None = None, options: tuple[str, ...] = ()) -> tuple[float, float]:
    """One push into a fresh copy of the server: its wall time, and the time git spent in
    hooks (pre- and post-receive, as git's trace2 reports them: exact, where the difference
    of two pushes carries the noise of both)."""
    server = seed_server(client, hooks, base, policy, seed)
    trace = WORK / "trace.json"
    trace.unlink(missing_ok=True)
    env = {**os.environ, "ENFORCER_ACTOR": "dev", "ENFORCER_CACHE_DIR": str(WORK / "cache"),
           "GIT_TRACE2_EVENT": str(trace)}  # set for both kinds of push: the same cost on each side
    start = time.perf_counter()
    proc = subprocess.run(["git", "push", "-q", *(f"-o{o}" for o in options), str(server), refspec],
                          cwd=client, env=env,
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


def facts_time(client: Path, seed: Path | None = None) -> float:
    """What any hook that applies the rules must do: read the pushed commits and the paths
    each changes, as enforcer reads them (both cores), in process, in a server holding the push."""
    server = seed_server(client, False, seed=seed)
    git(client, "push", "-q", str(server), "main:refs/heads/feature/bench")
    below = [f"{GIT_GIT_BASE}", "main"] if seed else ["main"]
    script = (f"import statistics, sys, time; sys.path.insert(0, {str(HERE.parent)!r})\n"
              "from enforcer.git import Repo\n"
              f"repo = Repo({str(server)!r}); times = []\n"
              f"for _ in range({RUNS}):\n"
              "    start = time.perf_counter()\n"
              f"    repo.commits(['feature/bench'], {below!r})\n"
              "    times.append(time.perf_counter() - start)\n"
              "print(statistics.median(times))\n")
    return float(subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                                text=True).stdout)


def with_policy(client: Path, branch: str = "policy-main") -> None:
    """Give the client the branch the servers' main is seeded from: the policy alone. GLASS:
    with an `integration` branch that takes no direct commits, and the pusher may break glass."""
    if subprocess.run(["git", "rev-parse", "-q", "--verify", branch], cwd=client,
                      capture_output=True).returncode == 0:
        return
    text = policy_text(1000) + "policy: {owners: [devs]}\n"
    if branch == GLASS:
        rule = "  - {match: 'feature/**', push: [devs]}\n"
        text = (policy_text(1000).replace(rule, rule + "  - {match: integration, push: [devs], direct_commits: false}\n")
                + "policy: {owners: [devs], break_glass: [dev]}\n")
    (WORK / "policy.yaml").write_text(text)
    blob = git(client, "hash-object", "-w", str(WORK / "policy.yaml"))
    tree = subprocess.run(["git", "mktree"], input=f"100644 blob {blob}\tpolicy.yaml\n", text=True, cwd=client,
                          capture_output=True, check=True).stdout.strip()
    git(client, "branch", branch, git(client, "commit-tree", tree, "-m", "policy"))


def bench_history(client: Path, label: str, below: str | None = None, seed: Path | None = None,
                  target: float = 1.5, glass: bool = False) -> tuple[list[Row], float, float]:
    """The push of ``client``'s main (onto ``below``, which ``seed``'s feature/bench holds): its
    rows, the facts' time and the plain push's. ``glass``: also pushed to GLASS's `integration`
    branch, as a break-glass push."""
    rev_range = f"{below}..main" if below else "main"
    floor = side_by_side({"log": (["git", "log", "--format=%H", "--name-only", rev_range], client)},
                         dict(os.environ))["log"]
    onto = "main:refs/heads/feature/bench"
    kinds = {"plain": (False, "policy-main", (), onto), "hooks": (True, "policy-main", (), onto)}
    if glass:
        with_policy(client, GLASS)
        kinds["glass"] = (True, GLASS, ("enforcer.break-glass=bench",), "main:refs/heads/integration")
    runs: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
    for _ in range(RUNS):  # interleaved: a slow spell of the machine hits every kind alike
        for kind, (hooks, policy, options, refspec) in kinds.items():
            runs[kind].append(timed_push(client, hooks, refspec, policy=policy, seed=seed, options=options))
    w, wo = (statistics.median(took for took, _ in runs[kind]) for kind in ("hooks", "plain"))
    hook = statistics.median(in_hooks for _, in_hooks in runs["hooks"])
    spread = "–".join(f"{t * 1000:.0f}" for t in (min(h for _, h in runs["hooks"]), max(h for _, h in runs["hooks"])))
    shown = f" {below[:7]}..{git(client, 'rev-parse', '--short=10', 'main')}" if below else ""
    log = f"{floor * 1000:.0f} ms (`git log --format=%H --name-only{shown}`)"
    rows = [(f"push of {label}: the hooks' time (pre- and post-receive, from git's trace2; runs {spread} ms)",
             f"{hook * 1000:.0f} ms", log, f"{hook / floor:.2f}x",
             "yes" if hook <= target * floor else f"NO (target {target:g}x)"),
            (f"push of {label}: the whole push", f"{w * 1000:.0f} ms", f"{wo * 1000:.0f} ms (no hooks)",
             f"{w / wo:.2f}x", "yes" if w <= 1.15 * wo else "NO (target 1.15x)")]
    if glass:
        broke = statistics.median(in_hooks for _, in_hooks in runs["glass"])
        rows.append((f"push of {label} to `integration` (`direct_commits: false`): every merge on the pushed "
                     "first-parent line judged by all its own changes; refused for git/git's direct commits, it "
                     "lands as a break-glass override; the hooks' time (beyond the target)", f"{broke * 1000:.0f} ms", log, f"{broke / floor:.2f}x",
                     f"({target:g}x would be: {'yes' if broke <= target * floor else 'no'})"))
    return rows, facts_time(client, seed), wo


def merges(client: Path, rev_range: str) -> str:
    return f"{int(git(client, 'rev-list', '--count', '--merges', rev_range)):,}"


def main() -> None:
    global RUNS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--git-git", type=Path, help=f"a clone of git/git holding {GIT_GIT_LATER[:12]}")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs per figure (default {RUNS})")
    args = parser.parse_args()
    RUNS = run.RUNS = args.runs  # the floors (run.side_by_side) take as many runs as the pushes
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
        real_rows, facts, plain = bench_history(real, f"git/git's first 10,001 commits ({merges(real, 'main')} "
                                                "merges)", glass=True)
        rows += real_rows[:2]
        merge_rows = real_rows[2:]
        first = real_rows[0]
        why += (f"; with git/git's first 10,001 commits {facts / plain:.0%} ({facts * 1000:.0f} ms; its paths lie "
                "outside the 1,000 entries, and each is still looked up)")
        # the later history, pushed onto a branch that holds what lies below it: the client borrows
        # the clone's objects; the server's come from a real push, made once
        later = WORK / "gitgit-later.git"
        if not later.exists():
            git(WORK, "init", "-q", "--bare", str(later))
            (later / "objects" / "info" / "alternates").write_text(f"{(args.git_git.resolve() / 'objects')}\n")
            git(later, "update-ref", "refs/heads/main", GIT_GIT_LATER)
        base = WORK / "gitgit-base.git"
        if not base.exists():
            git(WORK, "init", "-q", "--bare", "-b", "main", str(base))
            git(base, "fetch", "-q", str(args.git_git.resolve()), f"{GIT_GIT_BASE}:refs/heads/feature/bench")
        with_policy(later)
        span = f"{GIT_GIT_BASE}..main"
        count = int(git(later, "rev-list", "--count", span))
        later_rows, facts, plain = bench_history(
            later, f"git/git's {count:,} later commits onto a branch holding {GIT_GIT_BASE[:7]} "
            f"({merges(later, span)} merges)", below=GIT_GIT_BASE, seed=base, target=2.0, glass=True)
        merge_rows = later_rows + merge_rows
        why += f"; with its later commits {facts / plain:.0%} ({facts * 1000:.0f} ms)"
    write_section("Issue 3 — server hooks", f"Measured by `python3 bench/push.py{' --git-git PATH' * bool(args.git_git)}`"
                  f" on {machine()}; medians of {RUNS} interleaved runs, each push into a fresh copy of the "
                  "server (pre-receive + post-receive installed, 1,000 ownership entries). The whole-push target "
                  "cannot be met by a hook that reads every pushed commit's changed paths, as the rules need: "
                  f"{why}, where the target allows 15%. The hooks start Python without `site` "
                  "(see docs/client.md).", rows)
    if args.git_git:
        write_section(
            "Issue 15 — merges judged by their own changes, in pushes",
            f"Measured by `python3 bench/push.py --git-git PATH` in the same run as issue 3's table ({RUNS} "
            "interleaved runs, medians; the spread is the fastest and slowest run of the hooks). Targets: the "
            f"pre-receive hook ≤ 1.5x `git log --name-only` on git/git's first 10,001 commits (issue 3's row: "
            f"{first[1]} against {first[2].split(' (')[0]}, {first[3]}, met: {first[4]}) and ≤ 2x on its later "
            f"10,402 commits ({GIT_GIT_BASE[:7]}..{GIT_GIT_LATER[:10]}), pushed onto a branch holding "
            f"{GIT_GIT_BASE[:7]}. The server's objects come from a real push (no alternates), so each timed push "
            "transfers and indexes its whole pack as in real life; the client borrows the clone's objects "
            "(objects/info/alternates). Under the bench policy no path of git/git is owned, so every merge is "
            "settled by the screen (no git, but one `git log` where old commits lie on its merged side). The `integration` rows push the same history to a branch "
            "that takes no direct commits: every merge on the pushed first-parent line is then judged by all "
            "its own changes, at the path level and, where that cannot settle a path, by `git merge-tree`.",
            merge_rows)


if __name__ == "__main__":
    main()
