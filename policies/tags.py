"""Release tags: who may create them, their names, annotated only, never moved or deleted."""
from __future__ import annotations

from enforcer.model import RefUpdate, Violation
from enforcer.policies._hints import q, who
from enforcer.policy import Policy, TagRule
from enforcer.regex import compile_regex

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Iterator

APPLIES_TO = (RefUpdate,)
BREAK_GLASS = True  # the rules break-glass exists for


def check(policy: Policy, request: RefUpdate) -> Iterator[Violation]:
    if request.kind != "tag" or not policy.has_tag_rules:
        return
    tag = request.name
    rule = policy.tag_rule(tag)
    if rule is None:
        yield Violation("tags", "tags.no_rule", f"no rule in `tags` matches {tag!r}",
                        f"delete the local tag (git tag -d {q(tag)}) or add a rule for it")
        return
    for violation in _judge(policy, rule, tag, request):
        yield violation._replace(evaluate_only=rule.evaluate)


def _judge(policy: Policy, rule: TagRule, tag: str, request: RefUpdate) -> Iterator[Violation]:
    purpose = f" ({rule.purpose})" if rule.purpose else ""
    if not policy.allows(rule.create, request.actor):
        yield Violation(rule.id, "tags.create",
                        f"{request.actor} may not push tag {tag!r}{purpose}: only {who(policy, rule.create)}",
                        f"delete your local tag (git tag -d {q(tag)}) and ask {who(policy, rule.create)} to tag")
    if request.deleted:
        if not rule.delete:
            yield Violation(rule.id, "tags.delete", f"tag {tag!r} may not be deleted: tags here are permanent",
                            "keep the tag; make a new one for a new release")
        return
    if not request.created and not rule.move:
        yield Violation(rule.id, "tags.move", f"tag {tag!r} already exists and may not be moved",
                        f"restore your local tag (git fetch origin tag {q(tag)} --force) and tag a new version")
    if rule.name is not None and not compile_regex(rule.name).fullmatch(tag):
        yield Violation(rule.id, "tags.name", f"{tag!r} does not match the naming rule {rule.name}",
                        f"git tag -d {q(tag)}, and tag again with a name the rule accepts")
    if rule.annotated and request.annotated is False:
        yield Violation(rule.id, "tags.annotated", f"{tag!r} is a lightweight tag; this rule wants annotated tags",
                        f"git tag -d {q(tag)} && git tag -a {q(tag)} -m 'release {tag}' <commit>")
