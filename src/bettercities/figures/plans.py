"""A plan's timeline as SVG: one bar per action from its start to its end over the plan's period (a Gantt
chart without scripts), its milestones as diamonds, a line for today, years on the axis. The action table of
the page is the chart's text alternative."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from html import escape

from bettercities.plans.schemas import ActionOut, ActionStatus

__all__ = ["STATUS_COLOURS", "timeline"]

#: Bar colour of each action status (distinguishable without colour through the hover text and the table).
STATUS_COLOURS = {
    ActionStatus.PLANNED: "#9aa5b1",
    ActionStatus.IN_PROGRESS: "#2563eb",
    ActionStatus.DONE: "#15803d",
    ActionStatus.DELAYED: "#c2410c",
    ActionStatus.DROPPED: "#d9dee3",
}
INK = "#1f2933"
MUTED = "#52606d"
GRID = "#d9dee3"


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def timeline(
    actions: Sequence[ActionOut],
    *,
    start: date,
    end: date,
    today: date,
    title: str,
    status_label: Callable[[ActionStatus], str],
    fmt_date: Callable[[date], str],
    width: int = 760,
    label_width: int = 220,
) -> str:
    """Bars of the actions that have a start or an end (an open side runs to the plan's edge), in the order
    given; ``status_label`` names a status in the reader's language, ``fmt_date`` writes a date."""
    dated = [a for a in actions if a.start is not None or a.end is not None]
    first = min([start, *(a.start for a in dated if a.start is not None)])
    last = max([end, *(a.end for a in dated if a.end is not None)])
    span = max((last - first).days, 1)
    row, top, bottom = 22, 8, 28
    height = top + bottom + row * max(len(dated), 1)
    plot = width - label_width - 8

    def x(day: date) -> float:
        return label_width + plot * (day - first).days / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart timeline" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{_attr(title)}" width="{width}" height="{height}">',
        f"<title>{escape(title)}</title>",
    ]
    for year in range(first.year, last.year + 2):
        tick = date(year, 1, 1)
        if first <= tick <= last:
            parts.append(
                f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top}" y2="{height - bottom}" '
                f'stroke="{GRID}"/>'
                f'<text x="{x(tick):.1f}" y="{height - 10}" text-anchor="middle" font-size="12" '
                f'fill="{MUTED}">{year}</text>'
            )
    for i, action in enumerate(dated):
        y = top + i * row
        left = x(action.start or first)
        right = x(action.end or last)
        label = action.title if len(action.title) <= 32 else action.title[:31] + "…"
        begins = fmt_date(action.start) if action.start else "…"
        ends = fmt_date(action.end) if action.end else "…"
        when = f"{begins} – {ends}"
        hover = f"{action.title}: {when}, {status_label(action.status)}"
        parts.append(f'<g class="bar" data-action="{action.id}" data-status="{action.status.value}">')
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" font-size="12" fill="{INK}">'
            f"{escape(label)}</text>"
        )
        outline = ' stroke="#c2410c" stroke-width="2"' if action.overdue else ""
        parts.append(
            f'<rect x="{left:.1f}" y="{y + 4}" width="{max(right - left, 2):.1f}" height="{row - 8}" rx="3" '
            f'fill="{STATUS_COLOURS[action.status]}"{outline}><title>{escape(hover)}</title></rect>'
        )
        for milestone in action.milestones:
            mx, my = x(milestone.due), y + row / 2
            parts.append(
                f'<path d="M{mx:.1f} {my - 6:.1f} L{mx + 6:.1f} {my:.1f} L{mx:.1f} {my + 6:.1f} '
                f'L{mx - 6:.1f} {my:.1f} Z" fill="{INK}"><title>{escape(milestone.title)}: '
                f"{escape(fmt_date(milestone.due))}</title></path>"
            )
        parts.append("</g>")
    if first <= today <= last:
        parts.append(
            f'<line class="today" x1="{x(today):.1f}" x2="{x(today):.1f}" y1="{top}" y2="{height - bottom}" '
            f'stroke="{INK}" stroke-dasharray="4 3"/>'
        )
    parts.append("</svg>")
    return "".join(parts)
