"""Gitignore-style path patterns, indexed so that the last matching entry is found fast.

Matching every path against every entry in turn costs entries x paths; a
large ownership section against a large push takes minutes that way. Most
entries are literal (``docs/``, ``/src/app``, ``vendor``): those go into
dictionaries looked up once per path component. The rest (wildcards) go
into one RE2 set, which tests a path against all of them in a single pass.

Pattern semantics follow git's gitignore (translated by ``pathspec``): a
pattern that matches a directory matches everything under it; a slash at the
start or in the middle anchors the pattern at the repository root; a
trailing slash matches directories only.
"""
from __future__ import annotations


import re2

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Iterable, Sequence

# (kind, key, dir_only) where kind is "root" (anchored literal), "name"
# (unanchored literal name) or "regex" (key is the regex).
Spec = tuple[str, str, bool]

_WILD = set("*?[\\")


def translate(pattern: str) -> Spec:
    """Classify one pattern; call at load time (imports pathspec only for wildcards)."""
    dir_only = pattern.endswith("/")
    core = pattern.strip("/")
    anchored = "/" in pattern.rstrip("/")
    if core and not _WILD & set(core) and "//" not in core:
        return ("root" if anchored else "name", core, dir_only)
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

    regex, _include = GitIgnoreSpecPattern.pattern_to_regex(pattern)
    return ("regex", regex, dir_only)


def pattern_problem(pattern: str) -> str | None:
    """Why a pattern cannot be used for ownership, or None."""
    if pattern.startswith("!"):
        return "negated patterns ('!') have no meaning in ownership"
    if not pattern.strip("/"):
        return "the pattern is empty"
    try:
        kind, key, _ = translate(pattern)
    except Exception as e:  # pathspec raises several types for bad patterns
        return f"not a valid gitignore-style pattern: {e}"
    if kind == "regex":
        try:
            re2.compile(key)
        except re2.error:
            return "not a valid gitignore-style pattern"
    return None


class PathIndex:
    """Finds the last of an ordered list of patterns that matches a path."""

    def __init__(self, specs: Sequence[Spec]) -> None:
        self._root: dict[str, list[tuple[int, bool]]] = {}
        self._name: dict[str, list[tuple[int, bool]]] = {}
        self._regex_ids: list[int] = []
        regexes: list[str] = []
        for i, (kind, key, dir_only) in enumerate(specs):
            if kind == "root":
                self._root.setdefault(key, []).append((i, dir_only))
            elif kind == "name":
                self._name.setdefault(key, []).append((i, dir_only))
            else:
                self._regex_ids.append(i)
                regexes.append(key)
        self._set = None
        if regexes:
            options = re2.Options()
            options.log_errors = False
            options.max_mem = 1 << 30  # a large wildcard section needs a large DFA
            self._set = re2.Set.SearchSet(options)
            for regex in regexes:
                self._set.Add(regex)
            self._set.Compile()
        self._memo: dict[str, int] = {}

    def last_match(self, path: str) -> int:
        """Index of the last matching pattern, or -1."""
        found = self._memo.get(path)
        if found is None:
            found = self._memo[path] = self._search(path)
        return found

    def _search(self, path: str) -> int:
        best = -1
        parts = path.split("/")
        last = len(parts) - 1
        prefix = ""
        for depth, part in enumerate(parts):
            prefix = f"{prefix}/{part}" if depth else part
            is_dir = depth < last
            for i, dir_only in self._root.get(prefix, ()):
                if i > best and (is_dir or not dir_only):
                    best = i
            for i, dir_only in self._name.get(part, ()):
                if i > best and (is_dir or not dir_only):
                    best = i
        if self._set is not None:
            hits: Iterable[int] = self._set.Match(path)
            for hit in hits or ():
                i = self._regex_ids[hit]
                if i > best:
                    best = i
        return best
