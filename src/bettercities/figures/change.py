"""The change map: a diverging colour scale centred on 0, coloured by the indicator's polarity, the map of the
areas' changes and its legend.

The scale has ``side`` classes of equal width on each side of 0 and one class for "unchanged" (exactly 0);
its width is a round number (1, 2, 2.5 or 5 × 10^n) so that ``side`` classes cover the largest absolute
change. Where more is worse, increases are red and decreases blue; where more is better, the other way
round; a neutral indicator gets orange (decrease) and purple (increase), and the legend says which side is
better or worse. The breaks depend only on the published changes (withheld areas have none), so the legend
never reveals a withheld value.

>>> scale = diverging_scale([-3.0, 0.0, 1.0, 5.5], polarity="higher_is_worse")
>>> scale.step, [c.count for c in scale.classes], scale.classes[-1].meaning
(2.0, [0, 1, 0, 1, 1, 0, 1], 'worse')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal

from pydantic import BaseModel

from bettercities.figures.shapes import LevelShapes
from bettercities.figures.svg import INK, MUTED, Formatter, _attr, _hatch

__all__ = ["ChangeClass", "ChangeTexts", "DivergingScale", "change_legend", "change_map", "diverging_scale"]

# ColorBrewer 2.0 diverging schemes, 7 classes (Cynthia Brewer, Pennsylvania State University; Apache
# License 2.0): RdBu from red to blue, PuOr from orange to purple; the middle colour is "unchanged".
_RED_TO_BLUE = ("#b2182b", "#ef8a62", "#fddbc7", "#f7f7f7", "#d1e5f0", "#67a9cf", "#2166ac")
_ORANGE_TO_PURPLE = ("#b35806", "#f1a340", "#fee0b6", "#f7f7f7", "#d8daeb", "#998ec3", "#542788")

#: Fill of an area without a change because a value is missing.
NO_DATA_FILL = "#d9d9d9"

#: What an area without a class shows: its value is withheld, missing, or it is not on both maps.
Mark = Literal["withheld", "no_data", "not_in_both"]
Meaning = Literal["better", "worse"]

#: What a decrease and an increase mean for an indicator of each polarity (neutral: nothing).
_MEANINGS: dict[str, tuple[Meaning, Meaning]] = {
    "higher_is_worse": ("better", "worse"),
    "higher_is_better": ("worse", "better"),
}


class ChangeClass(BaseModel):
    """One class of the change map: changes in (``lower``, ``upper``] above 0, [``lower``, ``upper``) below,
    exactly 0 for the middle class."""

    index: int
    lower: float
    upper: float
    colour: str
    count: int = 0
    direction: Literal["decrease", "none", "increase"]
    #: what the direction means for the indicator's polarity (``None``: neutral, or no change)
    meaning: Meaning | None = None


class DivergingScale(BaseModel):
    """The classes of a change map, from the largest decrease to the largest increase, and each change's
    class (``None`` for an area without a change)."""

    polarity: str
    step: float
    classes: list[ChangeClass]
    assignments: list[int | None]


def _nice_step(raw: float) -> float:
    if not math.isfinite(raw) or raw <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-12))


def _colours(polarity: str) -> tuple[str, ...]:
    if polarity == "higher_is_worse":  # an increase is worse: red
        return tuple(reversed(_RED_TO_BLUE))
    if polarity == "higher_is_better":  # an increase is better: blue
        return _RED_TO_BLUE
    return _ORANGE_TO_PURPLE


def diverging_scale(values: Sequence[float | None], *, polarity: str, side: int = 3) -> DivergingScale:
    """Classes of equal width centred on 0 for the changes ``values`` (``None``: no change)."""
    known = [abs(v) for v in values if v is not None and math.isfinite(v)]
    step = _nice_step(max(known, default=0.0) / side)
    colours = _colours(str(polarity))
    decrease, increase = _MEANINGS.get(str(polarity), (None, None))
    classes = [
        ChangeClass(
            index=i,
            lower=-(side - i) * step,
            upper=-(side - i - 1) * step,
            colour=colours[i],
            direction="decrease",
            meaning=decrease,
        )
        for i in range(side)
    ]
    classes.append(ChangeClass(index=side, lower=0.0, upper=0.0, colour=colours[3], direction="none"))
    classes += [
        ChangeClass(
            index=side + 1 + i,
            lower=i * step,
            upper=(i + 1) * step,
            colour=colours[4 + i],
            direction="increase",
            meaning=increase,
        )
        for i in range(side)
    ]
    assignments: list[int | None] = []
    for value in values:
        if value is None or not math.isfinite(value):
            assignments.append(None)
            continue
        # a tolerance so that rounding (0.1 * 3 = 0.30000000000000004) keeps a class's upper bound in it
        reach = min(max(math.ceil(abs(value) / step - 1e-9), 1), side)
        index = side if value == 0 else side + reach if value > 0 else side - reach
        assignments.append(index)
        classes[index].count += 1
    return DivergingScale(polarity=str(polarity), step=step, classes=classes, assignments=assignments)


@dataclass(frozen=True)
class ChangeTexts:
    """The words of the change map and its legend, in the reader's language."""

    title: str
    legend_title: str
    increase: str
    decrease: str
    unchanged: str
    better: str
    worse: str
    withheld: str
    no_data: str
    not_in_both: str


