"""Server hooks in a real bare repository, judged through real `git push`."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from enforcer.model import claim_text
from tests.conftest import SOP, enforcer, git

ZERO = "0" * 40


class Server:
    def __init__(self, tmp: Path, layout: str = "plain", mode: str = "pre-receive",
                 hooks_before: dict[str, str] | None = None) -> None:
        """``hooks_before``: hook name -> script, in place before enforcer is installed."""
        self.bare = tmp / "origin.git"
        git(tmp, "init", "-q", "--bare", "-b", "main", str(self.bare))
        for name, script in (hooks_before or {}).items():
            hook = self.bare / "hooks" / name
            hook.parent.mkdir(exist_ok=True)
            hook.write_text(script)
            hook.chmod(0o755)
        proc = enforcer(tmp, "install", "--server", str(self.bare), "--layout", layout, "--mode", mode)
        assert proc.returncode == 0, proc.stderr
        self.clone = tmp / "clone"
        git(tmp, "init", "-q", "-b", "main", str(self.clone))
        git(self.clone, "remote", "add", "origin", str(self.bare))
        shutil.copy(SOP, self.clone / "policy.yaml")
        git(self.clone, "add", "policy.yaml")
        git(self.clone, "commit", "-qm", "policy")

    def push(self, actor: str | None, *refspecs: str, options: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "ENFORCER_ACTOR"}
        if actor:
            env["ENFORCER_ACTOR"] = actor
        args = ["git", "push", "origin", *[f"--push-option={o}" for o in options], *refspecs]
        proc = subprocess.run(args, cwd=self.clone, capture_output=True, text=True, env=env)
        assert "Traceback" not in proc.stderr
        return proc

    def ref(self, name: str) -> str | None:
        proc = subprocess.run(["git", "rev-parse", "-q", "--verify", name], cwd=self.bare, capture_output=True,
                              text=True)
        return proc.stdout.strip() or None

    def commit(self, *paths: str, message: str = "change") -> str:
        for p in paths:
            (self.clone / p).parent.mkdir(parents=True, exist_ok=True)
            (self.clone / p).write_text(message + p)
            git(self.clone, "add", "--", p)
        git(self.clone, "commit", "-qm", message, "--allow-empty")
        return git(self.clone, "rev-parse", "HEAD")

    def decisions(self) -> list[dict[str, object]]:
        proc = enforcer(self.bare, "decisions", "--format", "json")
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)


@pytest.fixture
def server(tmp_path: Path) -> Server:
    s = Server(tmp_path)
    assert s.push("jgirmay", "main").returncode == 0
    return s


def test_bootstrap_only_by_a_policy_owner(tmp_path: Path) -> None:
    s = Server(tmp_path)
    refused = s.push("task_worker1", "main")
    assert refused.returncode != 0 and s.ref("main") is None
    assert "not in policy.owners" in refused.stderr
    assert s.push("jgirmay", "main").returncode == 0 and s.ref("main")
    kinds = [(d["hook"], d["actor"], d["verdict"]) for d in s.decisions()]
    assert ("bootstrap", "jgirmay", "allow") in kinds and ("bootstrap", "task_worker1", "deny") in kinds


def test_each_decision_keeps_the_policy_blob_that_judged_it(server: Server) -> None:
    judged_by = git(server.bare, "rev-parse", "main:policy.yaml")
    git(server.clone, "switch", "-qc", "feature/a-1124", "main")
    server.commit("src/a.py")
    assert server.push("task_worker1", "feature/a-1124").returncode == 0
    record = next(d for d in server.decisions() if d["ref"] == "refs/heads/feature/a-1124"
                  and d["hook"] == "pre-receive")
    assert record["policy"] == judged_by and record["kind"] == "ref-update"
    bootstrap = next(d for d in server.decisions() if d["hook"] == "bootstrap")
    assert bootstrap["policy"] == judged_by  # the pushed policy judged the bootstrap


def test_a_file_url_push_is_judged_the_same(server: Server) -> None:
    url = server.bare.as_uri()  # file:///...: git runs receive-pack as for a plain path
    env = {**os.environ, "ENFORCER_ACTOR": "task_worker1"}
    server.commit("src/a.py")
    refused = subprocess.run(["git", "push", url, "HEAD:main"], cwd=server.clone, capture_output=True, text=True,
                             env=env)
    assert refused.returncode != 0 and "branches.push" in refused.stderr
    allowed = subprocess.run(["git", "push", url, "HEAD:refs/heads/feature/url-1124"], cwd=server.clone,
                             capture_output=True, text=True, env=env)
    assert allowed.returncode == 0 and server.ref("feature/url-1124") == git(server.clone, "rev-parse", "HEAD")


def test_direct_commit_to_main_is_refused_with_rule_and_fix(server: Server) -> None:
    before = server.ref("main")
    server.commit("src/app.py")
    proc = server.push("jgirmay", "main")
    assert proc.returncode != 0 and server.ref("main") == before
    assert "branches[0] branches.direct_commits" in proc.stderr and "git switch -c feature/<what>-" in proc.stderr
    assert server.decisions()[0]["verdict"] == "deny"


def test_feature_work_lands_and_cannot_be_fast_forwarded_onto_main(server: Server) -> None:
    git(server.clone, "switch", "-qc", "feature/login-1124")
    tip = server.commit("src/app.py")
    assert server.push("task_worker1", "feature/login-1124").returncode == 0
    assert server.ref("feature/login-1124") == tip
    proc = server.push("jgirmay", "feature/login-1124:main")  # the commits are on the server already
    assert proc.returncode != 0 and "branches.direct_commits" in proc.stderr


def test_merge_through_dev_into_main(server: Server) -> None:
    git(server.clone, "switch", "-qc", "feature/login-1124")
    server.commit("src/app.py")
    assert server.push("task_worker1", "feature/login-1124").returncode == 0
    git(server.clone, "switch", "-qc", "dev", "main")
    git(server.clone, "merge", "-q", "--no-ff", "--no-edit", "feature/login-1124")
    assert server.push("task_worker1", "dev").returncode != 0  # workers may not push dev
    assert server.push("audit_manager", "dev").returncode == 0
    git(server.clone, "switch", "-q", "main")
    git(server.clone, "merge", "-q", "--no-ff", "--no-edit", "dev")
    assert server.push("jgirmay", "main").returncode == 0


def test_one_bad_ref_refuses_the_whole_push(server: Server) -> None:
    git(server.clone, "switch", "-qc", "feature/ok-1124")
    server.commit("src/a.py")
    git(server.clone, "branch", "wip")
    proc = server.push("task_worker1", "feature/ok-1124", "wip")
    assert proc.returncode != 0
    assert server.ref("feature/ok-1124") is None and server.ref("wip") is None
    assert "the whole push is refused" in proc.stderr


def test_each_ref_is_judged_by_the_commits_it_brings(server: Server) -> None:
    """The push is walked once; each ref takes the new commits its tip reaches (an
    annotated tag's, through the tag object), no more and no fewer."""
    git(server.clone, "switch", "-qc", "feature/c-1124")
    server.commit("architect/x.md")
    git(server.clone, "tag", "-a", "-m", "release", "v1.2.3")  # brings x.md; no branch does
    git(server.clone, "switch", "-qc", "feature/a-1124", "main")
    server.commit("src/a.py")
    git(server.clone, "switch", "-qc", "feature/b-1124")
    server.commit("architect/plan.md")  # feature/b-1124 brings feature/a-1124's commit and this one
    proc = server.push("jgirmay", "feature/a-1124", "feature/b-1124", "v1.2.3")
    assert proc.returncode != 0 and server.ref("feature/a-1124") is None
    verdicts = {d["ref"]: d for d in server.decisions()}
    assert verdicts["refs/heads/feature/a-1124"]["verdict"] == "allow"
    assert [v["reason"] for v in verdicts["refs/heads/feature/b-1124"]["violations"]] == [
        "jgirmay does not own architect/: architect/plan.md"]
    assert [v["reason"] for v in verdicts["refs/tags/v1.2.3"]["violations"]] == [
        "jgirmay does not own architect/: architect/x.md"]


def test_tags_on_the_server(server: Server) -> None:
    git(server.clone, "tag", "-a", "-m", "r", "v1.0.0")
    git(server.clone, "tag", "light")
    assert server.push("task_worker1", "v1.0.0").returncode != 0
    assert server.push("jgirmay", "light").returncode != 0
    assert server.push("jgirmay", "v1.0.0").returncode == 0 and server.ref("refs/tags/v1.0.0")
    assert server.push("jgirmay", ":refs/tags/v1.0.0").returncode != 0 and server.ref("refs/tags/v1.0.0")


def test_force_push_and_delete_refused(server: Server) -> None:
    git(server.clone, "switch", "-qc", "fix/x")
    server.commit("src/a.py")
    assert server.push("task_worker1", "fix/x").returncode == 0
    git(server.clone, "commit", "-q", "--amend", "-m", "rewritten")
    assert server.push("task_worker1", "+fix/x").returncode != 0
    assert server.push("jgirmay", ":main").returncode != 0 and server.ref("main")
    assert server.push("task_worker1", ":fix/x").returncode == 0 and server.ref("fix/x") is None


def test_ownership_on_the_server(server: Server) -> None:
    git(server.clone, "switch", "-qc", "feature/arch-1124")
    server.commit("architect/plan.md")
    proc = server.push("task_worker2", "feature/arch-1124")
    assert proc.returncode != 0 and "ownership[0] ownership.owner" in proc.stderr
    assert server.push("arch_worker1", "feature/arch-1124").returncode == 0


def test_policy_is_the_default_branchs_before_the_push(server: Server) -> None:
    text = (server.clone / "policy.yaml").read_text()
    (server.clone / "policy.yaml").write_text(text.replace("push: [workers]\n    delete: true",
                                                           "push: [workers, reviewers]\n    delete: true"))
    git(server.clone, "switch", "-qc", "agent/loosen")
    git(server.clone, "commit", "-qam", "let reviewers push agent/")
    proc = server.push("audit_manager", "agent/loosen")
    assert proc.returncode != 0  # judged by main's policy: reviewers may not push agent/, nor change policy
    assert "branches.push" in proc.stderr and "policy.owners" in proc.stderr


def test_invalid_policy_change_refused_and_last_good_policy_used(server: Server, tmp_path: Path) -> None:
    git(server.clone, "switch", "-qc", "hotfix/p")
    (server.clone / "policy.yaml").write_text((server.clone / "policy.yaml").read_text() + "\nbogus: 1\n")
    git(server.clone, "commit", "-qam", "break it")
    proc = server.push("jgirmay", "hotfix/p")
    assert proc.returncode != 0 and "policy.invalid" in proc.stderr
    # break the file on main behind enforcer's back: the last good policy still judges
    shutil.move(str(server.bare / "hooks" / "pre-receive"), str(tmp_path / "saved"))
    assert server.push("jgirmay", "hotfix/p:main").returncode == 0
    shutil.move(str(tmp_path / "saved"), str(server.bare / "hooks" / "pre-receive"))
    git(server.clone, "switch", "-qc", "feature/after-1124", "main")
    server.commit("src/x.py")
    proc = server.push("task_worker1", "feature/after-1124")
    assert proc.returncode == 0 and "judged by the last policy that validated" in proc.stderr


def test_no_actor_is_refused_naming_the_variables(server: Server) -> None:
    git(server.clone, "switch", "-qc", "feature/a-1124")
    proc = server.push(None, "feature/a-1124")
    assert proc.returncode != 0 and "GL_USERNAME, GITEA_PUSHER_NAME, GL_USER, REMOTE_USER, ENFORCER_ACTOR" in proc.stderr


def test_the_pusher_comes_from_server_actor_from(tmp_path: Path) -> None:
    """A policy naming its own variable: only that one is read, and a refusal names it."""
    s = Server(tmp_path)
    policy = s.clone / "policy.yaml"
    policy.write_text(policy.read_text().replace(
        "actor_from: [GL_USERNAME, GITEA_PUSHER_NAME, GL_USER, REMOTE_USER, ENFORCER_ACTOR]",
        "actor_from: [PUSHER]"))
    git(s.clone, "commit", "-qam", "policy: the pusher is PUSHER")
    env = {**os.environ, "PUSHER": "jgirmay"}
    assert subprocess.run(["git", "push", "origin", "main"], cwd=s.clone, env=env).returncode == 0
    git(s.clone, "switch", "-qc", "feature/who-1124")
    refused = s.push("task_worker1", "feature/who-1124")  # ENFORCER_ACTOR only: not read any more
    assert refused.returncode != 0 and "PUSHER" in refused.stderr and "ENFORCER_ACTOR" not in refused.stderr
    env["PUSHER"] = "task_worker1"
    assert subprocess.run(["git", "push", "origin", "feature/who-1124"], cwd=s.clone, env=env).returncode == 0
    assert next(d for d in s.decisions() if d["hook"] == "pre-receive")["actor"] == "task_worker1"


def test_break_glass(server: Server) -> None:
    server.commit("src/urgent.py")
    assert server.push("task_worker1", "main", options=("enforcer.break-glass=outage",)).returncode != 0
    proc = server.push("jgirmay", "main", options=("enforcer.break-glass=prod is down",))
    assert proc.returncode == 0 and "break-glass by jgirmay: prod is down" in proc.stderr
    record = next(d for d in server.decisions() if d["hook"] == "pre-receive")
    assert record["note"] == "break-glass by jgirmay: prod is down"
    assert [v["check"] for v in record["violations"]] == ["branches.direct_commits"]


def test_break_glass_cannot_override_the_ground_rules(server: Server) -> None:
    """Not an invalid policy file, not a ref outside branches and tags, not for someone not listed."""
    policy = server.clone / "policy.yaml"
    policy.write_text(policy.read_text() + "bogus: 1\n")
    git(server.clone, "commit", "-qam", "invalid policy")
    proc = server.push("jgirmay", "main", options=("enforcer.break-glass=outage",))
    assert proc.returncode != 0 and "break-glass cannot override policy.invalid" in proc.stderr
    git(server.clone, "reset", "-q", "--hard", "HEAD~1")
    proc = server.push("jgirmay", "HEAD:refs/notes/x", options=("enforcer.break-glass=outage",))
    assert proc.returncode != 0 and "break-glass cannot override refs.namespace" in proc.stderr
    assert server.ref("refs/notes/x") is None
    server.commit("src/urgent.py")
    proc = server.push("task_worker1", "HEAD:main", options=("enforcer.break-glass=outage",))
    assert proc.returncode != 0 and "break-glass refused: task_worker1 is not in policy.break_glass" in proc.stderr


def test_evaluate_only_rules_are_recorded_and_never_block(server: Server) -> None:
    policy = server.clone / "policy.yaml"
    rule = '  - match: "fix/*"\n    purpose: Bug fixes\n    push: [workers, release-managers]\n'
    assert rule in policy.read_text()
    policy.write_text(policy.read_text().replace(
        rule, '  - match: "fix/*"\n    purpose: Bug fixes\n    push: [release-managers]\n    enforcement: evaluate\n'))
    git(server.clone, "switch", "-qc", "hotfix/policy")
    git(server.clone, "commit", "-qam", "fix/* in evaluate mode")
    git(server.clone, "switch", "-q", "main")
    git(server.clone, "merge", "-q", "--no-ff", "--no-edit", "hotfix/policy")
    assert server.push("jgirmay", "hotfix/policy", "main").returncode == 0
    git(server.clone, "switch", "-qc", "fix/typo")
    server.commit("src/typo.py")
    proc = server.push("task_worker1", "fix/typo")  # not in push: evaluated, recorded, let through
    assert proc.returncode == 0 and server.ref("fix/typo")
    record = next(d for d in server.decisions() if d["ref"] == "refs/heads/fix/typo" and d["hook"] == "pre-receive")
    assert record["verdict"] == "allow" and [v["evaluate_only"] for v in record["violations"]] == [True]
    listing = enforcer(server.bare, "decisions").stdout
    assert "evaluate only, not enforced: branches[5] branches.push" in listing and "overridden" not in listing


def test_record_failure_refuses(server: Server) -> None:
    db = server.bare / "enforcer" / "records.sqlite3"
    db.unlink()
    db.mkdir()
    git(server.clone, "switch", "-qc", "feature/r-1124")
    proc = server.push("task_worker1", "feature/r-1124")
    assert proc.returncode != 0 and "records store" in proc.stderr and server.ref("feature/r-1124") is None


def test_update_mode(tmp_path: Path) -> None:
    s = Server(tmp_path, mode="update")
    assert s.push("jgirmay", "main").returncode == 0
    s.commit("src/a.py")
    assert s.push("jgirmay", "main").returncode != 0
    assert s.decisions()[0]["hook"] == "update"


GITEA_DISPATCHER = """#!/usr/bin/env bash
for hook in "$(dirname "$0")/update.d/"*; do "$hook" "$@" || exit 1; done
"""  # as Gitea's hooks/update runs update.d/: a shell between git and the hook


@pytest.mark.parametrize("layout", ["plain", "gitea"])
def test_update_mode_judges_every_ref_by_the_policy_before_the_push(tmp_path: Path, layout: str) -> None:
    """git moves main as soon as its update hook allows it: a ref after it in the same push
    is still judged by the policy main had before the push."""
    s = Server(tmp_path, mode="update", layout=layout)
    if layout == "gitea":
        (s.bare / "hooks" / "update").write_text(GITEA_DISPATCHER)
        (s.bare / "hooks" / "update").chmod(0o755)
    assert s.push("jgirmay", "main").returncode == 0
    policy = s.clone / "policy.yaml"
    policy.write_text(policy.read_text().replace("  - match: \"**\"\n", "  - match: zz\n    push: [release-managers]\n"
                                                 "  - match: \"**\"\n", 1))
    git(s.clone, "switch", "-qc", "hotfix/policy")
    git(s.clone, "commit", "-qam", "policy: let release managers push zz")
    git(s.clone, "switch", "-q", "main")
    git(s.clone, "merge", "-q", "--no-ff", "--no-edit", "hotfix/policy")
    git(s.clone, "branch", "zz")
    assert s.push("jgirmay", "hotfix/policy").returncode == 0  # the merge's source, on the server first
    proc = s.push("jgirmay", "main", "zz")  # git sends refs the server has (main) before new ones
    assert s.ref("main") == git(s.clone, "rev-parse", "main")  # main itself was allowed
    assert proc.returncode != 0 and s.ref("zz") is None  # zz by the old policy: no rule lets it in
    assert s.push("jgirmay", "zz").returncode == 0  # the next push goes by the new one


def test_update_mode_push_recreating_the_default_branch(tmp_path: Path) -> None:
    """main gone (a last good policy kept): the push that recreates it judges its other refs by
    that policy, not as a bootstrap."""
    s = Server(tmp_path, mode="update")
    assert s.push("jgirmay", "main").returncode == 0
    assert s.push("jgirmay", "main:refs/heads/hotfix/keep").returncode == 0
    git(s.bare, "update-ref", "-d", "refs/heads/main")
    git(s.clone, "switch", "-qc", "feature/x-1124")
    proc = s.push("jgirmay", "main", "feature/x-1124")
    assert proc.returncode == 0, proc.stderr
    judged = [d["ref"] for d in reversed(s.decisions()) if d["hook"] == "update"]
    assert judged[-2:] == ["refs/heads/main", "refs/heads/feature/x-1124"]  # main first: the case at hand


def test_a_damaged_update_mode_note_is_ignored(tmp_path: Path) -> None:
    s = Server(tmp_path, mode="update")
    assert s.push("jgirmay", "main").returncode == 0
    (s.bare / "enforcer" / "update-moved-default").write_text("garbage\n")
    git(s.clone, "switch", "-qc", "feature/x-1124")
    proc = s.push("task_worker1", "feature/x-1124")
    assert proc.returncode == 0, proc.stderr


def test_install_again_and_switching_mode_keep_one_shim_of_each(tmp_path: Path) -> None:
    s = Server(tmp_path)
    hooks = s.bare / "hooks"
    again = enforcer(tmp_path, "install", "--server", str(s.bare))
    assert again.returncode == 0 and "already installed" in again.stdout
    assert not (hooks / "pre-receive.before-enforcer").exists()  # our own shim is never chained
    assert enforcer(tmp_path, "install", "--server", str(s.bare), "--mode", "update").returncode == 0
    assert (hooks / "update").exists() and not (hooks / "pre-receive").exists()  # judged once, not twice
    assert s.push("jgirmay", "main").returncode == 0
    s.commit("src/a.py")
    assert s.push("jgirmay", "main").returncode != 0
    assert [d["hook"] for d in s.decisions() if d["hook"] != "post-receive"] == ["update", "bootstrap"]


def test_install_writes_where_git_runs_hooks(tmp_path: Path) -> None:
    """core.hooksPath moves the hooks git runs; a shim elsewhere would guard nothing."""
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    git(bare, "config", "core.hooksPath", str(tmp_path / "shared-hooks"))
    proc = enforcer(tmp_path, "install", "--server", str(bare))
    assert proc.returncode == 0 and str(tmp_path / "shared-hooks" / "pre-receive") in proc.stdout
    git(tmp_path, "init", "-q", "-b", "main", str(tmp_path / "clone"))
    git(tmp_path / "clone", "commit", "-q", "--allow-empty", "-m", "no policy")
    push = subprocess.run(["git", "push", str(bare), "main"], cwd=tmp_path / "clone", capture_output=True, text=True)
    assert push.returncode != 0 and "must bring policy.yaml" in push.stderr


def test_adopting_an_existing_repository(tmp_path: Path) -> None:
    """A repository with history and no policy: installing says every push would be refused;
    the documented way in is to push the policy first, then install."""
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(bare), str(clone))
    git(clone, "commit", "-q", "--allow-empty", "-m", "years of history")
    git(clone, "push", "-q", "origin", "HEAD:main")
    proc = enforcer(tmp_path, "install", "--server", str(bare))
    assert proc.returncode == 0 and "warning: there is no policy.yaml on main" in proc.stdout
    assert enforcer(tmp_path, "uninstall", "--server", str(bare)).returncode == 0
    shutil.copy(SOP, clone / "policy.yaml")
    git(clone, "add", "policy.yaml")
    git(clone, "commit", "-qm", "adopt enforcer")
    git(clone, "push", "-q", "origin", "HEAD:main")
    proc = enforcer(tmp_path, "install", "--server", str(bare))
    assert "pushes are judged by the policy.yaml on the default branch" in proc.stdout
    assert not (bare / "enforcer").exists()  # install only looks: the hooks may run as another user
    git(clone, "commit", "-q", "--allow-empty", "-m", "direct")
    env = {**os.environ, "ENFORCER_ACTOR": "jgirmay"}
    push = subprocess.run(["git", "push", "origin", "HEAD:main"], cwd=clone, capture_output=True, text=True, env=env)
    assert push.returncode != 0 and "branches.direct_commits" in push.stderr


