"""SVG drawings of categories: a map coloured by category (LISA clusters, hot spots, types, priority areas),
its legend, a scatter plot with a fitted line (Moran scatter plot) and a profile chart (cluster means).

Like :mod:`bettercities.figures.svg`, every function takes numbers computed elsewhere and returns a standalone
``<svg>`` string with ``role="img"`` and a ``<title>``; every mark has a ``<title>`` as hover text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from bettercities.figures.shapes import LevelShapes
from bettercities.figures.svg import GRID, INK, MUTED, Formatter, _attr, _hatch, nice_ticks

__all__ = ["Category", "ProfileLine", "categorical_map", "category_legend", "profile_chart", "scatter_plot"]


@dataclass(frozen=True)
class Category:
    """One category of a categorical map: its code (drawn as ``data-category``), label, colour and count."""

    code: str
    label: str
    colour: str
    count: int = 0


def categorical_map(
    shapes: LevelShapes,
    categories: Mapping[str, str | None],
    legend: Sequence[Category],
    *,
    title: str,
    hover: Callable[[str], str],
    href: Callable[[str], str] | None = None,
    id_prefix: str = "catmap",
) -> str:
    """A map with one ``<path class="area" data-category=…>`` per area with a geometry.

    ``categories`` maps area codes to a category code (``None`` or a missing code: hatched, no data).
    """
    colours = {c.code: c.colour for c in legend}
    hatch = f"{id_prefix}-nodata"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="choropleth categorical" viewBox="{shapes.view_box}" '
        f'role="img" aria-labelledby="{id_prefix}-title" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f"<defs>{_hatch(hatch)}</defs>",
        '<g class="areas" stroke="#ffffff" stroke-width="0.8" stroke-linejoin="round">',
    ]
    for code in shapes.order:
        category = categories.get(code)
        fill = colours.get(category, f"url(#{hatch})") if category is not None else f"url(#{hatch})"
        text = hover(code)
        shape = (
            f'<path class="area" d="{shapes.paths[code]}" fill="{_attr(fill)}" fill-rule="evenodd" '
            f'data-code="{_attr(code)}" data-category="{_attr(category or "")}"><title>{escape(text)}</title>'
            "</path>"
        )
        if href is not None:
            shape = f'<a href="{_attr(href(code))}" aria-label="{_attr(text)}">{shape}</a>'
        parts.append(shape)
    parts.append("</g></svg>")
    return "".join(parts)


def category_legend(legend: Sequence[Category], *, title: str, id_prefix: str = "catlegend") -> str:
    """Swatches with labels and counts, one ``<g class="legend-class" data-category=…>`` per category."""
    row_h, swatch, width = 24, 18, 300
    height = 30 + row_h * max(len(legend), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="legend" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{id_prefix}-title">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<text x="0" y="16" font-size="14" font-weight="600" fill="{INK}">{escape(title)}</text>',
    ]
    y = 30
    for cat in legend:
        parts.append(
            f'<g class="legend-class" data-category="{_attr(cat.code)}" data-count="{cat.count}">'
            f'<rect x="0" y="{y}" width="{swatch}" height="{swatch}" fill="{_attr(cat.colour)}" '
            f'stroke="{MUTED}" stroke-width="0.5"/><text x="{swatch + 8}" y="{y + 14}" font-size="13" '
            f'fill="{INK}">{escape(cat.label)}<tspan fill="{MUTED}"> ({cat.count})</tspan></text></g>'
        )
        y += row_h
    parts.append("</svg>")
    return "".join(parts)


def _scale(low: float, high: float, start: float, end: float) -> Callable[[float], float]:
    span = (high - low) or 1.0
    return lambda v: start + (v - low) / span * (end - start)


def scatter_plot(
    points: Sequence[tuple[float, float, str, str]],
    *,
    slope: float,
    fmt: Formatter,
    title: str,
    x_label: str,
    y_label: str,
    id_prefix: str = "scatter",
) -> str:
    """Points ``(x, y, colour, hover)`` with quadrant axes at 0 and the line ``y = slope * x`` through 0.

    The Moran scatter plot (Anselin 1996) plots standardised values against their spatial lag; the slope of
    the least-squares line through the origin is Moran's I.
    """
    width, height, left, right, top, bottom = 420, 380, 52, 16, 28, 48
    xs = [p[0] for p in points] or [0.0]
    ys = [p[1] for p in points] or [0.0]
    bound_x = max(abs(min(xs)), abs(max(xs)), 1.0)
    bound_y = max(abs(min(ys)), abs(max(ys)), 1.0)
    sx = _scale(-bound_x, bound_x, left, width - right)
    sy = _scale(-bound_y, bound_y, height - bottom, top)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="scatter" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{id_prefix}-title">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" '
        f'fill="none" stroke="{GRID}"/>',
        f'<line x1="{sx(0):.1f}" y1="{top}" x2="{sx(0):.1f}" y2="{height - bottom}" stroke="{MUTED}"/>',
        f'<line x1="{left}" y1="{sy(0):.1f}" x2="{width - right}" y2="{sy(0):.1f}" stroke="{MUTED}"/>',
    ]
    for tick in nice_ticks(-bound_x, bound_x):
        if -bound_x <= tick <= bound_x:
            parts.append(
                f'<text x="{sx(tick):.1f}" y="{height - bottom + 16}" font-size="11" text-anchor="middle" '
                f'fill="{MUTED}">{escape(fmt(tick))}</text>'
            )
    for tick in nice_ticks(-bound_y, bound_y):
        if -bound_y <= tick <= bound_y:
            parts.append(
                f'<text x="{left - 6}" y="{sy(tick) + 4:.1f}" font-size="11" text-anchor="end" '
                f'fill="{MUTED}">{escape(fmt(tick))}</text>'
            )
    parts.append('<g class="points" fill-opacity="0.85" stroke="#ffffff" stroke-width="0.5">')
    for x, y, colour, text in points:
        parts.append(
            f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3.5" fill="{_attr(colour)}">'
            f"<title>{escape(text)}</title></circle>"
        )
    parts.append("</g>")
    # the fitted line, clipped to the plot box
    x_end = min(bound_x, bound_y / abs(slope)) if slope else bound_x
    parts.append(
        f'<line class="fit" x1="{sx(-x_end):.1f}" y1="{sy(-slope * x_end):.1f}" x2="{sx(x_end):.1f}" '
        f'y2="{sy(slope * x_end):.1f}" stroke="{INK}" stroke-width="1.5"/>'
    )
    parts.append(
        f'<text x="{(left + width - right) / 2}" y="{height - 10}" font-size="12" text-anchor="middle" '
        f'fill="{INK}">{escape(x_label)}</text>'
        f'<text x="14" y="{(top + height - bottom) / 2}" font-size="12" text-anchor="middle" fill="{INK}" '
        f'transform="rotate(-90 14 {(top + height - bottom) / 2})">{escape(y_label)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class ProfileLine:
    """One profile (e.g. a cluster's mean z-scores) over the same ordered variables."""

    label: str
    colour: str
    values: Sequence[float]


def profile_chart(
    variables: Sequence[str],
    lines: Sequence[ProfileLine],
    *,
    fmt: Formatter,
    title: str,
    id_prefix: str = "profile",
) -> str:
    """Horizontal grouped bars: one group per variable, one bar per profile, a zero line in the middle."""
    bar_h, gap, left, right, top = 12, 10, 220, 24, 30
    group_h = bar_h * max(len(lines), 1) + gap
    width = 640
    height = top + group_h * len(variables) + 30
    values = [abs(v) for line in lines for v in line.values] or [1.0]
    bound = max(max(values), 0.5)
    sx = _scale(-bound, bound, left, width - right)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="profile" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{id_prefix}-title">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<line x1="{sx(0):.1f}" y1="{top - 6}" x2="{sx(0):.1f}" y2="{height - 26}" stroke="{MUTED}"/>',
    ]
    for tick in nice_ticks(-bound, bound):
        if -bound <= tick <= bound:
            parts.append(
                f'<text x="{sx(tick):.1f}" y="{height - 10}" font-size="11" text-anchor="middle" '
                f'fill="{MUTED}">{escape(fmt(tick))}</text>'
            )
    for v_index, variable in enumerate(variables):
        y0 = top + v_index * group_h
        parts.append(
            f'<text x="{left - 8}" y="{y0 + group_h / 2}" font-size="12" text-anchor="end" '
            f'fill="{INK}">{escape(variable)}</text>'
        )
        for l_index, line in enumerate(lines):
            value = line.values[v_index]
            x0, x1 = sorted((sx(0), sx(value)))
            parts.append(
                f'<rect x="{x0:.1f}" y="{y0 + l_index * bar_h}" width="{max(x1 - x0, 0.5):.1f}" '
                f'height="{bar_h - 2}" fill="{_attr(line.colour)}"><title>{escape(line.label)}: '
                f"{escape(fmt(value))}</title></rect>"
            )
    parts.append("</svg>")
    return "".join(parts)
