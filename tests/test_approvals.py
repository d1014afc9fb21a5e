"""Approvals (`enforcer approve`, refs/enforcer/approvals/<env>/<tag>) through a real bare
repository with the server hooks: from clones as pushes, in the bare repository directly; and the
core's judgement of an approval ref on its own."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from enforcer import approving
from enforcer.engine import decide
from enforcer.errors import EnforcerError
from enforcer.git import Repo
from enforcer.model import ZERO, Approved, Deploy, RefUpdate, approval_ref, approval_text
from enforcer.policy import load_policy
from enforcer.records import default_store
from tests.conftest import SOP, enforcer, git
from tests.server.test_receive import Server

PROD = approval_ref("prod", "v1.0.3")


@pytest.fixture
def server(tmp_path: Path) -> Server:
    """The reference policy (release-managers approve prod), without qa's deploy on tag push (the
    runner is not what these tests are about), bootstrapped by jgirmay, who then pushes an annotated
    release tag and a release candidate."""
    s = Server(tmp_path)
    policy = s.clone / "policy.yaml"
    policy.write_text(policy.read_text().replace("on_tag_push: true", "on_tag_push: false"))
    git(s.clone, "commit", "-q", "--amend", "-am", "policy")
    assert s.push("jgirmay", "main").returncode == 0
    git(s.clone, "tag", "-a", "-m", "release", "v1.0.3")
    git(s.clone, "tag", "-a", "-m", "candidate", "v1.0.3-rc1")
    pushed = s.push("jgirmay", "v1.0.3", "v1.0.3-rc1")
    assert pushed.returncode == 0, pushed.stderr
    return s


def clone(server: Server, name: str = "work") -> Path:
    path = server.bare.parent / name
    git(server.bare.parent, "clone", "-q", str(server.bare), str(path))
    return path


def run(repo: Path, actor: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ENFORCER_ACTOR"}
    if actor:
        env["ENFORCER_ACTOR"] = actor
    proc = subprocess.run(("enforcer", *args), cwd=repo, capture_output=True, text=True, env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def push(repo: Path, actor: str, *refspecs: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["git", "push", "origin", *refspecs], cwd=repo, capture_output=True, text=True,
                          env={**os.environ, "ENFORCER_ACTOR": actor})
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def tag_object(repo: Path, tag: str) -> str:
    return git(repo, "rev-parse", f"refs/tags/{tag}")


def hand_made(repo: Path, approver: str, env: str = "prod", tag: str = "v1.0.3", obj: str | None = None,
              when: float | None = None) -> str:
    """An approval blob made by hand, as `git push` of it would send (``when``: another blob than
    `enforcer approve` made in the same second)."""
    text = approval_text(Approved(env, tag, approver, obj or tag_object(repo, tag), when or time.time()))
    return git(repo, "hash-object", "-w", "--stdin", input=text)


def on_server(server: Server) -> tuple[Approved, ...]:
    return approving.stated(Repo(str(server.bare)), "prod", "v1.0.3")


# -- from a clone ------------------------------------------------------------------------------

def test_an_approver_approves_from_a_clone(server: Server) -> None:
    work = clone(server)
    proc = run(work, "jgirmay", "approve", "prod", "v1.0.3")
    assert proc.returncode == 0, proc.stderr
    assert "approved v1.0.3" in proc.stdout and "on origin and in this clone" in proc.stdout
    assert server.ref(PROD) == git(work, "rev-parse", PROD)
    [approval] = on_server(server)
    assert (approval.env, approval.tag, approval.approver) == ("prod", "v1.0.3", "jgirmay")
    assert approval.tag_object == tag_object(server.bare, "v1.0.3")  # the tag object, not its commit
    assert git(server.bare, "cat-file", "-t", approval.tag_object) == "tag"
    judged = [d for d in server.decisions() if d["ref"] == PROD]
    assert judged and judged[0]["verdict"] in ("allow", "landed") and judged[0]["actor"] == "jgirmay"


def test_a_non_approver_is_refused_and_nothing_lands(server: Server) -> None:
    work = clone(server)
    proc = run(work, "task_worker1", "approve", "prod", "v1.0.3")
    assert proc.returncode == 1 and "approvals.actor" in proc.stderr
    assert "task_worker1 may not approve tags for prod: only release-managers" in proc.stderr
    assert server.ref(PROD) is None and on_server(server) == ()
    # the server refuses the same approval pushed by hand
    raw = push(work, "task_worker1", f"{hand_made(work, 'task_worker1')}:{PROD}")
    assert raw.returncode != 0 and "approvals.actor" in raw.stderr and server.ref(PROD) is None
    refused = [d for d in server.decisions() if d["ref"] == PROD]
    assert refused and refused[0]["verdict"] == "deny" and refused[0]["actor"] == "task_worker1"


def test_an_approval_for_an_unknown_tag_is_refused(server: Server) -> None:
    work = clone(server)
    proc = run(work, "jgirmay", "approve", "prod", "v9.9.9")
    assert proc.returncode == 1 and "approvals.tag" in proc.stderr and "unknown tag" in proc.stderr
    assert server.ref(approval_ref("prod", "v9.9.9")) is None
    # a tag this clone has and the server has not is unknown there too
    git(work, "tag", "-a", "-m", "local only", "v2.0.0")
    local = run(work, "jgirmay", "approve", "prod", "v2.0.0")
    assert local.returncode == 1 and "unknown tag" in local.stderr
    assert server.ref(approval_ref("prod", "v2.0.0")) is None
    raw = push(work, "jgirmay", f"{hand_made(work, 'jgirmay', tag='v2.0.0')}:{approval_ref('prod', 'v2.0.0')}")
    assert raw.returncode != 0 and "approvals.tag" in raw.stderr


def test_a_release_candidate_cannot_be_approved_for_prod(server: Server) -> None:
    work = clone(server)
    proc = run(work, "jgirmay", "approve", "prod", "v1.0.3-rc1")
    assert proc.returncode == 1 and "approvals.tags" in proc.stderr and "prod does not take tag" in proc.stderr
    raw = push(work, "jgirmay", f"{hand_made(work, 'jgirmay', tag='v1.0.3-rc1')}:"
                                f"{approval_ref('prod', 'v1.0.3-rc1')}")
    assert raw.returncode != 0 and "approvals.tags" in raw.stderr
    assert server.ref(approval_ref("prod", "v1.0.3-rc1")) is None
    # qa takes release candidates but needs no approval; dev is no environment with approvers either
    for env in ("qa", "nowhere"):
        refused = run(work, "jgirmay", "approve", env, "v1.0.3-rc1")
        assert refused.returncode == 1 and "approvals.environment" in refused.stderr


def test_a_hand_made_approval_in_another_name_is_refused(server: Server) -> None:
    work = clone(server)
    forged = push(work, "task_worker1", f"{hand_made(work, 'jgirmay')}:{PROD}")
    assert forged.returncode != 0 and "approvals.approver" in forged.stderr
    assert "task_worker1 cannot approve in the name of jgirmay" in forged.stderr and server.ref(PROD) is None
    # nor may an approver name someone else, nor break glass for it
    other = push(work, "jgirmay", "--push-option=enforcer.break-glass=urgent",
                 f"{hand_made(work, 'audit_manager')}:{PROD}")
    assert other.returncode != 0 and "approvals.approver" in other.stderr and server.ref(PROD) is None


def test_the_server_judges_again_and_its_words_are_shown(server: Server) -> None:
    """A clone whose working tree's policy lets task_worker1 approve is still refused by the server."""
    work = clone(server)
    policy = work / "policy.yaml"
    policy.write_text(policy.read_text().replace("release-managers: [jgirmay]", "release-managers: [jgirmay, "
                                                                                "task_worker1]"))
    proc = run(work, "task_worker1", "approve", "prod", "v1.0.3")
    assert proc.returncode == 1 and "remote:" in proc.stderr and "approvals.actor" in proc.stderr
    assert "origin refused" in proc.stderr and server.ref(PROD) is None
    assert approving.stated(Repo(str(work)), "prod", "v1.0.3") == ()  # the clone's copy follows the server only


