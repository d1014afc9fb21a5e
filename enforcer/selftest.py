"""Policy self-tests: each `tests:` entry as the request it describes, judged by the core.

Validation proper (enforcer.validate) knows nothing of the core, so that the
policy loader does not import the engine that imports it; a full check of a
policy file (`enforcer validate`, a pushed policy) comes through here.
"""
from __future__ import annotations

import shlex

from enforcer.engine import decide
from enforcer.model import ZERO, Approved, Commit, Deploy, FileEdit, RefUpdate
from enforcer.policy import Policy
from enforcer.policy import check_policy_bytes as _checked

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: a pushed policy is checked on the server's hook path
    from collections.abc import Mapping
    from typing import Any

    from enforcer.errors import Problem
    from enforcer.model import Request
    from enforcer.validate import Located

OLD, NEW, SIDE, TAG_OBJECT = "1" * 40, "2" * 40, "3" * 40, "4" * 40
# a test's request has made-up commits: its messages name them by what they stand for
MEANINGS = ((NEW, "the test's commit"), (SIDE, "the test's merged commit"), (OLD, "the branch's tip before it"),
            (TAG_OBJECT, "the test's tag object"))
FAILING_CHECK = "the test's failing check"  # checks_failed where the policy has no checks.before_deploy


def readable(message: str) -> str:
    """``message`` with the placeholder commit ids (whole, or shortened as reasons show them) named."""
    for sha, meaning in MEANINGS:
        message = message.replace(sha, meaning).replace(sha[:10], meaning)
    return message


def case_request(test: Mapping[str, Any], policy: Policy) -> Request:
    """A test as its request: `{actor, command: LINE}` a command line run at a repository's root
    (the policy's aliases name tmux sessions' actors), `{actor, edit: PATH}` a file edit,
    `{actor, deploy: ENV, tag: T, ...}` a deploy (deploy_request), the rest a ref update
    (request_for)."""
    if "deploy" in test:
        return deploy_request(test, policy)
    if "command" in test:
        from enforcer.command_facts import command_line

        return command_line(policy, test["actor"], test["command"], imagined=True)
    if "edit" in test:
        path = test["edit"]
        return FileEdit(test["actor"], path, git_dir=path == ".git" or path.startswith(".git/"))
    return request_for(test)


def deploy_request(test: Mapping[str, Any], policy: Policy) -> Deploy:
    """`{actor, deploy: ENV, tag: T, [after_ok: [envs]], [approved_by: [actors]], [rollback],
    [checks_failed]}` as the runner's deploy request: the tag points to one made-up commit (and tag
    object) throughout, which deployed successfully to each of ``after_ok`` and which each of
    ``approved_by`` approved for ENV. The checks stage is judged too: every ``checks.before_deploy``
    passed, or with ``checks_failed`` the first of them failed (exit 1)."""
    env, tag = test["deploy"], test["tag"]
    commands = [shlex.join(argv) for argv in policy.check_commands("before_deploy")]  # as the runner names them
    if test.get("checks_failed"):
        checks = tuple((c, 1 if i == 0 else 0) for i, c in enumerate(commands or [FAILING_CHECK]))
    else:
        checks = tuple((c, 0) for c in commands)
    return Deploy(actor=test["actor"], env=env, tag=tag, commit=NEW, tag_object=TAG_OBJECT,
                  deployed=tuple((e, test["tag"], NEW) for e in test.get("after_ok", ())),
                  approvals=tuple(Approved(env, tag, a, TAG_OBJECT, 0.0) for a in test.get("approved_by", ())),
                  checks=checks, rollback=bool(test.get("rollback")))


def request_for(test: Mapping[str, Any]) -> RefUpdate:
    """`{actor, push: B, [merge: SOURCE], [create], [force], [delete], [paths]}` or
    `{actor, tag: T, [annotated], [move], [delete]}` as a ref update."""
    actor = test["actor"]
    paths = tuple(test.get("paths", ("README.md",)))
    old = ZERO if test.get("create") else OLD
    if "tag" in test:
        moved = test.get("move") or test.get("delete")
        return RefUpdate(actor=actor, ref=f"refs/tags/{test['tag']}", old=OLD if moved else ZERO,
                         new=ZERO if test.get("delete") else NEW, annotated=test.get("annotated", True))
    ref = f"refs/heads/{test['push']}"
    if test.get("delete"):
        return RefUpdate(actor=actor, ref=ref, old=OLD, new=ZERO)
    commits: tuple[Commit, ...]
    if "merge" in test:
        commits = (Commit(NEW, (OLD, SIDE), ()), Commit(SIDE, (OLD,), paths))
        sources: tuple[tuple[str, str], ...] = ((SIDE, test["merge"]),)
    else:
        commits = (Commit(NEW, (OLD,), paths),)
        sources = ()
    return RefUpdate(actor=actor, ref=ref, old=old, new=NEW, commits=commits,
                     fast_forward=not test.get("force"), sources=sources)


def check_policy_bytes(raw: bytes, name: str) -> tuple[dict[str, Any], list[Problem]]:
    """Every problem of a policy file, its `tests:` included."""
    return _checked(raw, name, run)


def run(data: dict[str, Any], doc: Located) -> None:
    """Each test's verdict (and check ids, when the test lists them) must be the core's."""
    if not data.get("tests"):
        return
    from enforcer.pathmatch import translate

    policy = Policy(data, doc.name, [translate(e["path"]) for e in data.get("ownership") or ()])
    for i, test in enumerate(data["tests"]):
        decision = decide(policy, case_request(test, policy))
        checks = sorted({v.check for v in decision.violations})
        if decision.verdict != test["expect"]:
            why = "; ".join(f"{v.rule} {v.check}: {v.reason}" for v in decision.violations) or "no rule refused it"
            doc.problem(("tests", i), f"self-test failed: expected {test['expect']}, got {decision.verdict} "
                        f"({readable(why)})", "fix the rules, or the test if the rules are right")
        elif "violations" in test and sorted(set(test["violations"])) != checks:
            doc.problem(("tests", i), f"self-test failed: expected violations {sorted(test['violations'])}, "
                        f"got {checks}", "fix the rules, or the test if the rules are right")
