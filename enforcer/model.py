"""Requests the decision core judges, and what it answers.

Requests carry facts only: adapters read git, the clock and the environment;
the core never does.
"""
from __future__ import annotations

from enforcer.tuples import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Iterable
    from typing import Any, Literal, Union

    Verdict = Literal["allow", "ask", "deny"]

ZERO = "0" * 40
POLICY_FILE = "policy.yaml"  # at the repository's root
CLAIM_REFS = "refs/enforcer/claims/"  # refs/enforcer/claims/<dir>: a blob made by claim_text()
ENV_CLAIM_REFS = "refs/enforcer/env-claims/"  # refs/enforcer/env-claims/<environment>: the same blob
CLAIM_NAMESPACES = (CLAIM_REFS, ENV_CLAIM_REFS)
ENV_PREFIX = "env:"  # an environment's claim is named env:<environment>; no directory is (':' is in no ref)
APPROVAL_REFS = "refs/enforcer/approvals/"  # refs/enforcer/approvals/<env>/<tag>: a blob made by approval_text()


class Commit(NamedTuple):
    """A commit a ref update brings.

    ``paths`` are the paths it changes against its first parent. For a merge
    the core sees its own changes: where it differs from git's automatic merge
    of its parents (enforcer.merges), as far as a rule looks at them; a walk
    gives its first-parent diff until they are worked out.
    """

    sha: str
    parents: tuple[str, ...]
    paths: tuple[str, ...]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


class Claim(NamedTuple):
    """A live or expired lock on a directory (``path`` ends with ``/``)."""

    path: str
    holder: str
    expires: float  # unix time


def claim_path(ref: str) -> str:
    """What a claim ref claims, as claims name it: ``<dir>/`` for refs/enforcer/claims/<dir>,
    ``env:<environment>`` for refs/enforcer/env-claims/<environment>."""
    if ref.startswith(ENV_CLAIM_REFS):
        return ENV_PREFIX + ref[len(ENV_CLAIM_REFS):]
    return ref[len(CLAIM_REFS):].rstrip("/") + "/"


def within(path: str, directory: str) -> bool:
    """Is ``path`` in ``directory`` (which ends with "/"), or the entry at the directory's own path
    (a symlink or submodule there stands for the directory)? An environment's claim holds no path."""
    return directory.endswith("/") and (path.startswith(directory) or path == directory[:-1])


def claim_text(holder: str, expires: int) -> str:
    return f"holder {holder}\nexpires {expires}\n"


def parse_claim(path: str, text: str) -> Claim | None:
    """The claim a ``refs/enforcer/claims/`` blob states, or None when it states none."""
    fields = dict(line.split(" ", 1) for line in text.splitlines() if " " in line)
    holder, expires = fields.get("holder", "").strip(), fields.get("expires", "").strip()
    if not holder or not expires.isdigit():
        return None
    return Claim(path, holder, float(expires))


class Approved(NamedTuple):
    """An approval as a refs/enforcer/approvals/<env>/<tag> blob states it: ``approver`` approved
    ``tag`` for ``env`` while the tag pointed to ``tag_object`` (a moved tag is unapproved)."""

    env: str
    tag: str
    approver: str
    tag_object: str
    time: float


def approval_ref(env: str, tag: str) -> str:
    return f"{APPROVAL_REFS}{env}/{tag}"


def approval_target(ref: str) -> tuple[str, str] | None:
    """(env, tag) an approval ref names (an environment name holds no '/'; a tag may), or None."""
    env, _, tag = ref[len(APPROVAL_REFS):].partition("/") if ref.startswith(APPROVAL_REFS) else ("", "", "")
    return (env, tag) if env and tag else None


def approval_text(approval: Approved) -> str:
    return (f"env {approval.env}\ntag {approval.tag}\napprover {approval.approver}\n"
            f"object {approval.tag_object}\ntime {int(approval.time)}\n")