def test_chained_hook_runs_first_and_comes_back(tmp_path: Path) -> None:
    s = Server(tmp_path, hooks_before={"pre-receive": "#!/bin/sh\necho legacy saw: $(cat) >&2\nexit 0\n"})
    bare, legacy = s.bare, s.bare / "hooks" / "pre-receive"
    assert (bare / "hooks" / "pre-receive.before-enforcer").exists()
    proc = s.push("jgirmay", "HEAD:main")
    assert proc.returncode == 0 and "legacy saw:" in proc.stderr
    assert enforcer(tmp_path, "uninstall", "--server", str(bare)).returncode == 0
    assert "legacy saw" in legacy.read_text() and not (bare / "hooks" / "pre-receive.before-enforcer").exists()


@pytest.mark.parametrize("layout, folder, variable, prefix", [
    ("gitlab", "custom_hooks", "GL_USERNAME", "GL-HOOK-ERR: "), ("gitea", "hooks", "GITEA_PUSHER_NAME", "")])
def test_hosting_layouts(tmp_path: Path, layout: str, folder: str, variable: str, prefix: str) -> None:
    """GitLab and Gitea run every file in pre-receive.d with the ref lines on stdin; so do we."""
    s = Server(tmp_path, layout=layout)
    hook = s.bare / folder / "pre-receive.d" / "enforcer"
    assert hook.exists()
    # bring the objects in without hooks, as the hosting server's receive would
    git(s.clone, "push", "-q", "--no-verify", str(s.bare), "main:refs/incoming/main")
    new = git(s.clone, "rev-parse", "HEAD")

    def run(actor: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "ENFORCER_ACTOR"}
        env[variable] = actor
        return subprocess.run([str(hook)], cwd=s.bare, input=f"{ZERO} {new} refs/heads/main\n", text=True,
                              capture_output=True, env={**env, "GIT_DIR": str(s.bare)})

    refused = run("task_worker1")
    assert refused.returncode != 0
    assert all(line.startswith(prefix) for line in refused.stderr.splitlines())
    assert run("jgirmay").returncode == 0


