"""Every git call enforcer makes; what the rules need from them, enforcer.facts gathers.

git itself throughout (started by enforcer.proc): it sees objects in the pre-receive quarantine
(GIT_QUARANTINE_PATH, GIT_ALTERNATE_OBJECT_DIRECTORIES), costs no import,
and is what every server already runs. Output is read with ``-z`` so names
with spaces, newlines or unicode arrive intact; revisions go in on stdin or
after ``--end-of-options`` so a name starting with ``-`` is never an option.
"""
from __future__ import annotations

import os

from enforcer import proc
from enforcer.errors import EnforcerError
from enforcer.model import CLAIM_NAMESPACES, ZERO, Claim, Commit, claim_path, parse_claim

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs a hook milliseconds to import: only the type checker reads this
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
    from typing import Any, Generic, TypeVar

    T = TypeVar("T")

    class _Generic(Generic[T]):
        pass
else:
    T = None

    class _Generic:  # Running[...] at run time, without typing.Generic
        def __class_getitem__(cls, _: object) -> type:
            return cls

LISTING = ("for-each-ref", "--format=%(objectname) %(refname)")  # read by listing_rows()
CLAIMS_LISTING = (*LISTING, *CLAIM_NAMESPACES)
SYMREF_LISTING = ("for-each-ref", "--format=%(objectname) %(refname) %(symref)")
USER_CONFIG = ("config", "--get-regexp", r"^user\.(email|name)$")  # read by parse_identity()
# every commit with the paths it changes against its first parent (read by iter_log; a merge's
# own paths are worked out from these by enforcer.merges), whatever the user's git config says:
# log.showRoot=false would hide a root commit's paths, diff.relative=true cut them short,
# diff.ignoreSubmodules (or a .gitmodules ignore=) hide a submodule's move
DIFF_FLAGS = ("--no-renames", "--no-relative", "--ignore-submodules=none", "-z")
# the paths a commit of the index would change, renames on both sides (as a push's walk sees them)
STAGED_PATHS = ("diff", "--cached", "--name-only", *DIFF_FLAGS)
LOG = ("log", "--stdin", "--root", "--diff-merges=first-parent", "--name-only", "--no-show-signature",
       *DIFF_FLAGS, "--format=%x00%H %P")
# git's automatic merge as git's defaults make it, whatever the user's or server's config says,
# so that a clone, CI and the server reach the same result
MERGE_CONFIG = ("-c", "merge.renames=true", "-c", "merge.directoryRenames=conflict", "-c", "merge.renormalize=false",
                "-c", "diff.renameLimit=1000")


class GitError(EnforcerError):
    pass


Entry = tuple[str, str]  # (mode, object id) of a path in a tree; mode 000000 where there is none


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


