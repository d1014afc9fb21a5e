"""A merge judged in a clone as the server judges it: by its own changes, where it differs from
git's automatic merge of its parents (issue 15, item 7)."""
from __future__ import annotations

from pathlib import Path

from tests.conftest import git
from tests.test_client_hooks import TODAY, Clone


def test_a_reviewers_merge_of_a_workers_owned_files_passes_the_client_and_the_server(tmp_path: Path) -> None:
    clone = Clone(tmp_path, server_hooks=True)
    assert clone.push("jgirmay", "main:dev").returncode == 0
    clone.switch(f"feature/plan-{TODAY}", "main")
    assert clone.commit("arch_worker1", "architect/plan.md").returncode == 0  # the owner's file
    assert clone.push("arch_worker1", f"feature/plan-{TODAY}").returncode == 0
    git(clone.path, "fetch", "-q", "origin")
    clone.switch("dev", "origin/dev")
    clone.commit("jgirmay", message="x", extra=("--no-verify",))  # dev moves on (kept local only)
    git(clone.path, "reset", "-q", "--hard", "origin/dev")
    merged = clone.run("jgirmay", "merge", "-q", "--no-ff", "--no-edit", f"feature/plan-{TODAY}")
    assert merged.returncode == 0, merged.stderr  # no --no-verify needed
    pushed = clone.push("jgirmay", "dev")
    assert pushed.returncode == 0, pushed.stderr
    assert clone.remote("dev") == clone.head()


def test_a_conflict_resolution_in_an_owned_file_is_refused_in_the_clone_too(tmp_path: Path) -> None:
    clone = Clone(tmp_path)
    clone.switch(f"feature/a-{TODAY}", "main")
    assert clone.commit("arch_worker1", "architect/plan.md", message="owner").returncode == 0
    clone.switch(f"feature/b-{TODAY}", "main")
    assert clone.commit("task_worker1", "architect/plan.md", message="backup").returncode == 0
    # a worker merges the two on her own branch, resolving the conflict in a file she does not own
    clone.switch(f"feature/c-{TODAY}", f"feature/a-{TODAY}")
    assert clone.run("task_worker2", "merge", "-q", "--no-edit", f"feature/b-{TODAY}").returncode != 0
    (clone.path / "architect" / "plan.md").write_text("mine\n")
    git(clone.path, "add", "architect/plan.md")
    refused = clone.run("task_worker2", "commit", "-q", "--no-edit")
    assert refused.returncode == 1 and "ownership.owner" in refused.stderr and "architect/plan.md" in refused.stderr
    # its owner may resolve it
    assert clone.run("arch_worker1", "commit", "-q", "--no-edit").returncode == 0


def test_a_merge_that_drops_the_other_sides_change_is_refused(tmp_path: Path) -> None:
    """`git merge -s ours` keeps the first side's file where only the other side changed it."""
    clone = Clone(tmp_path)
    clone.switch(f"feature/a-{TODAY}", "main")
    assert clone.commit("arch_worker1", "architect/plan.md", message="owner").returncode == 0
    clone.switch(f"feature/b-{TODAY}", "main")
    assert clone.commit("task_worker2", "src/b.py").returncode == 0
    refused = clone.run("task_worker2", "merge", "-q", "--no-edit", "-s", "ours", f"feature/a-{TODAY}")
    assert refused.returncode != 0 and "ownership.owner" in refused.stderr
    git(clone.path, "merge", "--abort")
    honest = clone.run("task_worker2", "merge", "-q", "--no-edit", f"feature/a-{TODAY}")
    assert honest.returncode == 0, honest.stderr
