"""Every git call enforcer makes, and the facts the decision core needs.

Subprocess git throughout: it sees objects in the pre-receive quarantine
(GIT_QUARANTINE_PATH, GIT_ALTERNATE_OBJECT_DIRECTORIES), costs no import,
and is what every server already runs. Output is read with ``-z`` so names
with spaces, newlines or unicode arrive intact; revisions go in on stdin or
after ``--end-of-options`` so a name starting with ``-`` is never an option.
"""
from __future__ import annotations

import os
import subprocess
import threading
from typing import Callable, Iterable, Mapping, Sequence

from enforcer.errors import EnforcerError
from enforcer.model import ZERO, Commit, PolicyChange, RefUpdate
from enforcer.policy import Policy
from enforcer.regex import glob_matches

POLICY_FILE = "policy.yaml"


class GitError(EnforcerError):
    pass


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


class Repo:
    """A repository, found as git finds it from ``path``."""

    def __init__(self, path: str = ".") -> None:
        self.path = path

    def run(self, *args: str, input: bytes | None = None, ok: Sequence[int] = (0,)) -> bytes:
        try:
            proc = subprocess.run(("git", *args), cwd=self.path, input=input, capture_output=True)
        except FileNotFoundError:
            raise GitError("git is not installed or not on PATH") from None
        if proc.returncode not in ok:
            message = _decode(proc.stderr).strip() or f"exit {proc.returncode}"
            raise GitError(f"git {args[0]} failed: {message}")
        return proc.stdout

    def status(self, *args: str) -> int:
        return subprocess.run(("git", *args), cwd=self.path, capture_output=True).returncode

    # -- where ----------------------------------------------------------------
    def git_dir(self) -> str:
        return os.path.abspath(os.path.join(self.path, _decode(self.run("rev-parse", "--git-dir")).strip()))

    def common_dir(self) -> str:
        out = _decode(self.run("rev-parse", "--git-common-dir")).strip()
        return os.path.abspath(os.path.join(self.path, out))

    def is_bare(self) -> bool:
        return _decode(self.run("rev-parse", "--is-bare-repository")).strip() == "true"

    def is_shallow(self) -> bool:
        return _decode(self.run("rev-parse", "--is-shallow-repository")).strip() == "true"

    def default_branch(self) -> str | None:
        """The branch HEAD names (on a server: the default branch)."""
        out = self.run("symbolic-ref", "-q", "HEAD", ok=(0, 1))
        ref = _decode(out).strip()
        return ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None

    # -- objects --------------------------------------------------------------
    def resolve(self, rev: str) -> str | None:
        """The commit a revision names, or None."""
        out = self.run("rev-parse", "-q", "--verify", "--end-of-options", f"{rev}^{{commit}}", ok=(0, 1))
        sha = _decode(out).strip()
        return sha or None

    def object_type(self, sha: str) -> str | None:
        out = self.run("cat-file", "-t", sha, ok=(0, 128))
        return _decode(out).strip() or None

    def read_file(self, rev: str, path: str) -> bytes | None:
        """A file's bytes at a revision, or None where it does not exist."""
        proc = subprocess.run(("git", "cat-file", "blob", f"{rev}:{path}"), cwd=self.path, capture_output=True)
        return proc.stdout if proc.returncode == 0 else None

    def is_ancestor(self, older: str, newer: str) -> bool:
        return self.status("merge-base", "--is-ancestor", older, newer) == 0

    def refs(self, *patterns: str) -> dict[str, str]:
        """refname -> the commit it points to (tags peeled)."""
        out = self.run("for-each-ref", "--format=%(refname)%00%(objectname)%00%(*objectname)", *patterns)
        refs: dict[str, str] = {}
        for line in _decode(out).splitlines():
            name, sha, peeled = line.split("\0")
            refs[name] = peeled or sha
        return refs

    # -- facts ----------------------------------------------------------------
    def commits(self, include: Iterable[str], exclude: Iterable[str] = (), *,
                exclude_all_refs: bool = False) -> list[Commit]:
        """The commits reachable from ``include`` and not from ``exclude``, with their paths.

        A non-merge commit's paths are its diff against its parent without
        rename detection (so a rename counts on both sides); a merge's are those
        where it differs from every parent (``-c``). Merges and the rest are two
        ``git log`` processes running side by side; the larger output is parsed
        while git still writes it.
        """
        revs = [r for r in include if r != ZERO]
        if not revs:
            return []
        stdin = ("\n".join(revs + [f"^{r}" for r in exclude if r != ZERO]) + "\n").encode()
        base = ["git", "log", "--stdin", "--name-only", "--no-renames", "-z", "--format=%x00%H %P"]
        tail = ["--not", "--all"] if exclude_all_refs else []
        merges = subprocess.Popen(base + ["--merges", "-c"] + tail, cwd=self.path, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        others = subprocess.Popen(base + ["--no-merges"] + tail, cwd=self.path, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        merge_out: list[bytes] = []
        reader = threading.Thread(target=lambda: merge_out.extend(merges.communicate(stdin)))
        reader.start()
        with others:  # closes its pipes
            assert others.stdin is not None and others.stdout is not None and others.stderr is not None
            others.stdin.write(stdin)
            others.stdin.close()
            commits = parse_log(iter(lambda: others.stdout.read(1 << 16), b""))  # type: ignore[union-attr]
            error = others.stderr.read()
        reader.join()
        for proc, err in ((others, error), (merges, merge_out[1] if len(merge_out) > 1 else b"")):
            if proc.wait() != 0:
                raise GitError(f"git log failed: {_decode(err).strip() or proc.returncode}")
        return commits + parse_log(iter([merge_out[0]]), combined=True)

    def sources(self, tips: Mapping[str, str], exclude: Iterable[str]) -> dict[str, str]:
        """commit -> a branch among ``tips`` (branch -> sha) that contains it, above ``exclude``."""
        if not tips:
            return {}
        by_sha: dict[str, str] = {}
        for branch, sha in tips.items():
            by_sha.setdefault(sha, branch)
        stdin = "\n".join(list(by_sha) + [f"^{r}" for r in exclude if r != ZERO]) + "\n"
        out = self.run("log", "--stdin", "--source", "--format=%H %S", input=stdin.encode())
        found: dict[str, str] = {}
        for line in _decode(out).splitlines():
            sha, _, source = line.partition(" ")
            found[sha] = by_sha.get(source, source)
        return found

    def ref_update(self, policy: Policy, actor: str | None, ref: str, old: str, new: str, *,
                   exclude: Sequence[str] | None = None,
                   branch_tips: Callable[[], Mapping[str, str]] = dict,
                   actor_vars: tuple[str, ...] = (), now: float = 0.0,
                   break_glass: str | None = None) -> RefUpdate:
        """Everything the core needs about one ref update.

        ``exclude`` limits the new commits (``enforcer check``: the base); None
        means "reachable from no existing ref" (a server, before its refs move).
        ``branch_tips`` gives the branches a merge may come from (name -> sha):
        the server's, plus those pushed along; asked only where a rule needs them.
        """
        deleted = new == ZERO
        commits: list[Commit] = []
        if not deleted:
            if exclude is None:
                commits = self.commits([new], exclude_all_refs=True)
            else:
                commits = self.commits([new], exclude)
        # a new commit whose parent is the old tip proves a fast-forward without another walk
        fast_forward = old == ZERO or deleted or any(old in c.parents for c in commits) \
            or self.is_ancestor(old, new)
        annotated = None
        if ref.startswith("refs/tags/") and not deleted:
            annotated = self.object_type(new) == "tag"
        sources: dict[str, str] = {}
        known: set[str] = set()
        landing: list[Commit] = []
        rule = policy.branch_rule(ref[len("refs/heads/"):]) if ref.startswith("refs/heads/") else None
        if rule is not None and not rule.direct_commits and not deleted:
            # what the branch gains, whether or not the server had it on another branch
            # (a new branch gains only what is new to the server: the rest is on its branches)
            landing = commits if exclude == [old] or old == ZERO else self.commits([new], [old])
            sources, known = self._merge_facts(policy, ref[len("refs/heads/"):], old, landing, branch_tips())
        change = None
        if any(POLICY_FILE in c.paths for c in commits):
            change = self.policy_change(new)
        return RefUpdate(actor=actor, ref=ref, old=old, new=new, commits=tuple(commits), landing=tuple(landing),
                         fast_forward=fast_forward, annotated=annotated, sources=tuple(sources.items()),
                         known=frozenset(known), policy_change=change, break_glass=break_glass, now=now,
                         actor_vars=actor_vars)

    def _merge_facts(self, policy: Policy, branch: str, old: str, commits: list[Commit],
                     tips: Mapping[str, str]) -> tuple[dict[str, str], set[str]]:
        rule = policy.branch_rule(branch)
        if rule is None or rule.direct_commits or not commits:
            return {}, set()
        allowed = {name: sha for name, sha in tips.items() if name != branch and (
            rule.merge_from is None or any(glob_matches(g, name) for g in rule.merge_from))}
        sources = self.sources(allowed, [old])
        new = {c.sha for c in commits}
        known = {p for c in commits if c.is_merge for p in c.parents[1:]
                 if p not in new and p not in sources and old != ZERO and self.is_ancestor(p, old)}
        return sources, known

    def policy_change(self, rev: str) -> PolicyChange:
        from enforcer.policy import check_policy_bytes

        raw = self.read_file(rev, POLICY_FILE)
        if raw is None:
            return PolicyChange((f"the push deletes {POLICY_FILE}",))
        _, problems = check_policy_bytes(raw, POLICY_FILE)
        return PolicyChange(tuple(str(p).replace("\n", " ") for p in problems if not p.warning))

    def branch_tips(self, remote_too: bool = False) -> dict[str, str]:
        """Branch name -> sha: local branches, and with ``remote_too`` remote-tracking ones."""
        tips: dict[str, str] = {}
        if remote_too:
            for name, sha in self.refs("refs/remotes/").items():
                short = name.split("/", 3)[3] if name.count("/") >= 3 else ""
                if short and short != "HEAD":
                    tips.setdefault(short, sha)
        for name, sha in self.refs("refs/heads/").items():
            tips[name[len("refs/heads/"):]] = sha
        return tips


def parse_log(chunks: Iterable[bytes], combined: bool = False) -> list[Commit]:
    """Parse ``git log --name-only -z --format='%x00%H %P'`` as it arrives.

    The stream is tokens split by NUL. The format's leading NUL puts an empty
    token before every header; a path is never empty, so once a commit's
    paths have begun, the token after an empty one is a header, however
    hostile the file names. Git starts the path list with a newline glued to
    the first path, or, for combined diffs (``-c``), with one empty token.
    """
    commits: list[Commit] = []
    sha = ""
    parents: tuple[str, ...] = ()
    paths: list[str] = []
    header_next = False
    after_header = False
    rest = b""
    for chunk in chunks:
        tokens = (rest + chunk).split(b"\0")
        rest = tokens.pop()
        for token in tokens:
            if after_header:
                after_header = False
                if combined and not token:
                    continue
                if token[:1] == b"\n":
                    token = token[1:]
            if not token:
                header_next = True
            elif header_next:
                if sha:
                    commits.append(Commit(sha, parents, tuple(paths)))
                fields = token.decode("ascii").split()
                sha, parents, paths = fields[0], tuple(fields[1:]), []
                header_next, after_header = False, True
            else:
                paths.append(_decode(token))
    if sha:
        commits.append(Commit(sha, parents, tuple(paths)))
    return commits
