"""`enforcer agent-hook claude`: Claude Code's PreToolUse hook, answered by the core.

Claude Code sends the tool call as JSON on stdin (`tool_name`, `tool_input`, `cwd`) and reads
the answer as JSON on stdout. It lets a call through when a hook exits 1 or times out, so this
adapter always exits 0 and answers `deny` when it cannot answer (bad input, an internal error).
Bash is the command check; Edit, Write, MultiEdit and NotebookEdit are edits of their file
(ownership, claims, the policy file, `.git/`, roles with `edit: deny`); a tool it does not know
is `ask`. See docs/agents.md.
"""
from __future__ import annotations

import json
import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from collections.abc import Sequence
    from typing import Any

    from enforcer.model import Decision

EDIT_TOOLS = {"Edit": "file_path", "Write": "file_path", "MultiEdit": "file_path", "NotebookEdit": "notebook_path"}
MAX_INPUT = 8 << 20  # a tool call larger than this is no tool call


def main(args: Sequence[str], stdin: bytes) -> int:
    """Print Claude Code's answer; always exit 0 (see the module's docstring)."""
    try:
        verdict, reason = judge(args, stdin)
    except Exception as e:  # a bug must not let a tool call through: deny, and say why
        from enforcer.errors import bug_message

        verdict, reason = "deny", f"enforcer: {bug_message(e)}"
    print(json.dumps({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": verdict,
                                             "permissionDecisionReason": reason}}, ensure_ascii=False))
    return 0


def judge(args: Sequence[str], stdin: bytes) -> tuple[str, str]:
    from enforcer.errors import EnforcerError

    try:
        options = _options(args)
        call = _call(stdin)
    except ValueError as e:
        return "deny", f"enforcer: {e}"
    try:
        decision = _decide(options, call)
    except EnforcerError as e:  # no policy, no actor, not a repository: say so, and refuse
        return "deny", f"enforcer: {e}"
    return decision.verdict, _reason(decision)


def _options(args: Sequence[str]) -> dict[str, str]:
    if not args or args[0] != "claude":
        raise ValueError("usage: enforcer agent-hook claude [--actor NAME] [--policy FILE]")
    options: dict[str, str] = {}
    rest = list(args[1:])
    while rest:
        name = rest.pop(0)
        key, _, value = name.partition("=")
        if key not in ("--actor", "--policy"):
            raise ValueError(f"unknown option {name!r}: enforcer agent-hook claude [--actor NAME] [--policy FILE]")
        if not value:
            if not rest:
                raise ValueError(f"{key} needs a value")
            value = rest.pop(0)
        options[key[2:]] = value
    return options


def _call(stdin: bytes) -> dict[str, Any]:
    if len(stdin) > MAX_INPUT:
        raise ValueError("the tool call on stdin is too large")
    try:
        call = json.loads(stdin.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValueError("stdin is not Claude Code's PreToolUse JSON") from None
    if not isinstance(call, dict) or not isinstance(call.get("tool_name"), str) \
            or not isinstance(call.get("tool_input"), dict):
        raise ValueError("the tool call has no tool_name or tool_input")
    return call


def _decide(options: dict[str, str], call: dict[str, Any]) -> Decision:
    from enforcer.actor import CLONE_SOURCES, clone_actor, needs_identity
    from enforcer.engine import decide
    from enforcer.git import GitError, Repo
    from enforcer.model import Decision, Violation
    from enforcer.policy import load_policy

    given_cwd = call.get("cwd")
    cwd = given_cwd if isinstance(given_cwd, str) and os.path.isdir(given_cwd) else os.getcwd()
    # the project's policy, never one beside the agent's shell: a directory the agent wrote can look
    # like a bare repository to git, which then finds no working tree above it
    project = os.environ.get("CLAUDE_PROJECT_DIR")
    repo: Repo | None = Repo(project if project and os.path.isdir(project) else cwd)
    try:
        root = repo.toplevel() if repo is not None else None
    except (GitError, OSError):
        root = None
    if root is None:  # not in a working tree: no claims, no identity from a repository
        repo = None
        if not options.get("policy"):
            return Decision("deny", (Violation("agent-hook", "agent.no_tree", f"{cwd} is in no repository's working "
                                               "tree, so there is no policy to judge by",
                                               "start the agent in the repository (CLAUDE_PROJECT_DIR), or pass "
                                               "--policy FILE"),))
    policy = load_policy(options.get("policy") or os.path.join(root or cwd, "policy.yaml"))
    email, name = repo.identity() if repo is not None and needs_identity(options.get("actor")) else (None, None)
    actor = clone_actor(policy, options.get("actor"), email, name)
    claims = repo.claims() if repo is not None else ()
    tool, given = call["tool_name"], call["tool_input"]
    now = time.time()
    if tool == "Bash" and isinstance(given.get("command"), str) and given["command"].strip():
        from enforcer.command_facts import command_line

        request: Any = command_line(policy, actor, given["command"], cwd, now=now, claims=claims,
                                    actor_vars=CLONE_SOURCES, repo=repo)
    elif tool in EDIT_TOOLS and isinstance(given.get(EDIT_TOOLS[tool]), str) and given[EDIT_TOOLS[tool]]:
        from enforcer.command_facts import Context

        request = Context(cwd, repo).edit(actor, given[EDIT_TOOLS[tool]], claims, now)._replace(
            actor_vars=CLONE_SOURCES)
    elif tool == "Bash" or tool in EDIT_TOOLS:
        return Decision("deny", (Violation("agent-hook", "agent.input", f"{tool} without its command or path",
                                           "send the tool's input as Claude Code does"),))
    else:
        return Decision("ask", (Violation("agent-hook", "agent.tool", f"enforcer does not judge the tool {tool!r}",
                                          "a person decides", severity="ask"),))
    return decide(policy, request)


def _reason(decision: Decision) -> str:
    if decision.allowed:
        return "enforcer: allowed by the policy"
    from enforcer.report import escape

    shown = "; ".join(f"{v.check}: {v.reason} (fix: {v.fix})" if v.fix else f"{v.check}: {v.reason}"
                      for v in decision.violations[:5])
    more = f"; and {len(decision.violations) - 5} more" if len(decision.violations) > 5 else ""
    return escape(f"enforcer: {shown}{more}")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:], sys.stdin.buffer.read()))
