"""A chart of several series (one line per area, e.g. on the comparison page) with its legend and a
description, as one standalone ``<svg>``.

The plot is :func:`bettercities.figures.svg.line_chart` (shared axes, gaps where a value is missing or
withheld); this module adds what a chart with many lines needs: a colour per line from a palette that stays
distinguishable for colour-blind readers (Okabe & Ito, 2008, https://jfly.uni-koeln.de/color/), a dashed
reference line, a legend below the plot and a ``<desc>`` for screen readers (the page adds a table of the
same numbers).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bettercities.figures.svg import CITY_COLOUR, INK, Formatter, Line, line_chart
from bettercities.indicators.schemas import Series

__all__ = ["PALETTE", "lines_for", "series_chart"]

#: Okabe-Ito colours, black left out (it is the text colour).
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#f0e442")


def lines_for(
    series: Sequence[tuple[str, Series]], *, reference: tuple[str, Series] | None = None
) -> list[Line]:
    """One line per ``(label, series)`` in palette order, and the ``reference`` (the city) dashed and grey."""
    lines = [
        Line(label=label, series=one, colour=PALETTE[i % len(PALETTE)])
        for i, (label, one) in enumerate(series)
    ]
    if reference is not None:
        lines.append(Line(label=reference[0], series=reference[1], colour=CITY_COLOUR, dashed=True))
    return lines


def series_chart(
    lines: Sequence[Line],
    *,
    fmt: Formatter,
    title: str,
    description: str,
    width: int = 640,
    height: int = 260,
    id_prefix: str = "series",
) -> str:
    """The lines on one chart, a legend row per line below it, ``title`` and ``description`` for assistive
    technology."""
    row_h = 22
    legend_h = 12 + row_h * len(lines)
    plot = line_chart(lines, fmt=fmt, title=title, width=width, height=height)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart series-chart" viewBox="0 0 {width} '
        f'{height + legend_h}" width="{width}" height="{height + legend_h}" role="img" '
        f'aria-labelledby="{id_prefix}-title {id_prefix}-desc">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(description)}</desc>',
        plot.replace("<svg ", f'<svg x="0" y="0" aria-hidden="true" id="{id_prefix}-plot" ', 1).replace(
            ' role="img"', "", 1
        ),
        f'<g class="chart-legend" transform="translate(64 {height + 4})">',
    ]
    for i, line in enumerate(lines):
        y = 8 + i * row_h
        dash = ' stroke-dasharray="5 4"' if line.dashed else ""
        parts.append(
            f'<g class="legend-line" data-label="{escape(line.label, quote=True)}">'
            f'<line x1="0" x2="28" y1="{y}" y2="{y}" stroke="{line.colour}" stroke-width="3"{dash}/>'
            f'<text x="36" y="{y + 4}" font-size="13" fill="{INK}">{escape(line.label)}</text></g>'
        )
    parts.append("</g></svg>")
    return "".join(parts)
