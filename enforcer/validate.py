"""Every problem of a policy file at once, each with file:line:column, field path and fix.

Only run when a policy changed (the loader caches what passed), so this
module may import what it likes: PyYAML's composer for positions,
jsonschema for the schema.
"""
from __future__ import annotations

import difflib
import json
from importlib import resources
from typing import Any, Iterator, Mapping

import yaml

from enforcer.errors import Problem
from enforcer.regex import RegexError, compile_glob, compile_regex, is_literal_glob

Path = tuple[Any, ...]
MAX_VALUES = 100_000  # YAML aliases can make a small file expand without bound


def load_schema() -> dict[str, Any]:
    return json.loads(resources.files("enforcer.policies").joinpath("schema.json").read_text())


def field_path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class Located:
    """A policy's data with the line and column of every value and key."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.values: dict[Path, tuple[int, int]] = {}
        self.keys: dict[Path, tuple[int, int]] = {}
        self.problems: list[Problem] = []

    def problem(self, path: Path, message: str, fix: str = "", *, key: bool = False,
                warning: bool = False) -> None:
        line, column = self.where(path, key=key)
        self.problems.append(Problem(self.name, line, column, field_path(path), message, fix, warning))

    def where(self, path: Path, key: bool = False) -> tuple[int, int]:
        table = self.keys if key and path in self.keys else self.values
        while path not in table and path:
            path = path[:-1]
        return table.get(path, (0, 0))


def check(raw: bytes, name: str) -> tuple[dict[str, Any], list[Problem]]:
    doc = Located(name)
    data = _parse(raw, doc)
    if data is None:
        return {}, doc.problems
    if not isinstance(data, dict):
        doc.problem((), "the policy must be a mapping of sections (version:, branches:, ...)",
                     "start from the reference policy: enforcer/policies/examples/sop.yaml in the package")
        return {}, doc.problems
    if doc.problems:  # keys that are not strings: the rest would only repeat them
        return data, doc.problems
    _check_schema(data, doc)
    Semantics(data, doc).run()
    if not any(not p.warning for p in doc.problems):
        _run_self_tests(data, doc)
    return data, doc.problems


# -- YAML -------------------------------------------------------------------

def _parse(raw: bytes, doc: Located) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        doc.problems.append(Problem(doc.name, line, column, "", f"not UTF-8 (byte 0x{raw[e.start]:02x})",
                                    "save the file as UTF-8"))
        return None
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            doc.problems.append(Problem(doc.name, 1, 1, "", "the file is empty", "add `version: 1` and rules"))
            return None
        if _expanded_size(node, {}) > MAX_VALUES:
            doc.problems.append(Problem(doc.name, 1, 1, "", f"YAML aliases expand to over {MAX_VALUES} values",
                                        "write the policy without recursive anchors"))
            return None
        _index(node, (), doc, set())
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = " ".join(str(x) for x in (e.context, e.problem) if x)
        doc.problems.append(Problem(doc.name, line, column, "", f"invalid YAML: {what}",
                                    "fix the syntax at this line (indentation, quotes, a missing ':')"))
    except yaml.YAMLError as e:
        doc.problems.append(Problem(doc.name, 0, 0, "", f"invalid YAML: {e}", "fix the YAML syntax"))
    except RecursionError:
        doc.problems.append(Problem(doc.name, 0, 0, "", "the YAML nests too deeply", "flatten it"))
    finally:
        loader.dispose()
    return None


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    if id(node) in memo:
        return memo[id(node)]
    memo[id(node)] = 1  # a node that contains itself counts once
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(v, memo) for v in node.value)
    else:
        size = 1
    memo[id(node)] = min(size, MAX_VALUES + 1)
    return memo[id(node)]


def _index(node: yaml.Node, path: Path, doc: Located, seen: set[int]) -> None:
    doc.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        names: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            here = path + (key,)
            doc.keys.setdefault(here, (key_node.start_mark.line + 1, key_node.start_mark.column + 1))
            if key_node.tag != "tag:yaml.org,2002:str" or key == "<<":
                doc.problem(here, f"the key {key!r} is not a plain string (YAML reads it as "
                            f"{key_node.tag.rsplit(':', 1)[-1]})", f"quote it: '{key}'", key=True)
            elif key in names:
                doc.keys[here] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                doc.problem(here, f"{key!r} appears twice in this mapping; YAML would keep only the last",
                            "merge the two into one", key=True)
            names.add(key)
            _index(value_node, here, doc, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, path + (i,), doc, seen)


# -- schema -----------------------------------------------------------------

def _check_schema(data: dict[str, Any], doc: Located) -> None:
    import jsonschema

    schema = load_schema()
    validator = jsonschema.Draft202012Validator(schema)
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = tuple(error.absolute_path)
        kind = error.validator
        if kind == "additionalProperties":
            known = sorted(error.schema.get("properties", {}))
            for extra in sorted(set(error.instance) - set(known)):
                doc.problem(path + (extra,), f"unknown field {extra!r}",
                            _did_you_mean(extra, known, f"remove it; known fields: {', '.join(known)}"),
                            key=True)
        elif kind == "required":
            missing = [f for f in error.validator_value if f not in error.instance]
            for field in missing:
                doc.problem(path, f"missing required field {field!r}", f"add `{field}:`")
        elif kind == "enum":
            choices = ", ".join(map(str, error.validator_value))
            doc.problem(path, f"{error.instance!r} is not allowed here", f"use one of: {choices}")
        elif kind == "const":
            doc.problem(path, f"{error.instance!r} is not supported", f"write {error.validator_value!r}")
        elif kind == "type":
            doc.problem(path, f"{_show(error.instance)} is not {_article(error.validator_value)}",
                        _type_fix(path, error.instance, error.validator_value))
        elif kind == "oneOf" and path and path[-1] in ("ttl", "timeout"):
            doc.problem(path, f"{error.instance!r} is not a duration",
                        "write a duration like 30s, 10m, 4h, 2d, 1h30m, or a number of seconds")
        elif kind == "oneOf" and len(path) == 2 and path[0] == "tests":
            doc.problem(path, "a test names exactly one of `push:` or `tag:`", "give one of them")
        else:
            doc.problem(path, error.message, "see `enforcer schema` for what this field takes")


def _show(value: Any) -> str:
    return "null (empty)" if value is None else repr(value)


def _article(types: Any) -> str:
    names = {"array": "a list", "object": "a mapping", "string": "a string", "integer": "a whole number",
             "boolean": "true or false", "number": "a number", "null": "null"}
    if isinstance(types, list):
        return " or ".join(str(names.get(t, t)) for t in types)
    return names.get(types, types)


def _type_fix(path: Path, value: Any, types: Any) -> str:
    """A string where a list belongs (`push: managers`) gets the line to write instead."""
    wants_list = types == "array" or (isinstance(types, list) and "array" in types)
    if wants_list and isinstance(value, str) and path and isinstance(path[-1], str):
        parts = value.split(",") if "," in value else [value]
        if all(_plain(p.strip()) for p in parts):  # `a, b` was meant as two names
            items = ", ".join(p.strip() for p in parts)
        else:
            items = _quoted(value)
        return f"write a list: `{path[-1]}: [{items}]`"
    return f"write {_article(types)} here"


def _plain(text: str) -> bool:
    return bool(text) and all(c.isalnum() or c in "-_./" for c in text)


def _quoted(text: str) -> str:
    return text if _plain(text) else "'" + text.replace("'", "''") + "'"


def _items(value: Any) -> list[Any]:
    """A list field's items; anything else (the schema has said so) gives none, never its letters."""
    return value if isinstance(value, list) else []


