"""A shell command line as bash would run it, turned into facts the command rules judge.

``parse(line)`` splits a line into its simple commands (across pipes, lists,
subshells, groups, loops, ``case`` and function bodies), each with its words
after quote removal, its leading assignments, the wrappers that only run
another command (``env``, ``timeout``, ``sudo``, ...) set aside, and its
redirections. Strings run by another shell (``bash -c``, ``eval``, ``tmux
send-keys``, ...) are parsed in turn. Whatever the text alone cannot settle
(substitutions, code for other interpreters, look-alike characters, input that
does not parse) is named in ``opaque``: the rules answer at least ``ask``.

The grammar is tree-sitter-bash (chosen by measurement, bench/shell_parse.py),
imported on the first call: a process that never parses a line pays nothing.
``parse`` is pure and never raises.
"""
from __future__ import annotations

from enforcer.tuples import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from collections.abc import Iterator
    from typing import Any

    from tree_sitter import Node, Parser

MAX_LINE = 64 * 1024  # bytes; a longer line is not parsed at all
MAX_DEPTH = 100  # syntax-tree levels walked (keeps well inside Python's recursion limit)
MAX_NESTING = 8  # strings parsed within strings (bash -c "eval '...'")


class Simple(NamedTuple):
    """One simple command as bash would run it.

    ``argv``: the words after quote removal, expanding nothing (``$VAR`` stays
    as written); ``argv[0]`` is the command's name (``/bin/rm``, ``\\rm`` and
    ``"rm"`` are all ``rm``); empty for a line of only assignments or
    redirections. ``path``: the command word as written, after quote removal
    (``/bin/rm``). ``assignments``: ``NAME=value`` words set for it (leading
    ones, those given to ``env``/``sudo``, and those of ``export``/``declare``).
    ``wrappers``: each wrapper set aside, in order, as its own words
    (``('timeout', '-s', 'KILL', '5')``). ``redirects``: ``(operator, target)``
    pairs, operator with its descriptor (``('2>', 'err')``, ``('>>', 'f')``,
    ``('<<', 'EOF')`` for a here-document, ``('<<<', word)`` for a here-string);
    those of an enclosing group or loop are included. ``text``: argv joined
    with single spaces, what policy patterns are searched in. ``nested_from``:
    None, or what ran it from a string (``'bash -c'``, ``'eval'``, ``'$(...)'``,
    ``'tmux send-keys -t w1'``, ``'find -exec'``). ``session``: the tmux session
    it was typed or started in (judged as that session's actor), else None.
    """

    argv: tuple[str, ...]
    assignments: tuple[str, ...] = ()
    wrappers: tuple[tuple[str, ...], ...] = ()
    redirects: tuple[tuple[str, str], ...] = ()
    text: str = ""
    nested_from: str | None = None
    session: str | None = None
    path: str = ""


class Parsed(NamedTuple):
    """Every simple command of a line, in order, and why the text alone cannot settle it."""

    commands: tuple[Simple, ...]
    opaque: tuple[str, ...]


class _Word(NamedTuple):
    """A word after quote removal, and whether bash would still change it."""

    text: str
    dynamic: bool = False  # holds an expansion or substitution: its value is unknown here
    glob: bool = False  # unquoted pattern or brace expansion: bash may make other words of it
    brace: bool = False  # brace expansion: bash makes several words of it


def parse(line: str) -> Parsed:
    """The simple commands of ``line`` and the reasons it cannot be fully judged from text."""
    walker = _Walker()
    try:
        walker.line(line, None, None, 0)
    except RecursionError:
        walker.opaque.append("nesting too deep")
    except Exception as exc:  # a fact we failed to read must not let the line through
        walker.opaque.append(f"cannot parse: {type(exc).__name__}")
    if not walker.commands and not walker.opaque:
        walker.opaque.append("no command in the line")
    return Parsed(tuple(walker.commands), tuple(dict.fromkeys(walker.opaque)))


_PARSER: list[Parser] = []


def _parser() -> Parser:
    if not _PARSER:
        try:
            ts, bash = _binding("tree_sitter"), _binding("tree_sitter_bash")
        except Exception:  # a layout we do not know: the packages' own imports
            import tree_sitter as ts
            import tree_sitter_bash as bash
        _PARSER.append(ts.Parser(ts.Language(bash.language())))
    return _PARSER[0]


def _binding(package: str) -> Any:
    """``package._binding`` without the package's ``__init__``: tree_sitter's imports typing and
    tree_sitter_bash's importlib.resources, 10 ms of a hook's budget for names a parser never needs."""
    import sys
    from importlib.machinery import PathFinder

    name = f"{package}._binding"
    if name in sys.modules:
        return sys.modules[name]
    spec = PathFinder.find_spec(package)
    sub = PathFinder.find_spec(name, spec.submodule_search_locations) if spec is not None else None
    if sub is None or sub.loader is None:
        raise ImportError(name)
    module = sub.loader.create_module(sub)
    if module is None:
        raise ImportError(name)
    sub.loader.exec_module(module)
    sys.modules[name] = module  # a later `import tree_sitter` finds it loaded
    return module


