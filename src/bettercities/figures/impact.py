"""The charts of an impact estimate as standalone ``<svg>``: the counterfactual (observed against the estimate
without the measure, with its interval), the event study (effects by time since the start, with intervals
around zero), the placebo distribution (the treated unit's post/pre RMSPE ratio among its donors') and the
synthetic control's donor weights.

Each function takes typed results (:mod:`bettercities.impact.schemas`), a number formatter and the words in
the reader's language (the caller translates them), and returns a drawing that works without scripts and
CSS, with ``role="img"``, a ``<title>`` and a ``<desc>`` that says in words what it shows; every point or bar
has its own ``<title>`` (the hover text). Lines differ by dash pattern as well as colour and a legend names
each, so nothing is told by colour alone. Colours are Okabe & Ito's (2008), distinguishable for colour-blind
readers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from bettercities.figures.svg import GRID, INK, MUTED, Formatter, nice_ticks
from bettercities.impact.schemas import EventTimePoint, PlaceboResult, SeriesPoint

__all__ = [
    "COUNTERFACTUAL_COLOUR",
    "INTERVAL_COLOUR",
    "OBSERVED_COLOUR",
    "ChartWords",
    "CounterfactualWords",
    "counterfactual_chart",
    "event_study_chart",
    "placebo_chart",
    "weights_chart",
]

#: Okabe-Ito blue for what was observed, vermillion for the estimate without the measure; its interval a
#: light tint of the vermillion (a solid colour: PDF renderers differ in their handling of opacity).
OBSERVED_COLOUR = "#0072b2"
COUNTERFACTUAL_COLOUR = "#d55e00"
INTERVAL_COLOUR = "#f7d9c4"
PLACEBO_COLOUR = "#9aa5b1"


@dataclass(frozen=True)
class ChartWords:
    """A chart's title and its description in words (for screen readers and as the text alternative)."""

    title: str
    description: str


@dataclass(frozen=True)
class CounterfactualWords:
    """The counterfactual chart's words in the reader's language."""

    title: str
    description: str
    observed: str
    counterfactual: str
    interval: str
    start: str


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _open(css: str, width: int, height: int, words: ChartWords | CounterfactualWords, id_prefix: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{id_prefix}-title {id_prefix}-desc">'
        f'<title id="{id_prefix}-title">{escape(words.title)}</title>'
        f'<desc id="{id_prefix}-desc">{escape(words.description)}</desc>'
    )


def _scale(values: Sequence[float], *, include_zero: bool = False) -> tuple[list[float], float, float]:
    """Round ticks over ``values`` and the low and high end of the axis."""
    values = [*values, 0.0] if include_zero else list(values)
    ticks = nice_ticks(min(values), max(values))
    low, high = (ticks[0], ticks[-1]) if ticks else (min(values), max(values))
    if high == low:
        low, high = low - 1, high + 1
    return ticks, low, high


def _y_axis(ticks: Sequence[float], y: object, *, left: int, right: int, fmt: Formatter) -> list[str]:
    assert callable(y)
    return [
        f'<line x1="{left}" x2="{right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="{GRID}"/>'
        f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end" font-size="12" fill="{MUTED}">'
        f"{escape(fmt(t))}</text>"
        for t in ticks
    ]


