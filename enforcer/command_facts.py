"""A command line's facts: its simple commands (enforcer.shell), and what it would do.

The core judges a line's text by the `commands` patterns; what the line would
do is judged by the rules of each kind, as derived requests: each file it
writes (a redirection, `tee`, `cp`/`mv` targets, `sed -i`, `rm`, `touch`, ...)
is a FileEdit (ownership, claims, the policy file, `.git/`), each ref a
`git push` would update a RefUpdate (the branch matrix, as pre-push judges
it), a `git commit` the StagedChange pre-commit judges, and keys typed into
another tmux session a command line of that session's actor.
"""
from __future__ import annotations

import os

from enforcer import facts
from enforcer.git import GitError, Repo
from enforcer.model import ZERO, Claim, CommandLine, FileEdit, RefUpdate
from enforcer.policy import Policy

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Sequence
    from typing import Any

    from enforcer.model import Request

WRITES = (">", ">>", ">|", "&>", "&>>", "<>", ">&")  # redirections that write their target (>&N: a descriptor)
# options whose value is a file the command writes (git log --output=F, curl -o F, ...)
OUTPUT_OPTIONS = {
    "git": ("--output", "-o"),
    "curl": ("-o", "--output", "-D", "--dump-header", "-c", "--cookie-jar", "--trace", "--trace-ascii", "--stderr",
             "--etag-save", "--hsts", "--alt-svc", "--libcurl", "--output-dir", "--ssl-sessions"),
    "pytest": ("--log-file", "--junitxml", "--junit-xml", "--basetemp", "--debug", "--report-log", "--result-log",
               "--resultlog"),
    "wget": ("-O", "--output-document", "-o", "--output-file", "-a", "--append-output", "-P", "--directory-prefix"),
    "sort": ("-o", "--output"), "tar": ("-f", "--file"),
}
# commands whose operands (all, or the last) are files they write, create or remove
WRITES_OPERANDS = frozenset({"tee", "rm", "rmdir", "unlink", "touch", "truncate", "mkdir", "shred"})
WRITES_LAST = frozenset({"cp", "mv", "ln", "install", "rsync"})
UNFIXED = set("$`*?[{~")  # a target the text does not fix (an expansion, a glob)
DEVICES = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"})  # written, and nothing is
# files of the working tree that switch enforcement off when changed: Claude Code's settings (the
# PreToolUse hook, disableAllHooks) and the pre-commit framework's list of hooks
ENFORCEMENT_FILES = frozenset({".claude/settings.json", ".claude/settings.local.json", ".pre-commit-config.yaml"})
# at any depth: an agent started in a subdirectory reads its .claude/ there
AGENT_SETTINGS = ("/.claude/settings.json", "/.claude/settings.local.json")


class Context:
    """Where a line runs: the repository (None outside one), its root, and the directories that are
    enforcement's own: the git directories and the hooks directory (core.hooksPath may put it in
    the working tree)."""

    def __init__(self, cwd: str, repo: Repo | None, root: str | None = None) -> None:
        self.cwd = os.path.realpath(cwd)
        self.repo = repo
        self.root = root  # given: a repository the line is imagined in (a policy's self-test)
        self.git_dirs: list[str] = [os.path.join(root, ".git")] if root else []
        found = repo.layout() if repo is not None else None
        if found is not None:
            self.root = os.path.realpath(found[0])
            self.git_dirs = sorted({os.path.realpath(d) for d in found[1]})
        elif root is None:
            self.repo = None

    def edit(self, actor: str | None, target: str, claims: tuple[Claim, ...], now: float) -> FileEdit:
        """A write of ``target`` (as the line names it) as the rules see it: relative to the repository's
        root, symlinks resolved, inside or outside it, inside .git or not."""
        path = os.path.realpath(os.path.join(self.cwd, os.path.expanduser(target)))
        git_dir = any(path == d or path.startswith(d + os.sep) for d in self.git_dirs) \
            or os.sep + ".git" + os.sep in path + os.sep
        inside = self.root is not None and (path == self.root or path.startswith(self.root + os.sep))
        shown = os.path.relpath(path, self.root) if inside and self.root else path
        relative = shown.replace(os.sep, "/")
        git_dir = git_dir or (inside and (relative in ENFORCEMENT_FILES or relative.endswith(AGENT_SETTINGS)))
        return FileEdit(actor, shown.replace(os.sep, "/"), inside=inside and not git_dir, git_dir=git_dir,
                        claims=claims, now=now)