@pytest.mark.parametrize("ref, check", [("refs/enforcer/other/x", "refs.namespace"),
                                        ("refs/notes/commits", "refs.namespace"), ("refs/pull/1/head", "refs.namespace"),
                                        ("refs/enforcer/approvals/prod/v1.0.0", "approvals.format")])
def test_other_namespaces_are_refused(server: Server, ref: str, check: str) -> None:
    """Approvals are accepted only as blobs stating one (tests/test_approvals.py)."""
    proc = server.push("jgirmay", f"main:{ref}")
    assert proc.returncode != 0 and server.ref(ref) is None and check in proc.stderr


def test_creating_a_protected_branch_from_reviewed_work(server: Server) -> None:
    """qa starts at a commit main already has: nothing lands directly."""
    assert server.push("deploy-bot", "main:qa").returncode == 0 and server.ref("qa") == server.ref("main")
    server.commit("src/direct.py")
    proc = server.push("deploy-bot", "HEAD:refs/heads/prod")
    assert proc.returncode != 0 and "branches.direct_commits" in proc.stderr


def test_what_landed_is_recorded_once_with_its_pusher(server: Server) -> None:
    git(server.clone, "switch", "-qc", "feature/land-1124")
    tip = server.commit("src/land.py")
    assert server.push("task_worker1", "feature/land-1124").returncode == 0
    git(server.clone, "switch", "-qc", "feature/refused")
    assert server.push("task_worker1", "feature/refused").returncode != 0  # bad name: refused, never landed
    for _ in range(2):  # reading the spool twice records nothing twice
        landed = [d for d in server.decisions() if d["verdict"] == "landed"]
        assert [(d["ref"], d["new"], d["actor"]) for d in landed] == [
            ("refs/heads/feature/land-1124", tip, "task_worker1"),
            ("refs/heads/main", server.ref("main"), "jgirmay")]
    assert (server.bare / "enforcer" / "landed.spool").read_text().count("\n") == 2  # the spool is kept


