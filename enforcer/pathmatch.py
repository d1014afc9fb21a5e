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

Ownership adds one rule (``last_match_as_dir``): something at a directory's
own path (a symlink, a submodule, a file) is owned as the directory is,
since git names it ``architect`` where ``architect/`` would not match it.
"""
from __future__ import annotations

import functools

import re2

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Iterable, Sequence
    from typing import Any

# (kind, key, dir_only) where kind is "root" (anchored literal), "name"
# (unanchored literal name) or "regex" (key is the regex).
Spec = tuple[str, str, bool]

_WILD = set("*?[\\")


def translate(pattern: str) -> Spec:
    """Classify one pattern; call at load time (imports pathspec only for wildcards)."""
    literal = _literal(pattern)
    if literal is not None:
        return literal
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

    regex, _include = GitIgnoreSpecPattern.pattern_to_regex(pattern)
    return ("regex", regex, pattern.endswith("/"))


def _literal(pattern: str) -> Spec | None:
    """The spec of a pattern without wildcards, or None."""
    core = pattern.strip("/")
    if not core or _WILD & set(core) or "//" in core:
        return None
    anchored = "/" in pattern.rstrip("/")
    return ("root" if anchored else "name", core, pattern.endswith("/"))


def anchored_literal(pattern: str) -> str | None:
    """The one path an anchored pattern without wildcards names (``/docs/api/`` -> ``docs/api``), else None."""
    spec = _literal(pattern)
    return spec[1] if spec is not None and spec[0] == "root" else None


LITERAL = ":(top,literal)"  # git pathspec magic: from the top, no wildcards


def pathspecs(pattern: str) -> tuple[str, ...] | None:
    """git pathspecs that match every path ``pattern`` matches, as a file or as a directory
    (they may match more), so that git can leave the rest out of a diff; None where only
    every path would do (an unanchored wildcard, a wildcard in the first segment)."""
    spec = _literal(pattern)
    if spec is not None:
        kind, key, _ = spec
        if kind == "root":  # a literal pathspec matches the path and everything under it
            return (LITERAL + key,)
        return (f":(top,glob)**/{key}", f":(top,glob)**/{key}/**")  # the name at any depth, and inside
    if "/" not in pattern.rstrip("/"):
        return None
    head: list[str] = []
    for segment in pattern.strip("/").split("/"):
        if not segment or _WILD & set(segment):
            break
        head.append(segment)
    return (LITERAL + "/".join(head),) if head else None


def may_match_inside(pattern: str, directory: str) -> bool:
    """Whether ``pattern`` may match some path inside ``directory`` (``a/b/``).

    The pattern's segments are compared with the directory's names, depth by
    depth (a glob segment is matched as git would). Where that cannot decide,
    the answer is True: an unanchored pattern matches at any depth, and
    ``**`` crosses any number of directories.
    """
    if "/" not in pattern.rstrip("/"):
        return True
    names = directory.strip("/").split("/")
    for segment, name in zip(pattern.strip("/").split("/"), names):
        if segment == "**" or not segment:
            return True
        if segment != name and not (_WILD & set(segment) and _segment_matches(segment, name)):
            return False
    return True  # the pattern reaches past the directory, or matches the directory itself


def _segment_matches(segment: str, name: str) -> bool:
    """Whether a glob segment (``svc-*``) matches one name, as git's rules do."""
    # the literal ends decide most cases, and compiling a regex costs far more than comparing
    special = [i for i, c in enumerate(segment) if c in "*?[]\\"]
    head, tail = segment[:special[0]], segment[special[-1] + 1:]
    if len(name) < len(head) + len(tail) or not (name.startswith(head) and name.endswith(tail)):
        return False
    return _segment_regex(segment).search(name) is not None


@functools.lru_cache(maxsize=4096)
def _segment_regex(segment: str) -> Any:
    """One glob segment, translated by pathspec as the whole patterns are."""
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

    regex, _include = GitIgnoreSpecPattern.pattern_to_regex("/" + segment)
    return re2.compile(regex)


def pattern_problem(pattern: str) -> str | None:
    """Why a pattern cannot be used for ownership, or None."""
    if pattern.startswith("!"):
        return "negated patterns ('!') have no meaning in ownership"
    if not pattern.strip("/"):
        return "the pattern is empty"
    try:
        kind, key, _ = translate(pattern)
    except ValueError as e:  # pathspec's GitIgnorePatternError (a ValueError) for a bad pattern
        return f"not a valid gitignore-style pattern: {e}"
    if kind == "regex" and key is None:  # pathspec's "null operation": git discards the pattern
        return "git ignores this pattern (an unclosed '[', or a comment), so it would own nothing"
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
        self._set = _regex_set(regexes)
        # the directory-only wildcards again, for last_match_as_dir (most policies have none)
        self._dir_ids = [i for i in self._regex_ids if specs[i][2]]
        self._dir_set = _regex_set([specs[i][1] for i in self._dir_ids])
        self._memo: dict[tuple[str, bool], int] = {}

    def last_match(self, path: str) -> int:
        """Index of the last pattern matching ``path`` (a file, or a directory if it ends with ``/``), or -1."""
        return self._lookup(path, False)

    def last_match_as_dir(self, path: str) -> int:
        """Index of the last pattern matching ``path`` as a file or as a directory, or -1.

        A gitlink or a symlink at ``architect`` stands where the directory
        would: ``architect/`` must own it (see issue 15, item 6).
        """
        return self._lookup(path, not path.endswith("/"))

    def _lookup(self, path: str, as_dir: bool) -> int:
        found = self._memo.get((path, as_dir))
        if found is None:
            found = self._memo[path, as_dir] = self._search(path, as_dir)
        return found

    def _search(self, path: str, as_dir: bool) -> int:
        best = -1
        parts = path.split("/")
        last = len(parts) - 1
        prefix = ""
        for depth, part in enumerate(parts):
            prefix = f"{prefix}/{part}" if depth else part
            is_dir = depth < last or as_dir
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
        if as_dir and self._dir_set is not None:  # a directory-only regex needs the slash after the name
            dir_hits: Iterable[int] = self._dir_set.Match(path + "/")
            for hit in dir_hits or ():
                best = max(best, self._dir_ids[hit])
        return best


def _regex_set(regexes: Sequence[str]) -> re2.Set | None:
    """One RE2 set that tests a path against every regex in a single pass."""
    if not regexes:
        return None
    options = re2.Options()
    options.log_errors = False
    options.max_mem = 1 << 30  # a large wildcard section needs a large DFA
    regex_set = re2.Set.SearchSet(options)
    for regex in regexes:
        regex_set.Add(regex)
    regex_set.Compile()
    return regex_set
