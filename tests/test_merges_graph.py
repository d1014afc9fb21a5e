"""enforcer.merges against git itself, on a random history of branches, merges, criss-crosses,
conflicts and evil merges: the screen's merged sides and merge bases are git's, and the own paths
it settles are those a full re-merge of every merge finds."""
from __future__ import annotations

import random
import subprocess
from pathlib import Path

from enforcer.git import Repo as GitRepo
from enforcer.merges import Graph, Resolver, own_paths
from tests.conftest import git

FILES = [f"d{i % 3}/f{i}.txt" for i in range(8)]


def random_history(path: Path, seed: int, rounds: int = 60) -> list[str]:
    """A repository whose branches b0..b4 commit, merge each other (cleanly, with conflicts
    resolved by hand, evilly, or two at once) at random; returns the branch names."""
    rng = random.Random(seed)
    path.mkdir()
    git(path, "init", "-q", "-b", "b0")
    (path / "d0").mkdir()
    (path / "d0" / "f0.txt").write_text("start\n")
    git(path, "add", ".")
    git(path, "commit", "-qm", "root")
    branches = ["b0"]
    for n in range(rounds):
        action = rng.random()
        if len(branches) < 5 and action < 0.15:
            branches.append(f"b{len(branches)}")
            git(path, "branch", branches[-1], rng.choice(branches[:-1]))
            continue
        branch = rng.choice(branches)
        git(path, "switch", "-q", branch)
        if action < 0.6 or len(branches) == 1:
            name = rng.choice(FILES)
            target = path / name
            target.parent.mkdir(exist_ok=True)
            lines = target.read_text().splitlines() if target.exists() else [f"l{i}" for i in range(10)]
            lines[rng.randrange(len(lines))] = f"{branch} {n}"
            target.write_text("\n".join(lines) + "\n")
            git(path, "add", name)
            git(path, "commit", "-qm", f"{branch} {n}")
            continue
        others = [b for b in branches if b != branch]
        if len(others) > 1 and rng.random() < 0.5:  # an octopus, when git's strategy can make one
            pair = rng.sample(others, 2)
            if subprocess.run(["git", "merge", "-q", "--no-ff", "--no-edit", *pair], cwd=path,
                              capture_output=True).returncode != 0:
                git(path, "reset", "-q", "--hard")
            elif rng.random() < 0.5:  # an evil octopus
                evil = path / rng.choice(FILES)
                evil.parent.mkdir(exist_ok=True)
                evil.write_text(f"evil octopus {n}\n")
                git(path, "add", "-A")
                git(path, "commit", "-q", "--amend", "--no-edit")
            continue
        other = rng.choice(others)
        merged = subprocess.run(["git", "merge", "-q", "--no-ff", "--no-edit", other], cwd=path,
                                capture_output=True).returncode == 0
        if not merged or rng.random() < 0.2:  # resolve a conflict by hand, or slip an edit in
            if not merged:
                git(path, "checkout", "-q", "--theirs" if rng.random() < 0.5 else "--ours", "--", ".")
            evil = path / rng.choice(FILES)
            evil.parent.mkdir(exist_ok=True)
            evil.write_text(f"evil {n}\n")
            git(path, "add", "-A")
            git(path, "commit", "-q", "--no-edit", "-m", f"merge {other} into {branch}")
    return branches


def test_the_screen_agrees_with_git(tmp_path: Path) -> None:
    for seed in range(4):
        path = tmp_path / f"r{seed}"
        branches = random_history(path, seed)
        repo = GitRepo(str(path))
        tips = [git(path, "rev-parse", b) for b in branches]
        old = git(path, "rev-list", "--max-count=1", "--skip=25", "b0") or None  # part of b0 is "old"
        walked = repo.commits(tips, [old] if old else [])
        by_sha = {c.sha: c for c in walked}
        graph = Graph(by_sha, repo.below_tips({p for c in walked for p in c.parents if p not in by_sha},
                                              [old] if old else []), Resolver(repo, walked, lambda p: ())._fetch)
        merges = [by_sha[s] for s in graph.order if by_sha[s].is_merge]
        assert merges, seed
        for merge in merges:
            found = graph.side(merge)
            assert found is not None
            side, boundary = found
            listed = git(path, "rev-list", *merge.parents[1:], "--not", merge.parents[0]).split()
            assert side == set(listed), (seed, merge.sha)
            bases = set(git(path, "merge-base", "--all", *merge.parents[:2]).split()) if len(merge.parents) == 2 \
                else None
            tops = graph.tops(boundary)
            if tops is not None and bases is not None:
                assert set(tops) == bases, (seed, merge.sha)


def test_settled_paths_are_what_a_full_remerge_finds(tmp_path: Path) -> None:
    for seed in range(4, 8):
        path = tmp_path / f"r{seed}"
        branches = random_history(path, seed)
        repo = GitRepo(str(path))
        walked = repo.commits([git(path, "rev-parse", b) for b in branches])
        merges = [c for c in walked if c.is_merge]
        full = own_paths(repo, [(c.sha, c.parents, None, None) for c in merges])  # no screen, every path
        plain = {p for c in walked if not c.is_merge for p in c.paths}
        for looked_at in ("d0/", "d1/f", "nothing/"):
            def judged_by(p: str, prefix: str = looked_at) -> tuple[str, ...]:
                return (p,) if p.startswith(prefix) else ()  # a rule per path

            def scope(prefix: str = looked_at) -> tuple[str, ...]:  # what git's diffs may leave out
                return (f":(top,literal){prefix.split('/')[0]}",)
            resolved = {c.sha: c.paths for c in Resolver(repo, walked, judged_by, scope=scope).resolve(walked)
                        if c.is_merge}
            for c in merges:  # a path a plain commit changes too is judged by that commit already
                expected = {p for p in full[c.sha] if judged_by(p) and p not in plain}
                assert set(resolved[c.sha]) == expected, (seed, looked_at, c.sha)
            alone = Resolver(repo, walked, judged_by).resolve(merges)  # no plain commit among them
            for c in alone:
                assert set(c.paths) == {p for p in full[c.sha] if judged_by(p)}, (seed, looked_at, c.sha)
        whole = {c.sha: c.paths for c in Resolver(repo, walked, judged_by).resolve(walked, whole=full)
                 if c.is_merge}
        assert whole == full


def test_without_merge_tree_stdin_each_merge_is_merged_alone(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """git before 2.40 has no `merge-tree --stdin`: the same answers, one git per merge."""
    path = tmp_path / "r"
    random_history(path, 3)
    repo = GitRepo(str(path))
    walked = repo.commits([git(path, "rev-parse", "b0"), git(path, "rev-parse", "b1")])
    merges = [(c.sha, c.parents, None, None) for c in walked if c.is_merge]
    batched = own_paths(repo, merges)
    real = subprocess.run(["sh", "-c", "command -v git"], capture_output=True, text=True).stdout.strip()
    shim = tmp_path / "bin" / "git"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\ncase " $* " in *" merge-tree "*" --stdin "*) echo "usage: old git" >&2; '
                    f'exit 129;; esac\nexec {real} "$@"\n')
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim.parent}:{__import__('os').environ['PATH']}")
    assert own_paths(repo, merges) == batched and any(batched.values())