def claim(server: Server, holder: str, seconds: int = 3600) -> str:
    """A claim blob in the clone, as `enforcer claim` will make it."""
    text = claim_text(holder, int(time.time()) + seconds)
    return git(server.clone, "hash-object", "-w", "--stdin", input=text)


def test_claims_are_refs_the_server_checks(server: Server) -> None:
    src = "refs/enforcer/claims/src"
    assert "claims.holder" in server.push("task_worker1", f"{claim(server, 'task_worker2')}:{src}").stderr
    assert "claims.ttl" in server.push("task_worker1", f"{claim(server, 'task_worker1', 10 * 86400)}:{src}").stderr
    assert "claims.format" in server.push("task_worker1", f"main:{src}").stderr
    owned = "refs/enforcer/claims/architect"
    assert "claims.owner" in server.push("task_worker2", f"{claim(server, 'task_worker2')}:{owned}").stderr
    assert server.push("task_worker1", f"{claim(server, 'task_worker1')}:{owned}").returncode == 0  # backup owner
    assert server.push("task_worker1", f"{claim(server, 'task_worker1')}:{src}").returncode == 0
    assert server.ref(src) is not None
    # no one else in, around or inside it while it is live
    assert "claims.held" in server.push("task_worker2", f"{claim(server, 'task_worker2')}:{src}/app").stderr
    git(server.clone, "switch", "-qc", "feature/inside-1124")
    server.commit("src/app.py")
    refused = server.push("task_worker2", "feature/inside-1124")
    assert refused.returncode != 0 and "src/ is claimed by task_worker1" in refused.stderr
    assert server.ref("feature/inside-1124") is None
    assert server.push("task_worker1", "feature/inside-1124").returncode == 0  # the holder works there
    # only the holder (or policy.owners) releases it
    assert "claims.release" in server.push("task_worker2", f":{src}").stderr
    assert server.push("task_worker1", f":{src}").returncode == 0 and server.ref(src) is None
    git(server.clone, "switch", "-qc", "feature/after-1124")
    server.commit("src/later.py")
    assert server.push("task_worker2", "feature/after-1124").returncode == 0
    assert server.push("jgirmay", f":{owned}").returncode == 0  # a policy owner clears a stale claim


