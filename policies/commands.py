"""The command check: which shell commands an agent runs without asking, and which files it may write.

Each simple command of a line (enforcer.shell) is judged alone: any `deny`
pattern → deny; else any `ask` → ask; else any `allow` → allow; else the
`default`. Patterns are regexes searched in the command's text (its words
joined by single spaces, leading assignments and wrappers set aside). Some
things no pattern can allow: switching enforcement off (`--no-verify`,
`core.hooksPath`, `HUSKY=0`, `SKIP=`), a write into `.git/`, a leading
assignment of a variable that makes a command run another program, and what
cannot be judged from the text (substitutions, code strings). `roles` give
some actors rules of their own, and `edit: deny` refuses every file they
write. What a command would do (a push, a commit, a file it writes) comes as
derived requests, judged by their own rules (POLICY.md, *commands*).
"""
from __future__ import annotations

from enforcer.model import CommandLine, FileEdit, Violation
from enforcer.policy import Policy
from enforcer.program_options import unknown_options
from enforcer.regex import compile_regex

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Iterator, Mapping, Sequence
    from typing import Any

APPLIES_TO = (CommandLine, FileEdit)
BREAK_GLASS = False  # break-glass is a push option; a command has none

# variables that may make a program run another, read other files or write elsewhere: whole
# families by prefix (every GIT_* but a commit's author and date: GIT_TEST_FSMONITOR runs a shell
# command; LESS*, MAN*, PYTHON*, LD_*, ...), since reviews kept finding members a list of names
# missed; and the shell's own (PS0 and PROMPT_COMMAND run code, HISTFILE is written). Other
# variables (FOO=1, DEBUG=1) are set aside, as POLICY.md says.
RUNS_OTHER_PREFIXES = ("GIT_", "LD_", "DYLD_", "PYTHON", "PERL", "RUBY", "NODE_", "BASH", "LESS", "MAN", "PYTEST_",
                       "CURL_", "SSL", "SSH_", "GPG", "GNUPG", "XDG_", "TMUX", "HIST", "PS", "GCONV", "LOCPATH",
                       "NLSPATH", "MALLOC", "GLIBC_", "COVERAGE", "PIP_", "TERMINFO", "TERMCAP", "LOCALDOMAIN",
                       "RES_OPTIONS", "HOSTALIASES", "MAIL", "OPENSSL")
RUNS_OTHER = frozenset({"PAGER", "EDITOR", "VISUAL", "BROWSER", "SHELL", "ENV", "IFS", "PATH", "CDPATH", "GLOBIGNORE",
                        "PROMPT_COMMAND", "INPUTRC", "HOME", "TMPDIR", "TEMP", "TMP", "SHELLOPTS", "POSIXLY_CORRECT",
                        "http_proxy", "https_proxy", "ftp_proxy", "all_proxy", "no_proxy", "HTTP_PROXY",
                        "HTTPS_PROXY", "ALL_PROXY", "histchars"})
HARMLESS = frozenset({"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE", "GIT_COMMITTER_NAME",
                      "GIT_COMMITTER_EMAIL", "GIT_COMMITTER_DATE", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE",
                      "PYTHONHASHSEED", "PYTHONIOENCODING", "PYTHONUTF8"})
# git's options that pick another repository or configuration: any setting may name a program
# (core.fsmonitor, core.editor, diff.external, alias.x=!cmd, include.path, ...)
GIT_OTHER = ("-c", "--config-env", "--git-dir", "--work-tree", "--exec-path", "--namespace", "--super-prefix",
             "--bare")  # --bare: the current directory is the repository (a config the agent wrote)
# subcommand options that run a program given on the line
GIT_RUNS = {"difftool": ("-x", "--extcmd", "-t", "--tool"), "mergetool": ("-t", "--tool"),
            "rebase": ("-x", "--exec"), "bisect": ("run",), "submodule": ("foreach",),
            "filter-branch": ("--tree-filter", "--index-filter", "--msg-filter", "--commit-filter",
                              "--env-filter", "--parent-filter", "--tag-name-filter")}
