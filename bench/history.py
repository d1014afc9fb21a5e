"""Build a realistic history fast with `git fast-import`: deterministic for a given seed.

Cycles of: one direct commit on main, three commits on a feature branch cut
from main, and a --no-ff merge of it into main. Thousands of files in
hundreds of directories; some commits rename a file.
"""
from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

DIRS = [f"mod{i:02d}/sub{j}" for i in range(60) for j in range(5)]  # 300 directories


def build(repo: Path, commits: int = 10_000, seed: int = 7) -> None:
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    files = [f"{d}/file{k}.py" for d in DIRS for k in range(10)]  # 3,000 files
    out: list[bytes] = []
    mark = 0
    when = 1_700_000_000

    def blob_inline(text: str) -> None:
        data = text.encode()
        out.append(b"data %d\n%s\n" % (len(data), data))

    content: dict[str, str] = {}  # path -> its text on the feature branch being built

    def commit(ref: str, parents: list[str], changes: list[str], renames: list[tuple[str, str]],
               take: dict[str, str] | None = None) -> str:
        nonlocal mark, when
        mark += 1
        when += 60
        out.append(f"commit {ref}\nmark :{mark}\n".encode())
        out.append(f"author Bench <bench@example.com> {when} +0000\n"
                   f"committer Bench <bench@example.com> {when} +0000\n".encode())
        blob_inline(f"commit {mark}")
        if parents:
            out.append(f"from {parents[0]}\n".encode())
        for p in parents[1:]:
            out.append(f"merge {p}\n".encode())
        for old, new in renames:
            out.append(f'R "{old}" "{new}"\n'.encode())
        for path in changes:
            out.append(f'M 100644 inline "{path}"\n'.encode())
            text = take[path] if take is not None else f"{path} at {mark}"
            content[path] = text
            blob_inline(text)
        out.append(b"\n")
        return f":{mark}"

    main = commit("refs/heads/main", [], files, [])
    made, cycle = 1, 0
    while made < commits:
        cycle += 1
        main = commit("refs/heads/main", [main], rng.sample(files, 2), [])
        branch = f"refs/heads/feature/f{cycle}"
        tip = main
        changed: list[str] = []
        content.clear()
        moved: list[tuple[str, str]] = []
        for _ in range(3):
            renames = []
            if rng.random() < 0.1:
                old = rng.choice(files)
                new = f"{rng.choice(DIRS)}/moved{mark}.py"
                files.remove(old)
                files.append(new)
                renames.append((old, new))
            paths = rng.sample(files, rng.randint(1, 4)) + [n for _, n in renames]
            changed += paths
            moved += renames
            tip = commit(branch, [tip], list(dict.fromkeys(paths)), renames)
        # the merge's tree: main's, plus the feature's version of what it changed (no evil merge)
        merged = [p for p in dict.fromkeys(changed) if p in files]
        main = commit("refs/heads/main", [main, tip], merged, moved, take={p: content[p] for p in merged})
        made += 5
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(out), check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=repo, check=True)


if __name__ == "__main__":
    build(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 10_000)
