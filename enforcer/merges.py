"""A merge's own changes: the paths where it differs from git's automatic merge of its parents.

A clean merge brings only what its merged side changed since the merge base,
which was judged when that side was pushed; what a merge changes beyond that
(an edit inside it, a conflict resolution, a file or its absence taken from a
parent whose side never changed it) is the merger's own (docs/policy.md,
*branches*). ``git log -c`` cannot tell: it lists only paths where a merge
differs from every parent.

Re-merging every merge would cost tens of times the walk on a busy history,
so the work comes in three steps, each for fewer merges:

1. **Screen**: the merged side S (commits reachable from the other parents,
   not from the first) and the merge base, from the walk's commit graph (where
   old commits leave S open, one ``git log`` lists it). Where S's first-parent
   line leaves S at the merge base, every path the merge could make its own
   lies in its first-parent diff or in the diffs of S's commits, which
   telescope from the base to the merged tip (Resolver.screen). A merge none
   of whose such paths a rule looks at, or only rules a plain commit among
   the same commits meets already, is done.
2. **Path level**, for the merges left: the first-parent diff and
   diff(base, other parent), with blob ids, from one ``git diff-tree`` for all
   of them. A path changed only on the first side since the base must keep the
   first parent's version, one changed only on the merged side must take that
   side's.
3. **git's own merge** (``git merge-tree --write-tree``), for a merge with a
   path the path level cannot settle (both sides changed it, renames, several
   merge bases) or would call the merger's own: the merger's own paths are those
   where the merge differs from git's result, or that git leaves in conflict.

An octopus merge is judged at the path level only: a path counts as the
merger's own unless the sides that changed it all agree with the merge and
the first side left it alone (git's octopus strategy would also merge the
content of a file two sides changed; enforcer does not try).
"""
from __future__ import annotations

from enforcer.git import GitError
from enforcer.model import Commit

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from enforcer.git import Entry, Repo

    Interest = Callable[[str], bool]


def topological(commits: Mapping[str, Commit]) -> list[str]:
    """The commits' shas, every parent before its children."""
    order: list[str] = []
    done: set[str] = set()
    for sha in commits:
        stack = [(sha, False)]
        while stack:
            top, expanded = stack.pop()
            if expanded:
                order.append(top)
                continue
            if top in done:
                continue
            done.add(top)
            stack.append((top, True))
            stack.extend((p, False) for p in commits[top].parents if p in commits and p not in done)
    return order


