"""Every problem of a policy file at once, each with file:line:column, field path and fix.

Only run when a policy changed (the loader caches what passed), so this
module may import what it likes: PyYAML's composer for positions,
jsonschema for the schema.
"""
from __future__ import annotations

import difflib
import json
from importlib import resources
from typing import Any, Callable, Iterator, Mapping

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


def check(raw: bytes, name: str, then: Callable[[dict[str, Any], Located], None] | None = None
          ) -> tuple[dict[str, Any], list[Problem]]:
    """Every problem of a policy file, and its data. ``then``: more checks for a policy with
    no error (enforcer.selftest runs its `tests:` through the core, which this module,
    imported by the policy loader, must not import)."""
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
    Semantics(data, doc, _check_schema(data, doc)).run()
    if then is not None and not any(not p.warning for p in doc.problems):
        then(data, doc)
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

def _check_schema(data: dict[str, Any], doc: Located) -> set[Path]:
    """Report what the schema rejects; return where: the values the semantic checks must not read."""
    import jsonschema

    schema = load_schema()
    validator = jsonschema.Draft202012Validator(schema)
    rejected: set[Path] = set()
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = tuple(error.absolute_path)
        kind = error.validator
        if kind not in ("additionalProperties", "required"):  # those two leave the other fields sound
            rejected.add(path)
        if kind == "additionalProperties":
            known = sorted(error.schema.get("properties", {}))
            for extra in sorted(set(error.instance) - set(known)):
                rejected.add(path + (extra,))
                doc.problem(path + (extra,), f"unknown field {extra!r}",
                            _did_you_mean(extra, known, f"remove it; known fields: {', '.join(known)}"),
                            key=True)
        elif kind == "required":
            missing = [f for f in error.validator_value if f not in error.instance]
            for field in missing:
                rejected.add(path + (field,))
                doc.problem(path, f"missing required field {field!r}", f"add `{field}:`")
        elif kind == "enum":
            choices = ", ".join(map(str, error.validator_value))
            doc.problem(path, f"{error.instance!r} is not allowed here", f"use one of: {choices}")
        elif kind == "const":
            doc.problem(path, f"{error.instance!r} is not supported", f"write {error.validator_value!r}")
        elif kind == "type":
            doc.problem(path, f"{_show(error.instance)} is not {_article(error.validator_value)}",
                        _type_fix(path, error.instance, error.validator_value))
        elif kind in ("pattern", "maxLength") and path == ("environments",):  # propertyNames: a name
            doc.problem(path + (str(error.instance),), f"environment name {error.instance!r}: an environment's name "
                        "names refs, logs and locks", "use letters, digits, '_', '.' and '-' (starting with a "
                        "letter or digit), at most 100", key=True)
        elif kind == "oneOf" and path and path[-1] in ("ttl", "timeout"):
            doc.problem(path, f"{error.instance!r} is not a duration",
                        "write a duration like 30s, 10m, 4h, 2d, 1h30m, or a number of seconds")
        elif kind == "oneOf" and len(path) == 2 and path[0] == "tests":
            if isinstance(error.instance, dict):  # anything else: its type error says what to write
                doc.problem(path, *_test_kind_problem(error.instance))
        else:
            doc.problem(path, error.message, "see `enforcer schema` for what this field takes")
    return rejected


TEST_KINDS = ("push", "tag", "command", "edit", "deploy")
TEST_FORMS = "push: BRANCH, tag: NAME, command: LINE, edit: PATH, or deploy: ENV with tag: TAG"
# the fields a `deploy:` test takes, and those only it takes
DEPLOY_TEST_FIELDS = ("actor", "deploy", "tag", "after_ok", "approved_by", "rollback", "checks_failed", "expect",
                      "violations")
DEPLOY_ONLY_FIELDS = ("after_ok", "approved_by", "rollback", "checks_failed")
# every field some test takes (the schema's); and what a deploy command's arguments may name
TEST_FIELDS = ("actor", "expect", "violations", "push", "merge", "create", "force", "delete", "paths", "tag",
               "annotated", "move", "command", "edit", "deploy") + DEPLOY_ONLY_FIELDS
DEPLOY_PLACEHOLDERS = ("env", "tag", "port", "data")