def _snippet(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


# --- characters ---------------------------------------------------------------------------------

# non-ASCII characters that look like shell operators, quotes or path separators
_LOOKALIKES = frozenset("\u2215\u2044\u29f8\u2216\u29f5\u01c0\u2223\u037e\u2018\u2019\u201a\u201b\u201c\u201d"
                        "\u201e\u2032\u2033\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u00ad\u02bc\u02b9\uff5c"
                        # look-alikes of | ; & < > ` that NFKC does not map to ASCII
                        "\u2016\u01c1\u2225\u23d0\u2758\u205e\u2039\u203a\u2329\u232a\u27e8\u27e9"
                        "\u2cfa\u204f\u061b\u02cb\u1fef")


def _character_reasons(line: str) -> list[str]:
    """Characters that make the line read differently than it runs."""
    reasons = []
    if "\0" in line:
        reasons.append("NUL byte")
    if any(c != "\0" and (c < " " and c not in "\t\n" or c == "\x7f") for c in line):
        reasons.append("control character")
    if any(line[i - 1:i].strip() and line[i + 2:i + 3].strip() for i in _find_all(line, "\\\n")):
        reasons.append("line continuation inside a word")  # bash joins `r\<newline>m` into rm
    if line.isascii():
        return reasons
    import unicodedata

    for c in dict.fromkeys(line):
        if c.isascii():
            continue
        category = unicodedata.category(c)
        if category in ("Cf", "Cc", "Cs", "Co", "Cn") or category.startswith("Z"):
            reasons.append(f"invisible or unusual character U+{ord(c):04X}")
        elif c in _LOOKALIKES or unicodedata.normalize("NFKC", c).isascii():
            reasons.append(f"look-alike of an ASCII character: U+{ord(c):04X} {c}")
    return reasons


def _braces(text: str) -> bool:
    """Whether ``{...}`` holds a comma or ``..``, which bash expands (``{}`` alone it keeps)."""
    start = text.find("{")
    end = text.find("}", start)
    return 0 <= start < end and ("," in text[start:end] or ".." in text[start:end])


def _find_all(text: str, sub: str) -> list[int]:
    found, at = [], text.find(sub)
    while at >= 0:
        found.append(at)
        at = text.find(sub, at + 1)
    return found


_ANSI_C = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
           "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}


def _ansi_c(body: str) -> str:
    """The value of ``$'...'`` (body without its quotes), as bash decodes it."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\" or i + 1 == len(body):
            out.append(c)
            i += 1
            continue
        e = body[i + 1]
        i += 2
        if e in _ANSI_C:
            out.append(_ANSI_C[e])
        elif e in "01234567":
            digits = body[i - 1:i + 2]  # up to three octal digits, the first one already read
            n = 0
            while n < 3 and n < len(digits) and digits[n] in "01234567":
                n += 1
            out.append(chr(int(digits[:n], 8) & 0xFF))
            i += n - 1
        elif e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            n = 0
            while n < width and i + n < len(body) and body[i + n] in "0123456789abcdefABCDEF":
                n += 1
            if n:
                out.append(chr(min(int(body[i:i + n], 16), 0x10FFFF)))
                i += n
            else:
                out.append("\\" + e)
        elif e == "c" and i < len(body):
            out.append(chr(ord(body[i]) & 0x1F))
            i += 1
        else:
            out.append("\\" + e)
    return "".join(out)


def _unescape_unquoted(text: str) -> str:
    """Quote removal in an unquoted word: a backslash quotes the next character; backslash-newline vanishes."""
    return _unbackslash(text, None)


def _unescape_double(text: str) -> str:
    """Quote removal inside double quotes: backslash quotes only $ ` " \\ and newline."""
    return _unbackslash(text, '$`"\\\n')


def _unbackslash(text: str, quotable: str | None) -> str:
    """``text`` with each backslash before a character of ``quotable`` (None: any) removed, and
    backslash-newline removed whole."""
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and (quotable is None or text[i + 1] in quotable):
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


# --- wrappers -----------------------------------------------------------------------------------

class _Spec(NamedTuple):
    """How a wrapper's own options and arguments are laid out before the command it runs."""

    short_arg: str = ""  # short options that take an argument
    long_arg: frozenset[str] = frozenset()  # long options that take an argument (also as --opt=value)
    positionals: int = 0  # arguments of its own after the options (timeout's duration)
    assigns: bool = False  # NAME=value words before the command are assignments (env, sudo)
    code: str = ""  # short options whose argument is a shell command line (su -c)
    long_code: frozenset[str] = frozenset()
    joins: bool = False  # runs its remaining words joined with spaces through sh -c (watch)


def _longs(*names: str) -> frozenset[str]:
    return frozenset(names)


WRAPPERS: dict[str, _Spec] = {
    "env": _Spec("uCSPa", _longs("--unset", "--chdir", "--split-string", "--argv0"), assigns=True),
    "timeout": _Spec("sk", _longs("--signal", "--kill-after"), positionals=1),
    "nice": _Spec("n", _longs("--adjustment")),
    "nohup": _Spec(),
    "command": _Spec(),
    "builtin": _Spec(),
    "exec": _Spec("a"),
    "xargs": _Spec("aEILnPsd", _longs("--arg-file", "--delimiter", "--max-args", "--max-procs", "--max-chars",
                                      "--process-slot-var")),
    "sudo": _Spec("CDghpRrtTUu", _longs("--close-from", "--chdir", "--group", "--host", "--prompt", "--chroot",
                                        "--role", "--type", "--command-timeout", "--other-user", "--user"),
                  assigns=True),
    "doas": _Spec("Cu"),
    "stdbuf": _Spec("ioe", _longs("--input", "--output", "--error")),
    "time": _Spec("fo", _longs("--format", "--output")),
    "setsid": _Spec(),
    "ionice": _Spec("cnpPu", _longs("--class", "--classdata", "--pid", "--pgid", "--uid")),
    "chrt": _Spec("TPD", _longs("--sched-runtime", "--sched-period", "--sched-deadline"), positionals=1),
    "taskset": _Spec("", _longs("--cpu-list"), positionals=1),
    "unbuffer": _Spec(),
    "coproc": _Spec(),
    "busybox": _Spec(),
    "chroot": _Spec("", _longs("--userspec", "--groups"), positionals=1),
    "strace": _Spec("abeEIoOpPsSuX", _longs("--trace", "--signal", "--output", "--attach", "--user",
                                            "--string-limit", "--env")),
    "ltrace": _Spec("aAeEFlnopsSuwx", _longs("--output", "--library", "--indent")),
    "fakeroot": _Spec("is", _longs("--lib", "--faked")),
    "nsenter": _Spec("tSG", _longs("--target", "--setuid", "--setgid")),
    "unshare": _Spec("SGRw", _longs("--setuid", "--setgid", "--root", "--wd")),
    "flock": _Spec("wE", _longs("--timeout", "--conflict-exit-code"), positionals=1, code="c",
                   long_code=_longs("--command")),
    "watch": _Spec("nq", _longs("--interval", "--equexit"), joins=True),
    "script": _Spec("EIOTB", _longs("--echo", "--log-in", "--log-out", "--log-timing", "--log-io"), code="c",
                    long_code=_longs("--command")),
    "su": _Spec("gGsw", _longs("--group", "--supp-group", "--shell", "--whitelist-environment"), code="c",
                long_code=_longs("--command")),
    "runuser": _Spec("gGusw", _longs("--group", "--supp-group", "--user", "--shell",
                                     "--whitelist-environment"), code="c", long_code=_longs("--command")),
}

SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "rbash", "yash"})
# interpreters and the short options whose argument (or the cluster holding them) is program text
INTERPRETERS = {"perl": "eE", "ruby": "e", "node": "ep", "nodejs": "ep", "bun": "e", "php": "r", "lua": "e",
                "Rscript": "e", "osascript": "e", "tclsh": "", "jshell": ""}