class Repo:
    """A repository, found as git finds it from ``path``."""

    def __init__(self, path: str = ".") -> None:
        self.path = path
        self._git_dir: str | None = None
        self._layout: tuple[str, list[str]] | bool | None = None
        self._common_dir: str | None = None

    def argv(self, args: Sequence[str]) -> list[str]:
        return ["git", *args] if self.path == "." else ["git", "-C", self.path, *args]

    def spawn(self, args: Sequence[str], **options: Any) -> proc.Child:
        options.setdefault("env", git_env())
        try:
            return proc.Child(self.argv(args), **options)
        except FileNotFoundError:
            raise GitError("git is not installed or not on PATH") from None

    def run(self, *args: str, input: bytes | None = None, ok: Sequence[int] = (0,)) -> bytes:
        child = self.spawn(args, stdin=input is not None)
        out, err = child.communicate(input or b"")
        if child.wait() not in ok:
            raise GitError(f"git {args[0]} failed: {_decode(err).strip() or f'exit {child.returncode}'}")
        return out

    def run_together(self, *calls: Sequence[str] | None) -> list[bytes]:
        """Quick git commands started at once: a hook waits for the slowest, not for their sum.
        A command that fails, or a None in place of one, gives b""."""
        children = [self.spawn(call, quiet=True) if call else None for call in calls]
        outputs = []
        for child in children:
            out = child.communicate()[0] if child else b""
            outputs.append(out if child and child.returncode == 0 else b"")
        return outputs

    def existing(self, shas: Iterable[str]) -> set[str]:
        """Which of these objects the repository has."""
        wanted = [s for s in shas if s != ZERO]
        if not wanted:
            return set()
        out = self.run("cat-file", "--batch-check=%(objectname)", input="".join(f"{s}\n" for s in wanted).encode())
        return {line for line in _decode(out).splitlines() if not line.endswith(" missing")}

    def status(self, *args: str) -> int:
        child = self.spawn(args, quiet=True)
        child.communicate()
        return child.wait()

    # -- where ----------------------------------------------------------------
    def git_dir(self) -> str:
        if self._git_dir is None:
            given = None
            if self.path == ".":  # git sets GIT_DIR for server hooks and in linked worktrees;
                # a client hook runs at the top of the work tree, where git looks first
                given = os.environ.get("GIT_DIR") or (".git" if os.path.isdir(".git") else None)
            found = given or _decode(self.run("rev-parse", "--git-dir")).strip()
            self._git_dir = os.path.abspath(os.path.join(self.path, found))
        return self._git_dir

    def head_ref(self) -> str | None:
        """The ref HEAD names (refs/heads/<branch>, born or not), or None when detached."""
        try:  # the HEAD file says it without starting git (files backend)
            with open(os.path.join(self.git_dir(), "HEAD"), "rb") as f:
                head = _decode(f.read()).strip()
        except OSError:
            head = ""
        if head.startswith("ref: refs/") and head != "ref: refs/heads/.invalid":  # .invalid: reftable
            return head[len("ref: "):]
        if len(head) >= 40 and all(c in "0123456789abcdef" for c in head):
            return None
        ref = _decode(self.run("symbolic-ref", "-q", "HEAD", ok=(0, 1))).strip()
        return ref or None

    def is_shallow(self) -> bool:
        return _decode(self.run("rev-parse", "--is-shallow-repository")).strip() == "true"

    def default_branch(self) -> str | None:
        """The branch HEAD names (on a server: the default branch)."""
        ref = self.head_ref()
        return ref.removeprefix("refs/heads/") if ref and ref.startswith("refs/heads/") else None

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
        child = self.spawn(("cat-file", "blob", f"{rev}:{path}"), quiet=True)
        out, _ = child.communicate()
        return out if child.returncode == 0 else None

    def ls_remote(self, url: str, patterns: Sequence[str]) -> tuple[dict[str, str], str | None] | str:
        """A remote's branches (name -> sha) and the branch its HEAD names, as it answers now;
        or the first line of why it did not answer. Never stops to ask for a password."""
        child = self.spawn(("ls-remote", "--symref", "--end-of-options", url, *patterns),
                           env=git_env(GIT_TERMINAL_PROMPT="0"))
        out, err = child.communicate()
        if child.wait() != 0:
            said = _decode(err).strip().splitlines()
            return said[0] if said else f"git ls-remote: exit {child.returncode}"
        heads: dict[str, str] = {}
        default = None
        for line in _decode(out).splitlines():
            value, _, name = line.partition("\t")
            if name == "HEAD" and value.startswith("ref: refs/heads/"):
                default = value[len("ref: refs/heads/"):]
            elif name.startswith("refs/heads/"):
                heads[name[len("refs/heads/"):]] = value
        return heads, default

    def config_all(self, key: str) -> list[str]:
        """Every value of a multi-valued config key."""
        return _decode(self.run("config", "--get-all", key, ok=(0, 1))).splitlines()

    def object_ids(self, revs: Sequence[str]) -> list[str]:
        """Each revision's object id ("<rev> missing" where there is none), in one git call."""
        out = self.run("cat-file", "--batch-check=%(objectname)", input="".join(f"{r}\n" for r in revs).encode())
        return _decode(out).splitlines()

    def merge_heads(self) -> list[str]:
        """The commits a merge in progress brings in (MERGE_HEAD; several for an octopus)."""
        try:
            with open(os.path.join(self.git_dir(), "MERGE_HEAD"), encoding="ascii") as f:
                return f.read().split()
        except OSError:
            return []

    def index_tree(self) -> str:
        """The index written as a tree (the commit being made, before it is made)."""
        return _decode(self.run("write-tree")).strip()

    def layout(self) -> tuple[str, list[str]] | None:
        """(the working tree's root, [the git directory, the common one, the hooks directory]) as
        absolute paths, from one git call; None outside a working tree (no repository, or a bare one)."""
        if self._layout is None:
            out = self.run("rev-parse", "--show-toplevel", "--git-dir", "--git-common-dir", "--git-path", "hooks",
                           ok=(0, 128))
            lines = _decode(out).split("\n")
            here = os.path.abspath(self.path)  # git names the git directories relative to it
            self._layout = (lines[0], [os.path.join(here, d) for d in lines[1:4]]) \
                if len(lines) >= 4 and lines[0] else False
        return self._layout if isinstance(self._layout, tuple) else None

    def common_dir(self) -> str:
        """The common git directory (shared by every worktree), absolute."""
        found = self.layout()
        if found:
            return found[1][1]
        if self._common_dir is None:  # a bare repository
            self._common_dir = os.path.join(os.path.abspath(self.path),
                                            _decode(self.run("rev-parse", "--git-common-dir")).strip())
        return self._common_dir

    def toplevel(self) -> str | None:
        """The working tree's root; None in a bare repository, or outside any."""
        found = self.layout()
        return found[0] if found else None

    def current_branch(self) -> str | None:
        ref = self.head_ref()
        return ref[len("refs/heads/"):] if ref and ref.startswith("refs/heads/") else None

    def config_value(self, key: str) -> str | None:
        return _decode(self.run("config", "--get", key, ok=(0, 1))).strip() or None

    def has_branches(self) -> bool:
        return bool(self.run("for-each-ref", "--count=1", "refs/heads/").strip())

    def zero_id(self) -> str:
        """An object id of this repository's length, all zeros (SHA-1: 40 digits, SHA-256: 64)."""
        return "0" * (64 if _decode(self.run("rev-parse", "--show-object-format")).strip() == "sha256" else 40)

    def hooks_dir(self) -> str:
        """Where git runs this repository's hooks from (core.hooksPath, else the git dir's hooks/)."""
        return _decode(self.run("rev-parse", "--git-path", "hooks")).strip()

    def is_bare(self) -> bool:
        return self.run("rev-parse", "--is-bare-repository").strip() == b"true"

    def set_config(self, key: str, value: str) -> None:
        self.run("config", key, value)

    def identity(self) -> tuple[str | None, str | None]:
        """(user.email, user.name) as git's config gives them here."""
        return parse_identity(self.run(*USER_CONFIG, ok=(0, 1)))

    def blob(self, sha: str) -> bytes | None:
        """A blob's content; None where ``sha`` names no blob (or an empty one)."""
        return self.run("cat-file", "blob", sha, ok=(0, 128)) or None

    def is_ancestor(self, older: str, newer: str) -> bool:
        return self.status("merge-base", "--is-ancestor", older, newer) == 0

    # -- facts ----------------------------------------------------------------
    def commits(self, include: Iterable[str], exclude: Iterable[str] = (), *,
                exclude_all_refs: bool = False) -> list[Commit]:
        return self.start_commits(include, exclude, exclude_all_refs=exclude_all_refs)()

    def start_commits(self, include: Iterable[str], exclude: Iterable[str] = (), *,
                      exclude_all_refs: bool = False) -> Callable[[], list[Commit]]:
        """Start reading the commits reachable from ``include`` and not from ``exclude``, with
        their paths; the returned function waits for them.

        A non-merge commit's paths are its diff against its parent without
        rename detection (so a rename counts on both sides); a merge's are those
        where it differs from every parent (``-c``). The listing is read from
        both ends at once (see ``Meeting``), parsed while git still writes.
        """
        revs = [r for r in include if r != ZERO]
        if not revs:
            return list
        stdin = ("\n".join(revs + [f"^{r}" for r in exclude if r != ZERO]) + "\n").encode()
        args = [*LOG, "--not", "--all"] if exclude_all_refs else list(LOG)
        return Meeting(self, args, stdin).output

    def side_commits(self, tips: Sequence[str], below: str) -> list[Commit]:
        """The commits ``tips`` reach and ``below`` does not, with their paths: one git, no
        threads (a merged side is mostly a few commits)."""
        stdin = "".join(f"{t}\n" for t in tips) + f"^{below}\n"
        return list(iter_log([self.run(*LOG, input=stdin.encode()) + b"\0"]))

    def start_push_walk(self, tips: Iterable[str]) -> PushWalk:
        """Start one walk over the commits new to the server (reachable from no ref it has)
        that any of ``tips`` brings.

        One walk for the whole push, not one per ref: a push of many refs over a
        shared history (a mirror, a migration, ``--tags``) would otherwise walk
        and diff that history once for every ref.
        """
        wanted = [t for t in dict.fromkeys(tips) if t != ZERO]
        return PushWalk(self, wanted, self.start_commits(wanted, exclude_all_refs=True))

    def peeled(self, objects: Sequence[str]) -> dict[str, str]:
        """The commit each of ``objects`` (tags, commits) points to, where it points to one."""
        if not objects:
            return {}
        out = self.run("cat-file", "--batch-check=%(objectname) %(objecttype)",
                       input="".join(f"{o}^{{commit}}\n" for o in objects).encode())
        return {o: line.split()[0] for o, line in zip(objects, _decode(out).splitlines())
                if line.endswith(" commit")}

    def start_sources(self, tips: Mapping[str, str], exclude: Iterable[str]) -> Callable[[], dict[str, str]]:
        """Start finding, for each commit, a branch among ``tips`` (branch -> sha) that contains it,
        above ``exclude``; the returned function waits for the answer."""
        by_sha: dict[str, str] = {}
        for branch, sha in tips.items():
            by_sha.setdefault(sha, branch)
        if not by_sha:
            return dict
        stdin = "\n".join(list(by_sha) + [f"^{r}" for r in exclude if r != ZERO]) + "\n"

        def parse(chunks: Iterable[bytes]) -> dict[str, str]:
            sources: dict[str, str] = {}
            for line in _decode(b"".join(chunks)).splitlines():
                sha, _, source = line.partition(" ")
                sources[sha] = by_sha.get(source, source)
            return sources
        return Running(self, ["log", "--stdin", "--source", "--format=%H %S"], stdin.encode(),
                       parse).output

    # -- merges (enforcer.merges) ---------------------------------------------
    def below_tips(self, olds: Iterable[str], tips: Iterable[str]) -> dict[str, set[str]]:
        """For each old tip, which of ``olds`` are its ancestors (or itself)."""
        olds = sorted(olds)
        found = {}
        for tip in tips:
            out = self.run("rev-list", "--stdin", input="".join(f"{o}\n" for o in [*olds, f"^{tip}"]).encode())
            above = set(_decode(out).split())
            found[tip] = {o for o in olds if o not in above}
        return found

    def merge_bases(self, pairs: Sequence[tuple[str, str]]) -> list[list[str]]:
        """All merge bases of each pair (``git rev-parse A...B`` lists them as ^base)."""
        found: list[list[str]] = []
        for start in range(0, len(pairs), 500):  # well within the command line's limit
            chunk = pairs[start:start + 500]
            lines = _decode(self.run("rev-parse", *[f"{a}...{b}" for a, b in chunk])).split()
            i = 0
            for _ in chunk:
                i += 2  # A and B themselves
                bases = []
                while i < len(lines) and lines[i].startswith("^"):
                    bases.append(lines[i][1:])
                    i += 1
                found.append(bases)
        return found

    def trees(self, revs: Sequence[str]) -> dict[str, str]:
        """The tree of each commit (or tree)."""
        if not revs:
            return {}
        out = self.run("cat-file", "--batch-check=%(objectname)", input="".join(f"{r}^{{tree}}\n" for r in revs).encode())
        lines = _decode(out).splitlines()
        if len(lines) != len(revs) or any(" " in line for line in lines):
            raise GitError(f"cannot read the trees of {', '.join(r[:10] for r in revs)}")
        return dict(zip(revs, lines))

    def empty_tree(self) -> str:
        return _decode(self.run("hash-object", "-t", "tree", "--stdin", input=b"")).strip()

    def raw_diffs(self, pairs: Sequence[tuple[str, str]], pathspecs: Sequence[str] = (), commits: bool = False
                  ) -> list[dict[str, tuple[Entry, Entry]]]:
        """For each (tree, tree) pair, path -> (entry before, entry after) where they differ
        (only paths the ``pathspecs`` match, if any are given). ``commits``: the pairs are
        (commit, commit), which git reads as a commit and the parent to compare it with."""
        if not pairs:
            return []
        lines = "".join(f"{b} {a}\n" if commits else f"{a} {b}\n" for a, b in pairs)
        out = self.run("diff-tree", "--stdin", "-r", "--always", "--no-abbrev", *DIFF_FLAGS, "--", *pathspecs,
                       input=lines.encode())
        diffs: list[dict[str, tuple[Entry, Entry]]] = []
        tokens = out.split(b"\0")
        i = 0
        while i < len(tokens):
            meta = None
            for line in tokens[i].split(b"\n"):  # "<tree> <tree>\n" headers glue onto what follows
                # (a commit's header is its id alone)
                if line[:1] == b":":
                    meta = line
                elif line:
                    diffs.append({})
            if meta is not None:
                old_mode, new_mode, old_id, new_id, _ = meta[1:].decode("ascii").split(" ")
                diffs[-1][_decode(tokens[i + 1])] = ((old_mode, old_id), (new_mode, new_id))
                i += 2
            else:
                i += 1
        if len(diffs) != len(pairs):
            raise GitError(f"git diff-tree answered {len(diffs)} of {len(pairs)} tree pairs")
        return diffs

    def merge_trees(self, pairs: Sequence[tuple[str, str]]) -> list[tuple[str, set[str]]]:
        """git's automatic merge of each pair of commits: (its tree, the paths left in conflict).
        One ``git merge-tree --stdin`` for all; one git per pair where git has no --stdin."""
        if not pairs:
            return []
        options = (*MERGE_CONFIG, "merge-tree", "--write-tree", "--name-only", "--no-messages", "-z",
                   "--allow-unrelated-histories")
        try:
            out = self.run(*options, "--stdin", input="".join(f"{a} {b}\n" for a, b in pairs).encode(), ok=(0, 1))
            batched = True
        except GitError:  # git before 2.40: one merge at a time, its status in the exit code
            out, batched = b"", False
        tokens = iter(out.split(b"\0"))
        results = []
        for a, b in pairs:
            if not batched:
                tokens = iter([b"1", *self.run(*options, "--end-of-options", a, b, ok=(0, 1)).split(b"\0")])
            status, tree = next(tokens, b""), _decode(next(tokens, b""))
            if status not in (b"0", b"1") or len(tree) < 40:
                raise GitError(f"git merge-tree could not merge {a[:10]} and {b[:10]} (enforcer needs git 2.38 "
                               "or later to judge merges)")
            conflicted = set()
            while name := next(tokens, b""):
                conflicted.add(_decode(name))
            results.append((tree, conflicted))
        return results

    def commit_tree(self, tree: str, parents: Sequence[str], message: str) -> str:
        """Write a commit object (no ref moves): what a merge would be, for ``enforcer check``."""
        parent_args = [arg for p in parents for arg in ("-p", p)]
        out = self.run("-c", "user.name=enforcer", "-c", "user.email=enforcer@localhost", "commit-tree",
                       *parent_args, "-m", message, tree)
        return _decode(out).strip()

    def claims(self, refs: list[tuple[str, str]] | None = None) -> tuple[Claim, ...]:
        """The claims the repository holds (refs/enforcer/claims/<dir>), expired ones too.

        ``refs``: (sha, refname) rows of CLAIMS_LISTING, when the caller listed them already."""
        if refs is None:
            refs = listing_rows(self.run(*CLAIMS_LISTING))
        if not refs:
            return ()
        batch = self.run("cat-file", "--batch", input="".join(f"{sha}\n" for sha, _ in refs).encode())
        found: list[Claim] = []
        for sha, ref in refs:
            header, _, batch = batch.partition(b"\n")
            fields = header.split()
            size = int(fields[2]) if len(fields) == 3 else 0
            body, batch = batch[:size], batch[size + 1:]
            claim = parse_claim(claim_path(ref), _decode(body)) if fields[1:2] == [b"blob"] else None
            if claim is not None:
                found.append(claim)
        return tuple(found)

    def branches(self, remote_too: bool = False) -> tuple[dict[str, str], dict[str, str]]:
        """(local branches, and with ``remote_too`` the remote-tracking ones by branch name),
        each name -> sha."""
        local: dict[str, str] = {}
        remote: dict[str, str] = {}
        for sha, name in listing_rows(self.run(*LISTING, "refs/heads/", *(["refs/remotes/"] if remote_too else []))):
            if name.startswith("refs/heads/"):
                local[name[len("refs/heads/"):]] = sha
            elif name.count("/") >= 3 and not name.endswith("/HEAD"):
                remote.setdefault(name.split("/", 3)[3], sha)
        return local, remote

    def branch_tips(self, remote_too: bool = False) -> dict[str, str]:
        """Branch name -> sha: local branches, and with ``remote_too`` remote-tracking ones
        where no local branch has the name."""
        local, remote = self.branches(remote_too)
        return {**remote, **local}

    # -- claim refs (enforcer.claiming) --
    def claim_refs(self, *namespaces: str) -> dict[str, str]:
        """Every ref under ``namespaces``: name -> object id."""
        return {name: sha for sha, name in listing_rows(self.run(*LISTING, *namespaces))}

    def claim_remotes(self) -> list[str]:
        return _decode(self.run("remote")).split()

    def write_claim_blob(self, text: str) -> str:
        return _decode(self.run("hash-object", "-w", "--stdin", input=text.encode())).strip()

    def swap_claim_ref(self, ref: str, new: str, old: str | None, message: str) -> str | None:
        """Compare-and-swap: ``ref`` to ``new`` (ZERO deletes it) only while it is ``old`` (ZERO:
        absent; None: whatever it is). None when done, else git's reason."""
        expect = () if old is None else (self.zero_id() if old == ZERO else old,)  # absent, in this object format
        args = ("-d", ref, *expect) if new == ZERO else (ref, new, *expect)
        child = self.spawn(("update-ref", "-m", message, "--no-deref", *args))
        _, err = child.communicate()
        return None if child.wait() == 0 else (_decode(err).strip() or f"git update-ref: exit {child.returncode}")

    def fetch_claim_refs(self, remote: str, refspecs: Sequence[str]) -> str | None:
        """Mirror ``refspecs`` from ``remote``, dropping what it no longer has: None when done,
        else the first line of why not."""
        child = self.spawn(("fetch", "--quiet", "--prune", "--no-tags", "--no-write-fetch-head", "--no-auto-gc",
                            "--end-of-options", remote, *refspecs))
        _, err = child.communicate()
        if child.wait() == 0:
            return None
        said = _decode(err).strip().splitlines()
        return said[0] if said else f"git fetch: exit {child.returncode}"

    def push_claim_refs(self, remote: str, refspecs: Sequence[str], leases: Mapping[str, str],
                        env: Mapping[str, str]) -> tuple[dict[str, tuple[str, str]], str]:
        """Push with a lease per ref (its value as judged; ZERO: absent). Returns each ref's
        ``--porcelain`` (flag, summary) and git's stderr (the server's messages)."""
        cas = [f"--force-with-lease={ref}:{'' if old == ZERO else old}" for ref, old in leases.items()]
        child = self.spawn(("push", "--porcelain", "--no-follow-tags", *cas, "--end-of-options", remote, *refspecs),
                           env=git_env(**env))
        out, err = child.communicate()
        child.wait()
        rows: dict[str, tuple[str, str]] = {}
        for line in _decode(out).splitlines():
            fields = line.split("\t")
            if len(fields) == 3 and len(fields[0]) == 1:
                rows[fields[1].rpartition(":")[2]] = (fields[0], fields[2])
        return rows, _decode(err)


