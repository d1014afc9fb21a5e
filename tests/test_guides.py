"""The guides' snippets as a newcomer pastes them (issue 20): the Claude Code settings of
docs/agents.md, run as Claude Code runs a hook command."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from tests.conftest import ROOT, enforcer, git, policy_repo


def settings_snippet() -> dict[str, object]:
    text = (ROOT / "docs" / "agents.md").read_text()
    block = re.search(r"```json\n(\{\n  \"hooks\".*?)\n```", text, re.S)
    assert block, "docs/agents.md has the settings.json snippet"
    return json.loads(block.group(1))


def test_the_claude_code_settings_snippet_works_as_pasted(tmp_path: Path) -> None:
    settings = settings_snippet()
    [entry] = settings["hooks"]["PreToolUse"]  # type: ignore[index]
    assert set(entry["matcher"].split("|")) == {"Bash", "Edit", "Write", "MultiEdit", "NotebookEdit"}
    [hook] = entry["hooks"]
    clone = policy_repo(tmp_path / "clone")
    git(clone, "switch", "-qc", "feature/x-1128")
    assert enforcer(clone, "install").returncode == 0
    # the session's name, as `tmux display-message -p '#S'` prints it inside the agent's session
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "tmux").write_text("#!/bin/sh\necho task_worker1\n")
    (bin_dir / "tmux").chmod(0o755)
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(clone), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    env.pop("ENFORCER_ACTOR", None)
    for command, expected in (("rm -rf build", "ask"), ("git status", "allow"),
                              ("cat x > .git/hooks/pre-commit", "deny")):
        call = {"session_id": "s", "cwd": str(clone), "hook_event_name": "PreToolUse", "tool_name": "Bash",
                "tool_input": {"command": command}}
        proc = subprocess.run(["sh", "-c", hook["command"]], input=json.dumps(call), capture_output=True, text=True,
                              cwd=clone, env=env, timeout=hook.get("timeout", 30))
        assert proc.returncode == 0, proc.stderr
        answer = json.loads(proc.stdout)["hookSpecificOutput"]
        assert answer["hookEventName"] == "PreToolUse" and answer["permissionDecision"] == expected, answer