# wrappers set aside without a question, with the options known to change nothing but timing,
# priority, buffering or the environment they are given; any other wrapper, or option, asks:
# `time -o F` and `strace -o F` write, `env -C`/`sudo -D` move the directory the line is judged
# in, `xargs` adds arguments the line does not show, `sudo`/`doas` change the user
HARMLESS_WRAPPERS: dict[str, frozenset[str]] = {
    "env": frozenset({"-i", "--ignore-environment", "-u", "--unset", "-0", "--null", "-", "--"}),
    "timeout": frozenset({"-s", "--signal", "-k", "--kill-after", "--preserve-status", "--foreground", "-v",
                          "--verbose", "--"}),
    "nice": frozenset({"-n", "--adjustment", "--"}),
    "nohup": frozenset({"--"}), "command": frozenset({"-p", "--"}), "builtin": frozenset(), "exec": frozenset(),
    "stdbuf": frozenset({"-i", "-o", "-e", "--input", "--output", "--error", "--"}),
    "setsid": frozenset({"-w", "--wait", "-f", "--fork", "--"}), "unbuffer": frozenset(), "coproc": frozenset(),
    "ionice": frozenset({"-c", "-n", "--class", "--classdata", "-t", "--ignore", "--"}),
    "time": frozenset({"-p", "--portability", "--"}), "busybox": frozenset(),
}
# what switches client hooks off: git's own flag, hook managers' switches
HOOKS_OFF_VARIABLES = frozenset({"HUSKY", "SKIP", "PRE_COMMIT_ALLOW_NO_CONFIG", "LEFTHOOK", "GIT_HOOKS_PATH"})
HOOKS_OFF_CONFIG = ("core.hookspath",)


def check(policy: Policy, request: CommandLine | FileEdit) -> Iterator[Violation]:
    role = role_of(policy, request.actor)
    if isinstance(request, FileEdit):
        yield from _edit(policy, request, role)
        return
    if not request.commands and not request.opaque and request.line.strip():  # facts nobody gathered
        yield Violation("commands", "commands.opaque", "the line was not parsed",
                        "judge it through enforcer.command_facts", severity="ask")
    for reason in request.opaque:
        yield Violation("commands", "commands.opaque", f"{reason}: the line cannot be judged from its text",
                        "run the parts as plain commands, or ask a person", severity="ask")
    for command in request.commands:
        yield from _command(policy, command, role)


def role_of(policy: Policy, actor: str | None) -> tuple[int, Mapping[str, Any]] | None:
    """The first `roles` entry that names the actor (its position, the entry), or None."""
    for i, entry in enumerate(policy.commands.get("roles") or ()):
        if policy.allows(entry.get("who") or (), actor):
            return i, entry
    return None


def _rules(policy: Policy, role: tuple[int, Mapping[str, Any]] | None) -> tuple[str, Mapping[str, Sequence[str]]]:
    """(the rule's id, its patterns by kind and its default): a role's default and allow replace the
    general ones, its ask and deny add to them."""
    general = policy.commands
    if role is None:
        return "commands", {"deny": general.get("deny") or (), "ask": general.get("ask") or (),
                            "allow": general.get("allow") or (), "default": (general.get("default", "ask"),)}
    i, entry = role
    return f"commands.roles[{i}]", {
        "deny": [*(general.get("deny") or ()), *(entry.get("deny") or ())],
        "ask": [*(general.get("ask") or ()), *(entry.get("ask") or ())],
        "allow": entry.get("allow") or (),
        "default": (entry.get("default", general.get("default", "ask")),)}