class Graph:
    """Ancestry over the walked commits, answered without git where it can be.

    The commits are split into first-parent chains. A chain's commit at
    position j reaches: the chain up to j, what the chain's merges up to j
    brought in (recorded as each merge is screened, in ``joined``), and what
    the chain's anchor (the first commit's first parent) reaches. So "is x an
    ancestor of y" costs a dictionary look-up per chain, and finding a merge's
    merged side costs the size of that side, not of the history below it.
    Commits outside the walk ("old": on the server already, or below --base)
    are known through the old parents each commit reaches (``reach``, one bit
    each) and which of them lie below the old tips (``below``, from git).
    """

    def __init__(self, commits: Mapping[str, Commit], below: Mapping[str, Iterable[str]],
                 fetch: Callable[[Sequence[str], str], list[Commit] | None] | None = None) -> None:
        self.commits = commits
        self.fetch = fetch
        self.old: dict[str, Commit] = {}  # old commits git listed on a merged side
        self.order = topological(commits)
        self.place: dict[str, tuple[int, int]] = {}  # sha -> (chain, position)
        self.anchor: list[str | None] = []
        self.joined: list[dict[str, int]] = []
        self.broken: list[int] = []  # position from which a chain's `joined` is incomplete
        self.bit: dict[str, int] = {}
        self.reach: dict[str, int] = {}
        # chains from the tips down, newest first: a pushed branch's first-parent line is one
        # chain, each topic another, so that ancestry questions hop over few chains
        for tip in reversed(self.order):
            if tip in self.place:
                continue
            line: list[str] = []
            sha: str | None = tip
            while sha is not None and sha in commits and sha not in self.place:
                line.append(sha)
                self.place[sha] = (-1, -1)  # claimed; numbered below
                parents = commits[sha].parents
                sha = parents[0] if parents else None
            chain = len(self.anchor)
            self.anchor.append(sha)
            self.joined.append({})
            self.broken.append(1 << 62)
            for pos, member in enumerate(reversed(line)):
                self.place[member] = (chain, pos)
        for sha in self.order:
            bits = 0
            for p in commits[sha].parents:
                bits |= self.reach[p] if p in commits else self._bit(p)
            self.reach[sha] = bits
        # old commits below each old tip: their bits, so that "x below y" for old x is one AND
        self.under: dict[str, int] = {}
        for tip, olds in below.items():
            if tip in self.bit:
                for old in olds:
                    self.under[old] = self.under.get(old, 0) | self.bit[tip]

    def _bit(self, old: str) -> int:
        if old not in self.bit:
            self.bit[old] = 1 << len(self.bit)
        return self.bit[old]

    def below(self, x: str, y: str) -> bool | None:
        """Is x an ancestor of y (or y itself)? None: cannot tell without git."""
        if x == y:
            return True
        old = x not in self.commits
        if y not in self.commits:  # an old commit has no new ancestors
            return self._old_below(x, y) if old else False
        if old and (self.bit.get(x, 0) | self.under.get(x, 0)) & self.reach[y]:
            return True  # x is, or lies below, an old commit y's line stands on
        chain, pos = self.place[y]
        while True:
            if not old:
                on, at = self.place[x]
                if on == chain:
                    return at <= pos  # the same first-parent line: below, or after y
            j = self.joined[chain].get(x)
            if j is not None and j <= pos and j < self.broken[chain]:
                return True
            if self.broken[chain] <= pos:
                return None  # a merge below pos brought a side nobody recorded
            if j is not None:
                return False  # x joined this chain only after pos
            anchor = self.anchor[chain]
            if anchor is None or anchor not in self.commits:
                if not old:
                    return False
                # an old x neither recorded nor among y's old commits: below one of those, or not
                return None if self.reach[y] else False
            chain, pos = self.place[anchor]

    def _old_below(self, x: str, y: str) -> bool | None:
        return True if self.under.get(x, 0) & self.bit.get(y, 0) else None

    def side(self, merge: Commit) -> tuple[set[str], set[str]] | None:
        """The merge's merged side (commits reachable from its other parents and not from its
        first) and that side's boundary (the commits just below it, which the first parent
        reaches). Asks git (``fetch``) where old commits leave it open; None where even that
        fails. Records the side in the merge's chain, so call it for merges in topological
        order."""
        first = merge.parents[0]
        side: set[str] = set()
        boundary: set[str] = set()
        stack = list(merge.parents[1:])
        while stack:
            x = stack.pop()
            if x in side or x in boundary:
                continue
            under = self.below(x, first)
            if under:
                boundary.add(x)
            elif under is None or x not in self.commits:
                return self._fetched_side(merge)
            else:
                side.add(x)
                stack.extend(self.commits[x].parents)
        self._record(merge, side)
        return side, boundary

    def _fetched_side(self, merge: Commit) -> tuple[set[str], set[str]] | None:
        """The merged side as git lists it (old commits included, with their paths)."""
        chain, pos = self.place[merge.sha]
        listed = self.fetch(merge.parents[1:], merge.parents[0]) if self.fetch else None
        if listed is None:
            self.broken[chain] = min(self.broken[chain], pos)
            return None
        side = {c.sha for c in listed}
        for c in listed:
            if c.sha not in self.commits:
                self.old[c.sha] = c
        boundary = {p for c in listed for p in c.parents if p not in side}
        boundary.update(p for p in merge.parents[1:] if p not in side)  # a parent already below the first
        self._record(merge, side)
        return side, boundary

    def _record(self, merge: Commit, side: set[str]) -> None:
        chain, pos = self.place[merge.sha]
        joined = self.joined[chain]
        for x in side:
            joined[x] = pos

    def exit(self, merge: Commit, side: set[str]) -> str | None:
        """Where the merged tip's first-parent line leaves the merged side (None: at a root)."""
        sha: str | None = merge.parents[1]
        while sha is not None and sha in side:
            parents = (self.commits.get(sha) or self.old[sha]).parents
            sha = parents[0] if parents else None
        return sha

    def paths(self, sha: str) -> tuple[str, ...]:
        """A commit's first-parent diff, walked or fetched."""
        commit = self.commits.get(sha) or self.old[sha]
        return commit.paths

    def tops(self, boundary: set[str]) -> list[str] | None:
        """The merge bases among a side's boundary commits: those no other one lies above
        (several where bases criss-cross; none without common history). None when telling
        needs git."""
        if len(boundary) <= 1:
            return list(boundary)
        tops = []
        for b in boundary:
            under = [self.below(b, c) for c in boundary if c != b]
            if None in under:
                return None
            if not any(under):
                tops.append(b)
        return tops


