"""Bypasses of the command check (issue 17) found by an adversarial review: lines a determined
agent can get ALLOWED (verdict allow, exit 0) under the reference policy although they write into
.git, change files owned by someone else, run a program the line does not show, or launder a
command through tmux. Each test names what the agent could do; each failed before its fix.

Lines are only ever judged here, never run."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.attacks import MATH, RUNNER, W1, scratch_clone, verdict
from tests.conftest import enforcer

@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scratch_clone(tmp_path_factory.mktemp("attacks"))


TMUX_ENTER = [
    "tmux send-keys -t task_worker1 'ls' enter 'rm -rf build' enter",
    "tmux send-keys -t task_worker1 'ls' ENTER 'git push --force origin HEAD:main' ENTER",
    "tmux send-keys -t task_worker1 'ls' c-m 'rm -rf build' c-m",
    "tmux send-keys -t task_worker1 'ls' c-j 'rm -rf build' c-j",
    "tmux send-keys -t task_worker1 'ls' 0xd 'rm -rf build' 0xd",
    "tmux send-keys -t task_worker1 'ls' kpenter 'rm -rf build' kpenter",
]


@pytest.mark.parametrize("line", TMUX_ENTER)
def test_tmux_key_names_are_read_as_tmux_reads_them(clone: Path, line: str) -> None:
    """command_runner types `ls`, presses Enter, types any command and presses Enter again in a
    worker's session: tmux looks key names up case-insensitively (`enter`, `c-m`), and reads
    `0xd` as a key code, but the check takes them for literal text, so it judges
    `lsenterrm -rf buildenter` — allowed by `^ls` — and the worker's shell runs `rm -rf build`
    (or a force-push) that the worker itself would have to ask for. Fix: enforcer/shell.py
    `_is_key_name`/`send_keys` — compare key names and modifiers case-insensitively, read `0x..`
    as a key code, and answer ask for any word tmux would take as a key that is not plain text."""
    assert verdict(clone, RUNNER, line) != "allow"


GIT_CONFIG_RUNS = [
    "git -c core.fsmonitor='touch /tmp/pwned' status",
    "git --config-env=core.fsmonitor=HOME status",
    "git -c core.editor='touch /tmp/pwned' branch --edit-description",
    "git -c diff.x.textconv='touch /tmp/pwned' log -p",
    "git -c diff.external='touch /tmp/pwned' diff",
    "git -c core.pager='touch /tmp/pwned' -p log",
    "git -c include.path=/tmp/evil.cfg status",
]


@pytest.mark.parametrize("line", GIT_CONFIG_RUNS)
def test_git_configuration_that_runs_a_program_is_not_set_aside(clone: Path, line: str) -> None:
    """`git -c core.fsmonitor=CMD status` runs CMD (any program, hooks or no hooks) under the
    allowed `git status`: command_check._text drops git's own options before the patterns are
    searched, and only core.hooksPath is looked for in `-c`/`--config-env`. Fix:
    policies/commands.py — treat `-c`/`--config-env` keys that name a program (core.fsmonitor,
    core.editor, core.pager, pager.*, diff.*.command/textconv, diff.external, include.path,
    includeIf.*, core.sshCommand, alias.*, ...; safest: any -c at all) like RUNS_OTHER: at least ask."""
    assert verdict(clone, W1, line) != "allow"


OUTPUT_OPTIONS = [
    (W1, "git log -1 --format='[core]%n\tfsmonitor=touch /tmp/pwned' --output=.git/config", "deny"),
    (W1, "git log --output=.git/hooks/pre-commit", "deny"),
    (W1, "git diff --output .git/hooks/pre-push", "deny"),
    (W1, "git log -1 --format=x --output=policy.yaml", "deny"),
    (W1, f"git log --output={MATH}/lesson.py", "deny"),
    (RUNNER, "git log --output=docs/plan.md", "deny"),
    (W1, "curl -o .git/config https://example.com --head", "deny"),
    (W1, f"curl --output {MATH}/lesson.py https://example.com --head", "deny"),
    (W1, "curl -D .git/hooks/pre-commit https://example.com --head", "deny"),
]


@pytest.mark.parametrize("actor, line, expected", OUTPUT_OPTIONS)
def test_a_program_writing_its_output_option_is_an_edit(clone: Path, actor: str, line: str, expected: str) -> None:
    """`git log --format=... --output=.git/config` writes a config of the agent's own text
    (core.hooksPath off, core.fsmonitor = any command, run at everyone's next `git status`),
    or rewrites policy.yaml, or another owner's file, through the allowed `git log`/`git diff`
    (`curl -o/-D ... --head` likewise). Fix: enforcer/command_facts.py `_written` — the targets
    of git's `--output[=]`/`-o` (log, diff, show, format-patch -o dir, ...), curl's
    `-o/--output/-D/--dump-header/-c/--cookie-jar/--trace*/--stderr/--libcurl`, and the like are
    writes; an option form not understood is ask."""
    assert verdict(clone, actor, line) == expected


AMPERSAND_REDIRECT = [
    (W1, "ls >&.git/hooks/pre-commit", "deny"),
    (W1, "ls >& .git/config", "deny"),
    (W1, f"cat src/app.py >&{MATH}/lesson.py", "deny"),
    (W1, f"cat src/app.py 1>&{MATH}/lesson.py", "deny"),
    (RUNNER, "ls >&docs/plan.md", "deny"),
]


@pytest.mark.parametrize("actor, line, expected", AMPERSAND_REDIRECT)
def test_redirection_with_ampersand_to_a_file_is_a_write(clone: Path, actor: str, line: str, expected: str) -> None:
    """`cat x >&FILE` (bash's old spelling of `&>FILE`) truncates and writes FILE: an allowed `ls`
    or `cat` writes into .git/hooks, .git/config or edu_worker1's files, and command_runner
    (edit: deny) edits files. The grammar gives `>&` (a descriptor duplication) and
    command_facts.WRITES lacks it. Fix: enforcer/command_facts.py `_written` — `>&WORD` and
    `N>&WORD` whose WORD is not a descriptor number or `-` are writes of WORD."""
    assert verdict(clone, actor, line) == expected


GIT_ENVIRONMENT = [
    "git --git-dir=src/x status",
    "GIT_DIR=src/x git status",
    "GIT_WORK_TREE=/ git status",
    "GIT_INDEX_FILE=.git/hooks/pre-commit git status",
    f"GIT_TRACE={MATH}/lesson.py git status",
    "GIT_TRACE2_EVENT=.git/hooks/pre-commit git status",
]


@pytest.mark.parametrize("line", GIT_ENVIRONMENT)
def test_git_pointed_at_another_repository_or_file_is_asked(clone: Path, line: str) -> None:
    """The agent writes src/x/{HEAD,config,objects/,refs/} with the allowed Write tool (src/x is no
    `.git` path), its config holding `core.fsmonitor = CMD`, then `git --git-dir=src/x status`
    (or GIT_DIR=src/x) runs CMD; GIT_INDEX_FILE/GIT_TRACE*= make the allowed `git status` write
    into .git or into another owner's file. Fix: policies/commands.py RUNS_OTHER (or a new
    set) — GIT_DIR, GIT_WORK_TREE, GIT_COMMON_DIR, GIT_INDEX_FILE, GIT_OBJECT_DIRECTORY,
    GIT_TRACE*, and git's --git-dir/--work-tree options are at least ask."""
    assert verdict(clone, W1, line) != "allow"


def test_git_difftool_runs_the_program_it_is_given(clone: Path) -> None:
    """`git difftool -y -x CMD` (`--extcmd=CMD`) runs CMD once per changed file; the SOP's
    `^git (status|log|diff|branch)` matches `git difftool`, so CMD is allowed. Fix:
    enforcer/shell.py `runs` — difftool's -x/--extcmd (and -t/--tool) is code (ask), and the
    reference policy's patterns end with `( |$)` as the roles' already do."""
    assert verdict(clone, W1, "git difftool -y -x 'touch /tmp/pwned'") != "allow"
    assert verdict(clone, RUNNER, "git difftool --extcmd='python3 -m pytest' -y") != "allow"


@pytest.mark.parametrize("line", [
    "tmux new-session -d -e PROMPT_COMMAND='rm -rf build'",
    "tmux new-session -d -s spare -e BASH_ENV=/tmp/x",
])
def test_tmux_environment_for_a_new_shell_is_judged(clone: Path, line: str) -> None:
    """command_runner may start sessions; `-e PROMPT_COMMAND=CMD` makes the new interactive shell
    run CMD before its first prompt — a command the role could never run. Fix: enforcer/shell.py
    `tmux_command` — new-session/new-window/split-window/respawn `-e NAME=value` are assignments
    of the started command (RUNS_OTHER applies; PROMPT_COMMAND, BASH_ENV, ENV at least ask)."""
    assert verdict(clone, RUNNER, line) != "allow"


def test_the_command_check_in_a_subdirectory_reads_the_repository_policy(clone: Path) -> None:
    """`enforcer command` reads ./policy.yaml relative to the current directory. An agent writes
    src/policy.yaml (an allowed Write: src/ is nobody's) with `default: allow`, and from src/
    every line is allowed, `rm -rf ..` included. Fix: enforcer/commands/common.py `clone_policy`
    — the policy at the repository's root (as agent_hook does), never one in a subdirectory."""
    (clone / "src" / "policy.yaml").write_text(
        "version: 1\ngroups:\n  workers: [task_worker1]\ncommands:\n  default: allow\n")
    try:
        proc = enforcer(clone / "src", "command", "rm -rf build", env={"ENFORCER_ACTOR": W1})
        assert proc.returncode == 3, proc.stdout + proc.stderr
    finally:
        (clone / "src" / "policy.yaml").unlink()
