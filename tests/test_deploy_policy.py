"""The policy side of deploys (issue 18, items 8 and 9): the gates of policies/environments.py as
tables over the reference policy, `enforcer validate` refusing environments that are not
isolated (a shared port, data dirs equal or nested) and the other deploy mistakes, and the
policy's own deploy test cases run by `enforcer validate`."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from enforcer.engine import decide
from enforcer.model import Approved, Claim, Decision, Deploy, EnvironmentMove
from enforcer.policy import load_policy_bytes
from enforcer.selftest import check_policy_bytes
from enforcer.validate import DEPLOY_TEST_FIELDS, TEST_FIELDS, load_schema
from tests.conftest import SOP, enforcer

POLICY = load_policy_bytes(SOP.read_bytes(), "sop.yaml", cache_dir="")
SOP_TESTS = SOP.parent / "sop-tests.yaml"

COMMIT, TAG_OBJECT, MOVED, OTHER = "a" * 40, "b" * 40, "c" * 40, "d" * 40
TAG = "v1.0.3"
NOW = 1_000_000.0
PASSED = (("python3 -m pytest -q", 0),)  # the SOP's checks.before_deploy, as the runner names it


def approval(by: str = "jgirmay", env: str = "prod", tag: str = TAG, obj: str = TAG_OBJECT) -> Approved:
    return Approved(env, tag, by, obj, NOW - 60)


def deploy(env: str = "prod", tag: str = TAG, actor: str | None = "jgirmay", **facts: object) -> Deploy:
    """A deploy to ``env`` that passes every gate of the SOP unless ``facts`` say otherwise."""
    fields: dict[str, object] = dict(commit=COMMIT, tag_object=TAG_OBJECT, deployed=(("qa", COMMIT),),
                                     approvals=(approval(env=env, tag=tag),), checks=PASSED, now=NOW)
    fields.update(facts)
    # (environment, commit) pairs given here are this tag's deploys; triples name another tag
    fields["deployed"] = tuple(d if len(d) == 3 else (d[0], tag, d[1]) for d in fields["deployed"])  # type: ignore[attr-defined]
    return Deploy(actor, env, tag, **fields)  # type: ignore[arg-type]


def found(decision: Decision) -> set[str]:
    return {v.check for v in decision.violations}


# -- the gates, as tables ----------------------------------------------------------------------

@pytest.mark.parametrize("request_, verdict, checks", [
    # promotion: qa takes release and rc tags at once; prod after qa, with a release manager's approval
    (deploy("qa", deployed=(), approvals=()), "allow", set()),
    (deploy("qa", "v1.0.3-rc1", deployed=(), approvals=()), "allow", set()),
    (deploy(), "allow", set()),
    (deploy(actor="deploy-bot"), "allow", set()),
    (deploy(tag="v1.0.3-patch1"), "allow", set()),
    (deploy("dev", "v7.0.0-anything", deployed=(), approvals=()), "allow", set()),  # dev: no tag regex
    # who may deploy a tag: deploy.actor, the environment's approvers, those who may create that tag
    (deploy("dev", "anything-at-all", deployed=(), approvals=()), "deny", {"environments.actor"}),
    (deploy("dev", "anything-at-all", actor="deploy-bot", deployed=(), approvals=()), "allow", set()),
    # unknown environment: nothing else is judged
    (deploy("staging"), "deny", {"environments.unknown"}),
    (deploy("Prod"), "deny", {"environments.unknown"}),
    # who may run a deploy: deploy.actor, approvers, tag creators
    (deploy("qa", actor="task_worker1", deployed=(), approvals=()), "deny", {"environments.actor"}),
    (deploy("qa", actor="command_runner", deployed=(), approvals=()), "deny", {"environments.actor"}),
    (deploy("qa", actor="nobody", deployed=(), approvals=()), "deny", {"actors.unknown"}),
    (deploy("qa", actor=None, deployed=(), approvals=()), "deny", {"actors.missing"}),
    # the tags an environment takes
    (deploy(tag="v1.0.3-rc1"), "deny", {"environments.tags"}),
    (deploy(tag="1.0.3"), "deny", {"environments.tags"}),
    (deploy(tag="v1.0.3-rc1x"), "deny", {"environments.tags"}),
    (deploy("qa", "release-7", deployed=(), approvals=()), "deny", {"environments.tags", "environments.actor"}),
    # after: qa — a successful deploy of this very commit to qa on record
    (deploy(deployed=()), "deny", {"environments.after"}),
    (deploy(deployed=(("dev", COMMIT),)), "deny", {"environments.after"}),
    (deploy(deployed=(("qa", OTHER),)), "deny", {"environments.after"}),  # the tag's name, another commit
    (deploy(deployed=(("qa", "v1.0.2", COMMIT),)), "deny", {"environments.after"}),  # the commit, another tag
    (deploy(deployed=(("dev", COMMIT), ("qa", COMMIT))), "allow", set()),
    (deploy(tag="v1.0.3-patch1", deployed=()), "deny", {"environments.after"}),
    # approve: one of release-managers, for this env and tag, while the tag pointed where it points now
    (deploy(approvals=()), "deny", {"environments.approve"}),
    (deploy(approvals=(approval("task_worker1"),)), "deny", {"environments.approve"}),
    (deploy(approvals=(approval("deploy-bot"),)), "deny", {"environments.approve"}),
    (deploy(approvals=(approval(obj=MOVED),)), "deny", {"environments.approve"}),  # the tag moved since
    (deploy(approvals=(approval(env="qa"),)), "deny", {"environments.approve"}),
    (deploy(approvals=(approval(tag="v1.0.2"),)), "deny", {"environments.approve"}),
    (deploy(approvals=(approval("task_worker1"), approval())), "allow", set()),
    (deploy(approvals=(approval(obj=MOVED), approval())), "allow", set()),
    (deploy(deployed=(), approvals=()), "deny", {"environments.after", "environments.approve"}),
    # the checks: asked first without them (None), then with their exit statuses
    (deploy(checks=None), "allow", set()),
    (deploy(checks=(("python3 -m pytest -q", 1),)), "deny", {"environments.checks"}),
    (deploy(checks=(("python3 -m pytest -q", 0), ("make lint", 2))), "deny", {"environments.checks"}),
    (deploy(checks=()), "deny", {"environments.checks"}),  # a check that did not run
    (deploy(checks=(("python3 -m pytest", 0),)), "deny", {"environments.checks"}),  # not the check named
    (deploy("qa", deployed=(), approvals=(), checks=(("python3 -m pytest -q", 1),)), "deny",
     {"environments.checks"}),
    # a rollback skips after, approval and the checks (that version passed them) ...
    (deploy(tag="v1.0.2", deployed=(), approvals=(), checks=None, rollback=True), "allow", set()),
    (deploy(tag="v1.0.2", deployed=(), approvals=(), checks=(), rollback=True), "allow", set()),
    # ... but not who runs it, the tags, or an exclusive environment's claim
    (deploy(tag="v1.0.2", actor="task_worker1", deployed=(), approvals=(), rollback=True), "deny",
     {"environments.actor"}),
    (deploy(tag="v1.0.2-rc1", deployed=(), approvals=(), rollback=True), "deny", {"environments.tags"}),
    (deploy("env3", deployed=(), approvals=(), rollback=True, claims=(Claim("env:env3", "task_worker2", NOW + 60),)),
     "deny", {"environments.claimed"}),
    # an exclusive environment: another actor's live claim refuses; one's own, an expired one, or
    # a claim on another environment does not
    (deploy("env3", deployed=(), approvals=(), claims=(Claim("env:env3", "task_worker2", NOW + 60),)), "deny",
     {"environments.claimed"}),
    (deploy("env3", deployed=(), approvals=(), claims=(Claim("env:env3", "jgirmay", NOW + 60),)), "allow", set()),
    (deploy("env3", deployed=(), approvals=(), claims=(Claim("env:env3", "task_worker2", NOW - 1),)), "allow",
     set()),
    (deploy("env3", deployed=(), approvals=(), claims=(Claim("env:env4", "task_worker2", NOW + 60),)), "allow",
     set()),
    (deploy("env3", deployed=(), approvals=(), claims=(Claim("env3/", "task_worker2", NOW + 60),)), "allow", set()),
    (deploy("dev", "v9.0.0", deployed=(), approvals=(), claims=(Claim("env:dev", "task_worker2", NOW + 60),)), "allow",
     set()),  # dev is not exclusive: a claim on it binds nobody
])
def test_deploy_gates(request_: Deploy, verdict: str, checks: set[str]) -> None:
    decision = decide(POLICY, request_)
    assert (decision.verdict, found(decision)) == (verdict, checks), decision.violations
    assert all(v.fix for v in decision.violations)  # every refusal says what to do


def test_every_refusal_names_its_environment_and_tag() -> None:
    assert "qa" in decide(POLICY, deploy(deployed=())).violations[0].reason
    moved = decide(POLICY, deploy(approvals=(approval(obj=MOVED),))).violations[0]
    assert "moved" in moved.reason and "enforcer approve prod v1.0.3" in moved.fix
    missing = decide(POLICY, deploy(approvals=(approval("task_worker1"),))).violations[0]
    assert "not approved" in missing.reason and "release-managers" in missing.fix
    claimed = decide(POLICY, deploy("env3", claims=(Claim("env:env3", "task_worker2", NOW + 60),))).violations[0]
    assert "task_worker2" in claimed.reason and "env:env3" in claimed.fix
    failed = decide(POLICY, deploy(checks=(("python3 -m pytest -q", 1),))).violations[0]
    assert "exit 1" in failed.reason and failed.rule == "checks.before_deploy"


def test_a_port_held_by_another_environment_refuses() -> None:
    if "port_held_by" not in Deploy._fields:
        pytest.skip("Deploy has no port_held_by")
    fact = {"port_held_by": ("qa",)}
    assert found(decide(POLICY, deploy(**fact))) == {"environments.port"}
    assert found(decide(POLICY, deploy(port_held_by=("",)))) == {"environments.port"}  # a process unknown
    assert decide(POLICY, deploy(port_held_by=("prod",))).verdict == "allow"  # its own service


@pytest.mark.parametrize("move, verdict, checks", [
    (EnvironmentMove("deploy-bot", "qa", "qa", COMMIT, OTHER), "allow", set()),
    (EnvironmentMove("deploy-bot", "prod", "prod", COMMIT, OTHER), "allow", set()),
    (EnvironmentMove("deploy-bot", "prod", "prod", OTHER, COMMIT), "allow", set()),  # back, on rollback
    (EnvironmentMove("task_worker1", "qa", "qa", COMMIT, OTHER), "deny", {"environments.branch"}),
    (EnvironmentMove("jgirmay", "prod", "prod", COMMIT, OTHER), "deny", {"environments.branch"}),
    (EnvironmentMove("deploy-bot", "prod", "main", COMMIT, OTHER), "deny", {"environments.branch"}),
    (EnvironmentMove("deploy-bot", "qa", "prod", COMMIT, OTHER), "deny", {"environments.branch"}),
    (EnvironmentMove("deploy-bot", "dev", "dev", COMMIT, OTHER), "deny", {"environments.branch"}),  # has none
    (EnvironmentMove("deploy-bot", "staging", "staging", COMMIT, OTHER), "deny", {"environments.unknown"}),
    (EnvironmentMove("nobody", "qa", "qa", COMMIT, OTHER), "deny", {"actors.unknown"}),
])
def test_environment_moves(move: EnvironmentMove, verdict: str, checks: set[str]) -> None:
    decision = decide(POLICY, move)
    assert (decision.verdict, found(decision)) == (verdict, checks), decision.violations
    assert all(v.fix for v in decision.violations)


def test_every_environments_check_id_is_in_a_table() -> None:
    """Each check id policies/environments.py can give is exercised above."""
    import re

    source = (SOP.parent.parent / "environments.py").read_text()
    ids = set(re.findall(r'"(environments\.[a-z_]+)"', source))
    tested = {"environments.unknown", "environments.actor", "environments.tags", "environments.claimed",
              "environments.after", "environments.approve", "environments.checks", "environments.branch",
              "environments.port"}
    assert ids <= tested, ids - tested


# -- enforcer validate: isolation and the other deploy mistakes ----------------------------------

BASE = ("version: 1\ngroups:\n  release-managers: [jgirmay]\n  deployers: [deploy-bot]\n"
        "deploy:\n  actor: deploy-bot\n  command: [./deploy.sh, '{env}', '{tag}']\n")
ENVS_LINE = 9  # the line of the first environment below `environments:`


def validate(tmp_path: Path, text: str) -> tuple[int, str]:
    f = tmp_path / "policy.yaml"
    f.write_text(text)
    proc = enforcer(tmp_path, "validate", str(f))
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out
    return proc.returncode, out


def envs(*lines: str) -> str:
    return BASE + "environments:\n" + "".join(f"  {line}\n" for line in lines)


@pytest.mark.parametrize("first, second", [
    ("data/", "data/"), ("./data", "data"), ("data", "data/"), ("data/", "./data/"), ("data//", "data"),
    ("data/qa/", "data//qa"), ("./data/./qa", "data/qa/"), ("data/../shared", "shared/"), ("/srv/data", "/srv/data/"),
])
def test_same_data_dir_is_refused_naming_both(tmp_path: Path, first: str, second: str) -> None:
    code, out = validate(tmp_path, envs(f"qa: {{port: 8081, data: '{first}'}}",
                                        f"prod: {{port: 8080, data: '{second}'}}"))
    assert code == 2, out
    assert f"policy.yaml:{ENVS_LINE + 1}:" in out and "environments.prod.data" in out
    assert "is the same as the data dir" in out and "of environment 'qa'" in out and "'qa' and 'prod'" in out
    assert "fix: give 'prod' a data dir of its own" in out


@pytest.mark.parametrize("first, second, relation", [
    ("data/", "data/qa/", "is inside"),
    ("data", "data//qa/", "is inside"),
    ("./data/", "data/qa/db", "is inside"),
    ("data/qa/", "data/", "holds"),
    (".", "qa_data/", "is inside"),
    ("qa_data/", "./", "holds"),
    ("/srv", "/srv/prod", "is inside"),
])
def test_nested_data_dirs_are_refused_naming_both(tmp_path: Path, first: str, second: str, relation: str) -> None:
    code, out = validate(tmp_path, envs(f"qa: {{port: 8081, data: '{first}'}}",
                                        f"prod: {{port: 8080, data: '{second}'}}"))
    assert code == 2, out
    assert f"data dir '{second}' {relation} the data dir '{first}' of environment 'qa'" in out
    assert "'qa' and 'prod' would share data" in out and "neither inside another" in out


@pytest.mark.parametrize("first, second", [
    ("data/", "data2/"), ("data/", "data_qa/"), ("qa_data/", "data/"), ("data/qa/", "data/prod/"),
    ("/srv/data", "data"), ("../data", "."), ("/srv/qa", "/srv/qa-prod"),
])
def test_separate_data_dirs_pass(tmp_path: Path, first: str, second: str) -> None:
    code, out = validate(tmp_path, envs(f"qa: {{port: 8081, data: '{first}'}}",
                                        f"prod: {{port: 8080, data: '{second}'}}"))
    assert code == 0, out


def test_three_environments_nest_each_reported_once(tmp_path: Path) -> None:
    code, out = validate(tmp_path, envs("a: {port: 1, data: x/}", "b: {port: 2, data: x/y/}",
                                        "c: {port: 3, data: x/y/z/}"))
    assert code == 2 and out.count("environments.b.data") == 1 and out.count("environments.c.data") == 1, out


def test_shared_port_is_refused_naming_both_and_the_port(tmp_path: Path) -> None:
    code, out = validate(tmp_path, envs("qa: {port: 8080, data: qa/}", "prod: {port: 8080, data: prod/}"))
    assert code == 2, out
    assert f"policy.yaml:{ENVS_LINE + 1}:" in out and "environments.prod.port" in out
    assert "port 8080 is also used by environment 'qa'" in out and "'qa' and 'prod'" in out
    assert "fix: give 'prod' a port of its own, e.g. port: 8081" in out


def test_the_suggested_port_is_free(tmp_path: Path) -> None:
    code, out = validate(tmp_path, envs("qa: {port: 8080, data: qa/}", "prod: {port: 8080, data: prod/}",
                                        "dev: {port: 8081, data: dev/}"))
    assert code == 2 and "e.g. port: 8082" in out, out
    code, out = validate(tmp_path, envs("qa: {port: 65535, data: qa/}", "prod: {port: 65535, data: prod/}"))
    assert code == 2 and "port 65535 is also used" in out and "e.g. port: 1" in out, out


def test_the_reference_policy_is_isolated(tmp_path: Path) -> None:
    code, out = validate(tmp_path, SOP.read_text())
    assert code == 0, out


@pytest.mark.parametrize("line, expected, fix", [
    ("prod: {port: 1, data: p/, after: qa}", "unknown environment 'qa'", "did you mean 'qa2'?"),
    ("prod: {port: 1, data: p/, after: staging}", "unknown environment 'staging'",
     "name one of the environments defined here: qa2"),
    ("prod: {port: 1, data: p/, after: prod}", "'prod' comes after itself", "remove `after`"),
])
def test_after_must_name_another_environment(tmp_path: Path, line: str, expected: str, fix: str) -> None:
    code, out = validate(tmp_path, envs(line, "qa2: {port: 2, data: q/}"))
    assert code == 2 and expected in out and fix in out, out
    assert f"policy.yaml:{ENVS_LINE}:" in out and "environments.prod.after" in out


@pytest.mark.parametrize("arg, shown", [
    ("{version}", "{version}"), ("--env={environment}", "{environment}"), ("{0}", "{0}"), ("{}", "{}"),
    ("{env!r}", "{env!r}"), ("{port:d}", "{port:d}"), ("{tag[0]}", "{tag[0]}"), ("{env.upper}", "{env.upper}"),
    ("{ENV}", "{ENV}"), ("{ env }", "{ env }"), ("${HOME}", "{HOME}"), ("{{env}}", "{}"),
])
def test_deploy_command_placeholders(tmp_path: Path, arg: str, shown: str) -> None:
    text = BASE.replace("'{tag}']", f"'{{tag}}', '{arg}']") + "environments:\n  qa: {port: 1, data: q/}\n"
    code, out = validate(tmp_path, text)
    assert code == 2, out
    assert f"unknown placeholder {shown} in '{arg}'" in out and "deploy.command[3]" in out
    assert "use only {env}, {tag}, {port} and {data}" in out


@pytest.mark.parametrize("arg", ["{", "x}", "{env", "{{", "}}", "{tag}}"])
def test_deploy_command_lone_braces(tmp_path: Path, arg: str) -> None:
    """The runner replaces the four placeholders as they are: no brace escapes anything."""
    text = BASE.replace("'{tag}']", f"'{{tag}}', '{arg}']") + "environments:\n  qa: {port: 1, data: q/}\n"
    code, out = validate(tmp_path, text)
    assert code == 2 and "holds a brace that starts or ends no placeholder" in out, out
    assert "belongs in a script the command runs" in out


@pytest.mark.parametrize("arg", ["{env}", "--port={port}", "{data}/db", "{env}-{tag}", "{env}{tag}", "plain", "$HOME"])
def test_deploy_command_good_arguments(tmp_path: Path, arg: str) -> None:
    text = BASE.replace("'{tag}']", f"'{{tag}}', '{arg}']") + "environments:\n  qa: {port: 1, data: q/}\n"
    code, out = validate(tmp_path, text)
    assert code == 0, out


# -- deploy test cases: their shape, then run by enforcer validate --------------------------------

SMALL = ("version: 1\ngroups:\n  release-managers: [jgirmay]\n  deployers: [deploy-bot]\n  workers: [w1]\n"
         "tags:\n  - {match: 'v*', create: [release-managers]}\n"
         "environments:\n"
         "  qa: {port: 8081, data: qa/, tags: '^v[0-9.]+(-rc[0-9]+)?$'}\n"
         "  prod: {port: 8080, data: prod/, tags: '^v[0-9.]+$', after: qa, approve: [release-managers]}\n"
         "deploy: {actor: deploy-bot, command: [./deploy.sh, '{env}', '{tag}']}\n"
         "checks:\n  before_deploy: ['make test']\n"
         "tests:\n")
TESTS_LINE = SMALL.count("\n") + 1  # the line of the first test


@pytest.mark.parametrize("case, expected, fix", [
    ("{actor: jgirmay, deploy: prod, expect: allow}", "a deploy test names the tag it deploys",
     "add `tag: TAG` beside `deploy: prod`"),
    ("{actor: jgirmay, deploy: prod, tag: v1, after_okk: [qa], expect: allow}", "unknown field 'after_okk'",
     "did you mean 'after_ok'?"),
    ("{actor: jgirmay, deploy: prod, tag: v1, approved: [jgirmay], expect: allow}", "unknown field 'approved'",
     "did you mean 'approved_by'?"),
    ("{actor: jgirmay, deploy: prod, tag: v1, merge: dev, expect: allow}", "`merge` does not apply to a deploy test",
     "a deploy test takes actor, deploy, tag, after_ok, approved_by, rollback, checks_failed, expect, violations"),
    ("{actor: jgirmay, deploy: prod, tag: v1, annotated: false, expect: allow}", "`annotated` does not apply",
     "remove it"),
    ("{actor: jgirmay, deploy: prod, tag: v1, push: main, expect: allow}", "a test names `push:` and `deploy:`",
     "split it into one test per request"),
    ("{actor: jgirmay, push: main, after_ok: [qa], expect: allow}", "`after_ok` belongs to a deploy test",
     "add `deploy: ENV` and `tag: TAG`, or remove `after_ok`"),
    ("{actor: jgirmay, tag: v1, approved_by: [jgirmay], expect: allow}", "`approved_by` belongs to a deploy test",
     "or remove `approved_by`"),
    ("{actor: jgirmay, deploy: prod, tag: v1, after_ok: [qaa], expect: allow}", "unknown environment 'qaa'",
     "did you mean 'qa'?"),
    ("{actor: jgirmay, deploy: prod, tag: v1, after_ok: qa, expect: allow}", "'qa' is not a list",
     "write a list: `after_ok: [qa]`"),
    ("{actor: jgirmay, deploy: prod, tag: v1, rollback: yes please, expect: allow}", "is not true or false", ""),
    ("{actor: jgirmay, expect: allow}", "a test names no request", "deploy: ENV with tag: TAG"),
])
def test_a_malformed_deploy_test_is_located_with_its_fix(tmp_path: Path, case: str, expected: str, fix: str) -> None:
    code, out = validate(tmp_path, SMALL + f"  - {case}\n")
    assert code == 2, out
    assert f"policy.yaml:{TESTS_LINE}:" in out and "tests[0]" in out, out
    assert expected in out and fix in out, out


def test_the_deploy_test_fields_are_the_schemas() -> None:
    properties = set(load_schema()["properties"]["tests"]["items"]["properties"])
    assert set(TEST_FIELDS) == properties
    assert set(DEPLOY_TEST_FIELDS) <= properties


PASSING = [
    "{actor: jgirmay, deploy: qa, tag: v1.0.3, expect: allow}",
    "{actor: jgirmay, deploy: prod, tag: v1.0.3, after_ok: [qa], approved_by: [jgirmay], expect: allow}",
    "{actor: deploy-bot, deploy: prod, tag: v1.0.3, after_ok: [qa], approved_by: [jgirmay], expect: allow}",
    "{actor: jgirmay, deploy: prod, tag: v1.0.3, approved_by: [jgirmay], expect: deny, "
    "violations: [environments.after]}",
    "{actor: jgirmay, deploy: prod, tag: v1.0.3, after_ok: [qa], expect: deny, violations: [environments.approve]}",
    "{actor: jgirmay, deploy: prod, tag: v1.0.3, after_ok: [qa], approved_by: [w1], expect: deny}",
    "{actor: jgirmay, deploy: prod, tag: v1.0.3-rc1, after_ok: [qa], approved_by: [jgirmay], expect: deny, "
    "violations: [environments.tags]}",
    "{actor: w1, deploy: qa, tag: v1.0.3, expect: deny, violations: [environments.actor]}",
    "{actor: jgirmay, deploy: qa, tag: v1.0.3, checks_failed: true, expect: deny, violations: [environments.checks]}",
    "{actor: jgirmay, deploy: qa, tag: v1.0.3, checks_failed: false, expect: allow}",
    "{actor: jgirmay, deploy: prod, tag: v1.0.2, rollback: true, expect: allow}",
    "{actor: jgirmay, deploy: prod, tag: v1.0.2, rollback: true, checks_failed: true, expect: allow}",
    "{actor: jgirmay, deploy: staging, tag: v1.0.3, expect: deny, violations: [environments.unknown]}",
]


def test_deploy_cases_pass_through_enforcer_validate(tmp_path: Path) -> None:
    code, out = validate(tmp_path, SMALL + "".join(f"  - {case}\n" for case in PASSING))
    assert code == 0 and f"valid; {len(PASSING)} self-test(s) pass" in out, out


@pytest.mark.parametrize("case, expected", [
    ("{actor: jgirmay, deploy: prod, tag: v1.0.3, approved_by: [jgirmay], expect: allow}",
     "self-test failed: expected allow, got deny (environments.prod environments.after: v1.0.3 has not deployed "
     "successfully to qa yet)"),
    ("{actor: jgirmay, deploy: prod, tag: v1.0.3, after_ok: [qa], approved_by: [w1], expect: allow}",
     "self-test failed: expected allow, got deny (environments.prod environments.approve: v1.0.3 is not approved "
     "for prod: release-managers must approve (w1: not among them, so it does not count))"),
    ("{actor: jgirmay, deploy: qa, tag: v1.0.3, checks_failed: true, expect: allow}",
     "check 'make test' failed (exit 1) on v1.0.3"),
    ("{actor: jgirmay, deploy: prod, tag: v1.0.3, after_ok: [qa], approved_by: [jgirmay], expect: deny}",
     "self-test failed: expected deny, got allow (no rule refused it)"),
    ("{actor: jgirmay, deploy: prod, tag: v1.0.2, rollback: true, expect: deny}",
     "self-test failed: expected deny, got allow"),
    ("{actor: jgirmay, deploy: prod, tag: v1.0.3, expect: deny, violations: [environments.after]}",
     "self-test failed: expected violations ['environments.after'], got ['environments.after', "
     "'environments.approve']"),
])
def test_a_failing_deploy_case_is_printed_like_any_other(tmp_path: Path, case: str, expected: str) -> None:
    code, out = validate(tmp_path, SMALL + f"  - {case}\n")
    assert code == 2, out
    assert f"policy.yaml:{TESTS_LINE}:" in out and "tests[0]" in out and expected in out, out
    assert "fix: fix the rules, or the test if the rules are right" in out


def test_checks_failed_without_checks_still_fails_the_deploy(tmp_path: Path) -> None:
    text = SMALL.replace("checks:\n  before_deploy: ['make test']\n", "")
    code, out = validate(tmp_path, text + "  - {actor: jgirmay, deploy: qa, tag: v1.0.3, checks_failed: true, "
                         "expect: allow}\n")
    assert code == 2 and "check \"the test's failing check\" failed (exit 1)" in out, out


# -- the reference policy's deploy cases (policies/examples/sop-tests.yaml) ------------------------

def sop_with_tests() -> tuple[str, list[dict[str, object]]]:
    tests_text = SOP_TESTS.read_text()
    return SOP.read_text() + "\n" + tests_text, yaml.safe_load(tests_text)["tests"]


def test_the_reference_policy_proves_its_promotion_rules(tmp_path: Path) -> None:
    text, cases = sop_with_tests()
    deploys = [c for c in cases if "deploy" in c]
    promised = {  # issue 18 item 8, each as a case
        ("qa", "v1.0.3", "allow"), ("prod", "v1.0.3", "allow"), ("prod", "v1.0.3-rc1", "deny"),
        ("prod", "v1.0.3-patch1", "allow"), ("prod", "v1.0.3-patch1", "deny"), ("prod", "v1.0.2", "allow"),
    }
    assert promised <= {(c["deploy"], c["tag"], c["expect"]) for c in deploys}
    assert any(c.get("approved_by") == ["task_worker1"] and c["expect"] == "deny" for c in deploys)
    assert any(c.get("rollback") and not c.get("after_ok") and not c.get("approved_by") for c in deploys)
    code, out = validate(tmp_path, text)
    assert code == 0 and f"{len(cases)} self-test(s) pass" in out, out


def test_each_reference_deploy_case_would_catch_the_opposite_verdict() -> None:
    """A deploy case proves something: with its verdict flipped, validation fails on that case."""
    text, cases = sop_with_tests()
    data = yaml.safe_load(text)
    for i, case in enumerate(cases):
        if "deploy" not in case:
            continue
        flipped = {**case, "expect": "deny" if case["expect"] == "allow" else "allow"}
        flipped.pop("violations", None)
        raw = yaml.safe_dump({**data, "tests": [flipped]}).encode()
        _, problems = check_policy_bytes(raw, "policy.yaml")
        assert [p.path for p in problems if not p.warning] == ["tests[0]"], (i, case, problems)


@pytest.mark.parametrize("name", ["../qa", "qa/x", ".hidden", "-x", "a b", "q\\u00e4"])
def test_an_environment_name_is_a_safe_ref_and_file_name(tmp_path: Path, name: str) -> None:
    """An environment's name becomes a ref component (approvals), a lock file and log names."""
    code, out = validate(tmp_path, envs(f'"{name}": {{port: 8081, data: qa/}}'))
    assert code == 2 and "environment name" in out and "use letters, digits" in out