@pytest.mark.parametrize("what", ["commit", "tree", "tag", "garbage", "mismatch"])
def test_only_a_blob_stating_this_approval_is_one(server: Server, what: str) -> None:
    work = clone(server)
    obj = {"commit": lambda: git(work, "rev-parse", "main"),
           "tree": lambda: git(work, "rev-parse", "main^{tree}"),
           "tag": lambda: tag_object(work, "v1.0.3"),
           "garbage": lambda: git(work, "hash-object", "-w", "--stdin", input="approve it please\n"),
           "mismatch": lambda: hand_made(work, "jgirmay", env="qa")}[what]()
    proc = push(work, "jgirmay", f"{obj}:{PROD}")
    assert proc.returncode != 0 and "approvals.format" in proc.stderr and server.ref(PROD) is None


def deploy_gate(server: Server) -> set[str]:
    """The checks a deploy of v1.0.3 to prod fails, with the approvals the runner reads (stated)."""
    repo = Repo(str(server.bare))
    request = Deploy("jgirmay", "prod", "v1.0.3", commit=server.ref("v1.0.3^{commit}") or "",
                     tag_object=approving.tag_object(repo, "v1.0.3") or "",
                     approvals=approving.stated(repo, "prod", "v1.0.3"))
    return {v.check for v in decide(load_policy(str(server.clone / "policy.yaml")), request).violations}