def _x_labels(times: Sequence[int], x: object, *, bottom: float) -> list[str]:
    assert callable(x)
    step = max(1, -(-len(times) // 10))
    shown = [t for i, t in enumerate(times) if i % step == 0]
    if times[-1] != shown[-1]:
        if x(times[-1]) - x(shown[-1]) < 40:  # the last period close to the previous label: keep the last
            shown.pop()
        shown.append(times[-1])
    return [
        f'<text x="{x(t):.1f}" y="{bottom}" text-anchor="middle" font-size="12" fill="{MUTED}">'
        f"{str(t).replace('-', '−')}</text>"  # a real minus sign before the periods before the start
        for t in shown
    ]


def _legend(rows: Sequence[tuple[str, str]], *, left: int, top: int, row_h: int = 20) -> str:
    parts = [f'<g class="chart-legend" transform="translate({left} {top})">']
    for i, (label, mark) in enumerate(rows):
        parts.append(
            f'<g class="legend-row" data-label="{_attr(label)}" transform="translate(0 {8 + i * row_h})">'
            f'{mark}<text x="36" y="4" font-size="13" fill="{INK}">{escape(label)}</text></g>'
        )
    parts.append("</g>")
    return "".join(parts)


# -- the counterfactual ------------------------------------------------------------------------------------


def counterfactual_chart(
    series: Sequence[SeriesPoint],
    *,
    fmt: Formatter,
    words: CounterfactualWords,
    treatment_start: int | None = None,
    width: int = 640,
    height: int = 280,
    id_prefix: str = "counterfactual",
) -> str:
    """What was observed (solid) and the estimate without the measure (dashed) with its interval (a band),
    over time; a vertical line where the measure started (``treatment_start``, else the first treated point).
    """
    row_h = 20
    legend_h = 8 + row_h * 4
    parts = [_open("impact-counterfactual", width, height + legend_h, words, id_prefix)]
    points = sorted(series, key=lambda p: p.time)
    values = [v for p in points for v in (p.observed, p.counterfactual, p.ci_low, p.ci_high) if v is not None]
    if not points or not values:
        parts.append("</svg>")
        return "".join(parts)
    if treatment_start is None:
        treatment_start = next((p.time for p in points if p.treated), None)
    left, right, top, bottom = 64, 24, 24, 36
    ticks, low, high = _scale(values)
    times = [p.time for p in points]
    first, last = times[0], times[-1]
    span = max(last - first, 1)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(t: float) -> float:
        return left + plot_w * (t - first) / span

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - low) / (high - low))

    parts.extend(_y_axis(ticks, y, left=left, right=width - right, fmt=fmt))
    parts.extend(_x_labels(times, x, bottom=height - 12))
    # the interval: one band per run of points that have both ends
    runs: list[list[SeriesPoint]] = [[]]
    for p in points:
        if p.ci_low is None or p.ci_high is None:
            runs.append([])
        else:
            runs[-1].append(p)
    parts.append(f'<g class="interval" data-label="{_attr(words.interval)}">')
    for run in runs:
        if not run:
            continue
        if len(run) == 1:  # a single point: a short vertical bar
            p = run[0]
            assert p.ci_low is not None and p.ci_high is not None
            parts.append(
                f'<rect x="{x(p.time) - 3:.1f}" y="{y(p.ci_high):.1f}" width="6" '
                f'height="{max(y(p.ci_low) - y(p.ci_high), 0.5):.1f}" fill="{INTERVAL_COLOUR}"/>'
            )
            continue
        upper = [f"{x(p.time):.1f},{y(p.ci_high):.1f}" for p in run if p.ci_high is not None]
        lower = [f"{x(p.time):.1f},{y(p.ci_low):.1f}" for p in reversed(run) if p.ci_low is not None]
        parts.append(f'<polygon points="{" ".join(upper + lower)}" fill="{INTERVAL_COLOUR}"/>')
    parts.append("</g>")
    # the start of the measure
    if treatment_start is not None and first <= treatment_start <= last:
        before = [t for t in times if t < treatment_start]
        at = x((before[-1] + treatment_start) / 2) if before else x(treatment_start)
        parts.append(
            f'<g class="treatment-start" data-label="{_attr(words.start)}">'
            f'<line x1="{at:.1f}" x2="{at:.1f}" y1="{top - 8}" y2="{top + plot_h:.1f}" stroke="{INK}" '
            f'stroke-width="1.5" stroke-dasharray="2 3"><title>{escape(f"{words.start}: {treatment_start}")}'
            f'</title></line><text x="{at + 4:.1f}" y="{top - 10 + 12}" font-size="12" fill="{INK}">'
            f"{escape(words.start)}</text></g>"
        )
    for css, label, colour, dash, field in (
        ("counterfactual", words.counterfactual, COUNTERFACTUAL_COLOUR, ' stroke-dasharray="7 4"',
         "counterfactual"),
        ("observed", words.observed, OBSERVED_COLOUR, "", "observed"),
    ):  # fmt: skip
        segments: list[list[str]] = [[]]
        dots = []
        for p in points:
            value = getattr(p, field)
            if value is None:
                segments.append([])
                continue
            segments[-1].append(f"{x(p.time):.1f},{y(value):.1f}")
            text = f"{label} {p.time}: {fmt(value)}"
            if field == "counterfactual" and p.ci_low is not None and p.ci_high is not None:
                text += f" ({words.interval} {fmt(p.ci_low)} – {fmt(p.ci_high)})"
            dots.append(
                f'<circle cx="{x(p.time):.1f}" cy="{y(value):.1f}" r="3" fill="{colour}">'
                f"<title>{escape(text)}</title></circle>"
            )
        if not dots:
            continue
        parts.append(f'<g class="line {css}" data-label="{_attr(label)}">')
        parts.extend(
            f'<polyline points="{" ".join(seg)}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}/>'
            for seg in segments
            if len(seg) > 1
        )
        parts.extend(dots)
        parts.append("</g>")
    parts.append(
        _legend(
            [
                (words.observed, f'<line x1="0" x2="28" stroke="{OBSERVED_COLOUR}" stroke-width="3"/>'),
                (
                    words.counterfactual,
                    f'<line x1="0" x2="28" stroke="{COUNTERFACTUAL_COLOUR}" stroke-width="3" '
                    'stroke-dasharray="7 4"/>',
                ),
                (words.interval, f'<rect x="0" y="-7" width="28" height="14" fill="{INTERVAL_COLOUR}"/>'),
                (
                    words.start,
                    f'<line x1="14" x2="14" y1="-8" y2="8" stroke="{INK}" stroke-width="1.5" '
                    'stroke-dasharray="2 3"/>',
                ),
            ],
            left=left,
            top=height + 4,
            row_h=row_h,
        )
    )
    parts.append("</svg>")
    return "".join(parts)