def test_an_expired_claim_counts_as_absent(server: Server) -> None:
    src = "refs/enforcer/claims/src"
    stale = git(server.bare, "hash-object", "-w", "--stdin", input=claim_text("task_worker1", 1))
    git(server.bare, "update-ref", src, stale)  # a claim that has expired since
    git(server.clone, "switch", "-qc", "feature/expired-1124")
    server.commit("src/app.py")
    assert server.push("task_worker2", "feature/expired-1124").returncode == 0
    # replaces it (src/ may hold architect/ at any depth under the reference policy: its owner claims)
    assert server.push("arch_worker1", f"+{claim(server, 'arch_worker1')}:{src}").returncode == 0


@pytest.mark.parametrize("kind", ["blob", "tree"])
def test_a_branch_must_point_to_a_commit(server: Server, kind: str) -> None:
    obj = git(server.clone, "hash-object", "-w", "--stdin", input="x") if kind == "blob" else \
        git(server.clone, "write-tree")
    proc = server.push("jgirmay", f"{obj}:refs/heads/feature/{kind}-1124")
    assert proc.returncode != 0 and "refs.object" in proc.stderr
    assert server.decisions()[0]["verdict"] == "deny"


def test_a_post_receive_hook_already_there_still_runs(tmp_path: Path) -> None:
    s = Server(tmp_path, hooks_before={"post-receive": f"#!/bin/sh\ncat > {tmp_path / 'saw'}\n"})
    assert s.push("jgirmay", "HEAD:main").returncode == 0
    assert (tmp_path / "saw").read_text().endswith(" refs/heads/main\n")  # the same lines git gave us
    assert [d["verdict"] for d in s.decisions()] == ["landed", "allow"]