INTERPRETER_LONG = frozenset({"--eval", "--print", "--command"})
_ENTER_KEYS = frozenset({"Enter", "C-m", "C-j", "KPEnter", "^M", "^J"})
_TMUX_KEYS = frozenset({"Up", "Down", "Left", "Right", "Escape", "BSpace", "BTab", "Home", "End", "PPage", "NPage",
                        "PageUp", "PageDown", "PgUp", "PgDn", "IC", "DC", "Insert", "Delete", "Tab", "Space",
                        "Any"} | {f"F{n}" for n in range(1, 13)} | {f"KP{c}" for c in "0123456789/*-+."})


def _name(word: str) -> str:
    """A command word as a name: a path names the program at its end (``/bin/rm`` runs ``rm``)."""
    return word.rstrip("/").rsplit("/", 1)[-1] if "/" in word.rstrip("/") else word


def _options(words: list[str], spec: _Spec) -> tuple[int, list[str], str | None]:
    """How many words a wrapper's options take, the options it was given, and the argument of a
    code option (``su -c STRING``) if one is given."""
    i, code = 1, None
    seen: list[str] = []
    while i < len(words):
        word = words[i]
        if word == "--":
            return i + 1, seen, code
        if not word.startswith("-") or word == "-":
            break
        if word.startswith("--"):
            option, eq, _ = word.partition("=")
            seen.append(option)
            if not eq and (option in spec.long_arg or option in spec.long_code):
                i += 1
                if option in spec.long_code and i < len(words):
                    code = words[i]
            elif eq and option in spec.long_code:
                code = word.partition("=")[2]
            i += 1
            continue
        for j, c in enumerate(word[1:], 1):
            seen.append("-" + c)
            if c in spec.short_arg or c in spec.code:
                value = word[j + 1:]
                if not value:
                    i += 1
                    value = words[i] if i < len(words) else ""
                if c in spec.code:
                    code = value
                break
        i += 1
    return i, seen, code


# --- the walk -----------------------------------------------------------------------------------

