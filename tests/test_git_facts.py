"""The facts git gives the core: every changed path, however its name is spelt."""
from __future__ import annotations

from enforcer.git import Repo as GitRepo
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
    commits = {c.sha: c for c in GitRepo(str(repo.path)).commits([merge], [repo.root])}
    assert set(commits) == {empty, changed, other, merge}
    assert commits[empty].paths == ()
    assert sorted(commits[changed].paths) == sorted(HOSTILE)
    assert commits[merge].paths == () and commits[merge].parents == (other, changed)


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
    commits = {c.sha: c for c in GitRepo(str(repo.path)).commits([clean], [side])}
    assert commits[evil].paths == ("architect/evil.md",) and commits[clean].paths == ()


def test_large_input_and_output_through_one_git_call(repo: Repo) -> None:
    """cat-file --batch-check answers while it still reads: neither pipe may fill up and stall."""
    head = repo.rev("HEAD")
    missing = [f"{i:040x}" for i in range(1, 20_000)]  # ~800 KB in, as much out
    assert GitRepo(str(repo.path)).existing([head, *missing]) == {head}