def _did_you_mean(name: str, known: list[str], otherwise: str) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f"did you mean {close[0]!r}?" if close else otherwise


# -- semantics --------------------------------------------------------------

class Semantics:
    """Checks the schema cannot express: names, cycles, regexes, conflicts, shadowing."""

    def __init__(self, data: dict[str, Any], doc: Located) -> None:
        self.data = data
        self.doc = doc
        groups = data.get("groups")
        self.groups: dict[str, list[str]] = {
            g: [members] if isinstance(members, str)  # `g: name`: the schema says so; know the name
            else [m for m in _items(members) if isinstance(m, str)]
            for g, members in groups.items()} if isinstance(groups, dict) else {}
        self.actors = {m for members in self.groups.values() for m in members if not m.startswith("@")}
        self.known = sorted(set(self.groups) | self.actors)

    def run(self) -> None:
        for check in (self.check_groups, self.check_names, self.check_branches, self.check_tags,
                      self.check_ownership, self.check_environments, self.check_commands, self.check_deploy):
            try:
                check()
            except (TypeError, AttributeError, KeyError, ValueError):
                pass  # a section of the wrong shape: the schema has already said so

    def check_groups(self) -> None:
        for group, members in self.data["groups"].items() if self.groups else ():
            for i, member in enumerate(_items(members)):
                if not isinstance(member, str):
                    continue
                inner = member[1:] if member.startswith("@") else None
                if inner is not None and inner not in self.groups:
                    self.doc.problem(("groups", group, i), f"unknown group {member!r}",
                                     _did_you_mean(inner, sorted(self.groups), "define the group or remove it"))
                elif inner is None and member in self.groups:  # a member names actors, not groups
                    self.doc.problem(("groups", group, i),
                                     f"{member!r} is also a group, but without @ it names an actor called "
                                     f"{member!r}, not the group's members",
                                     f"write '@{member}' to include the group", warning=True)
        for cycle in _group_cycles(self.groups):
            self.doc.problem(("groups", cycle[0]), f"groups include each other: {' -> '.join(cycle)}",
                             "remove one of the @group members to break the cycle")

    def _name(self, path: Path, name: object) -> None:
        if not isinstance(name, str):
            return  # the schema has said what it should be
        plain = name.removeprefix("@")
        if plain not in self.groups and plain not in self.actors:
            self.doc.problem(path, f"unknown actor or group {name!r}",
                             _did_you_mean(plain, self.known, "add it to a group under `groups:`"))

    def _names(self, path: Path, names: object) -> None:
        for i, name in enumerate(_items(names)):
            self._name(path + (i,), name)

    def check_names(self) -> None:
        d = self.data
        for alias, actor in (d.get("aliases") or {}).items():
            self._name(("aliases", alias), actor)
        for i, rule in enumerate(d.get("branches") or ()):
            self._names(("branches", i, "push"), rule.get("push"))
        for i, rule in enumerate(d.get("tags") or ()):
            self._names(("tags", i, "create"), rule.get("create"))
        for i, entry in enumerate(d.get("ownership") or ()):
            for field in ("primary", "backup"):
                if field in entry:
                    self._name(("ownership", i, field), entry[field])
        for env, spec in (d.get("environments") or {}).items():
            self._names(("environments", env, "approve"), spec.get("approve"))
        for field in ("owners", "break_glass"):
            self._names(("policy", field), (d.get("policy") or {}).get(field))
        for i, role in enumerate((d.get("commands") or {}).get("roles") or ()):
            self._names(("commands", "roles", i, "who"), role.get("who"))
        if "actor" in (d.get("deploy") or {}):
            self._name(("deploy", "actor"), d["deploy"]["actor"])

    def _regex(self, path: Path, pattern: str) -> bool:
        try:
            compile_regex(pattern)
            return True
        except RegexError as e:
            self.doc.problem(path, f"invalid regex {pattern!r}: {e}", "fix the regex (RE2 syntax)")
            return False

    def _rules(self, section: str) -> None:
        rules = self.data.get(section) or ()
        for i, rule in enumerate(rules):
            if rule.get("name") is not None:
                self._regex((section, i, "name"), rule["name"])
            match = rule["match"]
            try:
                compile_glob(match)
            except RegexError as e:
                self.doc.problem((section, i, "match"), f"invalid glob {match!r}: {e}", "fix the glob")
                continue
            for j in range(i):
                earlier = rules[j]["match"]
                if earlier == "**" or earlier == match or (
                        is_literal_glob(match) and compile_glob(earlier).fullmatch(match)):
                    self.doc.problem((section, i, "match"),
                                     f"this rule can never apply: {section}[{j}] (match {earlier!r}) comes "
                                     "first and covers every name it matches",
                                     f"move it above {section}[{j}], or remove it")
                    break

    def check_branches(self) -> None:
        self._rules("branches")
        for i, rule in enumerate(self.data.get("branches") or ()):
            for k, glob in enumerate(_items(rule.get("merge_from"))):
                try:
                    compile_glob(glob)
                except RegexError as e:
                    self.doc.problem(("branches", i, "merge_from", k), f"invalid glob {glob!r}: {e}",
                                     "fix the glob")

    def check_tags(self) -> None:
        self._rules("tags")

    def check_ownership(self) -> None:
        from enforcer.pathmatch import pattern_problem, translate

        seen: dict[Any, int] = {}
        for i, entry in enumerate(self.data.get("ownership") or ()):
            path = entry["path"]
            problem = pattern_problem(path)
            if problem:
                self.doc.problem(("ownership", i, "path"), f"{path!r}: {problem}",
                                 "write a gitignore-style path such as docs/ or src/**/*.py")
                continue
            key = translate(path)
            if key in seen:
                self.doc.problem(("ownership", i, "path"),
                                 f"{path!r} is already owned by ownership[{seen[key]}]; only the last would count",
                                 "merge the two entries into one")
            seen[key] = i
            if entry.get("backup") is not None and entry.get("backup") == entry["primary"]:
                self.doc.problem(("ownership", i, "backup"), "backup is the same actor as primary",
                                 "name another actor as backup, or leave backup out")

    def check_environments(self) -> None:
        envs: dict[str, dict[str, Any]] = self.data.get("environments") or {}
        ports: dict[int, str] = {}
        dirs: dict[str, str] = {}
        for name, env in envs.items():
            here = ("environments", name)
            port = env["port"]
            if port in ports:
                self.doc.problem(here + ("port",), f"port {port} is also used by environment {ports[port]!r}",
                                 "give each environment its own port")
            ports.setdefault(port, name)
            data_dir = _norm_dir(env["data"])
            if data_dir in dirs:
                self.doc.problem(here + ("data",), f"data dir {env['data']!r} is also used by environment "
                                 f"{dirs[data_dir]!r}", "give each environment its own data dir")
            dirs.setdefault(data_dir, name)
            if env.get("tags") is not None:
                self._regex(here + ("tags",), env["tags"])
            after = env.get("after")
            if after is not None and after not in envs:
                self.doc.problem(here + ("after",), f"unknown environment {after!r}",
                                 _did_you_mean(after, sorted(envs), "name an environment defined here"))
            elif after == name:
                self.doc.problem(here + ("after",), "an environment cannot come after itself",
                                 "name another environment")
        for cycle in _after_cycles(envs):
            self.doc.problem(("environments", cycle[0], "after"),
                             f"environments wait on each other: {' -> '.join(cycle)}", "break the cycle")

    def check_commands(self) -> None:
        commands = self.data.get("commands") or {}
        sections: list[tuple[Path, Mapping[str, Any]]] = [(("commands",), commands)]
        sections += [(("commands", "roles", i), role) for i, role in enumerate(commands.get("roles") or ())]
        for base, section in sections:
            for verdict in ("allow", "ask", "deny"):
                for i, pattern in enumerate(_items(section.get(verdict))):
                    here = base + (verdict, i)
                    if self._regex(here, pattern) and verdict == "allow":
                        for warning, fix in _wide_pattern_warnings(pattern):
                            self.doc.problem(here, warning, fix, warning=True)

    def check_deploy(self) -> None:
        command = (self.data.get("deploy") or {}).get("command")
        for i, arg in enumerate(_items(command)):
            try:
                arg.format(env="", tag="", port="", data="")
            except (KeyError, IndexError, ValueError) as e:
                self.doc.problem(("deploy", "command", i), f"unknown placeholder in {arg!r}: {e}",
                                 "use only {env}, {tag}, {port} and {data}")