class Resolver:
    """The merges' own paths for the commits of one walk (a push, a check, a pre-push).

    ``judged_by`` names the rules that look at a path for this actor (ownership
    by others, others' claims, the policy file; engine.PathRules): a
    merge is settled only where such a path could be its own and a plain commit
    among the same commits does not meet that rule already (the verdict stands
    without the merge's share), except the merges asked for ``whole`` (those a
    `direct_commits` rule judges), every own path of which counts.
    ``old_tips``: commits outside the walk that the walk's commits likely grow
    from (the old tip of a pushed branch, --base), so that the screen can tell
    which old commits lie below them. ``scope``: git pathspecs covering every
    path ``judged_by`` gives a rule (None: any path may have one), asked once
    at most, so that git leaves the rest out of the diffs the screen asks for.
    """

    def __init__(self, repo: Repo, commits: Sequence[Commit], judged_by: Callable[[str], tuple[str, ...]],
                 old_tips: Iterable[str] = (), scope: Callable[[], Sequence[str] | None] | None = None) -> None:
        self.repo = repo
        self.commits = {c.sha: c for c in commits}
        self.judged_by = judged_by
        self.scope = scope
        self.old_tips = list(dict.fromkeys(old_tips))
        self._screened: dict[str, tuple[str | None, frozenset[str]] | None] | None = None
        self._quiet: set[str] | None = None
        self._blank: dict[str, Commit] | None = None
        self._rules_of: dict[str, tuple[str, ...]] = {}
        # (merge, the rules met already; None: every path) -> its own paths
        self._own: dict[tuple[str, frozenset[str] | None], tuple[str, ...]] = {}

    def screen(self) -> dict[str, tuple[str | None, frozenset[str]] | None]:
        """merge -> (its merge base where the graph shows a single one, else None; the paths
        it could make its own), or None where old commits on its merged side leave even the
        side open.

        The paths: its first-parent diff and the first-parent diffs of its merged side. Where
        the side's first-parent line leaves the side at the merge base, these hold every path
        the side changed since the base: they telescope along that line. Elsewhere (the side
        merged something newer in, several bases, an octopus) a merge inside the side may have
        dropped a change since the base, which no first-parent diff shows and which the merge
        judged here could undo unseen; there diff(base, merged tip) from git counts too, from
        every boundary commit where the graph cannot tell which are the bases (the bases of
        each merged parent with the first lie among them), limited to the paths a rule may
        look at (``scope``)."""
        if self._screened is not None:
            return self._screened
        screened: dict[str, tuple[str | None, frozenset[str]] | None] = {}
        self._screened = screened
        if not any(c.is_merge for c in self.commits.values()):
            return screened
        olds = {p for c in self.commits.values() for p in c.parents if p not in self.commits}
        tips = [t for t in self.old_tips if t in olds]
        graph = Graph(self.commits, self.repo.below_tips(olds, tips) if tips else {}, self._fetch)
        between: list[tuple[str, str, str]] = []  # (merge, a merge base, the merged tip)
        for sha in graph.order:
            commit = self.commits[sha]
            if not commit.is_merge:
                continue
            found = graph.side(commit)
            if found is None:
                screened[sha] = None  # old commits on the merged side: git must say what they are
                continue
            side, boundary = found
            merged = commit.parents[1:]
            tops = graph.tops(boundary) if len(merged) == 1 else None
            paths = set(commit.paths)
            for x in side:
                paths.update(graph.paths(x))
            screened[sha] = (tops[0] if tops is not None and len(tops) == 1 else None, frozenset(paths))
            if tops is None:  # each merged parent's merge bases with the first lie on the boundary
                tops = sorted(boundary)
            if len(merged) > 1 or tops != [graph.exit(commit, side)]:
                between.extend((sha, top, tip) for top in tops for tip in merged)
        # where the side's first-parent line does not leave it at the merge base, git gives
        # diff(base, merged tip) (several bases: the virtual base differs from the tip only
        # where some base does), limited to where a rule may look: a path no rule looks at
        # counts for nothing below, and such diffs can be large (a maintenance branch merged up)
        if between:
            scope = self.scope() if self.scope is not None else None
            pairs = [(x, t) for _, x, t in between]
            for (sha, _, _), diff in zip(between, self.repo.raw_diffs(pairs, scope or (), commits=True)):
                base, could = screened[sha] or (None, frozenset())
                screened[sha] = (base, could | frozenset(diff))
        return screened

    def _fetch(self, others: Sequence[str], first: str) -> list[Commit] | None:
        try:
            return self.repo.side_commits(others, first)
        except GitError:
            return None

    def resolve(self, commits: Sequence[Commit], whole: Iterable[str] = ()) -> list[Commit]:
        """``commits`` with each merge's paths replaced by its own paths (those that matter)."""
        whole = set(whole)
        quiet = self.quiet()
        met: frozenset[str] | None = None  # the rules the plain commits among `commits` meet already
        todo: list[tuple[tuple[str, frozenset[str] | None], tuple[str, ...], str | None, Interest | None]] = []
        if self._blank is None:  # every merge with no own path, made once for all refs of a push
            self._blank = {c.sha: c._replace(paths=()) for c in self.commits.values() if c.is_merge}
        blank, own = self._blank, self._own
        merges = [c for c in commits if len(c.parents) > 1]  # one the screen has not seen is settled exactly
        for c in merges:
            if c.sha in quiet and c.sha not in whole:
                continue
            found = self.screen().get(c.sha)
            if c.sha in whole:
                key: tuple[str, frozenset[str] | None] = (c.sha, None)
            else:
                if met is None:
                    met = frozenset(k for x in commits if len(x.parents) < 2 for p in x.paths for k in self._rules(p))
                key = (c.sha, met)
            if key in self._own:
                continue
            wanted = None if key[1] is None else self._wanted(key[1])
            if found is not None and wanted is not None and not any(
                    wanted(p) for p in found[1]):
                self._own[key] = ()  # what it could change, plain commits of this push change too
                continue
            todo.append((key, c.parents, found[0] if found is not None else None, wanted))
        if todo:
            settled = own_paths(self.repo, [(key[0], parents, base, wanted) for key, parents, base, wanted in todo])
            for key, *_ in todo:
                self._own[key] = settled[key[0]]
        if not merges:
            return list(commits)
        replaced = {}
        for c in merges:
            if c.sha in whole:
                paths = own.get((c.sha, None), ())
            else:
                paths = () if c.sha in quiet else own.get((c.sha, met), ())
            replaced[c.sha] = c._replace(paths=paths) if paths else blank.get(c.sha) or c._replace(paths=())
        return [replaced.get(c.sha, c) for c in commits]

    def quiet(self) -> set[str]:
        """The merges none of whose possible own paths a rule looks at (settled once for every
        ref of a push: a mirror push asks about the same merges hundreds of times)."""
        if self._quiet is None:
            self._quiet = {sha for sha, found in self.screen().items()
                           if found is not None and not any(self._rules(p) for p in found[1])}
        return self._quiet

    def _rules(self, path: str) -> tuple[str, ...]:
        rules = self._rules_of.get(path)
        if rules is None:
            rules = self._rules_of[path] = self.judged_by(path)
        return rules

    def _wanted(self, met: frozenset[str]) -> Interest:
        rules = self._rules
        return lambda path: any(k not in met for k in rules(path))


