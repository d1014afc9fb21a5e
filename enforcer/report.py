"""Decisions -> text, JSON or GitHub annotations, and the exit code."""
from __future__ import annotations


from enforcer.model import Decision, Violation

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Callable, Sequence

Result = tuple[str, Decision]  # (what was judged, e.g. a ref; its decision)
FORMATS = ("text", "json", "github")


def exit_code(results: Sequence[Result]) -> int:
    return 0 if all(d.allowed for _, d in results) else 1


def _violation_lines(v: Violation, prefix: str) -> list[str]:
    tag = " (evaluate only, not enforced)" if v.evaluate_only else ""
    lines = [f"{prefix}{v.rule} {v.check}: {v.reason}{tag}"]
    if v.fix:
        lines.append(f"{prefix}  fix: {v.fix}")
    return lines


def text(results: Sequence[Result], prefix: str = "") -> str:
    lines: list[str] = []
    for subject, decision in results:
        note = f" ({decision.note})" if decision.note else ""
        if decision.allowed:
            lines.append(f"{prefix}enforcer: {subject}: allowed{note}")
            for v in decision.overridden:
                lines += _violation_lines(v, prefix + "  overridden: " if decision.note else prefix + "  ")
        else:
            lines.append(f"{prefix}enforcer: {subject}: DENIED{note}")
            for v in decision.violations + decision.overridden:
                lines += _violation_lines(v, prefix + "  ")
    return "\n".join(lines)


def _violation_json(v: Violation) -> dict[str, object]:
    return {"rule": v.rule, "check": v.check, "reason": v.reason, "fix": v.fix, "evaluate_only": v.evaluate_only}


def as_json(results: Sequence[Result]) -> str:
    import json

    return json.dumps({
        "verdict": "allow" if exit_code(results) == 0 else "deny",
        "results": [{"subject": subject, "verdict": d.verdict, "note": d.note,
                     "violations": [_violation_json(v) for v in d.violations],
                     "overridden": [_violation_json(v) for v in d.overridden]}
                    for subject, d in results],
    }, indent=2, ensure_ascii=False)


def _escape(value: str, property_: bool = False) -> str:
    """GitHub workflow command escaping (actions/toolkit's escapeData / escapeProperty)."""
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if property_ else value


def github(results: Sequence[Result]) -> str:
    lines = []
    for subject, decision in results:
        for v in decision.violations:
            title = _escape(f"enforcer {v.check} ({v.rule})", property_=True)
            lines.append(f"::error title={title}::{_escape(f'{subject}: {v.reason}. Fix: {v.fix}')}")
        for v in decision.overridden:
            title = _escape(f"enforcer {v.check} ({v.rule})", property_=True)
            lines.append(f"::warning title={title}::{_escape(f'{subject}: {v.reason}')}")
    lines.append(text(results))
    return "\n".join(lines)


RENDERERS: dict[str, Callable[[Sequence[Result]], str]] = {"text": text, "json": as_json, "github": github}
