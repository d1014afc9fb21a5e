"""Pictures drawn on the server as SVG text (no script, nothing fetched): the promotion pipeline
and the refusals over time. Every text is escaped here; the templates insert the result as is."""
from __future__ import annotations

import time
from html import escape as _html

from enforcer.report import escape as _visible

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from typing import Any

BOX_W, BOX_H, GAP = 230, 118, 46
HEALTH_COLOURS = {"ok": "#1a7f37", "failed": "#cf222e", "none": "#6e7781", "running": "#9a6700"}


def pipeline(environments: list[dict[str, Any]]) -> str:
    """One box per environment, left to right, joined by arrows: its version, when, by whom, health."""
    if not environments:
        return ""
    width = len(environments) * (BOX_W + GAP) - GAP + 2
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="pipeline" role="img" viewBox="0 0 {width} {BOX_H + 2}" '
             f'width="{width}" height="{BOX_H + 2}"><title>promotion pipeline: '
             f'{escape(" → ".join(e["name"] for e in environments))}</title>']
    for i, env in enumerate(environments):
        x = 1 + i * (BOX_W + GAP)
        live, latest = env.get("live"), env.get("latest")
        state = _state(live, latest)
        parts.append(f'<g class="env env-{state}"><rect x="{x}" y="1" width="{BOX_W}" height="{BOX_H}" rx="8" '
                     f'fill="#ffffff" stroke="{HEALTH_COLOURS[state]}" stroke-width="2"/>')
        lines = [(f"{env['name']}", "name"),
                 (live["tag"] if live else "nothing deployed", "version"),
                 (_when(live["time"]) if live else "", "meta"),
                 (f"by {live['actor']}" if live else "", "meta"),
                 (_health(live, latest, state), "meta")]
        for j, (text, kind) in enumerate(lines):
            size = 17 if kind == "name" else 14 if kind == "version" else 12
            weight = ' font-weight="bold"' if kind != "meta" else ""
            parts.append(f'<text x="{x + 12}" y="{24 + j * 21}" font-size="{size}"{weight} '
                         f'font-family="sans-serif">{escape(_fit(text))}</text>')
        parts.append("</g>")
        if i + 1 < len(environments):
            ax = x + BOX_W + 6
            mid = 1 + BOX_H // 2
            parts.append(f'<path d="M{ax} {mid} H{ax + GAP - 14} M{ax + GAP - 20} {mid - 6} L{ax + GAP - 13} {mid} '
                         f'L{ax + GAP - 20} {mid + 6}" stroke="#57606a" stroke-width="2" fill="none"/>')
    parts.append("</svg>")
    return "".join(parts)


def refusals(days: list[tuple[str, int]]) -> str:
    """A bar per day: how many pushes, commands and deploys were refused."""
    if not days:
        return ""
    width, height, bottom, left = 640, 170, 140, 34
    top = max(n for _, n in days) or 1
    step = (width - left - 8) / len(days)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}"><title>refusals per day, {escape(days[0][0])} to '
             f'{escape(days[-1][0])}: {sum(n for _, n in days)} in all</title>',
             f'<line x1="{left}" y1="{bottom}" x2="{width - 4}" y2="{bottom}" stroke="#8c959f"/>',
             f'<text x="{left - 6}" y="{bottom - 120 + 4}" font-size="11" text-anchor="end" '
             f'font-family="sans-serif">{top}</text>',
             f'<text x="{left - 6}" y="{bottom + 4}" font-size="11" text-anchor="end" font-family="sans-serif">0</text>']
    for i, (day, n) in enumerate(days):
        h = round(120 * n / top)
        x = left + i * step + 1
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{bottom - h}" width="{max(step - 2, 1):.1f}" height="{h}" '
                     f'fill="#cf222e"><title>{escape(day)}: {n}</title></rect>')
        if i in (0, len(days) // 2, len(days) - 1):
            anchor, at = ("end", x + step - 2) if i == len(days) - 1 else ("start", x)
            parts.append(f'<text x="{at:.1f}" y="{bottom + 16}" font-size="11" text-anchor="{anchor}" '
                         f'font-family="sans-serif">{escape(day[5:])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def escape(text: str) -> str:
    """Text for SVG: control and bidi characters shown as escapes, then HTML-escaped."""
    return _html(_visible(text))


def _state(live: dict[str, Any] | None, latest: dict[str, Any] | None) -> str:
    if latest and latest["outcome"] == "running":
        return "running"
    if latest and latest["outcome"] in ("failed", "interrupted") and (not live or latest["deployment"] !=
                                                                       live["deployment"]):
        return "failed"
    return "ok" if live else "none"


def _health(live: dict[str, Any] | None, latest: dict[str, Any] | None, state: str) -> str:
    if state == "running":
        return f"deploying {latest['tag']}" if latest else "deploying"
    if state == "failed" and latest:
        return f"last deploy {latest['outcome']}: {latest['tag']}"
    if live:
        return f"health {live['health']}" if live["health"] else "health not checked"
    return ""


def _when(stamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp)) if stamp else ""


def _fit(text: str, most: int = 30) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"
