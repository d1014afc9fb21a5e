"""A claim covers every directory inside it, through real `git push` into a bare repository with the hooks.

Issue 15, item 4: a claim on an unowned parent of owned directories refused
their owners in their own directories, and could be renewed forever.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from enforcer.model import claim_text
from tests.conftest import git
from tests.server.test_receive import Server, claim

CLAIMS = "refs/enforcer/claims/"
EDU = "basic_edu_apps_final"


@pytest.fixture
def server(tmp_path: Path) -> Server:
    s = Server(tmp_path)
    assert s.push("jgirmay", "main").returncode == 0
    return s


def owners_work(server: Server, actor: str, path: str, branch: str) -> None:
    """The owner pushes a change in its own directory, and it lands."""
    git(server.clone, "switch", "-qc", branch, "main")
    tip = server.commit(path)
    proc = server.push(actor, branch)
    assert proc.returncode == 0, proc.stderr
    assert server.ref(branch) == tip


def test_a_claim_on_an_unowned_parent_of_owned_directories_is_refused(server: Server) -> None:
    ref = f"{CLAIMS}{EDU}"
    refused = server.push("task_worker1", f"{claim(server, 'task_worker1')}:{ref}")
    assert refused.returncode != 0 and server.ref(ref) is None
    assert f"ownership[1] claims.owner: task_worker1 cannot claim {EDU}/: it would cover {EDU}/environments/, " \
           "which belongs to edu_worker1 (primary) and task_worker2 (backup)" in refused.stderr
    assert "claim a narrower directory that you own or no one owns" in refused.stderr
    # the owners keep their way into their own directories
    owners_work(server, "edu_worker1", f"{EDU}/environments/setup.py", "feature/setup-1124")
    owners_work(server, "task_worker2", f"{EDU}/environments/run.py", "feature/run-1124")


def test_a_claim_made_before_the_rule_cannot_be_renewed(server: Server) -> None:
    ref = f"{CLAIMS}{EDU}"
    old = git(server.bare, "hash-object", "-w", "--stdin", input=claim_text("task_worker1", 2_000_000_000))
    git(server.bare, "update-ref", ref, old)  # accepted by an enforcer without the rule
    renewed = server.push("task_worker1", f"+{claim(server, 'task_worker1')}:{ref}")
    assert renewed.returncode != 0 and "claims.owner" in renewed.stderr and server.ref(ref) == old
    assert server.push("task_worker1", f":{ref}").returncode == 0 and server.ref(ref) is None  # the holder lets go


def test_nested_entries_count_where_the_claimant_owns_the_directory(server: Server) -> None:
    ref = f"{CLAIMS}{EDU}/environments"
    # task_worker2 backs up environments/ but none of architecture/, typing/, math/, reading/ inside it
    refused = server.push("task_worker2", f"{claim(server, 'task_worker2')}:{ref}")
    assert refused.returncode != 0 and server.ref(ref) is None
    for entry, owner in (("ownership[2]", "arch_worker1"), ("ownership[3]", "edu_worker1"),
                         ("ownership[4]", "edu_worker1"), ("ownership[5]", "edu_worker1")):
        assert f"{entry} claims.owner" in refused.stderr and owner in refused.stderr
    # edu_worker1 is primary of all of them and backup of architecture/: the claim holds
    assert server.push("edu_worker1", f"{claim(server, 'edu_worker1')}:{ref}").returncode == 0
    assert server.ref(ref) is not None


def test_an_unowned_directory_is_claimed_unless_an_entry_may_own_a_path_in_it(server: Server) -> None:
    ref = f"{CLAIMS}src"
    # `architect/` matches at any depth: src/architect/ would be arch_worker1's
    refused = server.push("task_worker2", f"{claim(server, 'task_worker2')}:{ref}")
    assert refused.returncode != 0 and server.ref(ref) is None
    assert "ownership[0] claims.owner: task_worker2 cannot claim src/: it would cover architect/" in refused.stderr
    owners_work(server, "arch_worker1", "src/architect/plan.md", "feature/plan-1124")
    # task_worker1 backs up architect/ and nothing else is owned under src/
    assert server.push("task_worker1", f"{claim(server, 'task_worker1')}:{ref}").returncode == 0
    assert server.ref(ref) is not None
