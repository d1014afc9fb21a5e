"""The ownership index gives exactly the answer of trying every gitignore pattern in turn."""
from __future__ import annotations

import random

import pytest
from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

from enforcer.pathmatch import PathIndex, translate

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