def parse_approval(text: str) -> Approved | None:
    """The approval an approval blob states, or None when it states none."""
    fields = dict(line.split(" ", 1) for line in text.splitlines() if " " in line)
    env, tag, approver, tag_object, when = (fields.get(k, "").strip() for k in
                                            ("env", "tag", "approver", "object", "time"))
    if not (env and tag and approver and len(tag_object) in (40, 64) and when.isdigit()):  # SHA-1, SHA-256
        return None
    return Approved(env, tag, approver, tag_object, float(when))


class PolicyChange(NamedTuple):
    """The push changes the policy file; ``problems`` is empty when the new file is valid."""

    problems: tuple[str, ...] = ()


class RefUpdate(NamedTuple):
    """One ref moved by a push, a check or a hook, with every fact the rules need."""

    actor: str | None
    ref: str
    old: str = ZERO
    new: str = ZERO
    commits: tuple[Commit, ...] = ()  # new commits (on no ref the server has), any order
    # commits the branch gains (old..new), for direct_commits; empty: same as commits
    landing: tuple[Commit, ...] = ()
    fast_forward: bool = True
    annotated: bool | None = None  # tags only
    # commit -> a branch (on the server or in the same push) that contains it,
    # for the commits and merged parents a `merge_from` rule asks about
    sources: tuple[tuple[str, str], ...] = ()
    # merged parents already in the target branch's history
    known: frozenset[str] = frozenset()
    claims: tuple[Claim, ...] = ()  # the claims the server holds before this push
    claim: Claim | None = None  # for a refs/enforcer/claims/ update: what the pushed object states
    approval: Approved | None = None  # for a refs/enforcer/approvals/ update: what the pushed object states
    tag_object: str | None = None  # for an approval: what the approved tag points to here (None: no such tag)
    target_is_commit: bool = True  # new is a commit, or a tag object of one
    bootstrap: bool = False  # the remote has no branch yet: this push starts the repository
    policy_change: PolicyChange | None = None
    break_glass: str | None = None  # the reason given with -o enforcer.break-glass=...
    now: float = 0.0
    actor_vars: tuple[str, ...] = ()  # where the actor was looked for, for the message
    # checks.before_merge run on the merge (enforcer check on a pull request): (command, exit status);
    # None: not run here (a push the server judges runs no checks)
    checks: tuple[tuple[str, int], ...] | None = None

    @property
    def created(self) -> bool:
        return self.old == ZERO

    @property
    def deleted(self) -> bool:
        return self.new == ZERO

    @property
    def kind(self) -> str:
        for prefix, kind in (("refs/heads/", "branch"), ("refs/tags/", "tag"), ("refs/enforcer/", "enforcer")):
            if self.ref.startswith(prefix):
                return kind
        return "other"

    @property
    def name(self) -> str:
        """The ref's short name: the branch or tag name."""
        for prefix in ("refs/heads/", "refs/tags/"):
            if self.ref.startswith(prefix):
                return self.ref[len(prefix):]
        return self.ref


class StagedChange(NamedTuple):
    """A commit about to be made in a clone: its branch and staged paths."""

    actor: str | None
    branch: str | None  # None: detached HEAD
    paths: tuple[str, ...] = ()  # during a merge: its own changes (where the index differs from git's merge)
    merging: str | None = None  # the branch being merged (MERGE_HEAD), if known
    first_commit: bool = False  # the repository has no branch yet: this commit starts it
    claims: tuple[Claim, ...] = ()
    now: float = 0.0
    actor_vars: tuple[str, ...] = ()


class FileEdit(NamedTuple):
    """A file an agent wants to write (an edit tool, or a command line's redirection, `tee`,
    `cp`, `mv`, `sed -i`): ``path`` relative to the repository's root, as git names it."""

    actor: str | None
    path: str
    inside: bool = True  # within the repository's working tree
    git_dir: bool = False  # enforcement's own: .git/, the hooks directory, the agent's hook settings
    claims: tuple[Claim, ...] = ()
    now: float = 0.0
    actor_vars: tuple[str, ...] = ()