def test_every_line_a_hook_prints_on_gitlab_has_the_prefix(tmp_path: Path) -> None:
    """GitLab drops a hook's lines without GL-HOOK-ERR:, misconfiguration messages included."""
    proc = enforcer(tmp_path, "hook", "no-such-hook", env={"GL_ID": "user-1"})
    assert proc.returncode != 0 and proc.stderr.startswith("GL-HOOK-ERR: enforcer hook: name one of")


def test_a_branch_pushed_as_a_tag_object_is_refused_by_enforcer_itself(server: Server) -> None:
    """A protected branch pushed to an annotated tag that wraps a direct commit: enforcer refuses it
    (refs.object, and nothing else: the other rules' facts mean nothing for a tag object), and the
    record says deny, not allow."""
    assert server.push("jgirmay", "main:dev").returncode == 0
    before = server.ref("dev")
    direct = server.commit("src/direct.py")  # a direct commit, never allowed on dev
    tag = git(server.clone, "mktag", input=f"object {direct}\ntype commit\ntag wrap\n"
              "tagger T <t@example.com> 0 +0000\n\nwrap\n")
    proc = server.push("jgirmay", f"{tag}:refs/heads/dev")
    assert proc.returncode != 0 and server.ref("dev") == before
    assert "refs.object" in proc.stderr and "branches.direct_commits" not in proc.stderr
    decision = server.decisions()[0]
    assert decision["verdict"] == "deny" and [v["check"] for v in decision["violations"]] == ["refs.object"]