class _Walker:
    """Collects the simple commands and opaque reasons of one line and the strings it runs."""

    def __init__(self) -> None:
        self.commands: list[Simple] = []
        self.opaque: list[str] = []
        self.src = b""
        self.nested_from: str | None = None
        self.session: str | None = None
        self.nesting = 0
        self.pending: dict[int, tuple[list[tuple[str, str]], str | None]] = {}

    # lines

    def line(self, line: str, nested_from: str | None, session: str | None, nesting: int) -> None:
        if nesting > MAX_NESTING:
            self.opaque.append("nesting too deep")
            return
        if not isinstance(line, str):
            self.opaque.append("not text")
            return
        self.opaque.extend(_character_reasons(line))
        try:
            src = line.replace("\0", " ").encode("utf-8")
        except UnicodeEncodeError:
            self.opaque.append("not valid unicode")
            src = line.encode("utf-8", "replace")
        if len(src) > MAX_LINE:
            self.opaque.append(f"line longer than {MAX_LINE // 1024} KiB")
            return
        try:
            tree = _parser().parse(src)
        except ImportError:
            self.opaque.append("no shell parser installed (tree-sitter-bash)")
            return
        saved = (self.src, self.nested_from, self.session, self.nesting, self.pending)
        self.src, self.nested_from, self.session, self.nesting, self.pending = src, nested_from, session, nesting, {}
        try:
            self.visit(tree.root_node, 0)
            if tree.root_node.has_error and not any(r.startswith("cannot parse") for r in self.opaque):
                self.opaque.append("cannot parse")
        finally:
            self.src, self.nested_from, self.session, self.nesting, self.pending = saved

    def nested(self, text: str, how: str, session: str | None = None) -> None:
        self.line(text, how, session if session is not None else self.session, self.nesting + 1)

    def text(self, node: Node) -> str:
        return self.src[node.start_byte:node.end_byte].decode("utf-8", "replace")

    # statements

    def visit(self, node: Node, depth: int) -> None:
        if depth > MAX_DEPTH:
            self.opaque.append("nesting too deep")
            return
        handler = _HANDLERS.get(node.type)
        if node.is_missing or node.type == "ERROR":
            self.opaque.append(f"cannot parse: {_snippet(self.text(node)) or 'incomplete'}")
        if handler is not None:
            handler(self, node, depth)
            return
        for child in node.children:
            self.visit(child, depth + 1)

    def visit_children(self, node: Node, depth: int, skip: tuple[str, ...] = ()) -> None:
        for child in node.children:
            if child.type not in skip:
                self.visit(child, depth + 1)

    def on_redirected(self, node: Node, depth: int) -> None:
        """A statement with redirections: they apply to every command the statement runs."""
        body = node.child_by_field_name("body")
        redirects: list[tuple[str, str]] = []
        stdin: str | None = None
        for child in node.children:
            if child.type.endswith("_redirect"):
                stdin = self.redirect(child, redirects, depth) or stdin
        start = len(self.commands)
        if body is None:
            self.add((), [], redirects, ())
        else:
            self.pending[body.id] = (redirects, stdin)
            self.visit(body, depth + 1)
            self.attach(body, start, redirects)
        for child in node.children:
            if child.type.endswith("_redirect"):
                self.visit_children(child, depth, skip=("file_redirect", "heredoc_body", "heredoc_start",
                                                        "heredoc_end"))
                for sub in child.children:
                    if sub.type == "heredoc_body":
                        self.visit_children(sub, depth)

    def attach(self, body: Node, start: int, redirects: list[tuple[str, str]]) -> None:
        """Gives a group's or loop's redirections to each command it runs at its own level. Where the
        grammar hangs them on a list or pipeline (``a && cat <<EOF``), bash gives them to its last command."""
        if body.type in ("command", "variable_assignment", "variable_assignments", "declaration_command",
                         "unset_command", "test_command") or not redirects:
            return  # took them itself
        mine = [i for i in range(start, len(self.commands)) if self.commands[i].nested_from == self.nested_from]
        if body.type in ("list", "pipeline"):
            mine = mine[-1:]
        for i in mine:
            command = self.commands[i]
            self.commands[i] = command._replace(redirects=command.redirects + tuple(redirects))

    def redirect(self, node: Node, out: list[tuple[str, str]], depth: int) -> str | None:
        """Adds ``node``'s redirections to ``out``; returns the text it feeds to stdin, if any."""
        if node.type == "heredoc_redirect":
            stdin = None
            op, delimiter = "<<", ""
            for child in node.children:
                if child.type in ("<<", "<<-"):
                    op = child.type
                elif child.type == "heredoc_start":
                    delimiter = self.word(child).text
                elif child.type == "heredoc_body":
                    stdin = self.text(child)
                elif child.type.endswith("_redirect"):
                    self.redirect(child, out, depth)
            out.insert(0, (op, delimiter))
            return stdin
        descriptor, op, target = "", "", ""
        for child in node.children:
            field = node.field_name_for_child(_index(node, child))
            if child.type == "ERROR":  # an operator the grammar does not know (`<>`): keep its text
                op += self.text(child)
            elif field == "descriptor":
                descriptor = self.text(child)
            elif field == "destination" or (child.is_named and child.type not in ("file_descriptor", "comment")):
                word = self.word(child)
                if target:  # `cat > f a b`: bash gives a and b to the command, which was judged without them
                    self.opaque.append(f"words after a redirection's target ({_snippet(word.text)}): they are the "
                                       "command's arguments")
                else:
                    target = word.text
            elif not child.is_named:
                op += child.type
        op = descriptor + op
        if target.startswith(("/dev/tcp/", "/dev/udp/")):  # bash opens a socket, both ways, whatever the operator
            self.opaque.append(f"a network connection through a redirection: {_snippet(target)}")
        out.append((op, target))
        if node.type == "herestring_redirect":
            return target
        return None

    def on_command(self, node: Node, depth: int) -> None:
        assignments: list[str] = []
        words: list[_Word] = []
        redirects, stdin = self.pending.pop(node.id, ([], None))
        redirects = list(redirects)
        for child in node.children:
            kind = child.type
            if kind == "variable_assignment":
                assignments.append(self.assignment(child))
            elif kind.endswith("_redirect"):
                stdin = self.redirect(child, redirects, depth) or stdin
            elif kind == "command_name":
                words.extend(self.word(grandchild) for grandchild in child.children if grandchild.type != "comment")
            elif child.is_named and kind != "comment":
                words.append(self.word(child))
        self.add(tuple(words), assignments, redirects, (), stdin=stdin)
        for child in node.children:
            if child.type == "variable_assignment":  # recorded above: only its value may hold more
                self.visit_children(child, depth)
            elif child.type.endswith("_redirect"):  # a here-string's or a target's $(...) runs too
                self.visit_children(child, depth, skip=("heredoc_body", "heredoc_start", "heredoc_end"))
                for sub in child.children:
                    if sub.type == "heredoc_body":
                        self.visit_children(sub, depth)
            else:
                self.visit(child, depth + 1)

    def on_assignments(self, node: Node, depth: int) -> None:
        """``A=1 B=2`` alone on a statement: sets shell variables, which later commands may export."""
        children = [node] if node.type == "variable_assignment" else \
            [c for c in node.children if c.type == "variable_assignment"]
        redirects, _ = self.pending.pop(node.id, ([], None))
        self.add((), [self.assignment(c) for c in children], list(redirects), ())
        self.visit_children(node, depth)

    def on_declaration(self, node: Node, depth: int) -> None:
        """``export``/``declare``/``local``/``readonly``/``typeset``/``unset``: a command whose
        assignments reach the commands after it."""
        words, assignments = [], []
        for child in node.children:
            if child.type == "variable_assignment":
                assignments.append(self.assignment(child))
                words.append(_Word(assignments[-1]))
            elif not child.is_named:  # the keyword itself
                words.append(_Word(child.type))
            elif child.type != "comment":
                words.append(self.word(child))
        redirects, _ = self.pending.pop(node.id, ([], None))
        self.add(tuple(words), assignments, list(redirects), (), assigns_are_args=True)
        for child in node.children:
            self.visit_children(child, depth) if child.type == "variable_assignment" else self.visit(child, depth + 1)

    def on_test(self, node: Node, depth: int) -> None:
        """``[[ ... ]]`` / ``[ ... ]``: judged as its words; arithmetic comparisons evaluate variables."""
        text = self.text(node)
        redirects, _ = self.pending.pop(node.id, ([], None))
        self.add(tuple(_Word(w) for w in text.split()), [], list(redirects), ())
        if text.startswith("[[") and any(op in text.split() for op in ("-eq", "-ne", "-lt", "-le", "-gt", "-ge")):
            self.arithmetic(node)
        self.visit_children(node, depth)

    def on_function(self, node: Node, depth: int) -> None:
        name = node.child_by_field_name("name")
        self.opaque.append(f"function definition: {self.text(name) if name is not None else '?'}")
        self.visit_children(node, depth)

    def on_substitution(self, node: Node, depth: int) -> None:
        """``$(...)``, backticks, ``<(...)``, ``>(...)``: their output becomes text the line runs."""
        text = self.text(node)
        kind = "process substitution" if node.type == "process_substitution" else "command substitution"
        self.opaque.append(f"{kind}: {_snippet(text)}")
        how = "`...`" if text.startswith("`") else text[:2] + "...)"
        saved, self.nested_from = self.nested_from, how
        try:
            self.visit_children(node, depth)
        finally:
            self.nested_from = saved

    def on_arithmetic(self, node: Node, depth: int) -> None:
        self.arithmetic(node)
        self.visit_children(node, depth)

    def arithmetic(self, node: Node) -> None:
        """Arithmetic evaluates a variable's value as an expression, and ``a[$(cmd)]`` there runs cmd."""
        if any(n.type in ("variable_name", "simple_expansion", "expansion", "subscript") for n in _descendants(node)):
            self.opaque.append(f"arithmetic on a variable's value: {_snippet(self.text(node))}")

    def on_expansion(self, node: Node, depth: int) -> None:
        """``${NAME}`` reads a variable; every other form may evaluate one's value as code: an offset
        or length (``${P:x}``), a subscript (``${a[x]}``), indirection (``${!x}``), the ``@P``
        prompt transform, all run ``a[$(cmd)]`` hidden in x."""
        text = self.text(node)
        inner = text[2:-1] if text.startswith("${") and text.endswith("}") else ""
        if not (inner and (inner[0].isalpha() or inner[0] == "_") and all(c.isalnum() or c == "_" for c in inner)):
            self.opaque.append(f"parameter expansion that may run a variable's value: {_snippet(text)}")
        self.visit_children(node, depth)

    def on_loop(self, node: Node, depth: int) -> None:
        """``for NAME in ...`` / ``select NAME in ...`` sets NAME for the body, as an assignment
        would (an exported NAME such as HOME or PATH changes what the body's commands run)."""
        variable = node.child_by_field_name("variable")
        if variable is not None:
            self.add((), [f"{self.text(variable)}="], [], ())
        self.visit_children(node, depth)

    def on_compound(self, node: Node, depth: int) -> None:
        if node.children and node.children[0].type == "((":
            self.arithmetic(node)
        self.visit_children(node, depth)

    # words

    def word(self, node: Node) -> _Word:
        kind = node.type
        text = self.text(node)
        if kind == "word":
            glob = any(c in text for c in "*?[") and "\\" not in text
            return _Word(_unescape_unquoted(text), glob=glob)
        if kind == "raw_string":
            return _Word(text[1:-1])
        if kind == "ansi_c_string":
            return _Word(_ansi_c(text[2:-1]))
        if kind in ("string", "translated_string"):
            body = text[1:] if kind == "translated_string" else text
            dynamic = any(c.type in _DYNAMIC for c in node.children)
            return _Word(_unescape_double(body[1:-1]), dynamic=dynamic)
        if kind == "concatenation":
            parts = [self.word(c) for c in node.children]
            brace = "{" in [self.text(c) for c in node.children if c.type == "word"] and _braces(text)
            brace = brace or any(p.brace for p in parts)
            return _Word("".join(p.text for p in parts), any(p.dynamic for p in parts),
                         any(p.glob for p in parts) or brace, brace)
        if kind == "heredoc_start":
            return _Word(text.strip("'\"").replace("\\", ""))
        if kind == "brace_expression":
            return _Word(text, glob=True, brace=True)
        if kind in ("number", "variable_name", "test_operator", "extglob_pattern", "regex", "special_variable_name"):
            return _Word(text)
        return _Word(text, dynamic=kind in _DYNAMIC or kind not in _STATIC)

    def assignment(self, node: Node) -> str:
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        op = next((c.type for c in node.children if c.type in ("=", "+=")), "=")
        return (self.text(name) if name is not None else "") + op + (self.word(value).text if value is not None
                                                                     else "")

    # simple commands

    def add(self, words: tuple[_Word, ...], assignments: list[str], redirects: list[tuple[str, str]],
            wrappers: tuple[tuple[str, ...], ...], stdin: str | None = None, assigns_are_args: bool = False) -> None:
        """Records one simple command, its wrappers set aside, and the strings it runs."""
        words_list = list(words)
        wrappers_list = list(wrappers)
        assignments = list(assignments)
        later: list[tuple[str, str]] = []  # strings the wrappers run, parsed after this command
        while words_list and not words_list[0].dynamic and not assigns_are_args:
            spec = WRAPPERS.get(_name(words_list[0].text))
            if spec is None:
                break
            taken = self.unwrap(words_list, spec, assignments, later)
            if taken is None:  # the wrapper ran a string, or nothing: it is the command
                break
            wrappers_list.append(tuple(w.text for w in words_list[:taken]))
            words_list = words_list[taken:]
        if not words_list and wrappers_list and not redirects and not assignments:
            words_list = [_Word(w) for w in wrappers_list.pop()]  # `env`, `time`: the wrapper is what runs
        head = words_list[0] if words_list else None
        argv = tuple([_name(head.text)] + [w.text for w in words_list[1:]]) if head is not None else ()
        self.commands.append(Simple(argv, tuple(assignments), tuple(wrappers_list), tuple(redirects), " ".join(argv),
                                    self.nested_from, self.session, head.text if head is not None else ""))
        for code, how in later:
            self.nested(code, how)
        if any(w.brace for w in words_list[1:]):
            self.opaque.append(f"brace expansion: {_snippet(next(w.text for w in words_list if w.brace))}")
        if head is not None:
            self.name_reasons(head, argv[0])
            self.runs(argv, stdin)

    def unwrap(self, words: list[_Word], spec: _Spec, assignments: list[str],
               later: list[tuple[str, str]]) -> int | None:
        """How many words the wrapper at words[0] takes (its options, arguments, assignments), or
        None when it runs no further command word (its string, if any, parsed as a nested line)."""
        texts = [w.text for w in words]
        name = _name(texts[0])
        taken, seen, code = _options(texts, spec)
        if name in ("su", "runuser"):  # su's user may come before -c: look at every word
            code = _code_anywhere(texts, spec) if code is None else code
            if code is not None:
                later.append((code, f"{name} -c"))
                return None
            if taken < len(texts) and name == "runuser" and "-u" not in seen and "--user" not in seen:
                return None
            if name == "su":
                self.opaque.append("su starts a shell reading commands")
                return None
        taken = min(taken + spec.positionals, len(words))
        if spec.code and taken + 1 < len(texts) and texts[taken] in ("-c", "--command"):
            code = texts[taken + 1]  # flock FILE -c STRING
        if code is not None:
            later.append((code, f"{name} -c"))
            return None
        if name == "env" and ("-S" in seen or "--split-string" in seen):
            self.opaque.append(f"env -S splits a string into a command: {_snippet(' '.join(texts))}")
        if name == "sudo" and ("-e" in seen or "--edit" in seen):
            words[:taken] = [_Word("sudoedit")]
            return None
        if name == "command" and ("-v" in seen or "-V" in seen):
            return None  # `command -v git` only looks the name up
        while spec.assigns and taken < len(texts) and _is_assignment(texts[taken]):
            assignments.append(texts[taken])
            taken += 1
        if spec.joins and taken < len(texts):
            later.append((" ".join(texts[taken:]), name))
            return None
        return taken

    def name_reasons(self, head: _Word, name: str) -> None:
        if head.dynamic:
            self.opaque.append(f"command name is an expansion: {_snippet(head.text)}")
        elif head.glob:
            self.opaque.append(f"command name is a pattern: {_snippet(head.text)}")
        elif not name.isascii():
            self.opaque.append(f"command name is not ASCII: {_snippet(name)}")
        elif name in ("source", "."):
            self.opaque.append(f"source of a file: {_snippet(head.text)}")
        elif name in ("alias", "unalias"):
            self.opaque.append("alias definition")
        elif name in ("fc", "history"):
            self.opaque.append(f"{name} can run earlier commands")
        elif name in ("enable", "hash"):
            self.opaque.append(f"{name} changes what a command name runs")

    def runs(self, argv: tuple[str, ...], stdin: str | None) -> None:
        """Parses the strings a command runs as code: shells, eval, trap, interpreters, tmux, find."""
        name = argv[0]
        if name in SHELLS:
            self.shell(argv, stdin)
        elif name == "eval" and len(argv) > 1:
            self.nested(" ".join(argv[1:]), "eval")
        elif name == "trap" and len(argv) > 2 and not argv[1].startswith("-"):
            self.nested(argv[1], "trap")
        elif name.startswith(("python", "pypy")):
            self.python(argv, stdin)
        elif name in INTERPRETERS:
            self.interpreter(argv, INTERPRETERS[name], stdin)
        elif name in ("awk", "gawk", "mawk", "nawk"):
            program = next((a for a in argv[1:] if not a.startswith("-")), "")
            if "system" in program or "|" in program:
                self.opaque.append(f"awk program runs commands: {_snippet(program)}")
        elif name == "tmux":
            self.tmux(argv)
        elif name in ("find", "fd"):
            self.find(argv)

    def shell(self, argv: tuple[str, ...], stdin: str | None) -> None:
        i, command, script = 1, False, None
        while i < len(argv):
            arg = argv[i]
            if arg in ("--rcfile", "--init-file") or arg in ("-o", "+o", "-O", "+O"):
                i += 2
                continue
            if arg == "--" or arg == "-":
                i += 1
                break
            if arg.startswith("--") or (arg[:1] in "-+" and len(arg) > 1):
                command = command or (arg[:1] == "-" and not arg.startswith("--") and "c" in arg)
                i += 1
                continue
            break
        if i < len(argv):
            script = argv[i]
        name = argv[0]
        if command:
            if script is None:
                self.opaque.append(f"{name} -c without a command string")
            else:
                self.nested(script, f"{name} -c")
        elif script is None:
            if stdin is not None:
                self.nested(stdin, f"{name} reading stdin")
            else:
                self.opaque.append(f"{name} reads commands from its input")

    def python(self, argv: tuple[str, ...], stdin: str | None) -> None:
        for arg in argv[1:]:
            if arg == "-" or not arg.startswith("-"):
                if arg == "-":
                    break
                return  # a script file or a module's argument: runs a file, as a command does
            if arg in ("-m",) or arg.startswith("-m"):
                return
            if "c" in arg[1:] and not arg.startswith("--"):
                self.opaque.append(f"{argv[0]} -c code")
                return
        self.opaque.append(f"{argv[0]} reads code from its input")

    def interpreter(self, argv: tuple[str, ...], code_options: str, stdin: str | None) -> None:
        for arg in argv[1:]:
            if arg.startswith("--"):
                if arg.partition("=")[0] in INTERPRETER_LONG:
                    self.opaque.append(f"{argv[0]} {arg.partition('=')[0]} code")
                    return
                continue
            if arg.startswith("-") and len(arg) > 1:
                if any(c in code_options for c in arg[1:]):
                    self.opaque.append(f"{argv[0]} -{next(c for c in arg[1:] if c in code_options)} code")
                    return
                continue
            if arg in ("eval", "-") and argv[0] in ("bun", "deno"):
                self.opaque.append(f"{argv[0]} eval code")
            if arg == "-":
                self.opaque.append(f"{argv[0]} reads code from its input")
            return
        if stdin is not None or len(argv) == 1:
            self.opaque.append(f"{argv[0]} reads code from its input")

    def find(self, argv: tuple[str, ...]) -> None:
        """``find ... -exec CMD ARGS ;``: each CMD a simple command of its own."""
        i = 1
        while i < len(argv):
            if argv[i] in ("-exec", "-execdir", "-ok", "-okdir", "--exec", "-x", "-X", "--exec-batch"):
                j = i + 1
                while j < len(argv) and argv[j] not in (";", "+"):
                    j += 1
                if j > i + 1:
                    inner = tuple(_Word(w) for w in argv[i + 1:j])
                    saved, self.nested_from = self.nested_from, f"{argv[0]} {argv[i]}"
                    try:
                        self.add(inner, [], [], ())
                    finally:
                        self.nested_from = saved
                i = j
            i += 1

    def tmux(self, argv: tuple[str, ...]) -> None:
        """tmux runs shell commands (new-session, run-shell, ...) and types keys into sessions (send-keys)."""
        i = 1
        while i < len(argv) and argv[i].startswith("-") and argv[i] != "--":
            if argv[i] == "-c" and i + 1 < len(argv):
                self.nested(argv[i + 1], "tmux -c")
            i += 2 if argv[i][-1:] in "cfLST" and len(argv[i]) == 2 else 1
        if i < len(argv) and argv[i] == "--":
            i += 1
        for command in _split_tmux(list(argv[i:])):
            if command:
                self.tmux_command(command)

    def tmux_command(self, words: list[str]) -> None:
        sub = words[0]
        if any("#(" in w for w in words):  # a format's #(...) runs a shell command
            self.opaque.append(f"tmux {sub}: #(...) in a format runs a shell command")
        spec = _TMUX.get(sub)
        if spec is None:
            if sub in _TMUX_OPAQUE:
                self.opaque.append(f"tmux {sub} runs tmux or shell commands")
            elif sub not in _TMUX_HARMLESS:  # writes files, types text, sets what later shells run, ...
                self.opaque.append(f"tmux {sub}: not a tmux command enforcer knows to be harmless")
            return
        flags, short_arg, kind = spec
        values: dict[str, str] = {}
        i = 1
        while i < len(words) and words[i].startswith("-") and len(words[i]) > 1:
            if words[i] == "--":
                i += 1
                break
            for j, c in enumerate(words[i][1:], 1):
                if c in short_arg:
                    value = words[i][j + 1:]
                    if not value and i + 1 < len(words):
                        i += 1
                        value = words[i]
                    values[c] = value
                    break
                values[c] = ""
            i += 1
        rest = words[i:]
        if "e" in values:  # -e NAME=value: the new shell's environment (PROMPT_COMMAND, BASH_ENV run code)
            self.opaque.append(f"tmux {sub} -e sets the environment of the shell it starts")
        if kind == "new-session" and "n" in values:  # a window name stands for a session in -t targets
            self.opaque.append(f"tmux {sub} -n names a window, which -t may take for a session")
        target = values.get("s" if kind == "new-session" else "t")
        session = _session(target) if target else None
        if "c" in values and kind != "send-keys":  # its command runs there: paths and repository unseen
            self.opaque.append(f"tmux {sub} -c starts in another directory")
        if kind == "send-keys":
            self.send_keys(rest, session, literal="l" in values, hex_keys="H" in values)
        elif not rest and kind in ("new-window", "split-window", "respawn"):  # a shell nobody's keys are judged in
            self.opaque.append(f"tmux {sub} starts a shell whose window a session's name may stand for")
        elif rest and not (kind == "run-shell" and "C" in values):
            label = f"tmux {sub}" + (f" -t {session}" if session and kind != "new-session" else "") + \
                (f" -s {session}" if session and kind == "new-session" else "")
            if len(rest) > 1 and kind != "run-shell":  # several words: tmux runs them as an argv, no shell
                saved = self.nested_from, self.session
                self.nested_from, self.session = label, session if session is not None else self.session
                try:
                    self.add(tuple(_Word(w) for w in rest), [], [], ())
                finally:
                    self.nested_from, self.session = saved
            else:
                self.nested(" ".join(rest), label, session)
        elif kind == "run-shell" and rest:
            self.opaque.append("tmux run-shell -C runs tmux commands")

    def send_keys(self, keys: list[str], session: str | None, literal: bool, hex_keys: bool) -> None:
        """The keys typed into SESSION, line by line (Enter ends a line); text typed without Enter is
        judged too, as a later Enter would run it."""
        if hex_keys:
            self.opaque.append("tmux send-keys -H sends raw bytes")
            return
        how = "tmux send-keys" + (f" -t {session}" if session else "")
        lines, current = [], ""
        for key in keys:
            name = None if literal else _key_name(key)
            if name is None:
                current += key
            elif name in _ENTER_LOWER:
                lines.append(current)
                current = ""
            elif name == "space":
                current += " "
            elif name in ("c-c", "c-u"):
                current = ""  # interrupts or clears what was typed
            else:
                self.opaque.append(f"tmux key {key} may run or recall a command")
        lines.append(current)
        for text in lines:
            if _history_expansion(text):  # an interactive shell expands !! and ^a^b before it parses
                self.opaque.append(f"{how}: history expansion in typed keys: {_snippet(text)}")
            if text.strip():
                self.nested(text, how, session)