class CommandLine(NamedTuple):
    """A shell command line an agent wants to run, parsed (enforcer.shell) into its simple
    commands, with what it would do: ``derived`` holds the requests its parts make (a file it
    writes, the ref updates of a `git push`, a `git commit`, keys typed into another session),
    each judged by the rules of its kind and folded into the line's verdict."""

    actor: str | None
    line: str
    actor_vars: tuple[str, ...] = ()
    commands: tuple[Any, ...] = ()  # enforcer.shell.Simple: argv, text, assignments, redirects, ...
    opaque: tuple[str, ...] = ()  # why parts of the line cannot be judged from its text
    derived: tuple[tuple[str, Request], ...] = ()  # (the part of the line, the request it makes)


class Bootstrap(NamedTuple):
    """One ref line of a push into a server that has no policy yet: only the push that creates
    ``target`` (the default branch) alone, with a valid policy file naming the pusher among its
    owners, starts the repository. Judged against the pushed policy (an empty one where the
    pushed file is missing or invalid)."""

    actor: str | None
    ref: str
    new: str
    target: str  # refs/heads/<the default branch>
    refs: tuple[str, ...]  # every ref of the push
    policy_found: bool  # the pushed commit holds a policy file
    problems: tuple[str, ...] = ()  # the pushed policy file's errors (empty: it validates)
    actor_vars: tuple[str, ...] = ()
    target_is_commit: bool = True  # the pushed object is a commit (not a tag or a tree)


class Deploy(NamedTuple):
    """A tag about to deploy (or roll back) to an environment, with the records' facts.

    The runner asks twice: first with ``checks`` None (the gates that need no checkout), then,
    only if those pass, with the results of ``checks.before_deploy`` run in the tag's checkout."""

    actor: str | None
    env: str
    tag: str
    commit: str = ""  # the commit the tag points to
    tag_object: str = ""  # what the tag ref points to now (the tag object of an annotated tag)
    deployed: tuple[tuple[str, str, str], ...] = ()  # (environment, tag, commit) of each successful deploy on record
    approvals: tuple[Approved, ...] = ()  # approvals of this tag for env, as their refs state them
    checks: tuple[tuple[str, int], ...] | None = None  # (command, exit status); None: not run yet
    rollback: bool = False  # a rollback: the version passed `after` and approval before
    claims: tuple[Claim, ...] = ()  # live claims, environments' included
    # who listens on the environment's port: each listener's APP_ENV; "" it has none, "?" it cannot be seen
    port_held_by: tuple[str, ...] = ()
    now: float = 0.0
    actor_vars: tuple[str, ...] = ()


class EnvironmentMove(NamedTuple):
    """The runner moving an environment's mirror branch to what it deployed (a rollback moves it
    back): judged as the environment's move, not as a push."""

    actor: str | None  # deploy.actor
    env: str
    branch: str
    old: str
    new: str
    actor_vars: tuple[str, ...] = ()


if TYPE_CHECKING:
    Request = Union[RefUpdate, StagedChange, CommandLine, FileEdit, Deploy, EnvironmentMove, Bootstrap]


class Violation(NamedTuple):
    """One reason to refuse (``severity`` deny) or to ask a person first (ask): the policy entry,
    a stable check id, why, and the fix."""

    rule: str  # the policy entry, e.g. branches[0]
    check: str  # stable id, e.g. branches.force_push
    reason: str
    fix: str = ""
    evaluate_only: bool = False  # from a rule in `enforcement: evaluate`
    severity: Verdict = "deny"


STRICTNESS: dict[str, int] = {"allow": 0, "ask": 1, "deny": 2}


def strictest(verdicts: Iterable[Verdict]) -> Verdict:
    """deny > ask > allow: the answer when several are found."""
    return max(verdicts, key=STRICTNESS.__getitem__, default="allow")


class Decision(NamedTuple):
    verdict: Verdict
    violations: tuple[Violation, ...] = ()
    # violations that were found but do not block (evaluate mode, break-glass)
    overridden: tuple[Violation, ...] = ()
    note: str = ""

    @property
    def allowed(self) -> bool:
        return self.verdict == "allow"
