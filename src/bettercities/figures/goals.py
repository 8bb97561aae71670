"""The chart of a goal: the group's values over time with the baseline marked, the straight trajectory from
the baseline to the target at the deadline, the target as a line and as a point at the deadline, and the
city total for comparison, as one standalone ``<svg>``.

The x axis is time (each period at its last day, the deadline at its date), so the trajectory is the straight
line the status is judged against (``goals.status``) and a goal whose deadline lies years after its latest
data shows the distance still to go. The chart carries ``role="img"``, a ``<title>`` and a ``<desc>`` that
says the same in words; every point has a ``<title>`` (its hover text); the page puts a table of the same
numbers beside it. Lines differ by dash pattern as well as colour, and the legend names each, so nothing is
told by colour alone.

It takes a typed result (:class:`~bettercities.goals.schemas.GoalSeries`), a number formatter and the words in
the reader's language (:class:`ChartWords`; the caller translates them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

from bettercities.figures.svg import CITY_COLOUR, GRID, INK, MUTED, Formatter, nice_ticks
from bettercities.goals.schemas import GoalSeries

__all__ = ["GROUP_COLOUR", "TARGET_COLOUR", "TRAJECTORY_COLOUR", "ChartWords", "goal_chart"]

#: Okabe-Ito blue for the group, vermillion for the target, bluish green for the trajectory; the city grey.
GROUP_COLOUR = "#0072b2"
TARGET_COLOUR = "#d55e00"
TRAJECTORY_COLOUR = "#009e73"


@dataclass(frozen=True)
class ChartWords:
    """The chart's words in the reader's language."""

    title: str
    description: str
    group: str  # the goal's areas
    baseline: str
    trajectory: str
    target: str
    city: str


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def goal_chart(
    series: GoalSeries,
    *,
    fmt: Formatter,
    words: ChartWords,
    width: int = 640,
    height: int = 260,
    compact: bool = False,
    id_prefix: str = "goal-chart",
) -> str:
    """The chart of ``series``; ``compact`` draws a small chart without axes and legend (the scorecard's),
    whose ``<desc>`` still says everything it shows.

    Nothing is drawn of a value the viewer may not see: a withheld baseline has no marker and no trajectory
    (the line would reveal it), a withheld period is a gap in the group's line.
    """
    baseline_point = next((p for p in series.points if p.period == series.baseline.period), None)
    baseline_value = series.baseline.value
    baseline_day = baseline_point.end_date if baseline_point is not None else None
    days = [p.end_date for p in series.points] + [series.deadline]
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    values = [series.target_value]
    values += [v for p in series.points for v in (p.value, p.city_total) if v is not None]
    if baseline_value is not None:
        values.append(baseline_value)
    legend_rows = 0 if compact else 4 + (any(p.city_total is not None for p in series.points))
    row_h = 20
    legend_h = 8 + row_h * legend_rows if legend_rows else 0
    left, right, top, bottom = (6, 10, 8, 8) if compact else (64, 24, 16, 36)
    ticks = nice_ticks(min(values), max(values))
    low, high = (ticks[0], ticks[-1]) if ticks and not compact else (min(values), max(values))
    if high == low:
        low, high = low - 1, high + 1
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(day: date) -> float:
        return left + plot_w * (day - first).days / span

    def y(value: float) -> float:
        return top + plot_h * (1 - (value - low) / (high - low))

    size = f'width="{width}" height="{height + legend_h}"'
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart goal-chart{" spark" if compact else ""}" '
        f'viewBox="0 0 {width} {height + legend_h}" {size} role="img" '
        f'aria-labelledby="{id_prefix}-title {id_prefix}-desc">',
        f'<title id="{id_prefix}-title">{escape(words.title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(words.description)}</desc>',
    ]
    if not compact:
        for tick in ticks:
            parts.append(
                f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                f'stroke="{GRID}"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" '
                f'font-size="12" fill="{MUTED}">{escape(fmt(tick))}</text>'
            )
        labelled = [(p.end_date, p.period) for p in series.points]
        labelled.append((series.deadline, series.deadline.isoformat()))
        step = max(1, -(-len(labelled) // 8))
        shown = [item for i, item in enumerate(labelled) if i % step == 0 or i == len(labelled) - 1]
        previous = -1e9
        for day, text in shown:
            if x(day) - previous < 40:  # the deadline close to the last period: one label is enough
                continue
            previous = x(day)
            anchor = "end" if x(day) > width - right - 30 else "middle"  # the deadline stays inside
            parts.append(
                f'<text x="{x(day):.1f}" y="{height - 12}" text-anchor="{anchor}" font-size="12" '
                f'fill="{MUTED}">{escape(text)}</text>'
            )
    stroke = 1.5 if compact else 2.5
    radius = 2.5 if compact else 3.5

    # the target: a dotted horizontal line and the point at the deadline
    target_y = y(series.target_value)
    target_text = f"{words.target} {series.deadline.isoformat()}: {fmt(series.target_value)}"
    parts.append(
        f'<g class="target" data-label="{_attr(words.target)}">'
        f'<line x1="{left}" x2="{width - right}" y1="{target_y:.1f}" y2="{target_y:.1f}" '
        f'stroke="{TARGET_COLOUR}" stroke-width="1.5" stroke-dasharray="2 4"/>'
        f'<rect x="{x(series.deadline) - radius - 1:.1f}" y="{target_y - radius - 1:.1f}" '
        f'width="{2 * radius + 2:.1f}" height="{2 * radius + 2:.1f}" fill="{TARGET_COLOUR}" '
        f'transform="rotate(45 {x(series.deadline):.1f} {target_y:.1f})">'
        f"<title>{escape(target_text)}</title></rect></g>"
    )
    # the trajectory: baseline -> target at the deadline (not drawn when the baseline is withheld)
    if baseline_value is not None and baseline_day is not None:
        parts.append(
            f'<g class="trajectory" data-label="{_attr(words.trajectory)}">'
            f'<line x1="{x(baseline_day):.1f}" y1="{y(baseline_value):.1f}" x2="{x(series.deadline):.1f}" '
            f'y2="{target_y:.1f}" stroke="{TRAJECTORY_COLOUR}" stroke-width="{stroke}" '
            f'stroke-dasharray="8 4"/></g>'
        )
    # the city total (dashed grey) and the group (solid), gaps where a value is missing or withheld
    lines = [("city", words.city, CITY_COLOUR, ' stroke-dasharray="5 4"', "city_total")]
    lines.append(("group", words.group, GROUP_COLOUR, "", "value"))
    for css, label, colour, dash, field in lines:
        segments: list[list[str]] = [[]]
        dots = []
        for point in series.points:
            value = getattr(point, field)
            if value is None:
                segments.append([])
                continue
            px, py = x(point.end_date), y(value)
            segments[-1].append(f"{px:.1f},{py:.1f}")
            dots.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{radius}" fill="{colour}">'
                f"<title>{escape(f'{label} {point.period}: {fmt(value)}')}</title></circle>"
            )
        if not dots:
            continue
        parts.append(f'<g class="line {css}" data-label="{_attr(label)}">')
        parts.extend(
            f'<polyline points="{" ".join(segment)}" fill="none" stroke="{colour}" '
            f'stroke-width="{stroke}"{dash}/>'
            for segment in segments
            if len(segment) > 1
        )
        parts.extend(dots)
        parts.append("</g>")
    # the baseline: a ring around its point
    if baseline_value is not None and baseline_day is not None:
        text = f"{words.baseline} {series.baseline.period}: {fmt(baseline_value)}"
        parts.append(
            f'<g class="baseline" data-label="{_attr(words.baseline)}"><circle cx="{x(baseline_day):.1f}" '
            f'cy="{y(baseline_value):.1f}" r="{radius + 3}" fill="none" stroke="{INK}" stroke-width="2">'
            f"<title>{escape(text)}</title></circle></g>"
        )
    if legend_rows:
        parts.append(_legend(words, top=height + 4, row_h=row_h, city=legend_rows == 5))
    parts.append("</svg>")
    return "".join(parts)


def _legend(words: ChartWords, *, top: int, row_h: int, city: bool) -> str:
    """One row per element: its line or marker and its name."""
    rows = [
        (words.group, f'<line x1="0" x2="28" stroke="{GROUP_COLOUR}" stroke-width="3"/>'),
        (words.baseline, f'<circle cx="14" r="6" fill="none" stroke="{INK}" stroke-width="2"/>'),
        (
            words.trajectory,
            f'<line x1="0" x2="28" stroke="{TRAJECTORY_COLOUR}" stroke-width="3" stroke-dasharray="8 4"/>',
        ),
        (
            words.target,
            f'<line x1="0" x2="28" stroke="{TARGET_COLOUR}" stroke-width="1.5" stroke-dasharray="2 4"/>'
            f'<rect x="10" y="-4" width="8" height="8" fill="{TARGET_COLOUR}" transform="rotate(45 14 0)"/>',
        ),
    ]
    if city:
        rows.append(
            (
                words.city,
                f'<line x1="0" x2="28" stroke="{CITY_COLOUR}" stroke-width="3" stroke-dasharray="5 4"/>',
            )
        )
    parts = [f'<g class="chart-legend" transform="translate(64 {top})">']
    for i, (label, mark) in enumerate(rows):
        parts.append(
            f'<g class="legend-row" data-label="{_attr(label)}" transform="translate(0 {8 + i * row_h})">'
            f'{mark}<text x="36" y="4" font-size="13" fill="{INK}">{escape(label)}</text></g>'
        )
    parts.append("</g>")
    return "".join(parts)