def _test_kind_problem(test: Mapping[str, Any]) -> tuple[str, str]:
    """What is wrong with a test that names no request, or more than one."""
    if "deploy" in test and "tag" not in test:
        return ("a deploy test names the tag it deploys",
                f"add `tag: TAG` beside `deploy: {test['deploy']}` (e.g. tag: v1.0.0)")
    kinds = [k for k in TEST_KINDS if k in test and not (k == "tag" and "deploy" in test)]
    if not kinds:
        return "a test names no request", f"give exactly one of: {TEST_FORMS}"
    return (f"a test names {' and '.join(f'`{k}:`' for k in kinds)}; each test is one request",
            f"split it into one test per request ({TEST_FORMS})")


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
    """Checks the schema cannot express: names, cycles, regexes, conflicts, shadowing.

    They read only what the schema accepted (``at``, ``under``): a value of the wrong shape
    has been reported already, and anything a check raises is a bug, never a pass.
    """

    def __init__(self, data: dict[str, Any], doc: Located, rejected: set[Path] | None = None) -> None:
        self.data = data
        self.doc = doc
        self.rejected = set(rejected or ())
        groups = data.get("groups")
        self.groups: dict[str, list[str]] = {
            g: [members] if isinstance(members, str)  # `g: name`: the schema says so; know the name
            else [m for m in _items(members) if isinstance(m, str)]
            for g, members in groups.items()} if isinstance(groups, dict) else {}
        self.actors = {m for members in self.groups.values() for m in members if not m.startswith("@")}
        self.known = sorted(set(self.groups) | self.actors)

    def run(self) -> None:
        self.check_text()  # first: it rejects what the others must not read
        for check in (self.check_groups, self.check_names, self.check_branches, self.check_tags,
                      self.check_ownership, self.check_environments, self.check_commands, self.check_deploy,
                      self.check_server, self.check_tests):
            check()  # no except: a check that raises is a bug (exit 4), and must not let a policy pass

    def at(self, *path: Any) -> Any:
        """The value at ``path``; None where it is absent, or where the schema rejected it or a
        value above it. Below an accepted value the schema's shapes hold, so checks may rely on them."""
        if any(path[:len(bad)] == bad for bad in self.rejected):
            return None
        value: Any = self.data
        for key in path:
            if value is None:
                return None
            value = value.get(key) if isinstance(value, dict) else value[key]
        return value

    def under(self, *path: Any) -> Iterator[tuple[Any, Any]]:
        """(key or index, value) of the mapping or list at ``path``, if the schema accepted it;
        read each child through ``at``, since a child of the wrong shape is not left out here."""
        value = self.at(*path)
        if isinstance(value, dict):
            yield from value.items()
        elif isinstance(value, list):
            yield from enumerate(value)

    def check_text(self) -> None:
        """A string YAML built from a lone surrogate escape ("\\ud800") is no text: RE2, git and
        the terminal cannot take it. The schema does not see it; report it and read it no more."""
        for path, text in _strings(self.data, ()):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as e:
                self.rejected.add(path)
                self.doc.problem(path, f"{text!r} holds {text[e.start]!r}, half of a UTF-16 pair, which is "
                                 "not a character", "write the character itself, or its \\U escape")

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

    def _name(self, path: Path) -> None:
        name = self.at(*path)
        if name is None:
            return  # absent, or the schema has said what it should be
        plain = name.removeprefix("@")
        if plain not in self.groups and plain not in self.actors:
            self.doc.problem(path, f"unknown actor or group {name!r}",
                             _did_you_mean(plain, self.known, "add it to a group under `groups:`"))

    def _names(self, path: Path) -> None:
        for i, _ in self.under(*path):
            self._name(path + (i,))

    def check_names(self) -> None:
        for alias, _ in self.under("aliases"):
            self._name(("aliases", alias))
        for i, _ in self.under("branches"):
            self._names(("branches", i, "push"))
        for i, _ in self.under("tags"):
            self._names(("tags", i, "create"))
        for i, _ in self.under("ownership"):
            for field in ("primary", "backup"):
                self._name(("ownership", i, field))
        for env, _ in self.under("environments"):
            self._names(("environments", env, "approve"))
        for field in ("owners", "break_glass"):
            self._names(("policy", field))
        for i, _ in self.under("commands", "roles"):
            self._names(("commands", "roles", i, "who"))
        self._name(("deploy", "actor"))

    def _regex(self, path: Path, pattern: str) -> bool:
        try:
            compile_regex(pattern)
            return True
        except RegexError as e:
            self.doc.problem(path, f"invalid regex {pattern!r}: {e}", "fix the regex (RE2 syntax)")
            return False

    def _rules(self, section: str) -> None:
        earlier: list[tuple[int, str]] = []  # (index, match) of the rules with a usable glob so far
        for i, _ in self.under(section):
            name = self.at(section, i, "name")
            if name is not None:
                self._regex((section, i, "name"), name)
            match = self.at(section, i, "match")
            if match is None:
                continue
            try:
                compile_glob(match)
            except RegexError as e:
                self.doc.problem((section, i, "match"), f"invalid glob {match!r}: {e}", "fix the glob")
                continue
            for j, before in earlier:
                if before == "**" or before == match or (
                        is_literal_glob(match) and compile_glob(before).fullmatch(match)):
                    self.doc.problem((section, i, "match"),
                                     f"this rule can never apply: {section}[{j}] (match {before!r}) comes "
                                     "first and covers every name it matches",
                                     f"move it above {section}[{j}], or remove it")
                    break
            earlier.append((i, match))

    def check_branches(self) -> None:
        self._rules("branches")
        for i, _ in self.under("branches"):
            for k, _ in self.under("branches", i, "merge_from"):
                glob = self.at("branches", i, "merge_from", k)
                if glob is None:
                    continue
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
        for i, _ in self.under("ownership"):
            path = self.at("ownership", i, "path")
            if path is None:
                continue
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
            backup = self.at("ownership", i, "backup")
            if backup is not None and backup == self.at("ownership", i, "primary"):
                self.doc.problem(("ownership", i, "backup"), "backup is the same actor as primary",
                                 "name another actor as backup, or leave backup out")

    def check_environments(self) -> None:
        """Each environment is isolated (its own port, a data dir neither equal to nor nested in
        another's: the SOP's one port and one database per environment); `after` names another."""
        names = [name for name, _ in self.under("environments")]
        afters: dict[str, str | None] = {}
        ports: dict[int, str] = {}
        dirs: list[tuple[str, str, str]] = []  # (environment, data as written, normalised)
        for name in names:
            here = ("environments", name)
            port = self.at(*here, "port")
            if port is not None:
                if port in ports:
                    taken = {self.at("environments", n, "port") for n in names}
                    free = next((p for span in (range(port + 1, 65536), range(1, port)) for p in span
                                 if p not in taken), None)
                    self.doc.problem(here + ("port",), f"port {port} is also used by environment "
                                     f"{ports[port]!r}: environments {ports[port]!r} and {name!r} would "
                                     "listen on the same port",
                                     f"give {name!r} a port of its own"
                                     + (f", e.g. port: {free}" if free is not None else ""))
                ports.setdefault(port, name)
            data = self.at(*here, "data")
            if data is not None:
                mine = _norm_dir(data)
                for other, theirs_written, theirs in dirs:
                    relation = _nesting(mine, theirs)
                    if relation:
                        self.doc.problem(here + ("data",), f"data dir {data!r} {relation} the data dir "
                                         f"{theirs_written!r} of environment {other!r}: environments "
                                         f"{other!r} and {name!r} would share data",
                                         f"give {name!r} a data dir of its own, neither inside another "
                                         f"environment's nor holding one (e.g. data: {name}_data/)")
                        break
                dirs.append((name, data, mine))
            tags = self.at(*here, "tags")
            if tags is not None:
                self._regex(here + ("tags",), tags)
            after = afters[name] = self.at(*here, "after")
            if after is not None and after not in names:
                self.doc.problem(here + ("after",), f"unknown environment {after!r}: {name!r} would wait on an "
                                 "environment that does not exist",
                                 _did_you_mean(after, sorted(names), "name one of the environments defined "
                                               f"here: {', '.join(n for n in names if n != name) or 'none'}"))
            elif after == name:
                self.doc.problem(here + ("after",), f"{name!r} comes after itself: no tag could ever deploy "
                                 "there", "name the environment a tag must deploy to first, or remove `after`")
        for cycle in _after_cycles(afters):
            self.doc.problem(("environments", cycle[0], "after"),
                             f"environments wait on each other: {' -> '.join(cycle)}", "break the cycle")

    def check_commands(self) -> None:
        sections: list[Path] = [("commands",)] + [("commands", "roles", i) for i, _ in self.under("commands", "roles")]
        for base in sections:
            for verdict in ("allow", "ask", "deny"):
                for i, _ in self.under(*base, verdict):
                    here = base + (verdict, i)
                    pattern = self.at(*here)
                    if pattern is not None and self._regex(here, pattern) and verdict == "allow":
                        for warning, fix in _wide_pattern_warnings(pattern):
                            self.doc.problem(here, warning, fix, warning=True)

    def check_server(self) -> None:
        """git sets GIT_* variables in a hook from what the client sends (GIT_PUSH_OPTION_0 from
        `git push -o`, GIT_PROTOCOL): a pusher could name itself with one."""
        for i, name in self.under("server", "actor_from"):
            if isinstance(name, str) and name.startswith("GIT_"):
                self.doc.problem(("server", "actor_from", i), f"{name} is set by git from what the pusher sends, "
                                 "so a pusher could name itself with it",
                                 "name the variable your hosting server sets for the authenticated user "
                                 "(REMOTE_USER, GL_USERNAME, GITEA_PUSHER_NAME, GL_USER)")

    def check_deploy(self) -> None:
        """Each `deploy.command` argument may hold {env}, {tag}, {port}, {data}, and no other brace:
        the runner replaces those four words as they are, so any other `{...}` (a typo such as
        {version}, a format spec, an escape such as {{) would reach the command unreplaced."""
        import re

        for i, _ in self.under("deploy", "command"):
            arg = self.at("deploy", "command", i)
            if arg is None:
                continue
            rest = re.sub("|".join(re.escape("{" + p + "}") for p in DEPLOY_PLACEHOLDERS), "", arg)
            if "{" not in rest and "}" not in rest:
                continue
            unknown = re.search(r"\{[^{}]*\}", rest)
            what = (f"unknown placeholder {unknown.group()} in {arg!r}" if unknown
                    else f"{arg!r} holds a brace that starts or ends no placeholder")
            self.doc.problem(("deploy", "command", i), what,
                             "use only {env}, {tag}, {port} and {data}; a command that needs other braces "
                             "belongs in a script the command runs")

    def check_tests(self) -> None:
        """A `deploy:` test takes only a deploy's fields, and names environments that exist in
        `after_ok`; the deploy fields belong to no other test."""
        environments = sorted(name for name, _ in self.under("environments"))
        for i, _ in self.under("tests"):
            test = self.at("tests", i)
            if not isinstance(test, dict):
                continue
            if "deploy" not in test:
                for field in DEPLOY_ONLY_FIELDS:
                    if field in test:
                        self.doc.problem(("tests", i, field), f"`{field}` belongs to a deploy test, and "
                                         f"tests[{i}] is none", f"add `deploy: ENV` and `tag: TAG`, or remove "
                                         f"`{field}`", key=True)
                continue
            for field in test:
                # a field no test takes: the schema has said so ("did you mean"); a second request: oneOf has
                if field not in DEPLOY_TEST_FIELDS and field in TEST_FIELDS and field not in TEST_KINDS:
                    self.doc.problem(("tests", i, field), f"`{field}` does not apply to a deploy test "
                                     f"(tests[{i}] deploys to {test['deploy']!r})",
                                     f"remove it; a deploy test takes {', '.join(DEPLOY_TEST_FIELDS)}", key=True)
            for j, _ in self.under("tests", i, "after_ok"):
                env = self.at("tests", i, "after_ok", j)
                if env is not None and env not in environments:
                    self.doc.problem(("tests", i, "after_ok", j), f"unknown environment {env!r}",
                                     _did_you_mean(env, environments, "name an environment defined under "
                                                   f"`environments:` ({', '.join(environments) or 'none'})"))