def _history_expansion(text: str) -> bool:
    """A `!` outside single quotes, or a line starting with `^`: what bash's history expansion
    turns into an earlier command in an interactive shell (a tmux session's)."""
    if text.lstrip().startswith("^"):
        return True
    quoted = False
    for i, c in enumerate(text):
        if c == "'" and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        elif c == "!" and not quoted:
            return True
    return False


def _index(parent: Node, child: Node) -> int:
    for i, c in enumerate(parent.children):
        if c.id == child.id:
            return i
    return -1


def _descendants(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)


def _is_assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and name.rstrip("+").replace("_", "a").isalnum() and not name[:1].isdigit()


def _code_anywhere(words: list[str], spec: _Spec) -> str | None:
    for i, word in enumerate(words[1:], 1):
        if word == "--":
            return None
        if word.startswith("--command="):
            return word.partition("=")[2]
        if word == "--command" or word == "-c":
            return words[i + 1] if i + 1 < len(words) else ""
        if word.startswith("-") and not word.startswith("--") and "c" in word[1:]:
            at = word.index("c", 1)
            if not any(ch in spec.short_arg for ch in word[1:at]):
                return word[at + 1:] or (words[i + 1] if i + 1 < len(words) else "")
    return None


def _split_tmux(words: list[str]) -> list[list[str]]:
    """tmux's command sequence: commands separated by a ``;`` word (typed as ``\\;`` or ``';'``)."""
    commands: list[list[str]] = [[]]
    for word in words:
        if word == ";":
            commands.append([])
        elif word.endswith("\\;"):  # tmux unescapes it: a literal ';' ending the argument
            commands[-1].append(word[:-2] + ";")
        elif word.endswith(";") and len(word) > 1:
            commands[-1].append(word[:-1])
            commands.append([])
        else:
            commands[-1].append(word)
    return commands


