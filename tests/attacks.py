"""What the attack tests on the command check share: the reference policy, a scratch clone with a
remote, and the verdict of a line judged as `enforcer command` judges it (never run)."""
from __future__ import annotations

import time
from pathlib import Path

from enforcer.command_facts import command_line
from enforcer.engine import decide
from enforcer.policy import load_policy_bytes
from tests.conftest import SOP, git, policy_repo

POLICY = load_policy_bytes(SOP.read_bytes(), "sop.yaml", cache_dir="")
W1, RUNNER = "task_worker1", "command_runner"
MATH = "basic_edu_apps_final/environments/math"


def scratch_clone(base: Path) -> Path:
    """A clone on feature/x-1124 (pushed) of a remote holding main, with edu_worker1's math
    directory, src/app.py and docs/plan.md."""
    source = policy_repo(base / "source")
    git(base, "clone", "-q", "--bare", str(source), "origin.git")
    git(base, "clone", "-q", str(base / "origin.git"), "clone")
    work = base / "clone"
    git(work, "switch", "-qc", "feature/x-1124")
    for path in (f"{MATH}/lesson.py", "src/app.py", "docs/plan.md"):
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text("a\n")
    git(work, "add", ".")
    git(work, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "a")
    git(work, "push", "-q", "-u", "origin", "feature/x-1124")
    return work


def verdict(clone: Path, actor: str, line: str) -> str:
    return decide(POLICY, command_line(POLICY, actor, line, str(clone), now=time.time())).verdict