class PushWalk:
    """The commits a push brings, walked once; ``part(tip)`` is what one pushed tip reaches."""

    def __init__(self, repo: Repo, tips: list[str], walk: Callable[[], list[Commit]]) -> None:
        self._repo, self._tips, self._walk = repo, tips, walk
        self._found: tuple[list[Commit], dict[str, Commit], dict[str, str]] | None = None

    def every(self) -> list[Commit]:
        """Every commit the push brings, waiting for the walk."""
        if self._found is None:
            commits = self._walk()
            by_sha = {c.sha: c for c in commits}
            # a tag's tip is its tag object: peel it to the commit the walk holds
            tags = [t for t in self._tips if t not in by_sha] if len(self._tips) > 1 else []
            self._found = (commits, by_sha, self._repo.peeled(tags))
        return self._found[0]

    def part(self, tip: str) -> list[Commit]:
        commits = self.every()
        if len(self._tips) == 1:
            return commits
        _, by_sha, peeled = self._found or ([], {}, {})
        reached: set[str] = set()
        todo = [peeled.get(tip, tip)]
        while todo:
            sha = todo.pop()
            if sha in by_sha and sha not in reached:
                reached.add(sha)
                todo.extend(by_sha[sha].parents)
        return [c for c in commits if c.sha in reached]