def test_a_moved_tag_is_unapproved_and_needs_a_new_approval(server: Server) -> None:
    work = clone(server)
    assert "environments.approve" in deploy_gate(server)
    assert run(work, "jgirmay", "approve", "prod", "v1.0.3").returncode == 0
    assert "environments.approve" not in deploy_gate(server)
    # the tag rules forbid moving a release tag by push: an administrator re-creates it on the server
    assert "tags.move" in push(server.clone, "jgirmay", "-f", "--no-verify",
                               "refs/heads/main:refs/tags/v1.0.3").stderr
    before = tag_object(server.bare, "v1.0.3")
    git(server.bare, "tag", "-f", "-a", "-m", "re-created", "v1.0.3", "main")
    after = tag_object(server.bare, "v1.0.3")
    assert after != before
    [approval] = on_server(server)
    assert approval.tag_object == before and approving.tag_object(Repo(str(server.bare)), "v1.0.3") == after
    assert "environments.approve" in deploy_gate(server)  # the runner holds it unapproved
    # the clone's copy of the tag differs from the server's now: bad input, nothing clobbered
    stale = run(work, "jgirmay", "approve", "prod", "v1.0.3")
    assert stale.returncode == 2 and "differs from the one on origin" in stale.stderr
    assert tag_object(work, "v1.0.3") == before
    # an old approval pushed again names the old object: refused
    replay = push(work, "jgirmay", f"+{hand_made(work, 'jgirmay', obj=before, when=1e9)}:{PROD}")
    assert replay.returncode != 0 and "approvals.object" in replay.stderr
    # revoking needs no tag: the stale clone may take the old approval back
    revoked = run(work, "jgirmay", "approve", "prod", "v1.0.3", "--revoke")
    assert revoked.returncode == 0 and server.ref(PROD) is None, revoked.stderr
    git(work, "fetch", "-q", "--force", "origin", "tag", "v1.0.3")
    again = run(work, "jgirmay", "approve", "prod", "v1.0.3")
    assert again.returncode == 0, again.stderr
    [approval] = on_server(server)
    assert approval.tag_object == after and "environments.approve" not in deploy_gate(server)


