"""pre-push against the remote as it is: a second remote never fetched, an empty one, one that
cannot be asked, and the policy the server will judge by (the remote default branch's)."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import git
from tests.test_client_hooks import TODAY, Clone


@pytest.fixture
def clone(tmp_path: Path) -> Clone:
    made = Clone(tmp_path)
    # git clone of an empty repository sets no origin/HEAD (newer git may): make sure of it
    subprocess.run(["git", "symbolic-ref", "-q", "-d", "refs/remotes/origin/HEAD"], cwd=made.path,
                   capture_output=True)
    assert subprocess.run(["git", "rev-parse", "-q", "--verify", "refs/remotes/origin/HEAD"],
                          cwd=made.path).returncode != 0
    return made


def remote_ref(bare: Path, ref: str) -> str | None:
    proc = subprocess.run(["git", "rev-parse", "-q", "--verify", ref], cwd=bare, capture_output=True, text=True)
    return proc.stdout.strip() or None


def worker_branch(clone: Clone, name: str = "work") -> str:
    branch = f"feature/{name}-{TODAY}"
    clone.switch(branch)
    assert clone.commit("task_worker1", "src/work.py").returncode == 0
    return branch


# -- item 9: which commits are new, and what is a bootstrap ------------------------

def test_a_feature_push_to_a_remote_never_fetched_judges_only_its_own_commits(clone: Clone,
                                                                                tmp_path: Path) -> None:
    plain = tmp_path / "plain.git"
    git(tmp_path, "clone", "-q", "--bare", str(clone.origin), str(plain))  # has main: the policy commit
    git(clone.path, "remote", "add", "plain", str(plain))  # and never fetched
    branch = worker_branch(clone)
    proc = clone.run("task_worker1", "push", "-q", "plain", branch)
    assert proc.returncode == 0, proc.stderr  # not a bootstrap; the policy commit is not hers
    assert proc.stderr == ""
    assert remote_ref(plain, branch) == clone.head()


def test_a_push_to_a_remote_with_no_branch_is_still_a_bootstrap(clone: Clone, tmp_path: Path) -> None:
    empty = tmp_path / "empty.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(empty))
    git(clone.path, "remote", "add", "empty", str(empty))
    branch = worker_branch(clone)
    for target in ("empty", str(empty)):  # by name, and by URL (git passes the URL twice)
        proc = clone.run("task_worker1", "push", "-q", target, branch)
        assert proc.returncode == 1 and "policy.bootstrap" in proc.stderr
        assert set(re.findall(r" (\w+\.\w+): ", proc.stderr)) == {"policy.bootstrap"}
        assert remote_ref(empty, branch) is None
    assert clone.run("jgirmay", "push", "-q", "empty", "main").returncode == 0  # a policy owner starts it
    assert remote_ref(empty, "main") == git(clone.path, "rev-parse", "main")


def test_a_remote_that_cannot_be_asked_is_said_in_one_line_and_does_not_block(clone: Clone) -> None:
    git(clone.path, "remote", "add", "gone", str(clone.path.parent / "gone.git"))
    branch = worker_branch(clone)
    line = f"refs/heads/{branch} {clone.head()} refs/heads/{branch} {'0' * 40}\n"
    env = {**os.environ, "ENFORCER_ACTOR": "task_worker1"}
    proc = subprocess.run(["enforcer", "hook", "pre-push", "--", "gone", str(clone.path.parent / "gone.git")],
                          cwd=clone.path, input=line, capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    said = proc.stderr.strip().splitlines()
    assert len(said) == 1 and said[0].startswith(f"enforcer: could not ask {clone.path.parent / 'gone.git'}")
    assert "the server still judges the push" in said[0]


# -- item 10: the policy the server will use ------------------------------------------

def give_herself_release(clone: Clone) -> None:
    policy = clone.path / "policy.yaml"
    text = policy.read_text()
    policy.write_text(text.replace("release-managers: [jgirmay]", "release-managers: [jgirmay, task_worker1]"))


def owner_pushes_another_policy(clone: Clone) -> None:
    """origin's branches disagree on the policy: the hook must learn which is the default (ls-remote)."""
    clone.switch(f"feature/policy-{TODAY}")
    (clone.path / "policy.yaml").write_text((clone.path / "policy.yaml").read_text() + "# proposed\n")
    assert clone.commit("jgirmay", "policy.yaml", message="owner's proposal").returncode == 0
    assert clone.push("jgirmay", f"feature/policy-{TODAY}").returncode == 0


def fix_of(stderr: str) -> str:
    fixes = [line.split("fix: ", 1)[1] for line in stderr.splitlines() if "fix: " in line]
    assert len(fixes) == 1, stderr
    command = fixes[0].split(": ", 1)[1].split("; then push again", 1)[0]
    assert "origin/HEAD" not in command
    return command