def _command(policy: Policy, command: Any, role: tuple[int, Mapping[str, Any]] | None) -> Iterator[Violation]:
    text = _text(command)
    shown = f"{text[:200]}{' ...' if len(text) > 200 else ''}"
    yield from _switches(command, shown)
    for name, _ in _assigned(command):
        if not _safe_variable(name):
            yield Violation("commands", "commands.runs_other", f"{shown}: {name}= may make it run another program, "
                            "read other files or write elsewhere", f"run it without {name}=, or ask a person",
                            severity="ask")
    yield from _wrappers(command, shown)
    for option in _git_runs(command.argv):
        yield Violation("commands", "commands.runs_other", f"{shown}: {option} may make git run another program, "
                        "use another repository or change its refs", f"run it without {option}, or ask a person",
                        severity="ask")
    if not command.argv:  # only assignments (or redirections): it runs nothing the patterns could name
        return
    rule, rules = _rules(policy, role)
    denied = _first_match(rules["deny"], text)
    if denied is not None:
        yield Violation(rule, "commands.deny", f"{shown}: matches deny pattern {denied!r}",
                        "do not run it: the policy forbids it")
        return
    asked = _first_match(rules["ask"], text)
    if asked is not None:
        yield Violation(rule, "commands.ask", f"{shown}: matches ask pattern {asked!r}",
                        "ask a person to run it, or approve it", severity="ask")
        return
    allowed, partial = _allowing(rules["allow"], text)
    default = rules["default"][0]
    if allowed is None and default != "allow":
        if partial is not None:  # the author's regex matched, but not the word they meant: ask
            word = text[:partial[1]].rsplit(" ", 1)[-1] + text[partial[1]:].split(" ", 1)[0]
            yield Violation(rule, "commands.partial", f"{shown}: allow pattern {partial[0]!r} matches only part "
                            f"of the word {word!r}", f"ask a person, or end the pattern at a word: "
                            f"(?:{partial[0]})(\\s|$)", severity="ask")
            return
        why = f"{shown}: no allow pattern matches it (default: {default})"
        fix = "ask a person to run it, or to add a pattern to the policy's allow list"
        if default == "ask":
            yield Violation(rule, "commands.ask", why, fix, severity="ask")
        else:
            yield Violation(rule, "commands.deny", why, fix)
        return
    unknown = unknown_options(_words(command))
    if unknown:
        yield Violation(rule, "commands.options", f"{shown}: {', '.join(unknown)}: not known to only read",
                        "run it without them, or ask a person", severity="ask")


def _switches(command: Any, shown: str) -> Iterator[Violation]:
    """Enforcement switched off, whatever the patterns say."""
    argv = command.argv
    hooks_off = [name for name, _ in _assigned(command) if name in HOOKS_OFF_VARIABLES]
    hooks_off += [f"{name}={value}" for name, value in _assigned(command) if "core.hookspath" in value.lower()]
    if argv[:1] == ("git",):
        sub, rest = _git_subcommand(argv)
        if any(a.startswith("--no-ver") for a in rest) or (sub == "commit" and any(_short_n(a) for a in rest)):
            hooks_off.append("--no-verify")
        hooks_off += [value for value in _git_config(argv) if "core.hookspath" in value.lower()]
        if sub == "config" and any(a.lower() == "core.hookspath" for a in rest):
            hooks_off.append("git config core.hooksPath")
    if hooks_off:
        yield Violation("commands", "commands.hooks_off", f"{shown}: {', '.join(hooks_off)} switches enforcement off",
                        "run it with the hooks on; the server judges the push anyway")


def _wrappers(command: Any, shown: str) -> Iterator[Violation]:
    """Wrappers, or wrapper options, not known to leave the command as the line shows it."""
    for words in command.wrappers:
        name = words[0].rsplit("/", 1)[-1].lstrip("\\")
        known = HARMLESS_WRAPPERS.get(name)
        if known is None:
            yield Violation("commands", "commands.wrapper", f"{shown}: {name} runs it in a way the check does not "
                            "follow (other arguments, another user or directory, a file it writes)",
                            f"run it without {name}, or ask a person", severity="ask")
            continue
        odd = [w for w in words[1:] if w.startswith("-") and w.split("=", 1)[0] not in known
               and (w.startswith("--") or w[:2] not in known)]  # -n10: -n and its value
        if odd:
            yield Violation("commands", "commands.wrapper", f"{shown}: {name} {odd[0]} may change what runs, "
                            "where, or what it writes", f"run it without {odd[0]}, or ask a person", severity="ask")


