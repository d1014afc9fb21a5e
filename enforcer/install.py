"""Write and remove the hook shims, beside hooks already there.

A shim is a few lines of sh that exec the installed interpreter (absolute
path) to run ``enforcer hook NAME`` (see ``python_command``); post-receive's
is plain sh. A hook already in place moves to ``NAME.before-enforcer`` and is
run first, with the same arguments and stdin; ``uninstall`` puts it back. In ``NAME.d/`` folders (GitLab custom
hooks, Gitea/Forgejo) the hosting server runs every file, so ours is one
file there and nothing moves.
"""
from __future__ import annotations

import functools
import json
import os
import shlex
import site
import stat
import subprocess
import sys
from pathlib import Path
from typing import Iterable

from enforcer.errors import EnforcerError
from enforcer.hookrun import CHAINED
from enforcer.records import SPOOL
from enforcer.server_hooks.server_policy import LAST_GOOD, PENDING

MARKER = "# enforcer-hook-shim v1: written by `enforcer install`; `enforcer uninstall` removes it"
D_NAME = "enforcer"


# post-receive runs after the refs moved, so it only has to leave a trace: a
# line per ref appended to a spool (one write each, atomic with O_APPEND),
# read into the records store by the next enforcer that opens it. No Python
# starts, which keeps a push's hook time down. Ref names hold no spaces.
# It also keeps a bootstrap's policy, set aside by pre-receive, as the last good
# one: git runs post-receive only for refs that really moved.
POST_RECEIVE = r"""#!/bin/sh
MARKER
# A hook that was here before is kept as post-receiveCHAINED and runs first.
# What landed goes to a spool that enforcer reads into its records store.
input=$(cat)
if [ -x "$0CHAINED" ]; then printf '%s\n' "$input" | "$0CHAINED" "$@"; fi
dir="${GIT_DIR:-$(git rev-parse --git-dir)}/enforcer"  # git exports GIT_DIR to hooks
[ -d "$dir" ] || mkdir -p "$dir" || { echo "enforcer: warning: cannot record what landed in $dir" >&2; exit 0; }
# The bootstrap's policy waits in @PENDING@<commit> (line 1: its ref) until git has moved
# that ref to that commit, which is now: it becomes the last good policy (receive.py).
keep_bootstrap() {
    [ "$(head -n 1 "$dir/@PENDING@$1")" = "$2" ] || return 0
    tail -n +2 "$dir/@PENDING@$1" >"$dir/.tmp.$$.@LAST_GOOD@" &&
        mv -f "$dir/.tmp.$$.@LAST_GOOD@" "$dir/@LAST_GOOD@" && rm -f "$dir/@PENDING@"* ||
        echo "enforcer: warning: could not keep the bootstrap's policy yet; the next push will" >&2
}
now=$(date +%s)
printf '%s\n' "$input" | while read -r old new ref; do
    [ -n "$ref" ] || continue
    printf '%s %s %s %s\n' "$now" "$old" "$new" "$ref" >>"$dir/SPOOL" ||
        echo "enforcer: warning: could not record that $ref landed" >&2
    if [ -f "$dir/@PENDING@$new" ]; then keep_bootstrap "$new" "$ref"; fi
done
# A tag may deploy (on_tag_push) and an approval is recorded: only then does Python start.
case "$input" in
*" refs/tags/"*|*" refs/enforcer/approvals/"*) printf '%s\n' "$input" | @PYTHON@ ;;
esac
exit 0
""".replace("MARKER", MARKER).replace("SPOOL", SPOOL).replace("CHAINED", CHAINED).replace(
    "@PENDING@", PENDING).replace("@LAST_GOOD@", LAST_GOOD)


# reference-transaction runs for every ref update the repository makes (git >= 2.28), so its
# shim is sh that starts Python only where a claim ref is about to be written: in the
# "prepared" state, with git's ref locks held (server_hooks/reference_transaction.py).
REFERENCE_TRANSACTION = r"""#!/bin/sh
MARKER
# A hook that was here before is kept as reference-transactionCHAINED and runs first.
input=$(cat)
if [ -x "$0CHAINED" ]; then printf '%s\n' "$input" | "$0CHAINED" "$@" || exit $?; fi
[ "$1" = prepared ] || exit 0
case "$input" in *" refs/enforcer/claims/"*) ;; *) exit 0 ;; esac
printf '%s\n' "$input" | exec @PYTHON@ "$1"
""".replace("MARKER", MARKER).replace("CHAINED", CHAINED)