def _session(target: str) -> str:
    """The session part of a tmux target (``=w1:0.1`` -> ``w1``)."""
    return target.lstrip("=").split(":", 1)[0].split(".", 1)[0] if not target.startswith("%") else target


_ENTER_LOWER = frozenset(k.lower() for k in _ENTER_KEYS)
_TMUX_LOWER = frozenset(k.lower() for k in _TMUX_KEYS)


def _key_name(key: str) -> str | None:
    """The key tmux reads ``key`` as, lower-cased (tmux ignores case in key names and modifiers,
    and reads 0x.. as a key code), or None where it types the word's characters."""
    low = key.lower()
    if low.startswith("0x") and len(low) > 2:
        return low  # a key code: never judged as text
    base = low
    while len(base) > 2 and base[:2] in ("c-", "m-", "s-"):
        base = base[2:]
    if base.startswith("^") and len(base) == 2:
        return low
    if base != low:
        return low if len(base) == 1 or base in _TMUX_LOWER or base in _ENTER_LOWER else None
    return low if low in _TMUX_LOWER or low in _ENTER_LOWER else None


# (flags, short options with an argument, what it does)
_TMUX: dict[str, tuple[str, str, str]] = {}
for _names, _spec in (
        (("send-keys", "send"), ("FHKlMRX", "cNTt", "send-keys")),
        (("new-session", "new"), ("AdDEPX", "cefFnstxy", "new-session")),
        (("new-window", "neww"), ("abdkPS", "ceFnt", "new-window")),
        (("split-window", "splitw"), ("bdfhIvPZ", "celtpF", "split-window")),
        (("respawn-pane", "respawnp"), ("k", "cet", "respawn")),
        (("respawn-window", "respawnw"), ("k", "cet", "respawn")),
        (("run-shell", "run"), ("bCE", "cdt", "run-shell")),
        (("pipe-pane", "pipep"), ("IOo", "t", "pipe-pane")),
        (("display-popup", "popup"), ("BCEk", "bcdehsStTwxy", "popup"))):
    for _n in _names:
        _TMUX[_n] = _spec
