"""The facts git gives the core: every changed path, however its name is spelt."""
from __future__ import annotations

from enforcer.git import LOG, Repo as GitRepo, iter_log
from enforcer.merges import Resolver
from tests.conftest import Repo, git

HEADER_LIKE = f"{'a' * 40} {'b' * 40}"  # looks like a log header line
HOSTILE = [HEADER_LIKE, "\nleading newline", "sp ace/ü<script>", "-rf", "architect/plan.md"]


def test_hostile_names_and_empty_commits_are_read_exactly(repo: Repo) -> None:
    repo.switch("feature/x-1124", create_from="main")
    empty = repo.commit(message="empty")
    changed = repo.commit(*HOSTILE)
    repo.switch("feature/y-1124", create_from="main")
    other = repo.commit("docs/y.md")
    merge = repo.merge("feature/x-1124")
    walked = GitRepo(str(repo.path)).commits([merge], [repo.root])
    commits = {c.sha: c for c in walked}
    assert set(commits) == {empty, changed, other, merge}
    assert commits[empty].paths == ()
    assert sorted(commits[changed].paths) == sorted(HOSTILE)
    # the walk gives a merge's first-parent diff; its own changes are none (git's own merge)
    assert sorted(commits[merge].paths) == sorted(HOSTILE) and commits[merge].parents == (other, changed)
    own = {c.sha: c for c in own_changes(repo, walked)}
    assert own[merge].paths == () and sorted(own[changed].paths) == sorted(HOSTILE)


def own_changes(repo: Repo, walked: list) -> list:  # type: ignore[type-arg]
    """Each merge's own paths, every path looked at (one rule per path)."""
    return Resolver(GitRepo(str(repo.path)), walked, lambda path: (path,)).resolve(walked)


def test_an_evil_merge_lists_the_paths_it_changed_itself(repo: Repo) -> None:
    repo.switch("feature/x-1124", create_from="main")
    side = repo.commit("a.txt")
    repo.switch("main")
    repo.commit("b.txt")
    git(repo.path, "merge", "-q", "--no-ff", "--no-commit", "feature/x-1124")
    (repo.path / "architect").mkdir()
    (repo.path / "architect" / "evil.md").write_text("slipped in")
    git(repo.path, "add", "architect/evil.md")
    git(repo.path, "commit", "-qm", "merge")
    evil = repo.rev("HEAD")
    repo.switch("feature/x-1124")
    repo.commit("c.txt")
    repo.switch("main")
    clean = repo.merge("feature/x-1124")  # comes first in git's output, with no paths
    commits = {c.sha: c for c in own_changes(repo, GitRepo(str(repo.path)).commits([clean], [side]))}
    assert commits[evil].paths == ("architect/evil.md",) and commits[clean].paths == ()


def test_a_long_history_read_from_both_ends_gives_every_commit_once(repo: Repo) -> None:
    """The two processes reading the listing from opposite ends meet somewhere in the
    middle: nothing may be lost or doubled there, merges included."""
    for cycle in range(40):
        repo.switch(f"feature/f{cycle}", create_from="main")
        repo.commit(f"dir{cycle % 7}/a{cycle}.txt", f"dir{cycle % 5}/b.txt")
        repo.switch("main")
        repo.commit(f"top{cycle}.txt")
        repo.merge(f"feature/f{cycle}")
    head = repo.rev("HEAD")
    one_way = list(iter_log([git(repo.path, *LOG[:1], *LOG[2:], head, f"^{repo.root}").encode() + b"\0"]))
    both_ways = GitRepo(str(repo.path)).commits([head], [repo.root])
    assert len(one_way) == 120
    assert both_ways == one_way


def test_the_users_git_config_does_not_change_the_facts(repo: Repo) -> None:
    """log.showRoot=false would hide a root commit's paths; diff.relative=true, from a
    subdirectory, would cut the others short; diff.ignoreSubmodules=all would hide a submodule."""
    git(repo.path, "config", "log.showRoot", "false")
    git(repo.path, "config", "diff.relative", "true")
    git(repo.path, "config", "color.ui", "always")
    git(repo.path, "config", "diff.ignoreSubmodules", "all")
    changed = repo.commit("sub/inner.txt", "outer.txt")
    git(repo.path, "update-index", "--add", "--cacheinfo", f"160000,{changed},vendor/lib")  # a submodule
    git(repo.path, "-c", "diff.ignoreSubmodules=none", "commit", "-qm", "add a submodule")
    submodule = repo.rev("HEAD")
    commits = {c.sha: c for c in GitRepo(str(repo.path / "sub")).commits([submodule])}
    assert commits[repo.root].paths == ("policy.yaml",)
    assert sorted(commits[changed].paths) == ["outer.txt", "sub/inner.txt"]
    assert commits[submodule].paths == ("vendor/lib",)


def test_large_input_and_output_through_one_git_call(repo: Repo) -> None:
    """cat-file --batch-check answers while it still reads: neither pipe may fill up and stall."""
    head = repo.rev("HEAD")
    missing = [f"{i:040x}" for i in range(1, 20_000)]  # ~800 KB in, as much out
    assert GitRepo(str(repo.path)).existing([head, *missing]) == {head}