def _norm_dir(path: str) -> str:
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts)


def _group_cycles(groups: Mapping[str, list[str] | None]) -> Iterator[list[str]]:
    edges = {g: [m[1:] for m in members or () if m.startswith("@") and m[1:] in groups]
             for g, members in groups.items()}
    yield from _cycles(edges)


def _after_cycles(envs: Mapping[str, Mapping[str, Any]]) -> Iterator[list[str]]:
    edges = {n: [e["after"]] if e.get("after") in envs and e.get("after") != n else [] for n, e in envs.items()}
    yield from _cycles(edges)


def _cycles(edges: Mapping[str, list[str]]) -> Iterator[list[str]]:
    """Each cycle once, as a path that returns to its start."""
    reported: set[frozenset[str]] = set()
    for start in edges:
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in edges.get(node, ()):
                if nxt == start:
                    members = frozenset(trail)
                    if members not in reported:
                        reported.add(members)
                        yield trail + [start]
                elif nxt not in trail:
                    stack.append((nxt, trail + [nxt]))


def _wide_pattern_warnings(pattern: str) -> Iterator[tuple[str, str]]:
    """An `allow` regex that probably matches more than meant."""
    import re

    for alternative in _top_level_alternatives(pattern):
        word = re.fullmatch(r"\^([A-Za-z0-9_.-]+)", alternative)
        if word:
            w = word.group(1)
            yield (f"{alternative!r} also matches longer command words ({w}x, {w}-anything)",
                   f"delimit the word: ^{w}(\\s|$)")
        option = re.search(r"(?:^|\s)(--?[A-Za-z][A-Za-z0-9-]*)$", alternative)
        if option:
            o = option.group(1)
            yield (f"{alternative!r} matches the option {o} by prefix ({o}x, {o}-anything too)",
                   f"delimit it: {o}(\\s|=|$)")


