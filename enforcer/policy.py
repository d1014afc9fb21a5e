"""Load a policy file: read it safely, validate it, compile it, cache the result.

The hot path (every hook) is a cache hit: hash the file's bytes, read the
validated form with ``marshal``, build the immutable ``Policy``. YAML parsing,
JSON Schema validation and pattern translation happen only when the file
changed, so hooks never import ``jsonschema`` or ``pathspec``.
"""
from __future__ import annotations

import functools
import marshal
import os

try:  # hashlib would load OpenSSL first: milliseconds every hook pays
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - CPython builds _blake2 everywhere
    from hashlib import blake2b

from enforcer import __version__
from enforcer.errors import EnforcerError, PolicyError, Problem
from enforcer.pathmatch import PathIndex, Spec
from enforcer.regex import compile_glob, glob_matches
from enforcer.tuples import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any

    from enforcer.validate import Located

MAX_POLICY_BYTES = 1 << 20
CACHE_FORMAT = f"{__version__}-1"


class BranchRule(NamedTuple):
    position: int  # in its policy list
    match: str
    purpose: str
    push: tuple[str, ...]
    direct_commits: bool
    merge_from: tuple[str, ...] | None
    name: str | None
    force_push: bool
    delete: bool
    evaluate: bool

    @property
    def id(self) -> str:
        return f"branches[{self.position}]"

    def takes_from(self, source: str | None, branch: str) -> bool:
        """May a merge from branch ``source`` land on ``branch`` (one this rule decides)? From
        another branch that `merge_from` names, or any other where it names none."""
        return source is not None and source != branch and (
            self.merge_from is None or any(glob_matches(g, source) for g in self.merge_from))


class TagRule(NamedTuple):
    position: int  # in its policy list
    match: str
    purpose: str
    name: str | None
    annotated: bool
    create: tuple[str, ...]
    move: bool
    delete: bool
    evaluate: bool

    @property
    def id(self) -> str:
        return f"tags[{self.position}]"


class OwnerEntry(NamedTuple):
    position: int  # in its policy list
    path: str
    primary: str
    backup: str | None

    @property
    def id(self) -> str:
        return f"ownership[{self.position}]"

    @property
    def owners(self) -> tuple[str, ...]:
        return (self.primary, self.backup) if self.backup else (self.primary,)


class Environment(NamedTuple):
    name: str
    port: int
    data: str
    tags: str | None
    on_tag_push: bool
    after: str | None
    approve: tuple[str, ...]
    branch: str | None
    exclusive: bool


def parse_duration(value: str | int) -> int:
    """``30s``, ``10m``, ``4h``, ``2d``, ``1h30m`` or a bare number of seconds."""
    if isinstance(value, int):
        return value
    if value.isdigit():
        return int(value)
    total, number = 0, ""
    for char in value:
        if char.isdigit():
            number += char
        else:
            total += int(number) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[char]
            number = ""
    return total


class Policy:
    """A validated, compiled policy. Immutable by convention; safe to share."""

    def __init__(self, data: Mapping[str, Any], source: str, owner_specs: list[Spec]) -> None:
        self.source = source
        self.groups = _expand_groups(data.get("groups") or {})
        self.actors = frozenset().union(*self.groups.values()) if self.groups else frozenset()
        self.aliases: Mapping[str, str] = data.get("aliases") or {}
        self.has_branch_rules = "branches" in data
        self.has_tag_rules = "tags" in data
        self.branches = tuple(_branch_rule(i, r) for i, r in enumerate(data.get("branches") or ()))
        self.tags = tuple(_tag_rule(i, r) for i, r in enumerate(data.get("tags") or ()))
        self.ownership = tuple(
            OwnerEntry(i, e["path"], e["primary"], e.get("backup"))
            for i, e in enumerate(data.get("ownership") or ())
        )
        self._owner_specs = owner_specs
        self.environments = {
            name: Environment(name, e["port"], e["data"], e.get("tags"), e.get("on_tag_push", False),
                              e.get("after"), tuple(e.get("approve", ())), e.get("branch"),
                              e.get("exclusive", False))
            for name, e in (data.get("environments") or {}).items()
        }
        section = data.get("policy") or {}
        self.owners: tuple[str, ...] = tuple(section.get("owners", ()))
        self.break_glass: tuple[str, ...] = tuple(section.get("break_glass", ()))
        self.actor_from: tuple[str, ...] = tuple((data.get("server") or {}).get("actor_from", ()))
        self.claims_ttl = parse_duration((data.get("claims") or {}).get("ttl", "4h"))
        self.deploy: Mapping[str, Any] = data.get("deploy") or {}
        self.commands: Mapping[str, Any] = data.get("commands") or {}
        self.checks: Mapping[str, Any] = data.get("checks") or {}

    def check_commands(self, stage: str) -> tuple[tuple[str, ...], ...]:
        """``checks.<stage>`` as argv lists: a string entry is split by shell word rules, never run
        by a shell (POLICY.md, *checks*)."""
        import shlex

        return tuple(tuple(e) if isinstance(e, list) else tuple(shlex.split(e)) for e in self.checks.get(stage) or ())

    # -- who ---------------------------------------------------------------
    def members(self, names: Iterable[str]) -> frozenset[str]:
        """The actors a list of names stands for (groups expanded)."""
        out: set[str] = set()
        for name in names:
            name = name.removeprefix("@")
            out |= self.groups.get(name, {name})
        return frozenset(out)

    def allows(self, names: Iterable[str], actor: str | None) -> bool:
        return actor is not None and actor in self.members(names)

    # -- which rule --------------------------------------------------------
    def branch_rule(self, branch: str) -> BranchRule | None:
        return next((r for r in self.branches if compile_glob(r.match).fullmatch(branch)), None)

    def tag_rule(self, tag: str) -> TagRule | None:
        return next((r for r in self.tags if compile_glob(r.match).fullmatch(tag)), None)

    @functools.cached_property
    def _owners_of(self) -> dict[str, OwnerEntry | None]:
        return {}

    @functools.cached_property
    def _owner_index(self) -> PathIndex:
        return PathIndex(self._owner_specs)

    def owner_of(self, path: str) -> OwnerEntry | None:
        """The ownership entry that decides a path: the last one that matches.

        A path is matched as a file and as a directory, so that a symlink or a
        submodule at ``architect`` belongs to ``architect/``'s owners; a path
        ending with ``/`` is a directory.
        """
        cache = self._owners_of
        if path not in cache:  # a push of many refs asks about the same paths once per ref
            i = self._owner_index.last_match_as_dir(path)
            cache[path] = self.ownership[i] if i >= 0 else None
        return cache[path]