@pytest.mark.parametrize("mixed", [False, True], ids=["policy-only-commit", "policy-with-work"])
def test_pre_push_judges_by_the_remote_default_branch_and_its_fix_works(clone: Clone, mixed: bool) -> None:
    owner_pushes_another_policy(clone)
    branch = f"feature/me-{TODAY}"
    clone.switch(branch)
    give_herself_release(clone)
    extra = ("src/mine.py",) if mixed else ()
    assert clone.commit("task_worker1", "policy.yaml", *extra, message="me too").returncode == 0
    assert clone.commit("task_worker1", "src/work.py", message="work").returncode == 0
    refused = clone.push("task_worker1", branch)
    assert refused.returncode == 1 and "policy.owners policy.owners:" in refused.stderr
    assert "enforcer: judged by policy.yaml on origin/main as last fetched, the policy the server will use; " \
           "the working tree's policy.yaml differs" in refused.stderr
    assert clone.remote(branch) is None
    assert git(clone.path, "symbolic-ref", "-q", "HEAD") == f"refs/heads/{branch}"
    command = fix_of(refused.stderr)
    clone.switch("main")  # the fix names the branch: it works from wherever she stands
    fixed = subprocess.run(command, shell=True, cwd=clone.path, capture_output=True, text=True,
                           env={**os.environ, "ENFORCER_ACTOR": "task_worker1"})
    assert fixed.returncode == 0, (command, fixed.stderr)
    assert git(clone.path, "log", "--format=%H", f"origin/main..{branch}", "--", "policy.yaml") == ""
    assert git(clone.path, "diff", "origin/main", branch, "--", "policy.yaml") == ""
    changed = git(clone.path, "diff", "--name-only", "origin/main", branch).split()
    assert sorted(changed) == sorted(["src/work.py", *extra])  # her work stays
    git(clone.path, "switch", "-q", branch)
    assert not git(clone.path, "status", "--porcelain")
    again = clone.push("task_worker1", branch)
    assert again.returncode == 0, again.stderr
    assert clone.remote(branch) == git(clone.path, "rev-parse", branch)


def traced_push(clone: Clone, branch: str) -> tuple[subprocess.CompletedProcess[str], bool]:
    """A push as task_worker1, and whether anything in it asked the remote (git ls-remote)."""
    trace = clone.path.parent / "trace"
    trace.unlink(missing_ok=True)
    env = {**os.environ, "ENFORCER_ACTOR": "task_worker1", "GIT_TRACE": str(trace)}
    proc = subprocess.run(["git", "push", "-q", "origin", branch], cwd=clone.path, capture_output=True, text=True,
                          env=env)
    assert "Traceback" not in proc.stderr
    return proc, "ls-remote" in trace.read_text()


def test_origin_head_or_branches_that_agree_name_the_policy_without_asking(clone: Clone) -> None:
    branch = f"feature/me-{TODAY}"
    clone.switch(branch)
    give_herself_release(clone)
    assert clone.commit("task_worker1", "policy.yaml", message="me too").returncode == 0
    judged = "judged by policy.yaml on {} as last fetched"
    refused, asked = traced_push(clone, branch)  # one branch fetched (main): its policy is the default's
    assert refused.returncode == 1 and judged.format("origin/main") in refused.stderr and not asked
    git(clone.path, "update-ref", "refs/remotes/origin/dev", "refs/remotes/origin/main")
    refused, asked = traced_push(clone, branch)  # branches that agree: whichever is the default
    assert refused.returncode == 1 and judged.format("every branch of origin") in refused.stderr and not asked
    other = git(clone.path, "commit-tree", "-p", "main", "-m", "other policy", f"{branch}^{{tree}}")
    git(clone.path, "update-ref", "refs/remotes/origin/dev", other)  # now they disagree: ask which is HEAD
    refused, asked = traced_push(clone, branch)
    assert refused.returncode == 1 and judged.format("origin/main") in refused.stderr and asked
    git(clone.path, "remote", "set-head", "origin", "main")  # as git clone sets it
    refused, asked = traced_push(clone, branch)
    assert refused.returncode == 1 and judged.format("origin/main") in refused.stderr and not asked
    # disagreeing branches, no origin/HEAD, and a remote that does not answer: said, not blocked
    git(clone.path, "symbolic-ref", "-d", "refs/remotes/origin/HEAD")
    line = f"refs/heads/{branch} {clone.head()} refs/heads/{branch} {'0' * 40}\n"
    gone = str(clone.path.parent / "gone.git")
    proc = subprocess.run(["enforcer", "hook", "pre-push", "--", "origin", gone], cwd=clone.path, input=line,
                          capture_output=True, text=True, env={**os.environ, "ENFORCER_ACTOR": "task_worker1"})
    said = proc.stderr.strip().splitlines()
    assert proc.returncode == 0 and len(said) == 1 and said[0].startswith(f"enforcer: could not ask {gone} ")
    assert said[0].endswith("judged by the working tree's policy.yaml (the server still judges the push)")
