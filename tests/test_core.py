"""The decision core as tables: policy + request -> verdict and check ids, without git.

Beside them, explain against decide on a generated table of actors x branches x tags x
paths (explain is decide's trace, so the two must never disagree), and the check ids the
code can produce against those docs/policy.md lists.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from enforcer import explain, report
from enforcer.engine import decide, trace
from enforcer.tuples import NamedTuple
from enforcer.model import ZERO, Bootstrap, Claim, CommandLine, Decision, Deploy, RefUpdate, StagedChange, strictest
from enforcer.policy import Policy, load_policy_bytes
from enforcer.selftest import OLD, NEW, request_for

ROOT = Path(__file__).resolve().parent.parent
SOP = load_policy_bytes((ROOT / "policies" / "examples" / "sop.yaml").read_bytes(), "sop.yaml", cache_dir="")
EMPTY = Policy({}, "(no policy yet)", [])
MAIN = "refs/heads/main"


class Unjudged(NamedTuple):
    """A request no rule module was written for."""

    actor: str


def checks(decision: Decision) -> set[str]:
    return {v.check for v in decision.violations}


@pytest.mark.parametrize("request_, verdict, found", [
    # fail closed: a request no rule module judges is refused, and an unknown actor everywhere
    (Unjudged(actor="jgirmay"), "deny", {"core.unjudged"}),
    (CommandLine(actor="jgirmay", line="ls"), "ask", {"commands.opaque"}),  # a line nobody parsed
    (CommandLine(actor="nobody", line="rm -rf /"), "deny", {"actors.unknown"}),
    (CommandLine(actor=None, line="ls", actor_vars=("ENFORCER_ACTOR",)), "deny", {"actors.missing"}),
    (Deploy(actor="nobody", env="qa", tag="v1.0.0"), "deny", {"actors.unknown"}),
    (StagedChange(actor="nobody", branch="feature/x-1124"), "deny", {"actors.unknown"}),
    # the branch matrix
    (request_for({"actor": "jgirmay", "push": "main"}), "deny", {"branches.direct_commits"}),
    (request_for({"actor": "jgirmay", "push": "main", "merge": "dev"}), "allow", set()),
    (request_for({"actor": "task_worker1", "push": "main", "merge": "dev"}), "deny", {"branches.push"}),
    (request_for({"actor": "task_worker1", "push": "feature/x-1124"}), "allow", set()),
    (request_for({"actor": "task_worker1", "push": "feature/x-1124", "force": True}), "deny",
     {"branches.force_push"}),
    (request_for({"actor": "task_worker1", "push": "feature/x", "create": True}), "deny", {"branches.name"}),
    (request_for({"actor": "jgirmay", "push": "main", "delete": True}), "deny", {"branches.delete"}),
    (request_for({"actor": "task_worker2", "push": "feature/x-1124",
                  "paths": ["basic_edu_apps_final/environments/math/x"]}), "deny", {"ownership.owner"}),
    # tags
    (request_for({"actor": "jgirmay", "tag": "v1.2.3"}), "allow", set()),
    (request_for({"actor": "jgirmay", "tag": "v1.2.3", "annotated": False}), "deny", {"tags.annotated"}),
    (request_for({"actor": "task_worker1", "tag": "v1.2.3"}), "deny", {"tags.create"}),
    (request_for({"actor": "jgirmay", "tag": "v1.2.3", "move": True}), "deny", {"tags.move"}),
    # what a ref is stops the rest
    (RefUpdate(actor="jgirmay", ref="refs/notes/x", old=ZERO, new=NEW), "deny", {"refs.namespace"}),
    (RefUpdate(actor="jgirmay", ref=MAIN, old=OLD, new=NEW, target_is_commit=False), "deny", {"refs.object"}),
    # a claim: another actor's live claim refuses a change inside it
    (StagedChange(actor="task_worker1", branch="feature/x-1124", paths=("src/a/b.py",),
                  claims=(Claim("src/a/", "task_worker2", 2e9),), now=1e9), "deny", {"claims.held"}),
    (StagedChange(actor="task_worker1", branch="feature/x-1124", paths=("src/a/b.py",),
                  claims=(Claim("src/a/", "task_worker2", 1.0),), now=1e9), "allow", set()),
    # the client's bootstrap: only policy owners start a repository
    (StagedChange(actor="task_worker1", branch="main", first_commit=True), "deny", {"policy.bootstrap"}),
    (StagedChange(actor="jgirmay", branch="main", first_commit=True), "allow", set()),
    # break-glass: only for those listed, and never for the policy file
    (request_for({"actor": "jgirmay", "push": "main"})._replace(break_glass="outage"), "allow", set()),
])
def test_the_reference_policy(request_, verdict: str, found: set[str]) -> None:
    decision = decide(SOP, request_)
    assert decision.verdict == verdict and checks(decision) == found, decision


def test_break_glass_cannot_override_what_the_rule_keeps_beyond_it() -> None:
    from enforcer.model import PolicyChange

    request = request_for({"actor": "jgirmay", "push": "main"})._replace(
        break_glass="outage", policy_change=PolicyChange(("bad",)))
    decision = decide(SOP, request)
    assert decision.verdict == "deny" and "break-glass cannot override policy.invalid" in decision.note
    refused = decide(SOP, request_for({"actor": "task_worker1", "push": "main"})._replace(break_glass="x"))
    assert refused.verdict == "deny" and "not in policy.break_glass" in refused.note


@pytest.mark.parametrize("refs, found, problems, actor, verdict", [
    ((MAIN,), True, (), "jgirmay", "allow"),
    ((MAIN, "refs/heads/dev"), True, (), "jgirmay", "deny"),  # the first push creates main alone
    (("refs/heads/dev",), True, (), "jgirmay", "deny"),
    ((MAIN,), False, (), "jgirmay", "deny"),  # no policy file
    ((MAIN,), True, ("policy.yaml:3: unknown field",), "jgirmay", "deny"),
    ((MAIN,), True, (), "task_worker1", "deny"),  # not a policy owner of the pushed policy
])
def test_the_servers_bootstrap(refs: tuple[str, ...], found: bool, problems: tuple[str, ...], actor: str,
                               verdict: str) -> None:
    policy = SOP if found and not problems else EMPTY
    request = Bootstrap(actor, refs[0], NEW, MAIN, refs, found, problems, ("REMOTE_USER",))
    decision = decide(policy, request)
    assert decision.verdict == verdict, decision
    assert checks(decision) <= {"policy.bootstrap"}


def test_verdicts_fold_deny_over_ask_over_allow_and_ask_is_exit_3() -> None:
    assert strictest(["allow", "ask", "allow"]) == "ask"
    assert strictest(["ask", "deny"]) == "deny"
    assert strictest([]) == "allow"
    assert report.exit_code([("a", Decision("allow")), ("b", Decision("ask"))]) == 3
    assert report.exit_code([("a", Decision("deny")), ("b", Decision("ask"))]) == 1


def test_the_trace_names_the_rule_that_decided_and_stops_where_a_rule_stops() -> None:
    decision, steps = trace(SOP, request_for({"actor": "nobody", "push": "main"}))
    assert decision.verdict == "deny" and [s.rule for s in steps] == ["actors"] and steps[0].stopped
    _, steps = trace(SOP, request_for({"actor": "jgirmay", "push": "main"}))
    assert [s.rule for s in steps if s.violations] == ["branches"]


# -- explain is decide's trace ----------------------------------------------------------------

ACTORS = sorted(SOP.actors) + ["stranger"]
BRANCHES = ["main", "dev", "qa", "prod", "feature/x-1124", "feature/x", "agent/task_worker1/x", "hotfix/x",
            "wip", "release/1.0"]
TAGS = ["v1.2.3", "v1.2", "v1.2.3-rc1", "x"]
PATHS = [e.path.strip("/") + "/f.md" for e in SOP.ownership] + ["src/x.py", "architect", "policy.yaml"]
CLAIMS = (Claim("src/", "task_worker2", 2e9),)


@pytest.mark.parametrize("actor", ACTORS)
def test_explain_gives_decides_verdict_on_every_branch_tag_and_path(actor: str) -> None:
    for name in BRANCHES:
        pushed = request_for({"actor": actor, "push": name, "paths": []})
        assert explain.branch(SOP, actor, name)[0] == decide(SOP, pushed).verdict
    for name in TAGS:
        assert explain.tag(SOP, actor, name)[0] == decide(SOP, request_for({"actor": actor, "tag": name})).verdict
    for name in PATHS:
        change = StagedChange(actor=actor, branch=None, paths=(name,), claims=CLAIMS, now=1e9)
        assert explain.path(SOP, actor, name, CLAIMS, 1e9)[0] == decide(SOP, change).verdict, (actor, name)


def test_explain_and_decide_agree_on_jgirmay_and_main() -> None:
    """The disagreement found in review: explain said jgirmay may push main; decide refuses a
    direct commit there."""
    verdict, lines = explain.branch(SOP, "jgirmay", "main")
    assert verdict == "deny" and any("branches.direct_commits" in line for line in lines)


def test_explain_path_sees_claims() -> None:
    verdict, lines = explain.path(SOP, "task_worker1", "src/x.py", CLAIMS, 1e9)
    assert verdict == "deny" and any("claims.held" in line for line in lines)
    assert explain.path(SOP, "task_worker2", "src/x.py", CLAIMS, 1e9)[0] == "allow"


# -- every check id the code can produce is documented ----------------------------------------

def test_every_check_id_is_documented() -> None:
    sources = [*ROOT.glob("policies/*.py"), *ROOT.glob("enforcer/*.py"), *ROOT.glob("server_hooks/*.py")]
    found = set()
    for source in sources:
        found |= set(re.findall(r'Violation\(\s*[^,]+,\s*"([a-z_]+\.[a-z_]+)"', source.read_text()))
    documented = set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", (ROOT / "docs" / "policy.md").read_text(), re.M))
    assert {"policy.bootstrap", "server.refused", "core.unjudged", "branches.push"} <= found
    assert found <= documented
    assert documented == found


def test_many_pathspecs_are_widened_never_narrowed() -> None:
    """A pusher who owns none of many entries: git gets fewer, wider pathspecs (or none), each
    covering every path a rule keys, since matching a path against hundreds is slow."""
    from enforcer.engine import MANY_PATHSPECS, PathRules

    entries = "".join(f"  - {{path: /team{i % 5}/mod{i}/, primary: jgirmay}}\n" for i in range(200))
    text = (ROOT / "policies" / "examples" / "sop.yaml").read_text()
    head, _, rest = text.partition("\nownership:\n")
    policy = load_policy_bytes((head + "\nownership:\n" + entries + "\n" + rest.split("\n\n", 1)[1]).encode(),
                               "many.yaml", cache_dir="")
    specs = PathRules(policy, "task_worker1", (), 0.0).pathspecs()
    assert specs is not None and len(specs) <= MANY_PATHSPECS
    assert {f":(top,literal)team{i}" for i in range(5)} <= set(specs)
    assert PathRules(policy, "jgirmay", (), 0.0).pathspecs() == (":(top,literal)policy.yaml",)
