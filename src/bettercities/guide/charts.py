"""The guide's figures: horizontal bars of counts or shares, drawn as a standalone accessible SVG
(``role="img"``, ``<title>``, ``<desc>``; every bar with its value written beside it, so the numbers are read
without colour or hover). The numbers come from the data at build time (:mod:`bettercities.guide.service`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from bettercities.figures.svg import GRID, INK, MUTED

__all__ = ["Bar", "bar_chart"]

FILL = "#1d4ed8"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    description: str,
    fmt: Callable[[float], str],
    maximum: float | None = None,
    width: float = 600.0,
) -> str:
    """Bars from zero to each value (``maximum``: the axis end, e.g. 1 for shares; default the largest
    value), the label left, the value right of each bar."""
    label_w, value_w, top, row_h = 220.0, 70.0, 8.0, 22.0
    top_value = maximum if maximum is not None else max((b.value for b in bars), default=0.0)
    top_value = top_value or 1.0
    span = width - label_w - value_w
    height = top + row_h * len(bars) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bc-guide-chart" role="img" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'font-family="DejaVu Sans, sans-serif" font-size="12">',
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>",
        f'<line x1="{label_w}" y1="{top - 4}" x2="{label_w}" y2="{height - 4}" stroke="{GRID}"/>',
    ]
    for i, bar in enumerate(bars):
        y = top + i * row_h
        length = max(0.0, min(bar.value / top_value, 1.0)) * span
        label = bar.label if len(bar.label) <= 34 else bar.label[:33] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" fill="{INK}">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="{row_h - 8}" fill="{FILL}">'
            f"<title>{escape(bar.label)}: {escape(fmt(bar.value))}</title></rect>"
            f'<text x="{label_w + length + 4:.1f}" y="{y + 14}" fill="{MUTED}">'
            f"{escape(fmt(bar.value))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