def first_parent_line(commits: Iterable[Commit], tip: str) -> list[Commit]:
    """The commits on ``tip``'s first-parent line, newest first, as far as ``commits`` go."""
    by_sha = {c.sha: c for c in commits}
    line = []
    sha: str | None = tip
    while sha in by_sha:
        line.append(by_sha[sha])
        sha = by_sha[sha].parents[0] if by_sha[sha].parents else None
    return line


def is_object_id(text: str) -> bool:
    """A full object id, as git prints them (SHA-1 or SHA-256)."""
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def blob_id(raw: bytes, like: str) -> str:
    """The id git gives a blob of ``raw`` in a repository whose object ids look like ``like``
    (SHA-256 where it is 64 hex digits long), without asking git."""
    import hashlib

    digest = hashlib.sha256() if len(like) == 64 else hashlib.sha1()
    digest.update(b"blob %d\0" % len(raw))
    digest.update(raw)
    return digest.hexdigest()


def parse_identity(out: bytes) -> tuple[str | None, str | None]:
    """(user.email, user.name) from USER_CONFIG's output."""
    found: dict[str, str] = {}
    for line in _decode(out).splitlines():
        key, _, value = line.partition(" ")
        found[key.lower()] = value
    return found.get("user.email") or None, found.get("user.name") or None


