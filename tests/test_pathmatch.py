"""The ownership index gives exactly the answer of trying every gitignore pattern in turn."""
from __future__ import annotations

import random
import subprocess

import pytest
from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

from enforcer.pathmatch import PathIndex, pathspecs, translate

PARTS = ["a", "b", "docs", "src", "x.py", "y.md", "vendor", "team1", "Team1"]
SHAPES = ["{0}/", "/{0}/", "{0}", "/{0}", "{0}/{1}/", "{0}/{1}", "*.py", "{0}/*", "{0}/**/{1}", "**/{0}",
          "{0}/*.md", "{0}?", "/{0}/{1}/"]


def naive(patterns: list[str], path: str) -> int:
    best = -1
    for i, p in enumerate(patterns):
        regex = GitIgnoreSpecPattern(p).regex
        if regex is not None and regex.match(path):
            best = i
    return best


@pytest.mark.parametrize("seed", range(20))
def test_index_equals_naive_last_match(seed: int) -> None:
    rng = random.Random(seed)
    patterns = [rng.choice(SHAPES).format(rng.choice(PARTS), rng.choice(PARTS)) for _ in range(25)]
    index = PathIndex([translate(p) for p in patterns])
    for _ in range(200):
        path = "/".join(rng.choice(PARTS) for _ in range(rng.randint(1, 4)))
        assert index.last_match(path) == naive(patterns, path), (patterns, path)


def test_pathspecs_cover_every_path_a_pattern_matches(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """git, asked for a diff limited to a pattern's pathspecs, leaves out no path the pattern
    owns (as a file or as a directory): the merge screen relies on it (enforcer.merges)."""
    parts = [*PARTS, "sp ace", "-lead", "ü", "a:b"]
    rng = random.Random(7)
    paths = sorted({"/".join(rng.choice(parts) for _ in range(rng.randint(1, 4))) for _ in range(400)})
    paths = [p for p in paths if not any(q.startswith(p + "/") for q in paths)]  # a path is a file or a dir
    git = ["git", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True)
    blob = subprocess.run([*git, "hash-object", "-w", "--stdin"], input=b"x\n", capture_output=True,
                          check=True).stdout.decode().strip()
    index = "".join(f"100644 {blob}\t{p}\0" for p in paths).encode()
    subprocess.run([*git, "update-index", "--add", "-z", "--index-info"], input=index, check=True)
    tree = subprocess.run([*git, "write-tree"], capture_output=True, check=True).stdout.decode().strip()
    empty = subprocess.run([*git, "hash-object", "-t", "tree", "-w", "--stdin"], input=b"", capture_output=True,
                           check=True).stdout.decode().strip()
    limited = 0
    for shape in SHAPES:
        for _ in range(6):
            pattern = shape.format(rng.choice(parts), rng.choice(parts))
            specs = pathspecs(pattern)
            if specs is None:
                continue
            limited += 1
            out = subprocess.run([*git, "diff-tree", "-r", "-z", "--name-only", empty, tree, "--", *specs],
                                 capture_output=True, check=True).stdout.decode()
            shown = set(out.split("\0"))
            owned = PathIndex([translate(pattern)])
            assert {p for p in paths if owned.last_match_as_dir(p) >= 0} <= shown, pattern
    assert limited > 30
