"""Decisions -> text, JSON or GitHub annotations, and the exit code."""
from __future__ import annotations


from enforcer.model import Decision, Violation, strictest

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing is not imported at run time
    from collections.abc import Callable, Sequence

Result = tuple[str, Decision]  # (what was judged, e.g. a ref; its decision)
EXIT_CODES = {"allow": 0, "deny": 1, "ask": 3}  # docs/errors.md: the same in every place


def verdict(results: Sequence[Result]) -> str:
    """The strictest verdict among the results (deny > ask > allow)."""
    return strictest(d.verdict for _, d in results)


def exit_code(results: Sequence[Result]) -> int:
    return EXIT_CODES[verdict(results)]


def _control_escapes() -> dict[int, str]:
    """What a terminal must never receive raw from a name: C0 and C1 controls and DEL (cursor
    moves, colours, new lines), the line and paragraph separators, and the bidi controls
    that reorder a line (Trojan Source, CVE-2021-42574)."""
    named = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}
    codes = [*range(0x20), *range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F, 0x2028, 0x2029,
             *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
    return {c: named.get(c) or (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in codes}


_CONTROL_ESCAPES = _control_escapes()  # built once; str.translate keeps `re` off the hook path


def escape(value: str) -> str:
    """``value`` safe to print on a terminal: control characters as visible escapes
    (``\\n``, ``\\x1b``, ``\\u202e``), so that a file or ref name cannot forge a line.
    Backslashes stay as they are: the escapes are for reading, not for parsing back."""
    return value.translate(_CONTROL_ESCAPES)


def _violation_lines(v: Violation, prefix: str) -> list[str]:
    tag = " (evaluate only, not enforced)" if v.evaluate_only else " (ask)" if v.severity == "ask" else ""
    lines = [f"{prefix}{escape(v.rule)} {escape(v.check)}: {escape(v.reason)}{tag}"]
    if v.fix:
        lines.append(f"{prefix}  fix: {escape(v.fix)}")
    return lines


def text(results: Sequence[Result], prefix: str = "") -> str:
    """What hooks, server hooks and `check --format text` print: every name escaped."""
    lines: list[str] = []
    for subject, decision in results:
        subject = escape(subject)
        note = f" ({escape(decision.note)})" if decision.note else ""
        if decision.allowed:
            lines.append(f"{prefix}enforcer: {subject}: allowed{note}")
            for v in decision.overridden:
                lines += _violation_lines(v, prefix + "  overridden: " if decision.note else prefix + "  ")
        else:
            shown = "DENIED" if decision.verdict == "deny" else "ASK: a person must approve"
            lines.append(f"{prefix}enforcer: {subject}: {shown}{note}")
            for v in decision.violations + decision.overridden:
                lines += _violation_lines(v, prefix + "  ")
    return "\n".join(lines)


def as_json(results: Sequence[Result]) -> str:
    import json

    from enforcer.serialize import violation  # the records' shape of a violation

    return json.dumps({
        "verdict": verdict(results),
        "results": [{"subject": subject, "verdict": d.verdict, "note": d.note,
                     "violations": [violation(v) for v in d.violations],
                     "overridden": [violation(v, True) for v in d.overridden]}
                    for subject, d in results],
    }, indent=2, ensure_ascii=False)


def _escape(value: str, property_: bool = False) -> str:
    """GitHub workflow command escaping (actions/toolkit's escapeData / escapeProperty), after
    the terminal escaping: a name's control characters show as escapes there too."""
    value = escape(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
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