def listing_rows(out: bytes) -> list[tuple[str, str]]:
    """(sha, refname) rows of ``for-each-ref --format='%(objectname) %(refname)'`` (ref names hold no spaces)."""
    rows = []
    for line in _decode(out).splitlines():
        sha, _, name = line.partition(" ")
        rows.append((sha, name))
    return rows


# settings that change what a pathspec means: GIT_LITERAL_PATHSPECS=1 would make the merge
# screen's `:(top,literal)...` pathspecs match nothing, and a merge's own change go unseen
PATHSPEC_VARIABLES = ("GIT_LITERAL_PATHSPECS", "GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS", "GIT_ICASE_PATHSPECS")


def git_env(**extra: str) -> dict[str, str]:
    """The environment every git enforcer runs gets: the caller's, less what would change git's
    answers from one place to another."""
    env = {k: v for k, v in os.environ.items() if k not in PATHSPEC_VARIABLES}
    env.update(extra)
    return env


def _log_env() -> dict[str, str]:
    return git_env(GIT_FLUSH="0")  # git log flushes a pipe after every commit otherwise


class Running(_Generic[T]):
    """A git process whose output a thread reads and parses while the caller goes on.

    Every caller runs ``git log --stdin``, which reads all of stdin before it
    writes, so writing stdin first cannot deadlock.
    """

    def __init__(self, repo: Repo, args: list[str], stdin: bytes, parse: Callable[[Iterable[bytes]], T]) -> None:
        self._args = args
        self._child = repo.spawn(args, stdin=True, env=_log_env())
        self._result: list[T] = []
        self._failure: list[BaseException] = []
        self._error = b""
        import threading  # only walks need it; a commit's hook does not

        self._thread = threading.Thread(target=self._collect, args=(stdin, parse), daemon=True)
        self._thread.start()

    def _collect(self, stdin: bytes, parse: Callable[[Iterable[bytes]], T]) -> None:
        child = self._child
        try:
            child.write_all(stdin)
            self._result.append(parse(child.chunks()))
            self._error = child.communicate()[1]  # the rest: stderr, and the exit code
        except BaseException as e:  # handed to the caller's thread
            self._failure.append(e)
        finally:
            child.close()

    def output(self) -> T:
        self._thread.join()
        if self._failure:
            raise self._failure[0]
        if self._child.returncode != 0:
            error = _decode(self._error).strip() or f"exit {self._child.returncode}"
            raise GitError(f"git {self._args[0]} failed: {error}")
        return self._result[0]