def _strings(value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    """Every string of the policy, keys included, with its path. A loop, not recursion: the
    schema rejects deep nesting at its first level and never descends it, so none may here."""
    stack: list[tuple[Path, Any]] = [(path, value)]
    while stack:
        here, value = stack.pop()
        if isinstance(value, str):
            yield here, value
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str):
                    yield here + (key,), key
                stack.append((here + (key,), item))
        elif isinstance(value, list):
            stack.extend((here + (i,), item) for i, item in enumerate(value))


def _norm_dir(path: str) -> str:
    """``./data``, ``data``, ``data/`` → ``data``; ``data//qa/`` → ``data/qa``; ``a/../b`` → ``b``;
    the directory itself (``.``, ``./``) → ``.``."""
    import posixpath

    normal = posixpath.normpath(path.replace("\\", "/"))
    return "/" + normal.lstrip("/") if normal.startswith("/") else normal  # POSIX keeps a leading //


def _nesting(mine: str, theirs: str) -> str:
    """How normalised data dir ``mine`` stands to ``theirs``: "is the same as", "is inside",
    "holds", or "" (apart). ``.`` holds every relative dir but those above it; an absolute and a
    relative one are apart."""
    if mine == theirs:
        return "is the same as"

    def inside(a: str, b: str) -> bool:
        if b == ".":
            return not (a.startswith("/") or a == ".." or a.startswith("../"))
        return a.startswith(b.rstrip("/") + "/")

    return "is inside" if inside(mine, theirs) else "holds" if inside(theirs, mine) else ""


def _group_cycles(groups: Mapping[str, list[str] | None]) -> Iterator[list[str]]:
    edges = {g: [m[1:] for m in members or () if m.startswith("@") and m[1:] in groups]
             for g, members in groups.items()}
    yield from _cycles(edges)


def _after_cycles(afters: Mapping[str, str | None]) -> Iterator[list[str]]:
    """Cycles among the environments' ``after:`` (environment -> the one it waits on)."""
    edges = {n: [a] if a is not None and a in afters and a != n else [] for n, a in afters.items()}
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
