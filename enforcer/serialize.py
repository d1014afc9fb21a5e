"""Records as JSON-able dicts: one shape per kind of record.

`enforcer decisions --format json`, the web API and the store itself (the
violations a decision keeps) all go through here, so a record has one set of
keys wherever it is read. A violation is every field of
``enforcer.model.Violation`` plus ``overridden``: a field added there shows
up here without a change.

The server hooks store violations through this module: it imports neither
json nor typing until a record has something to write.
"""
from __future__ import annotations

from enforcer.model import Violation

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, Union

    from enforcer.records import Approval, ClaimRecord, Deployment, Record

    AnyRecord = Union[Record, Deployment, Approval, ClaimRecord]


def violation(v: Violation, overridden: bool = False) -> dict[str, Any]:
    return {**v._asdict(), "overridden": overridden}


def violations(found: Iterable[Violation], overridden: Iterable[Violation]) -> list[dict[str, Any]]:
    """One list, as the store keeps it: what blocks, then what was found but overridden."""
    return [violation(v) for v in found] + [violation(v, True) for v in overridden]


def decision(r: Record) -> dict[str, Any]:
    return {"id": r.id, "time": r.time, "kind": r.kind, "hook": r.hook, "actor": r.actor, "ref": r.ref,
            "old": r.old, "new": r.new, "subject": r.subject, "verdict": r.verdict, "note": r.note,
            "violations": violations(r.violations, r.overridden), "policy": r.policy}


def deployment(d: Deployment) -> dict[str, Any]:
    return {**d._asdict(), "checks": [{"command": command, "exit": code} for command, code in d.checks]}


def approval(a: Approval) -> dict[str, Any]:
    return a._asdict()


def claim(c: ClaimRecord) -> dict[str, Any]:
    return c._asdict()


def to_dict(row: AnyRecord) -> dict[str, Any]:
    """Any kind of record, by its type."""
    from enforcer.records import Approval, ClaimRecord, Deployment, Record

    if isinstance(row, Record):
        return decision(row)
    if isinstance(row, Deployment):
        return deployment(row)
    if isinstance(row, Approval):
        return approval(row)
    if isinstance(row, ClaimRecord):
        return claim(row)
    raise TypeError(f"not a record: {type(row).__name__}")


def dumps(rows: Iterable[AnyRecord]) -> str:
    """JSON text of records, names exact (json escapes what a terminal must not see)."""
    import json

    return json.dumps([to_dict(r) for r in rows], indent=2, ensure_ascii=False)


# -- what the store keeps in its JSON columns --------------------------------------------------------

def violations_text(found: tuple[Violation, ...], overridden: tuple[Violation, ...]) -> str:
    if not found and not overridden:
        return "[]"  # the common case, without importing json
    import json

    return json.dumps(violations(found, overridden), ensure_ascii=False)


def parse_violations(text: str) -> tuple[tuple[Violation, ...], tuple[Violation, ...]]:
    """``violations_text`` read back; keys a Violation does not have (yet, or any more) are left out.
    Raises ValueError, TypeError or KeyError on text it did not write."""
    if text == "[]":
        return (), ()
    import json

    found: list[Violation] = []
    overridden: list[Violation] = []
    for item in json.loads(text):
        v = Violation(**{k: item[k] for k in Violation._fields if k in item})
        (overridden if item.get("overridden") else found).append(v)
    return tuple(found), tuple(overridden)


def checks_text(checks: tuple[tuple[str, int], ...]) -> str:
    if not checks:
        return "[]"
    import json

    return json.dumps([[command, code] for command, code in checks], ensure_ascii=False)


def parse_checks(text: str) -> tuple[tuple[str, int], ...]:
    if text == "[]":
        return ()
    import json

    return tuple((str(command), int(code)) for command, code in json.loads(text))