def _branch_rule(i: int, r: Mapping[str, Any]) -> BranchRule:
    merge_from = r.get("merge_from")
    return BranchRule(i, r["match"], r.get("purpose", ""), tuple(r.get("push", ())),
                      r.get("direct_commits", True), tuple(merge_from) if merge_from is not None else None,
                      r.get("name"), r.get("force_push", False), r.get("delete", False),
                      r.get("enforcement") == "evaluate")


def _tag_rule(i: int, r: Mapping[str, Any]) -> TagRule:
    return TagRule(i, r["match"], r.get("purpose", ""), r.get("name"), r.get("annotated", False),
                   tuple(r.get("create", ())), r.get("move", False), r.get("delete", False),
                   r.get("enforcement") == "evaluate")


def _expand_groups(groups: Mapping[str, list[str]]) -> dict[str, frozenset[str]]:
    """Each group's actors, with ``@group`` members expanded (cycles are cut: validation reports them)."""
    out: dict[str, frozenset[str]] = {}

    def expand(name: str, seen: frozenset[str]) -> frozenset[str]:
        if name in out:
            return out[name]
        actors: set[str] = set()
        for member in groups.get(name) or ():
            if member.startswith("@"):
                inner = member[1:]
                if inner not in seen and inner in groups:
                    actors |= expand(inner, seen | {inner})
            else:
                actors.add(member)
        return frozenset(actors)

    for name in groups:
        out[name] = expand(name, frozenset({name}))
    return out


# -- loading ----------------------------------------------------------------

def load_policy(path: str | os.PathLike[str], cache_dir: str | None = None) -> Policy:
    """Load and validate a policy file; raises PolicyError naming every problem."""
    path = os.fspath(path)
    try:
        size = os.stat(path).st_size
        if size > MAX_POLICY_BYTES:
            raise PolicyError([_too_big(path, size)])
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise EnforcerError(f"{path}: no such policy file (fix: create it, starting from the reference policy "
                            "enforcer/policies/examples/sop.yaml in the package, "
                            "or pass --policy FILE)") from None
    except IsADirectoryError:
        raise EnforcerError(f"{path}: is a directory, not a policy file") from None
    except PermissionError:
        raise EnforcerError(f"{path}: cannot be read (permission denied)") from None
    return load_policy_bytes(raw, path, cache_dir)


def load_policy_bytes(raw: bytes, name: str, cache_dir: str | None = None) -> Policy:
    key = blake2b(CACHE_FORMAT.encode() + b"\0" + raw, digest_size=32).hexdigest()
    cache_file = _cache_file(cache_dir, key)
    if cache_file is not None:
        try:
            with open(cache_file, "rb") as f:
                data, specs = marshal.load(f)
            return Policy(data, name, specs)
        except (OSError, EOFError, ValueError, TypeError):
            pass  # no cache entry, or a damaged one: load from the source
    data, problems = check_policy_bytes(raw, name)
    errors = [p for p in problems if not p.warning]
    if errors:
        raise PolicyError(errors)
    specs = _owner_specs(data)
    if cache_file is not None:
        _write_cache(cache_file, (data, specs))
    return Policy(data, name, specs)


def default_cache_dir() -> str:
    explicit = os.environ.get("ENFORCER_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "enforcer")


def _cache_file(cache_dir: str | None, key: str) -> str | None:
    if cache_dir == "":
        return None
    return os.path.join(cache_dir or default_cache_dir(), f"policy-{key}.marshal")


def _write_cache(cache_file: str, value: Any) -> None:
    """Best effort: a cache that cannot be written only costs time."""
    try:
        os.makedirs(os.path.dirname(cache_file), exist_ok=True)
        tmp = f"{cache_file}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            marshal.dump(value, f)
        os.replace(tmp, cache_file)
    except OSError:
        pass


def _owner_specs(data: Mapping[str, Any]) -> list[Spec]:
    from enforcer.pathmatch import translate

    return [translate(e["path"]) for e in data.get("ownership") or ()]


def _too_big(name: str, size: int) -> Problem:
    return Problem(name, 0, 0, "", f"the policy file is {size / 1e6:.1f} MB; the limit is "
                   f"{MAX_POLICY_BYTES // (1 << 20)} MB", "a policy is a page of rules: remove what was "
                   "pasted in by mistake")


def check_policy_bytes(raw: bytes, name: str, then: Callable[[dict[str, Any], Located], None] | None = None
                       ) -> tuple[dict[str, Any], list[Problem]]:
    """Every problem of a policy file (errors and warnings), and its data when it parsed.
    Its `tests:` run only through enforcer.selftest.check_policy_bytes (``then``)."""
    from enforcer.validate import check

    if len(raw) > MAX_POLICY_BYTES:
        return {}, [_too_big(name, len(raw))]
    return check(raw, name, then)