def test_revoking_by_deleting_the_ref(server: Server) -> None:
    work = clone(server)
    assert run(work, "jgirmay", "approve", "prod", "v1.0.3").returncode == 0
    refused = push(work, "task_worker1", f":{PROD}")
    assert refused.returncode != 0 and "approvals.revoke" in refused.stderr and server.ref(PROD)
    assert run(work, "task_worker1", "approve", "prod", "v1.0.3", "--revoke").returncode == 1
    assert push(work, "jgirmay", f":{PROD}").returncode == 0 and server.ref(PROD) is None
    assert on_server(server) == ()
    assert run(work, "jgirmay", "approve", "prod", "v1.0.3").returncode == 0
    revoked = run(work, "jgirmay", "approve", "prod", "v1.0.3", "--revoke")
    assert revoked.returncode == 0 and "revoked" in revoked.stdout and server.ref(PROD) is None
    nothing = run(work, "jgirmay", "approve", "prod", "v1.0.3", "--revoke")
    assert nothing.returncode == 0 and "nothing to revoke" in nothing.stdout


def test_other_namespaces_under_refs_enforcer_stay_refused(server: Server) -> None:
    work = clone(server)
    proc = push(work, "jgirmay", f"{hand_made(work, 'jgirmay')}:refs/enforcer/other/prod/v1.0.3")
    assert proc.returncode != 0 and "refs.namespace" in proc.stderr
    bare_env = push(work, "jgirmay", f"{hand_made(work, 'jgirmay')}:refs/enforcer/approvals/prod")
    assert bare_env.returncode != 0 and "approvals.format" in bare_env.stderr


# -- in the bare repository --------------------------------------------------------------------

def test_the_bare_repository_approves_as_the_servers_actor_and_records_it(server: Server) -> None:
    bare = server.bare
    assert run(bare, "jgirmay", "approve", "prod", "v1.0.3", "--actor", "audit_manager").returncode == 2
    assert run(bare, None, "approve", "prod", "v1.0.3").returncode == 2  # no actor set: names the variables
    assert run(bare, "jgirmay", "approve", "prod", "v1.0.3", "--remote", "origin").returncode == 2
    refused = run(bare, "task_worker1", "approve", "prod", "v1.0.3")
    assert refused.returncode == 1 and "approvals.actor" in refused.stderr and server.ref(PROD) is None
    proc = run(bare, "jgirmay", "approve", "prod", "v1.0.3", "--actor", "jgirmay")
    assert proc.returncode == 0 and "in this repository" in proc.stdout, proc.stderr
    [approval] = on_server(server)
    assert approval.approver == "jgirmay" and approval.tag_object == tag_object(bare, "v1.0.3")
    store = default_store(str(bare))
    [kept] = store.approvals("prod", "v1.0.3")
    assert (kept.env, kept.tag, kept.tag_object, kept.actor) == ("prod", "v1.0.3", approval.tag_object, "jgirmay")
    kinds = [(d["hook"], d["actor"], d["verdict"]) for d in server.decisions()]
    assert ("approve", "jgirmay", "allow") in kinds and ("approve", "task_worker1", "deny") in kinds
    # every clone sees it: the ref is on the server
    work = clone(server)
    git(work, "fetch", "-q", "origin", f"{PROD}:{PROD}")
    assert approving.stated(Repo(str(work)), "prod", "v1.0.3") == (approval,)
    unknown = run(bare, "jgirmay", "approve", "prod", "v7.7.7")
    assert unknown.returncode == 1 and "unknown tag" in unknown.stderr
    assert run(bare, "jgirmay", "approve", "prod", "v1.0.3", "--revoke").returncode == 0
    assert ("revoke", "jgirmay", "allow") in [(d["hook"], d["actor"], d["verdict"]) for d in server.decisions()]
    assert server.ref(PROD) is None and len(store.approvals("prod", "v1.0.3")) == 1  # the history stays