def _top_level_alternatives(pattern: str) -> list[str]:
    parts, depth, start, escaped = [], 0, 0, False
    for i, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    return parts + [pattern[start:]]


# -- self-tests ---------------------------------------------------------------

def _run_self_tests(data: dict[str, Any], doc: Located) -> None:
    if not data.get("tests"):
        return
    from enforcer.engine import decide
    from enforcer.pathmatch import translate
    from enforcer.policy import Policy
    from enforcer.selftest import readable, request_for

    policy = Policy(data, doc.name, [translate(e["path"]) for e in data.get("ownership") or ()])
    for i, test in enumerate(data["tests"]):
        decision = decide(policy, request_for(test))
        checks = sorted({v.check for v in decision.violations})
        got = "allow" if decision.allowed else "deny"
        if got != test["expect"]:
            why = "; ".join(f"{v.rule} {v.check}: {v.reason}" for v in decision.violations) or "no rule refused it"
            doc.problem(("tests", i), f"self-test failed: expected {test['expect']}, got {got} ({readable(why)})",
                        "fix the rules, or the test if the rules are right")
        elif "violations" in test and sorted(set(test["violations"])) != checks:
            doc.problem(("tests", i), f"self-test failed: expected violations {sorted(test['violations'])}, "
                        f"got {checks}", "fix the rules, or the test if the rules are right")

