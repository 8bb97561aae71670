"""A survey question's answers as horizontal bars: one row per answer, one bar per group (the share of the
group's responding municipalities that gave it), the share written at the end of each bar so colour never
carries the meaning alone. The caller passes the words already translated and renders the table of the same
numbers beside the chart; withheld groups are never passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from bettercities.figures.svg import GRID, INK, MUTED

__all__ = ["PALETTE", "AnswerBars", "BarWords", "answer_chart"]

#: Colour-blind-safe (Okabe-Ito) colours of the groups, in order.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000")


@dataclass(frozen=True)
class AnswerBars:
    """One answer: its label and, per group, (group label, share 0..1, count)."""

    label: str
    values: list[tuple[str, float, int]]


@dataclass(frozen=True)
class BarWords:
    title: str
    description: str


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def answer_chart(
    rows: Sequence[AnswerBars], *, words: BarWords, id_prefix: str = "answers", width: float = 640.0
) -> str:
    """The chart as a standalone ``<svg>`` (``role="img"``, ``<title>``, ``<desc>``)."""
    groups = [label for label, _share, _count in rows[0].values] if rows else []
    label_w, right, top, bar_h, gap = 190.0, 60.0, 12.0, 12.0, 8.0
    legend_h = 18.0 * len(groups) if len(groups) > 1 else 0.0
    row_h = bar_h * max(len(groups), 1) + gap
    height = top + row_h * len(rows) + 22.0 + legend_h
    span = width - label_w - right

    def x(share: float) -> float:
        return label_w + span * max(0.0, min(share, 1.0))

    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" class="answer-chart" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" '
        f'role="img" aria-labelledby="{id_prefix}-title {id_prefix}-desc" font-family="sans-serif" '
        f'font-size="11" fill="{INK}">',
        f'<title id="{id_prefix}-title">{escape(words.title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(words.description)}</desc>',
        '<g class="grid">',
    ]
    bottom = top + row_h * len(rows)
    for tick in (0.0, 0.5, 1.0):
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="{top - 4:.1f}" x2="{x(tick):.1f}" y2="{bottom:.1f}" '
            f'stroke="{GRID}"/>'
            f'<text x="{x(tick):.1f}" y="{bottom + 14:.1f}" text-anchor="middle" fill="{MUTED}">'
            f"{tick:.0%}</text>"
        )
    parts.append("</g>")
    for i, row in enumerate(rows):
        y0 = top + row_h * i
        parts.append(
            f'<g class="answer"><text x="{label_w - 8:.1f}" y="{y0 + row_h / 2:.1f}" text-anchor="end">'
            f"{escape(row.label)}</text>"
        )
        for j, (group, share, count) in enumerate(row.values):
            y = y0 + bar_h * j
            colour = PALETTE[j % len(PALETTE)]
            text = f"{row.label} · {group}: {share:.0%} ({count})"
            parts.append(
                f'<rect x="{label_w:.1f}" y="{y:.1f}" width="{x(share) - label_w:.1f}" '
                f'height="{bar_h - 2:.1f}" fill="{colour}" tabindex="0" aria-label="{_attr(text)}">'
                f"<title>{escape(text)}</title></rect>"
                f'<text x="{x(share) + 4:.1f}" y="{y + bar_h - 3:.1f}" fill="{MUTED}">{share:.0%}</text>'
            )
        parts.append("</g>")
    if len(groups) > 1:
        parts.append('<g class="legend">')
        for j, group in enumerate(groups):
            y = bottom + 24 + 18 * j
            parts.append(
                f'<rect x="{label_w:.1f}" y="{y:.1f}" width="10" height="10" '
                f'fill="{PALETTE[j % len(PALETTE)]}"/>'
                f'<text x="{label_w + 16:.1f}" y="{y + 9:.1f}">{escape(group)}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