# -- the event study ---------------------------------------------------------------------------------------


def event_study_chart(
    points: Sequence[EventTimePoint],
    *,
    fmt: Formatter,
    words: ChartWords,
    reference_label: str,
    width: int = 640,
    height: int = 240,
    id_prefix: str = "event-study",
) -> str:
    """The effect in each period relative to the start (event time 0 = the first treated period) with its
    interval as a whisker, a line at zero and one between the last period before and the first after the
    start. A point without a standard error (the reference period, fixed at zero) is drawn as a ring."""
    parts = [_open("impact-event-study", width, height, words, id_prefix)]
    points = sorted(points, key=lambda p: p.event_time)
    values = [v for p in points for v in (p.estimate, p.ci_low, p.ci_high) if v is not None]
    if not points:
        parts.append("</svg>")
        return "".join(parts)
    left, right, top, bottom = 64, 24, 16, 36
    ticks, low, high = _scale(values, include_zero=True)
    times = [p.event_time for p in points]
    first, last = times[0], times[-1]
    span = max(last - first, 1)
    pad = 12
    plot_w, plot_h = width - left - right - 2 * pad, height - top - bottom

    def x(t: float) -> float:
        return left + pad + plot_w * (t - first) / span

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - low) / (high - low))

    parts.extend(_y_axis(ticks, y, left=left, right=width - right, fmt=fmt))
    parts.extend(_x_labels(times, x, bottom=height - 12))
    parts.append(
        f'<line class="zero" x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
        f'stroke="{INK}" stroke-width="1.5"/>'
    )
    if first < 0 <= last:
        at = x(-0.5)
        parts.append(
            f'<line class="start" x1="{at:.1f}" x2="{at:.1f}" y1="{top}" y2="{top + plot_h}" '
            f'stroke="{MUTED}" stroke-width="1.5" stroke-dasharray="2 3"/>'
        )
    parts.append('<g class="points">')
    for p in points:
        px = x(p.event_time)
        interval = ""
        if p.ci_low is not None and p.ci_high is not None:
            interval = f" ({fmt(p.ci_low)} – {fmt(p.ci_high)})"
            parts.append(
                f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{y(p.ci_low):.1f}" y2="{y(p.ci_high):.1f}" '
                f'stroke="{OBSERVED_COLOUR}" stroke-width="2"/>'
            )
        reference = p.se is None and p.ci_low is None
        text = f"{p.event_time}: {fmt(p.estimate)}{interval}"
        if reference:
            text += f" – {reference_label}"
        fill = "#ffffff" if reference else OBSERVED_COLOUR
        css = ' class="reference"' if reference else ""
        parts.append(
            f'<circle{css} cx="{px:.1f}" cy="{y(p.estimate):.1f}" r="4" fill="{fill}" '
            f'stroke="{OBSERVED_COLOUR}" stroke-width="2"><title>{escape(text)}</title></circle>'
        )
    parts.append("</g></svg>")
    return "".join(parts)