def _git_runs(argv: Sequence[str]) -> list[str]:
    """git's own options, and its subcommands' options, that may run a program the line names."""
    if argv[:1] != ("git",):
        return []
    found = []
    i = 1
    while i < len(argv) and argv[i].startswith("-"):
        option = argv[i].split("=", 1)[0]
        if option in GIT_OTHER:
            found.append(option)
        i += 2 if argv[i] in ("-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path") else 1
    sub = argv[i] if i < len(argv) else ""
    runs = GIT_RUNS.get(sub, ())
    found += [a.split("=", 1)[0] for a in argv[i + 1:] if a.split("=", 1)[0] in runs]
    return found


def _assigned(command: Any) -> list[tuple[str, str]]:
    """(name, value) of each NAME=value the command is run with (NAME+=value and NAME[i]=value
    assign NAME too)."""
    found = []
    for name, _, value in (a.partition("=") for a in command.assignments):
        found.append((name.rstrip("+").split("[", 1)[0], value))
    return found


def _safe_variable(name: str) -> bool:
    return name in HARMLESS or not (name in RUNS_OTHER or name.startswith(RUNS_OTHER_PREFIXES))


def _short_n(arg: str) -> bool:
    """`git commit -n` (or -an, -nm MSG): short flags up to the first that takes a value."""
    if not arg.startswith("-") or arg.startswith("--"):
        return False
    for letter in arg[1:]:
        if letter == "n":
            return True
        if letter in "CcFmtSu":  # the rest of the word is this flag's value
            return False
    return False


def _git_subcommand(argv: Sequence[str]) -> tuple[str, Sequence[str]]:
    """git's subcommand and its arguments, past git's own options (-C DIR, -c k=v, ...)."""
    i = 1
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] in ("-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path") else 1
    return (argv[i], argv[i + 1:]) if i < len(argv) else ("", ())


def _git_config(argv: Sequence[str]) -> list[str]:
    """The `-c key=value` settings given to git before its subcommand."""
    found = []
    i = 1
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] == "-c" and i + 1 < len(argv):
            found.append(argv[i + 1])
            i += 2
        elif argv[i] in ("-C", "--git-dir", "--work-tree", "--namespace"):
            i += 2
        else:
            if argv[i].startswith("--config-env"):
                found.append(argv[i].partition("=")[2])
            i += 1
    return found


def _edit(policy: Policy, request: FileEdit, role: tuple[int, Mapping[str, Any]] | None) -> Iterator[Violation]:
    if request.git_dir:
        yield Violation("commands", "commands.git_dir", f"a write into enforcement's own files (.git/, the hooks, "
                        f"the agent's hook settings): {request.path}",
                        "leave them alone: ask a person to change them")
        return
    if role is not None and role[1].get("edit") == "deny":
        yield Violation(f"commands.roles[{role[0]}]", "commands.edit",
                        f"{request.actor} edits no file (its role): {request.path}",
                        "delegate the change to a worker session")
    if not request.inside:
        yield Violation("commands", "commands.outside", f"a write outside the repository: {request.path}",
                        "work inside the repository, or ask a person", severity="ask")


def _words(command: Any) -> Sequence[str]:
    """The command's words, and for git without git's own options (`git -C dir push --force` is
    `git push --force`, as the SOP's patterns expect)."""
    if command.argv[:1] != ("git",):
        return command.argv
    sub, rest = _git_subcommand(command.argv)
    return ("git", sub, *rest) if sub else command.argv


def _text(command: Any) -> str:
    """What patterns are searched in: the words joined by single spaces."""
    return " ".join(_words(command))


def _first_match(patterns: Sequence[str], text: str) -> str | None:
    return next((p for p in patterns if compile_regex(p).search(text)), None)


WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")


def _allowing(patterns: Sequence[str], text: str) -> tuple[str | None, tuple[str, int] | None]:
    """The first allow pattern that matches whole words of ``text``; else (None, the first that
    matches only part of a word, with where its match ends): `^ls` allows `ls -la`, not `lsblk`,
    and `--head` does not allow `--header`."""
    partial = None
    for pattern in patterns:
        found = compile_regex(pattern).search(text)
        if found is None:
            continue
        end = found.end()
        if end == len(text) or text[end - 1] not in WORD or text[end] not in WORD \
                or compile_regex(f"(?:{pattern})(?:$|[^\\w.-])").search(text):
            return pattern, None
        partial = partial or (pattern, end)
    return None, partial
