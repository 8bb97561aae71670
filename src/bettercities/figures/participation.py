"""A chart of participation rates with their confidence intervals, one row per group, beside the overall rate
(the networks' participation analytics).

Each row is a dot (the rate) on a line (the interval); the overall rate is a dashed vertical line. A group
whose interval lies below it is marked by a downward triangle and its label says so, so colour never carries
the meaning alone. The caller passes every word already translated and renders the table of the same numbers
beside the chart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from bettercities.figures.svg import GRID, INK, MUTED, nice_ticks

__all__ = ["RateRow", "RateWords", "rate_chart"]

UNDER = "#b91c1c"
NORMAL = "#1d4ed8"


@dataclass(frozen=True)
class RateRow:
    """One group: its label, rate and interval (shares 0..1) and whether it is under-represented."""

    key: str
    label: str
    rate: float
    low: float
    high: float
    under: bool
    hover: str


@dataclass(frozen=True)
class RateWords:
    title: str
    description: str
    overall: str  # label of the dashed line, e.g. "All municipalities 0.3 %"
    under: str  # legend label of the under-represented mark


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def rate_chart(
    rows: Sequence[RateRow],
    overall: float,
    *,
    words: RateWords,
    fmt: Callable[[float], str],
    id_prefix: str = "rates",
    width: float = 640.0,
) -> str:
    """The chart as a standalone ``<svg>`` (``role="img"``, ``<title>``, ``<desc>``); ``fmt`` writes a share
    (0..1) as the reader reads a percentage."""
    label_w, right, top, row_h = 170.0, 24.0, 34.0, 18.0
    height = top + row_h * max(len(rows), 1) + 48.0
    upper = max([overall, *(r.high for r in rows)]) or 1.0
    ticks = [t for t in nice_ticks(0.0, upper, 4) if 0 <= t <= upper * 1.0001] or [0.0, upper]
    upper = max(upper, ticks[-1])

    def x(value: float) -> float:
        return label_w + (width - label_w - right) * (value / upper if upper else 0.0)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="rate-chart" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'role="img" aria-labelledby="{id_prefix}-title {id_prefix}-desc" font-family="sans-serif" '
        f'font-size="11" fill="{INK}">',
        f'<title id="{id_prefix}-title">{escape(words.title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(words.description)}</desc>',
        '<g class="grid">',
    ]
    bottom = top + row_h * len(rows)
    for t in ticks:
        parts.append(
            f'<line x1="{x(t):.1f}" y1="{top - 6:.1f}" x2="{x(t):.1f}" y2="{bottom:.1f}" stroke="{GRID}"/>'
            f'<text x="{x(t):.1f}" y="{bottom + 14:.1f}" text-anchor="middle" fill="{MUTED}">'
            f"{escape(fmt(t))}</text>"
        )
    parts.append("</g>")
    parts.append(
        f'<g class="overall"><line x1="{x(overall):.1f}" y1="{top - 10:.1f}" x2="{x(overall):.1f}" '
        f'y2="{bottom:.1f}" stroke="{INK}" stroke-dasharray="4 3"/>'
        f'<text x="{x(overall) + 4:.1f}" y="{top - 14:.1f}">{escape(words.overall)}</text></g>'
    )
    parts.append('<g class="rows">')
    for i, r in enumerate(rows):
        y = top + row_h * i + row_h / 2
        colour = UNDER if r.under else NORMAL
        mark = (
            f'<path d="M{x(r.rate) - 5:.1f},{y - 4:.1f} h10 l-5,8 z" fill="{colour}"/>'
            if r.under
            else f'<circle cx="{x(r.rate):.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>'
        )
        parts.append(
            f'<g class="rate" data-key="{_attr(r.key)}" data-under="{str(r.under).lower()}" tabindex="0" '
            f'aria-label="{_attr(r.hover)}"><title>{escape(r.hover)}</title>'
            f'<text x="{label_w - 8:.1f}" y="{y + 4:.1f}" text-anchor="end">{escape(r.label)}</text>'
            f'<line x1="{x(r.low):.1f}" y1="{y:.1f}" x2="{x(r.high):.1f}" y2="{y:.1f}" stroke="{colour}" '
            f'stroke-width="2"/>{mark}</g>'
        )
    parts.append("</g>")
    legend_y = bottom + 34
    parts.append(
        f'<g class="legend"><path d="M{label_w - 5:.1f},{legend_y - 8:.1f} h10 l-5,8 z" fill="{UNDER}"/>'
        f'<text x="{label_w + 10:.1f}" y="{legend_y:.1f}">{escape(words.under)}</text></g>'
    )
    parts.append("</svg>")
    return "".join(parts)