# -- placebos ----------------------------------------------------------------------------------------------


def placebo_chart(
    treated_ratio: float,
    placebos: Sequence[PlaceboResult],
    *,
    fmt: Formatter,
    words: ChartWords,
    treated_label: str,
    placebo_label: str,
    width: int = 640,
    height: int = 220,
    id_prefix: str = "placebos",
) -> str:
    """One bar per unit, highest post/pre RMSPE ratio first: the treated unit's in blue with its name, each
    placebo's (the same estimate with a donor as if it had been treated) in grey. A treated bar far to the
    left of the grey ones is an effect the placebos rarely reach (the permutation p-value is its rank)."""
    row_h = 20
    parts = [_open("impact-placebos", width, height + 8 + row_h * 2, words, id_prefix)]
    bars = sorted(
        [(treated_label, treated_ratio, True), *((p.unit, p.ratio, False) for p in placebos)],
        key=lambda bar: -bar[1],
    )
    left, right, top, bottom = 64, 16, 16, 24
    ticks, low, high = _scale([b[1] for b in bars], include_zero=True)
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / len(bars)

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - low) / (high - low))

    parts.extend(_y_axis(ticks, y, left=left, right=width - right, fmt=fmt))
    parts.append('<g class="bars">')
    for i, (unit, ratio, treated) in enumerate(bars):
        colour = OBSERVED_COLOUR if treated else PLACEBO_COLOUR
        css = ' class="treated"' if treated else ""
        parts.append(
            f'<rect{css} x="{left + i * step + step * 0.1:.1f}" y="{min(y(ratio), y(0)):.1f}" '
            f'width="{max(step * 0.8, 0.5):.1f}" height="{max(abs(y(0) - y(ratio)), 0.5):.1f}" '
            f'fill="{colour}">'
            f"<title>{escape(f'{unit}: {fmt(ratio)}')}</title></rect>"
        )
        if treated:
            anchor = "start" if i < len(bars) / 2 else "end"
            parts.append(
                f'<text x="{left + (i + 0.5) * step:.1f}" y="{height - 6}" text-anchor="{anchor}" '
                f'font-size="12" fill="{INK}">{escape(unit)}</text>'
            )
    parts.append("</g>")
    parts.append(
        _legend(
            [
                (treated_label, f'<rect x="0" y="-7" width="28" height="14" fill="{OBSERVED_COLOUR}"/>'),
                (placebo_label, f'<rect x="0" y="-7" width="28" height="14" fill="{PLACEBO_COLOUR}"/>'),
            ],
            left=left,
            top=height + 4,
            row_h=row_h,
        )
    )
    parts.append("</svg>")
    return "".join(parts)


# -- donor weights -----------------------------------------------------------------------------------------


def weights_chart(
    weights: Mapping[str, float],
    *,
    fmt: Formatter,
    words: ChartWords,
    others_label: str,
    top: int = 10,
    width: int = 640,
    id_prefix: str = "weights",
) -> str:
    """The donors' weights in the synthetic control as a bar list, largest first: the ``top`` donors by name,
    the rest summed up as ``others_label`` (donors with a weight below 0.0005 are left out; they do not
    change the synthetic unit)."""
    ranked = sorted(((u, w) for u, w in weights.items() if w >= 0.0005), key=lambda item: (-item[1], item[0]))
    rows = ranked[:top]
    rest = sum(w for _, w in ranked[top:])
    if rest > 0:
        rows.append((others_label, rest))
    row_h, label_w = 24, 200
    height = 8 + row_h * max(len(rows), 1)
    parts = [_open("impact-weights", width, height, words, id_prefix)]
    bar_w = width - label_w - 80
    highest = max((w for _, w in rows), default=1.0) or 1.0
    for i, (unit, weight) in enumerate(rows):
        y = 4 + i * row_h
        length = max(bar_w * weight / highest, 0.5)
        parts.append(
            f'<g class="weight" data-unit="{_attr(unit)}">'
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-size="13" fill="{INK}">'
            f"{escape(unit)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="{row_h - 8}" '
            f'fill="{OBSERVED_COLOUR}">'
            f"<title>{escape(f'{unit}: {fmt(weight)}')}</title></rect>"
            f'<text x="{label_w + length + 6:.1f}" y="{y + 15}" font-size="13" fill="{MUTED}">'
            f"{escape(fmt(weight))}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
