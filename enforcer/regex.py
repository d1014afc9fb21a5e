"""Linear-time regexes (RE2) for every pattern a policy supplies, and branch globs.

Policy regexes run against names chosen by whoever pushes; RE2 matches in
time linear in the input, so a pattern like ``(a+)+$`` cannot hang a hook.
"""
from __future__ import annotations

import functools

import re2

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from typing import Any

    Pattern = Any  # re2._Regexp; the stub-less module gives no public type

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # errors are reported by us, not printed to stderr by RE2


class RegexError(ValueError):
    pass


@functools.lru_cache(maxsize=4096)
def compile_regex(pattern: str) -> Pattern:
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as e:
        detail = e.args[0].decode() if e.args and isinstance(e.args[0], bytes) else str(e)
        if "perl operator" in detail or "backreference" in detail.lower():
            detail += " (lookarounds and backreferences are not supported: RE2 syntax, linear time)"
        raise RegexError(detail) from None


def glob_to_regex(glob: str) -> str:
    """``*`` stays within one ``/`` segment, ``**`` crosses segments, ``?`` is one character."""
    out: list[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re2.escape(glob[i]))
            i += 1
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def compile_glob(glob: str) -> Pattern:
    return compile_regex(glob_to_regex(glob))


def glob_matches(glob: str, name: str) -> bool:
    return compile_glob(glob).fullmatch(name) is not None


def is_literal_glob(glob: str) -> bool:
    return not any(c in glob for c in "*?")