# tmux commands that only look, attach, move between or end sessions, windows and panes
_TMUX_HARMLESS = frozenset({
    "list-sessions", "ls", "list-windows", "lsw", "list-panes", "lsp", "list-clients", "lsc", "list-buffers",
    "lsb", "has-session", "has", "attach-session", "attach", "a", "detach-client", "detach", "kill-session",
    "kill-window", "killw", "kill-pane", "killp", "select-window", "selectw", "select-pane", "selectp",
    "switch-client", "switchc", "next-window", "next", "previous-window", "prev", "last-window", "last",
    "resize-pane", "resizep", "capture-pane", "capturep",
    "display-panes", "displayp", "list-keys", "lsk", "show-options", "show", "show-environment", "showenv",
    "clear-history", "clearhist", "refresh-client", "refresh"})  # not rename-*: a session's name is its actor
_TMUX_OPAQUE = frozenset({"if-shell", "if", "source-file", "source", "bind-key", "bind", "set-hook",
                          "command-prompt", "confirm-before", "confirm", "display-menu", "menu"})

_DYNAMIC = frozenset({"simple_expansion", "expansion", "command_substitution", "process_substitution",
                      "arithmetic_expansion"})
_STATIC = frozenset({"word", "raw_string", "ansi_c_string", "string", "translated_string", "concatenation", "number",
                     "heredoc_start", "brace_expression"})

_HANDLERS = {
    "command": _Walker.on_command,
    "redirected_statement": _Walker.on_redirected,
    "variable_assignment": _Walker.on_assignments,
    "variable_assignments": _Walker.on_assignments,
    "declaration_command": _Walker.on_declaration,
    "unset_command": _Walker.on_declaration,
    "test_command": _Walker.on_test,
    "function_definition": _Walker.on_function,
    "command_substitution": _Walker.on_substitution,
    "process_substitution": _Walker.on_substitution,
    "arithmetic_expansion": _Walker.on_arithmetic,
    "c_style_for_statement": _Walker.on_arithmetic,
    "compound_statement": _Walker.on_compound,
    "for_statement": _Walker.on_loop,
    "expansion": _Walker.on_expansion,
}