# -- steps 2 and 3: with git ------------------------------------------------------

def own_paths(repo: Repo, merges: Sequence[tuple[str, Sequence[str], str | None, Interest | None]]
              ) -> dict[str, tuple[str, ...]]:
    """Each merge's own paths among those ``wanted`` (None: every path), exactly:
    (merge commit or tree, parents, merge base when known, wanted) -> paths. The merge may
    be a tree (the index, for a commit being made). git re-merges only the merges with a
    wanted path that the path level leaves open."""
    bases = _bases(repo, [(m, parents, known) for m, parents, known, _ in merges])
    empty = repo.empty_tree()
    revs = sorted({r for m, parents, _, _ in merges for r in (m, *parents)} | {b for bs in bases.values() for b in bs})
    trees = repo.trees(revs)
    trees[""] = empty
    pairs: list[tuple[str, str]] = []
    for m, parents, _, _ in merges:
        pairs.append((trees[parents[0]], trees[m]))
        for i, parent in enumerate(parents[1:], 1):
            pairs.extend((trees[base], trees[parent]) for base in bases[(m, i)] or [""])
    diffs = iter(repo.raw_diffs(pairs))
    found: dict[str, tuple[str, ...]] = {}
    remerge: list[tuple[str, Sequence[str], Interest | None]] = []
    for m, parents, _, wanted in merges:
        first = next(diffs)
        sides = [[next(diffs) for _ in bases[(m, i)] or [""]] for i in range(1, len(parents))]
        if len(parents) > 2:
            own = _octopus(first, [side[0] for side in sides], any(len(side) > 1 for side in sides))
            found[m] = tuple(sorted(p for p in own if wanted is None or wanted(p)))
            continue
        if len(sides[0]) > 1:  # several bases: git merges them first, so only its result tells;
            # a path where the virtual base differs from the merged tip differs there from some base
            candidates = set(first).union(*sides[0])
        else:
            certain, unsettled = _two_sides(first, sides[0][0])
            candidates = certain | unsettled
        if any(wanted is None or wanted(p) for p in candidates):
            remerge.append((m, parents, wanted))
        else:
            found[m] = ()
    if remerge:  # git's own rule decides these wholly: renames followed as git's merge follows them
        results = repo.merge_trees([(parents[0], parents[1]) for _, parents, _ in remerge])
        differ = iter(repo.raw_diffs([(auto, trees[m]) for (m, _, _), (auto, _) in zip(remerge, results)]))
        for (m, _, wanted), (_, conflicted) in zip(remerge, results):
            own = set(next(differ)) | conflicted
            found[m] = tuple(sorted(p for p in own if wanted is None or wanted(p)))
    return found