def command_line(policy: Policy, actor: str | None, line: str, cwd: str = ".", *, now: float = 0.0,
                 claims: tuple[Claim, ...] = (), actor_vars: tuple[str, ...] = (),
                 imagined: bool = False, repo: Repo | None = None) -> CommandLine:
    """The line, parsed, with the requests its parts make. ``imagined``: judge it as run at the root
    of a repository, without reading one (a policy's self-test: what `git push` would do is then
    not known, only the text is judged)."""
    from enforcer import shell

    parsed = shell.parse(line)
    repo = None if imagined else (repo or Repo(cwd))
    context = Context("/repository", None, "/repository") if imagined else Context(cwd, repo)
    sessions: dict[str, list[Any]] = {}
    for command in parsed.commands:
        if command.session is not None:
            sessions.setdefault(command.session, []).append(command._replace(session=None))
    own = [c for c in parsed.commands if c.session is None]
    request = _judged(policy, actor, line, own, parsed.opaque, context, cwd, now, claims, actor_vars)
    typed = []  # delegation cannot launder a command: typed keys are the session's actor's
    for session, commands in sessions.items():
        who = policy.aliases.get(session, session)
        keys = "; ".join(c.text for c in commands)
        typed.append((f"keys typed into {session}",
                      _judged(policy, who, keys, commands, (), context, cwd, now, claims, ("the tmux session",))))
    return request._replace(derived=request.derived + tuple(typed))


def _judged(policy: Policy, actor: str | None, line: str, commands: Sequence[Any], opaque: Sequence[str],
            context: Context, cwd: str, now: float, claims: tuple[Claim, ...],
            actor_vars: tuple[str, ...]) -> CommandLine:
    """A command line of ``commands``, with the edits, pushes and commits they make."""
    why = list(opaque)
    derived: list[tuple[str, Request]] = []
    for command in commands:
        for target in _written(command):
            if target in DEVICES:
                continue
            if UNFIXED & set(target):
                why.append(f"{command.text[:80]}: writes {target!r}, a path the text does not fix")
            else:
                derived.append((command.text[:80], context.edit(actor, target, claims, now)))
        if command.argv[:1] == ("git",) and context.repo is not None:
            git_derived, git_why = _git(policy, actor, command, cwd, now, claims, actor_vars)
            derived += git_derived
            why += git_why
    return CommandLine(actor=actor, line=line, actor_vars=actor_vars, commands=tuple(commands), opaque=tuple(why),
                       derived=tuple(derived))


def _repo(cwd: str) -> Repo | None:
    """The working tree ``cwd`` is in, or None."""
    repo = Repo(cwd)
    try:
        return repo if repo.layout() is not None else None
    except (GitError, OSError):  # cwd is gone, or git cannot run there
        return None


def _written(command: Any) -> list[str]:
    """The files a simple command writes: its redirections' targets, and its operands where the
    command writes them."""
    targets = [target for op, target in command.redirects if op.lstrip("0123456789") in WRITES
               and not (op.endswith(">&") and (target.isdigit() or target == "-"))]  # >&2: a descriptor
    name, args = command.argv[0] if command.argv else "", command.argv[1:]
    if _pytest(command.argv):
        name, args = "pytest", args[2:] if name.startswith("python") else args
    targets += _option_values(args, OUTPUT_OPTIONS.get(name, ()))
    if name == "curl":
        targets += _curl_writes(args)
    operands = [a for a in args if not a.startswith("-")]
    if name in WRITES_OPERANDS:
        targets += operands
    elif name in WRITES_LAST and len(operands) >= 2:
        targets.append(operands[-1])
    elif name == "sed" and any(a == "-i" or a.startswith(("-i", "--in-place")) for a in args):
        scripted = any(a in ("-e", "-f") or a.startswith(("--expression", "--file")) for a in args)
        targets += operands if scripted else operands[1:]  # without -e, the first operand is the script
    elif name == "dd":
        targets += [a[3:] for a in args if a.startswith("of=")]
    return targets


def _option_values(args: Sequence[str], options: Sequence[str]) -> list[str]:
    """The values given to ``options``: `--output=F`, `--output F`, `-o F`, `-oF`, and in a cluster of
    short flags (`-sSLo F`, `-sSLoF`) the one that takes a value ends it."""
    found = []
    for i, arg in enumerate(args):
        name, equals, value = arg.partition("=")
        if equals and name in options and name.startswith("--"):
            found.append(value)
        elif arg in options and i + 1 < len(args):
            found.append(args[i + 1])
        elif len(arg) > 2 and arg[0] == "-" and arg[1] != "-":
            for j, letter in enumerate(arg[1:], 1):
                if "-" + letter in options:
                    found.append(arg[j + 1:] or (args[i + 1] if i + 1 < len(args) else ""))
                    break
    return [f for f in found if f]


def _curl_writes(args: Sequence[str]) -> list[str]:
    """Files curl names itself: -O/--remote-name(-all) writes each URL's last part here; a
    --write-out format's %output{FILE} writes FILE."""
    found = []
    remote = any(a in ("-O", "--remote-name", "--remote-name-all") or (
        a.startswith("-") and not a.startswith("--") and "O" in a[1:].split("o")[0]) for a in args)
    if remote:
        found += [a.rstrip("/").rsplit("/", 1)[-1] or "index.html" for a in args if "://" in a]
    for value in _option_values(args, ("-w", "--write-out")):
        found += [part.split("}", 1)[0].lstrip(">") for part in value.split("%output{")[1:]]
    return found