@functools.lru_cache(maxsize=1)
def python_command() -> str:
    """How a shim starts enforcer: the installed interpreter (absolute path), without ``site``
    when enforcer and its dependencies import that way.

    Processing site-packages' .pth files costs every Python start a few
    milliseconds, tens where editable installs and tooling add their own, and
    a hook pays it on every commit and push. So the shim sets sys.path itself
    (the directories ``site`` would add) when a trial start shows that works;
    otherwise it starts Python the usual way. -P: the working directory (a
    repository's content, or the git dir's enforcer/ folder) never shadows the
    package.
    """
    import enforcer

    paths = [os.path.dirname(os.path.dirname(os.path.abspath(enforcer.__file__)))]
    user = [site.getusersitepackages()] if site.ENABLE_USER_SITE else []  # as site itself decides
    paths += [p for p in site.getsitepackages() + user if os.path.isdir(p)]
    paths = list(dict.fromkeys(paths))
    preamble = f"import sys; sys.path += {json.dumps(paths)}"  # after the standard library, as site does
    trial = f"{preamble}; import enforcer.hookrun, enforcer.policies, re2, yaml, jsonschema, pathspec"
    fast = subprocess.run([sys.executable, "-S", "-P", "-c", trial], capture_output=True).returncode == 0
    python = shlex.quote(sys.executable)
    if not fast:
        return f"{python} -P -m enforcer"
    start = f"{preamble}; from enforcer.main import main; sys.exit(main())"
    return f"{python} -S -P -c {shlex.quote(start)}"


def module_command(module: str) -> str:
    """How a shim runs ``module``'s ``main(argv)``, started as python_command() starts enforcer."""
    command = python_command()
    call = f"from {module} import main; sys.exit(main(sys.argv[1:]))"
    if " -S -P -c " in command:  # the fast start: the same sys.path, another entry point
        python, _, start = command.partition(" -S -P -c ")
        preamble = shlex.split(start)[0].split("; from enforcer.main import")[0]
        return f"{python} -S -P -c {shlex.quote(f'{preamble}; {call}')}"
    return f"{shlex.quote(sys.executable)} -P -c {shlex.quote(f'import sys; {call}')}"


LAUNCHER = "enforcer"  # in <common git dir>/enforcer/: enforcer, started as the hooks start


def write_launcher(common_dir: Path) -> Path:
    """``enforcer`` without the console script's start-up (site and its .pth files), for what an
    agent runs on every tool call: `agent-hook claude`, `command LINE` (docs/agents.md)."""
    target = common_dir / "enforcer" / LAUNCHER
    target.parent.mkdir(parents=True, exist_ok=True)
    _write_executable(target, f'#!/bin/sh\n{MARKER}\nexec {python_command()} "$@"\n')
    return target


def remove_launcher(common_dir: Path) -> list[str]:
    target = common_dir / "enforcer" / LAUNCHER
    if not is_ours(target):
        return []
    target.unlink()
    return [f"{target}: removed"]


def shim_text(hook: str) -> str:
    if hook == "post-receive":
        return POST_RECEIVE.replace("@PYTHON@", module_command("enforcer.server_hooks.post_receive"))
    if hook == "reference-transaction":
        return REFERENCE_TRANSACTION.replace("@PYTHON@", module_command("enforcer.server_hooks.reference_transaction"))
    return (f"#!/bin/sh\n{MARKER}\n"
            f"# A hook that was here before is kept as {hook}{CHAINED} and runs first.\n"
            f'exec {python_command()} hook {hook} --shim "$0" -- "$@"\n')


def is_ours(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return MARKER.encode() in f.read(4096)
    except OSError:
        return False


def _write_executable(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.enforcer-tmp")
    tmp.write_text(text)
    tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH | stat.S_IRUSR)
    os.replace(tmp, path)


def install(hooks_dir: Path, hooks: Iterable[str], d_folders: bool = False) -> list[str]:
    """Install shims for ``hooks``; returns one line per hook saying what was done."""
    done: list[str] = []
    for hook in hooks:
        if d_folders:
            target = hooks_dir / f"{hook}.d" / D_NAME
            _write_executable(target, shim_text(hook))
            done.append(f"{target}: installed")
            continue
        target = hooks_dir / hook
        chained = target.with_name(hook + CHAINED)
        note = "installed"
        if (target.exists() or target.is_symlink()) and not is_ours(target):
            if chained.exists() or chained.is_symlink():
                raise EnforcerError(f"{target} and {chained} both exist and neither is enforcer's: "
                                    f"move one of them away, then install again")
            os.replace(target, chained)
            note = f"installed; the hook that was there runs first, kept as {chained.name}"
        elif is_ours(target):
            note = "already installed (rewritten)"
        _write_executable(target, shim_text(hook))
        done.append(f"{target}: {note}")
    return done


def uninstall(hooks_dir: Path, hooks: Iterable[str], d_folders: bool = False) -> list[str]:
    done: list[str] = []
    for hook in hooks:
        target = hooks_dir / f"{hook}.d" / D_NAME if d_folders else hooks_dir / hook
        kept = hooks_dir / f"{hook}.legacy"  # where the pre-commit framework keeps a hook it replaced
        if not d_folders and not is_ours(target) and is_ours(kept):
            kept.unlink()
            done.append(f"{kept}: removed (the pre-commit framework had kept it there)")
            continue
        if not is_ours(target):
            continue
        target.unlink()
        chained = target.with_name(hook + CHAINED)
        if not d_folders and (chained.exists() or chained.is_symlink()):
            os.replace(chained, target)
            done.append(f"{target}: removed; the earlier hook is back in place")
        else:
            done.append(f"{target}: removed")
    return done