# -- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("env, tag", [("pr od", "v1.0.3"), ("prod/x", "v1.0.3"), ("", "v1.0.3"), (".prod", "v1"),
                                      ("prod", "v1 .0"), ("prod", "../v1"), ("prod", "v1//2"), ("prod", "v1.lock"),
                                      ("prod", "a\x1b[31m"), ("prod", ""), ("prod", "v1@{0}")])
def test_names_git_refuses_are_bad_input(env: str, tag: str) -> None:
    with pytest.raises(EnforcerError):
        approving.target(env, tag)


@pytest.mark.parametrize("tag", ["<script>alert(1)</script>", "-rf", "vü1", "v1/<b>"])
def test_hostile_tags_are_just_unknown_tags(server: Server, tag: str) -> None:
    work = clone(server)
    proc = run(work, "jgirmay", "approve", "prod", "--", tag)
    assert proc.returncode == 1 and "unknown tag" in proc.stderr
    assert approving.stated(Repo(str(server.bare)), "prod", tag) == ()


def test_bad_names_exit_2_naming_the_fix(server: Server) -> None:
    work = clone(server)
    for args in (("pr od", "v1.0.3"), ("prod", "v1 .0.3"), ("--", "-prod/x", "v1")):
        proc = run(work, "jgirmay", "approve", *args)
        assert proc.returncode == 2 and "name" in proc.stderr and "Traceback" not in proc.stderr


def test_a_clone_without_a_remote_cannot_approve(tmp_path: Path) -> None:
    from tests.conftest import policy_repo

    lone = policy_repo(tmp_path / "lone")
    git(lone, "tag", "-a", "-m", "r", "v1.0.3")
    proc = run(lone, "jgirmay", "approve", "prod", "v1.0.3")
    assert proc.returncode == 2 and "no remote" in proc.stderr


# -- the core alone ----------------------------------------------------------------------------

OBJ = "a" * 40


def judge(actor: str, ref: str = PROD, new: str = "b" * 40, approval: Approved | None = None,
          tag_object: str | None = OBJ, old: str = ZERO, break_glass: str | None = None) -> set[str]:
    policy = load_policy(str(SOP))
    if approval is None and new != ZERO:
        approval = Approved("prod", "v1.0.3", actor, OBJ, 1e9)
    update = RefUpdate(actor=actor, ref=ref, old=old, new=new, approval=approval, tag_object=tag_object,
                       target_is_commit=False, now=1e9, break_glass=break_glass)
    decision = decide(policy, update)
    return {v.check for v in decision.violations} if not decision.allowed else set()


def test_the_core_judges_approval_refs_by_the_approval_rules_only() -> None:
    assert judge("jgirmay") == set()
    assert judge("task_worker1") == {"approvals.actor"}
    assert judge("jgirmay", tag_object=None) == {"approvals.tag"}
    assert judge("jgirmay", tag_object="c" * 40) == {"approvals.object"}
    assert judge("jgirmay", approval=Approved("prod", "v1.0.3", "audit_manager", OBJ, 1e9)) == {"approvals.approver"}
    assert judge("jgirmay", break_glass="now",
                 approval=Approved("prod", "v1.0.3", "audit_manager", OBJ, 1e9)) == {"approvals.approver"}
    rc = approval_ref("prod", "v1.0.3-rc1")
    assert judge("jgirmay", ref=rc, approval=Approved("prod", "v1.0.3-rc1", "jgirmay", OBJ, 1e9)) == {"approvals.tags"}
    assert judge("jgirmay", new=ZERO, old="b" * 40) == set()  # an approver revokes
    assert judge("task_worker1", new=ZERO, old="b" * 40) == {"approvals.revoke"}
    assert judge("deploy-bot", new=ZERO, old="b" * 40) == {"approvals.revoke"}
    assert judge("nobody-known") == {"actors.unknown"}