def test_a_symlink_at_a_claimed_directorys_own_path_is_under_the_claim(server: Server) -> None:
    """As with ownership (item 6): an entry at `src` stands for the directory `src/`."""
    assert server.push("arch_worker1", f"{claim(server, 'arch_worker1')}:refs/enforcer/claims/src").returncode == 0
    git(server.clone, "switch", "-qc", "feature/link-1124")
    os.symlink("elsewhere", server.clone / "src")
    git(server.clone, "add", "src")
    git(server.clone, "commit", "-qm", "src is a link now")
    proc = server.push("task_worker2", "feature/link-1124")
    assert proc.returncode != 0 and "claims.held" in proc.stderr


def test_an_exclusive_environment_is_claimed_through_the_server(server: Server) -> None:
    """refs/enforcer/env-claims/<env>: one actor at a time, and only where `exclusive: true`."""
    env3 = "refs/enforcer/env-claims/env3"
    assert server.push("task_worker1", f"{claim(server, 'task_worker1')}:{env3}").returncode == 0
    held = server.push("task_worker2", f"+{claim(server, 'task_worker2')}:{env3}")
    assert held.returncode != 0 and "claims.held" in held.stderr
    qa = server.push("task_worker2", f"{claim(server, 'task_worker2')}:refs/enforcer/env-claims/qa")
    assert qa.returncode != 0 and "claims.environment" in qa.stderr and server.ref("refs/enforcer/env-claims/qa") is None
    assert server.push("task_worker1", f":{env3}").returncode == 0  # the holder releases it