def _pytest(argv: Sequence[str]) -> bool:
    return argv[:1] in (("pytest",), ("py.test",)) or (
        bool(argv) and argv[0].startswith("python") and tuple(argv[1:3]) == ("-m", "pytest"))


# -- git ---------------------------------------------------------------------------------------

def _git(policy: Policy, actor: str | None, command: Any, cwd: str, now: float, claims: tuple[Claim, ...],
         actor_vars: tuple[str, ...]) -> tuple[list[tuple[str, Request]], list[str]]:
    """What `git push` and `git commit` would do, as the rules judge pushes and commits."""
    argv = command.argv
    where = cwd
    i = 1
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] == "-C" and i + 1 < len(argv):
            where = os.path.join(where, argv[i + 1])
        i += 2 if argv[i] in ("-C", "-c", "--git-dir", "--work-tree", "--namespace") else 1
    if i >= len(argv):
        return [], []
    sub, rest = argv[i], list(argv[i + 1:])
    repo = _repo(where)
    if repo is None:
        return [], [f"{command.text[:80]}: runs in {where!r}, which is no repository here"]
    here = _repo(cwd) if where != cwd else repo
    if here is None or repo.layout() != here.layout():
        # a directory the agent wrote can be a repository whose config runs programs
        return [], [f"{command.text[:80]}: git -C into another repository ({where!r})"]
    if sub == "push":
        return _push(policy, actor, repo, rest, command.text[:80], now, claims, actor_vars)
    if sub == "commit":
        from enforcer.client import staged_change

        change = staged_change(policy, repo)._replace(actor=actor, actor_vars=actor_vars)
        return [(command.text[:80], change)], []
    return [], []


PUSH_VALUE_OPTIONS = ("--repo", "--receive-pack", "--exec", "-o", "--push-option", "--signed", "--recurse-submodules")


def _push(policy: Policy, actor: str | None, repo: Repo, args: list[str], label: str, now: float,
          claims: tuple[Claim, ...], actor_vars: tuple[str, ...]) -> tuple[list[tuple[str, Request]], list[str]]:
    """The ref updates `git push ARGS` would make, judged as pre-push judges them (what the remote
    has is what this clone has fetched of it)."""
    delete = everything = False
    operands: list[str] = []
    why: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-d", "--delete"):
            delete = True
        elif arg in ("--all", "--branches"):
            everything = True
        elif arg in ("--mirror", "--tags", "--follow-tags", "--prune"):
            why.append(f"{label}: {arg} pushes refs the line does not name")
        elif arg in ("-o", "--push-option") or arg.startswith("--push-option="):
            value = arg.partition("=")[2] if "=" in arg else (args[i + 1] if i + 1 < len(args) else "")
            if value.startswith("enforcer.break-glass"):
                why.append(f"{label}: a break-glass override is a person's decision")
        elif arg == "--repo" and i + 1 < len(args):
            operands.insert(0, args[i + 1])
        if arg in PUSH_VALUE_OPTIONS and "=" not in arg:
            i += 2
            continue
        if not arg.startswith("-"):
            operands.append(arg)
        i += 1
    current = repo.current_branch()
    remote = operands[0] if operands else (repo.config_value(f"branch.{current}.remote") if current else None) \
        or "origin"
    refspecs = operands[1:]
    if everything:
        refspecs = sorted(repo.branch_tips())
    elif not refspecs:
        if current is None:
            return [], [f"{label}: pushes from a detached HEAD with no refspec"]
        refspecs = [current]
    local, tracked = repo.branches(remote_too=True)
    known = sorted(set(tracked.values()))
    out: list[tuple[str, Request]] = []
    for spec in refspecs:
        src, _, dst = spec.lstrip("+").partition(":")
        if delete:
            src, dst = "", src
        dst = dst or src
        ref = dst if dst.startswith("refs/") else (f"refs/tags/{dst}" if repo.resolve(f"refs/tags/{src or dst}")
                                                   and src not in local else f"refs/heads/{dst}")
        new = repo.resolve(src) if src else ZERO
        if src and new is None:
            why.append(f"{label}: {src!r} names no commit here")
            continue
        branch = ref[len("refs/heads/"):] if ref.startswith("refs/heads/") else None
        old = (tracked.get(branch) if branch else repo.resolve(ref)) or ZERO
        if old == new:  # git sends no update for a ref that would not move
            continue
        request = facts.ref_update(repo, policy, actor, ref, old, new or ZERO,
                                   exclude=sorted(set(known) | ({old} - {ZERO})), branch_tips=lambda: {**tracked},
                                   actor_vars=actor_vars, now=now, claims=claims)
        out.append((f"{label} ({ref})", request))
    return out, why
