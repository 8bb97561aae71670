"""Charts and maps as SVG text, drawn on the server: choropleth, legend, locator, line chart, histogram.

Every function takes typed results (numbers computed elsewhere in the library) and a ``fmt`` callable that
formats a number for the reader's language, and returns a standalone ``<svg>`` element as a string. The
drawings work without scripts and CSS, carry ``role="img"`` with a ``<title>``, and give every area a
``<title>`` (the hover text) and, on maps, a keyboard-focusable link.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from bettercities.figures.classes import Classification
from bettercities.figures.schemas import ChoroplethData, HistogramBin, MapArea
from bettercities.figures.shapes import LevelShapes
from bettercities.indicators.schemas import Series

Formatter = Callable[[float], str]

INK = "#1f2933"
MUTED = "#52606d"
GRID = "#d9dee3"
CITY_COLOUR = "#52606d"
AREA_COLOUR = "#c2410c"


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _hatch(pattern_id: str) -> str:
    return (
        f'<pattern id="{pattern_id}" patternUnits="userSpaceOnUse" width="8" height="8" '
        'patternTransform="rotate(45)"><rect width="8" height="8" fill="#ececec"/>'
        '<line x1="0" y1="0" x2="0" y2="8" stroke="#9aa5b1" stroke-width="2.5"/></pattern>'
    )


# -- maps --------------------------------------------------------------------------------------------------


def choropleth(
    shapes: LevelShapes,
    data: ChoroplethData,
    *,
    title: str,
    hover: Callable[[MapArea], str],
    href: Callable[[MapArea], str] | None = None,
    id_prefix: str = "map",
) -> str:
    """A map with one ``<path class="area">`` per area that has a geometry, filled by its class."""
    hatch = f"{id_prefix}-nodata"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="choropleth" viewBox="{shapes.view_box}" '
        f'role="img" aria-labelledby="{id_prefix}-title" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f"<defs>{_hatch(hatch)}</defs>",
        '<g class="areas" stroke="#ffffff" stroke-width="0.8" stroke-linejoin="round">',
    ]
    for area in data.areas:
        path = shapes.paths.get(area.code)
        if not path:
            continue
        fill = area.fill if area.class_index is not None else f"url(#{hatch})"
        text = escape(hover(area))
        shape = (
            f'<path class="area" d="{path}" fill="{_attr(fill)}" fill-rule="evenodd" '
            f'data-code="{_attr(area.code)}"><title>{text}</title></path>'
        )
        if href is not None:
            shape = f'<a href="{_attr(href(area))}" aria-label="{_attr(hover(area))}">{shape}</a>'
        parts.append(shape)
    parts.append("</g></svg>")
    return "".join(parts)


def locator(outlines: LevelShapes, highlight: str | None, *, title: str, id_prefix: str = "locator") -> str:
    """A small map: the outlines of a coarse level, and one area (a path in the same frame) highlighted."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="locator" viewBox="{outlines.view_box}" '
        f'role="img" aria-labelledby="{id_prefix}-title">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        '<g fill="#eef1f4" stroke="#9aa5b1" stroke-width="2">',
    ]
    parts.extend(f'<path d="{outlines.paths[code]}"/>' for code in outlines.order)
    parts.append("</g>")
    if highlight:
        parts.append(
            f'<path class="highlight" d="{highlight}" fill="{AREA_COLOUR}" stroke="{INK}" stroke-width="3" '
            'fill-rule="evenodd"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def legend(
    classification: Classification,
    *,
    fmt: Formatter,
    title: str,
    no_data_label: str,
    suppressed_label: str | None = None,
    unit: str = "",
    id_prefix: str = "legend",
) -> str:
    """The class breaks with their colours and counts, and the entry for areas without a value."""
    row_h, swatch = 24, 18
    rows = len(classification.classes) + (1 if classification.no_data_count else 0)
    height = 30 + row_h * max(rows, 1)
    width = 300
    hatch = f"{id_prefix}-nodata"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="legend" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{id_prefix}-title">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f"<defs>{_hatch(hatch)}</defs>",
        f'<text x="0" y="16" font-size="14" font-weight="600" fill="{INK}">{escape(title)}</text>',
    ]
    suffix = f" {unit}" if unit and unit != "%" else unit
    y = 30
    for cls in classification.classes:
        label = f"{fmt(cls.lower)} – {fmt(cls.upper)}{suffix}"
        parts.append(
            f'<g class="legend-class"><rect x="0" y="{y}" width="{swatch}" height="{swatch}" '
            f'fill="{_attr(cls.colour)}" stroke="{MUTED}" stroke-width="0.5"/>'
            f'<text x="{swatch + 8}" y="{y + 14}" font-size="13" fill="{INK}">{escape(label)}'
            f'<tspan fill="{MUTED}"> ({cls.count})</tspan></text></g>'
        )
        y += row_h
    if classification.no_data_count:
        label = no_data_label if suppressed_label is None else f"{no_data_label} / {suppressed_label}"
        parts.append(
            f'<g class="legend-nodata"><rect x="0" y="{y}" width="{swatch}" height="{swatch}" '
            f'fill="url(#{hatch})" stroke="{MUTED}" stroke-width="0.5"/>'
            f'<text x="{swatch + 8}" y="{y + 14}" font-size="13" fill="{INK}">{escape(label)}'
            f'<tspan fill="{MUTED}"> ({classification.no_data_count})</tspan></text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


# -- charts ------------------------------------------------------------------------------------------------


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values covering [low, high] (steps of 1, 2 or 5 × 10^n)."""
    if not math.isfinite(low) or not math.isfinite(high):
        return []
    if high == low:
        high, low = high + (abs(high) or 1) * 0.5, low - (abs(low) or 1) * 0.5
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 0.5:
        ticks.append(round(value, 10))
        value += step
        if len(ticks) > 20:
            break
    return ticks


@dataclass(frozen=True)
class Line:
    """One series on a chart."""

    label: str
    series: Series
    colour: str
    dashed: bool = False


def line_chart(
    lines: Sequence[Line],
    *,
    fmt: Formatter,
    title: str,
    width: int = 640,
    height: int = 240,
    compact: bool = False,
    suppressed_label: str = "suppressed",
) -> str:
    """Time series on a shared x axis of periods; gaps where a value is missing or withheld."""
    periods: list[str] = []
    for line in lines:
        for p in line.series.points:
            if p.period not in periods:
                periods.append(p.period)
    periods.sort()
    values = [p.value for line in lines for p in line.series.points if p.value is not None]
    left, right, top, bottom = (8, 8, 8, 8) if compact else (64, 16, 16, 36)
    size = "" if compact else f' width="{width}" height="{height}"'
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart{" spark" if compact else ""}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_attr(title)}"{size}>',
        f"<title>{escape(title)}</title>",
    ]
    if not values or not periods:
        parts.append("</svg>")
        return "".join(parts)
    ticks = nice_ticks(min(values), max(values))
    low, high = (ticks[0], ticks[-1]) if ticks and not compact else (min(values), max(values))
    if high == low:
        low, high = low - 1, high + 1
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (plot_w * i / (len(periods) - 1) if len(periods) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - low) / (high - low))

    if not compact:
        for t in ticks:
            parts.append(
                f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="{GRID}"/>'
                f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end" font-size="12" fill="{MUTED}">'
                f"{escape(fmt(t))}</text>"
            )
        step = max(1, math.ceil(len(periods) / 8))
        for i, period in enumerate(periods):
            if i % step == 0 or i == len(periods) - 1:
                parts.append(
                    f'<text x="{x(i):.1f}" y="{height - 12}" text-anchor="middle" font-size="12" '
                    f'fill="{MUTED}">{escape(period)}</text>'
                )
    position = {p: i for i, p in enumerate(periods)}
    for line in lines:
        segments: list[list[str]] = [[]]
        dots = []
        for p in line.series.points:
            if p.value is None:
                segments.append([])
                continue
            px, py = x(position[p.period]), y(p.value)
            segments[-1].append(f"{px:.1f},{py:.1f}")
            label = f"{line.label} {p.period}: {fmt(p.value)}"
            dots.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{2.5 if compact else 3.5}" fill="{line.colour}">'
                f"<title>{escape(label)}</title></circle>"
            )
        dash = ' stroke-dasharray="5 4"' if line.dashed else ""
        stroke = 1.5 if compact else 2.5
        parts.append(f'<g class="line" data-label="{_attr(line.label)}">')
        parts.extend(
            f'<polyline points="{" ".join(seg)}" fill="none" stroke="{line.colour}" '
            f'stroke-width="{stroke}"{dash} vector-effect="non-scaling-stroke"/>'
            for seg in segments
            if len(seg) > 1
        )
        parts.extend(dots)
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def histogram(
    bins: Sequence[HistogramBin],
    *,
    fmt: Formatter,
    title: str,
    count_label: str,
    marker: float | None = None,
    marker_label: str = "",
    width: int = 640,
    height: int = 220,
) -> str:
    """Bars of area counts per value bin, coloured like the map classes; an optional marker line."""
    left, right, top, bottom = 48, 16, 16, 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="histogram" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_attr(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    if not bins:
        parts.append("</svg>")
        return "".join(parts)
    low, high = bins[0].lower, bins[-1].upper
    top_count = max(b.count for b in bins) or 1
    ticks = [t for t in nice_ticks(0, top_count, 3) if t == int(t)]
    top_count = int(max(ticks[-1] if ticks else top_count, top_count))
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(v: float) -> float:
        return left + plot_w * (v - low) / ((high - low) or 1)

    def y(c: float) -> float:
        return top + plot_h * (1 - c / top_count)

    for t in ticks:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end" font-size="12" fill="{MUTED}">'
            f"{int(t)}</text>"
        )
    for b in bins:
        x0, x1 = x(b.lower), x(b.upper)
        label = f"{fmt(b.lower)} – {fmt(b.upper)}: {b.count} {count_label}"
        parts.append(
            f'<rect class="bin" x="{x0 + 0.5:.1f}" y="{y(b.count):.1f}" width="{max(x1 - x0 - 1, 0.5):.1f}" '
            f'height="{y(0) - y(b.count):.1f}" fill="{_attr(b.colour)}" stroke="{MUTED}" stroke-width="0.5">'
            f"<title>{escape(label)}</title></rect>"
        )
    for value in (low, high):
        anchor = "start" if value == low else "end"
        parts.append(
            f'<text x="{x(value):.1f}" y="{height - 14}" text-anchor="{anchor}" font-size="12" '
            f'fill="{MUTED}">{escape(fmt(value))}</text>'
        )
    if marker is not None and low <= marker <= high:
        parts.append(
            f'<line x1="{x(marker):.1f}" x2="{x(marker):.1f}" y1="{top}" y2="{y(0):.1f}" stroke="{INK}" '
            f'stroke-width="2" stroke-dasharray="4 3"><title>{escape(marker_label)}: {escape(fmt(marker))}'
            "</title></line>"
            f'<text x="{x(marker):.1f}" y="{top + 10}" text-anchor="middle" font-size="12" fill="{INK}">'
            f"{escape(marker_label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