def _bases(repo: Repo, merges: Sequence[tuple[str, Sequence[str], str | None]]) -> dict[tuple[str, int], list[str]]:
    """(merge, side) -> the merge bases of the first parent and that side's parent."""
    bases: dict[tuple[str, int], list[str]] = {}
    asked: list[tuple[str, int, str, str]] = []
    for m, parents, known in merges:
        for i, parent in enumerate(parents[1:], 1):
            if known is not None and len(parents) == 2:
                bases[(m, i)] = [known]
            else:
                asked.append((m, i, parents[0], parent))
    for (m, i, _, _), found in zip(asked, repo.merge_bases([(a, b) for _, _, a, b in asked])):
        bases[(m, i)] = found
    return bases


def _two_sides(first: Mapping[str, tuple[Entry, Entry]], side: Mapping[str, tuple[Entry, Entry]]
               ) -> tuple[set[str], set[str]]:
    """Path level: (paths the merger changed itself, paths only a content merge can settle).

    ``first``: first parent -> merge; ``side``: merge base -> other parent.
    """
    certain: set[str] = set()
    unsettled: set[str] = set()
    for path, (before, merged) in first.items():
        if path not in side:
            certain.add(path)  # the merged side left it alone: git keeps the first parent's
            continue
        base, theirs = side[path]
        if before == base:
            if merged != theirs:
                certain.add(path)  # only the merged side changed it, and the merge took another
        elif before == theirs:
            certain.add(path)  # both sides agree, and the merge took neither
        else:
            unsettled.add(path)  # both sides changed it differently: a content merge
    for path in side.keys() - first.keys():
        unsettled.add(path)  # the merge kept the first parent's version where the side changed it
    return certain, unsettled


def _octopus(first: Mapping[str, tuple[Entry, Entry]], sides: Sequence[Mapping[str, tuple[Entry, Entry]]],
             several: bool) -> set[str]:
    if several:  # criss-crossed sides: every path any side or the merge changed
        return set(first).union(*sides)
    own: set[str] = set()
    for path, (before, merged) in first.items():
        changers = [s[path] for s in sides if path in s]
        if not changers or any(theirs != merged or base != before for base, theirs in changers):
            own.add(path)
    for s in sides:
        own.update(s.keys() - first.keys())  # a side's change the merge did not take
    return own