class Meeting:
    """One commit listing read from both ends: a second ``git log`` prints it
    with ``--reverse``, and when either side reaches a commit the other has
    taken, both stop. Each commit's diff, the costly part, is then computed
    about once, and on two cores. ``--reverse`` prints the same list backwards,
    so by the time the sides meet every commit has been taken by one of them.
    (Each process reads the refs for ``--not --all`` itself: a push landing in
    between can only shorten the second list by commits that push brought, and
    judged.)
    """

    def __init__(self, repo: Repo, args: list[str], stdin: bytes) -> None:
        import threading  # only walks need it; a commit's hook does not

        self._args = args
        self._lock = threading.Lock()
        self._met = False
        self._seen: set[str] = set()
        forward = _Side(repo.spawn(args, stdin=True, env=_log_env()))
        try:
            backward = _Side(repo.spawn([*args, "--reverse"], stdin=True, env=_log_env()))
        except BaseException:
            forward.child.kill()
            forward.child.communicate()
            raise
        self._sides = [forward, backward]
        self._threads = [threading.Thread(target=self._read, args=(side, stdin), daemon=True)
                         for side in self._sides]
        for thread in self._threads:
            thread.start()

    def _read(self, side: _Side, stdin: bytes) -> None:
        child = side.child
        try:
            child.write_all(stdin)
            # a commit is whole once the next one begins; the last only once git has exited
            # well (a git that died mid-commit leaves it cut short)
            last: Commit | None = None
            for commit in iter_log(child.chunks()):
                if last is not None and not self._take(side, last):
                    last = None
                    break
                last = commit
            with self._lock:  # no kill may reach a process once it is reaped
                side.reaped = True
            side.error = child.communicate()[1]
            if last is not None and child.returncode == 0:
                self._take(side, last)
        except BaseException as e:  # handed to the caller's thread
            side.failure.append(e)
            with self._lock:
                if not side.reaped:
                    side.reaped = side.stopped = True
                    child.kill()
                    child.wait()
        finally:
            child.close()

    def _take(self, side: _Side, commit: Commit) -> bool:
        """Keep ``commit`` for ``side``, unless the sides have met (then stop both)."""
        with self._lock:
            if self._met or commit.sha in self._seen:
                self._stop()
                return False
            self._seen.add(commit.sha)
        side.commits.append(commit)
        return True

    def _stop(self) -> None:
        """Both sides have met: stop the processes still running (called holding the lock)."""
        self._met = True
        for side in self._sides:
            if not side.reaped and not side.stopped:
                side.stopped = True
                side.child.kill()

    def output(self) -> list[Commit]:
        for thread in self._threads:
            thread.join()
        forward, backward = self._sides
        for side in self._sides:
            if side.failure:
                raise side.failure[0]
            if side.child.returncode != 0 and not side.stopped:
                error = _decode(side.error).strip() or f"exit {side.child.returncode}"
                raise GitError(f"git {self._args[0]} failed: {error}")
        return forward.commits + backward.commits[::-1]


class _Side:
    """One of a Meeting's two processes, and what it has parsed."""

    def __init__(self, child: proc.Child) -> None:
        self.child = child
        self.commits: list[Commit] = []
        self.failure: list[BaseException] = []
        self.error = b""
        self.reaped = self.stopped = False


def iter_log(chunks: Iterable[bytes]) -> Iterator[Commit]:
    """Parse ``git log -c --name-only -z --format='%x00%H %P'`` as it arrives,
    yielding each commit once the next one begins or the output ends.

    The stream is tokens split by NUL. The format's leading NUL puts an empty
    token before every header; a path is never empty, so once a commit's
    paths have begun, the token after an empty one is a header, however
    hostile the file names. Git starts the path list with a newline glued to
    the first path (a merge's too: its paths are its first-parent diff).
    """
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
                if token[:1] == b"\n":
                    token = token[1:]
            if not token:
                header_next = True
            elif header_next:
                if sha:
                    yield Commit(sha, parents, tuple(paths))
                fields = token.decode("ascii").split()
                sha, parents, paths = fields[0], tuple(fields[1:]), []
                header_next, after_header = False, True
            else:
                paths.append(_decode(token))
    if sha:
        yield Commit(sha, parents, tuple(paths))