def _patterns(prefix: str) -> str:
    dots = (
        f'<pattern id="{prefix}-notinboth" patternUnits="userSpaceOnUse" width="6" height="6">'
        '<rect width="6" height="6" fill="#ffffff"/><circle cx="3" cy="3" r="1.3" fill="#7b8794"/></pattern>'
    )
    return f"<defs>{_hatch(f'{prefix}-withheld')}{dots}</defs>"


def _mark_fill(mark: Mark, prefix: str) -> str:
    if mark == "no_data":
        return NO_DATA_FILL
    return f"url(#{prefix}-{'withheld' if mark == 'withheld' else 'notinboth'})"


def change_map(
    shapes: LevelShapes,
    classes: Mapping[str, int | None],
    marks: Mapping[str, Mark],
    scale: DivergingScale,
    *,
    title: str,
    hover: Callable[[str], str],
    href: Callable[[str], str] | None = None,
    id_prefix: str = "change",
) -> str:
    """A map with one ``<path class="area" data-change=…>`` per area with a geometry: filled by its class in
    ``classes`` or, without one, by its mark in ``marks`` (``data-change`` is the class index or the mark)."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="choropleth change" viewBox="{shapes.view_box}" '
        f'role="img" aria-labelledby="{id_prefix}-title" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        _patterns(id_prefix),
        '<g class="areas" stroke="#ffffff" stroke-width="0.8" stroke-linejoin="round">',
    ]
    for code in shapes.order:
        index = classes.get(code)
        if index is not None:
            fill, key = scale.classes[index].colour, str(index)
        else:
            mark: Mark = marks.get(code, "no_data")
            fill, key = _mark_fill(mark, id_prefix), mark
        text = hover(code)
        shape = (
            f'<path class="area" d="{shapes.paths[code]}" fill="{_attr(fill)}" fill-rule="evenodd" '
            f'data-code="{_attr(code)}" data-change="{_attr(key)}"><title>{escape(text)}</title></path>'
        )
        if href is not None:
            shape = f'<a href="{_attr(href(code))}" aria-label="{_attr(text)}">{shape}</a>'
        parts.append(shape)
    parts.append("</g></svg>")
    return "".join(parts)


def change_legend(
    scale: DivergingScale,
    texts: ChangeTexts,
    *,
    fmt: Formatter,
    marks: Mapping[Mark, int] | None = None,
    id_prefix: str = "change-legend",
) -> str:
    """The classes from the largest increase (top) to the largest decrease, each with its meaning for the
    indicator's polarity (better / worse), and the marks of areas without a change (with counts).

    ``fmt`` writes a change with its sign and unit in the reader's language (``+2,5 Pp.``)."""
    marks = {k: v for k, v in (marks or {}).items() if v}
    row_h, swatch, width = 24, 18, 360
    rows = len(scale.classes) + len(marks)
    height = 30 + row_h * rows
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="legend change-legend" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{id_prefix}-title">',
        f'<title id="{id_prefix}-title">{escape(texts.legend_title)}</title>',
        _patterns(id_prefix),
        f'<text x="0" y="16" font-size="14" font-weight="600" fill="{INK}">'
        f"{escape(texts.legend_title)}</text>",
    ]

    y = 30
    for cls in reversed(scale.classes):
        if cls.direction == "none":
            label = texts.unchanged
        else:
            word = texts.increase if cls.direction == "increase" else texts.decrease
            meaning = {"better": texts.better, "worse": texts.worse}.get(cls.meaning or "")
            span = f"{fmt(cls.lower)} … {fmt(cls.upper)}"
            label = f"{word} {span}" + (f" · {meaning}" if meaning else "")
        parts.append(
            f'<g class="legend-class" data-direction="{cls.direction}" data-meaning="{cls.meaning or ""}">'
            f'<rect x="0" y="{y}" width="{swatch}" height="{swatch}" fill="{_attr(cls.colour)}" '
            f'stroke="{MUTED}" stroke-width="0.5"/><text x="{swatch + 8}" y="{y + 14}" font-size="13" '
            f'fill="{INK}">{escape(label)}<tspan fill="{MUTED}"> ({cls.count})</tspan></text></g>'
        )
        y += row_h
    words = {"withheld": texts.withheld, "no_data": texts.no_data, "not_in_both": texts.not_in_both}
    for mark, count in marks.items():
        parts.append(
            f'<g class="legend-mark" data-mark="{mark}">'
            f'<rect x="0" y="{y}" width="{swatch}" height="{swatch}" '
            f'fill="{_attr(_mark_fill(mark, id_prefix))}" stroke="{MUTED}" stroke-width="0.5"/>'
            f'<text x="{swatch + 8}" y="{y + 14}" font-size="13" fill="{INK}">{escape(words[mark])}'
            f'<tspan fill="{MUTED}"> ({count})</tspan></text></g>'
        )
        y += row_h
    parts.append("</svg>")
    return "".join(parts)
