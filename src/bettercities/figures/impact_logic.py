"""A programme's impact logic as a standalone ``<svg>``: five columns (inputs, activities, outputs, outcomes,
impact), one box per entry with its title and its measures — each with its current value and a small spark
line of its trend over the last quarters — and arrows from box to box.

Like the project's other figures it takes typed results (:mod:`bettercities.impact_logic.schemas`), a number
formatter and the words in the reader's language, and works without scripts and CSS: ``role="img"``, a
``<title>``, a ``<desc>`` that says in words what the diagram shows, and a ``<title>`` (the hover text) on
every box, measure and arrow. The page puts a table with the same content beside it (the text
alternative). Nothing is told by colour alone: the stage is the column's heading, a missing value is written
out. Colours are Okabe & Ito's (2008).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from bettercities.figures.svg import GRID, INK, MUTED, Formatter
from bettercities.impact_logic.schemas import BoxOut, ImpactLogicOut, MeasureOut, Stage

__all__ = ["LogicWords", "logic_diagram", "measure_text", "spark_points"]

#: A light tint per stage (the column's heading names the stage; the tint only groups the boxes).
STAGE_FILL = {
    Stage.INPUTS: "#e8f1f8",
    Stage.ACTIVITIES: "#e6f4ef",
    Stage.OUTPUTS: "#fdf3dc",
    Stage.OUTCOMES: "#f9e6da",
    Stage.IMPACT: "#f1e6ef",
}
BOX_STROKE = "#9aa5b1"
ARROW = "#52606d"
SPARK = "#0072b2"
COLUMN_W, GAP, TOP, BOX_GAP, PAD = 220, 48, 46, 18, 10
SPARK_W, SPARK_H = 64, 18


@dataclass(frozen=True)
class LogicWords:
    """The diagram's words in the reader's language."""

    title: str
    description: str
    stages: Mapping[str, str]
    unavailable: str  # an automatic measure whose data are not available here
    no_value: str  # a manual measure without an entered value
    target: str  # "target {value}"
    trend: str  # "trend: {points}"
    leads_to: str  # "{source} leads to {target}"
    empty: str  # a logic without boxes


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _title(box: BoxOut, lang: str) -> str:
    return box.title_de if lang == "de" else box.title_en


def _label(m: MeasureOut, lang: str) -> str:
    return m.label_de if lang == "de" else m.label_en


def _unit(m: MeasureOut, lang: str) -> str:
    return (m.unit_de if lang == "de" else m.unit_en) or ""


def measure_text(m: MeasureOut, *, lang: str, fmt: Formatter, words: LogicWords) -> str:
    """A measure's current value in words: the number with its unit, "not available", or "no value"."""
    if not m.available:
        return words.unavailable
    if m.current is None:
        return words.no_value
    unit = _unit(m, lang)
    return f"{fmt(m.current)} {unit}".strip()


def spark_points(values: Sequence[float | None], *, width: float, height: float) -> list[tuple[float, float]]:
    """Coordinates of a spark line over ``values`` (gaps left out) in a ``width`` × ``height`` box, the
    lowest value at the bottom and the highest at the top (a flat line in the middle when all are equal)."""
    known = [v for v in values if v is not None]
    if not known or len(values) < 2:
        return []
    low, high = min(known), max(known)
    step = width / (len(values) - 1)
    points = []
    for i, v in enumerate(values):
        if v is None:
            continue
        y = height / 2 if high == low else height * (1 - (v - low) / (high - low))
        points.append((i * step, y))
    return points


def _wrap(text: str, size: float, width: float) -> list[str]:
    chars = max(8, int(width / (size * 0.56)))
    return textwrap.wrap(text, chars) or [""]


def _box_parts(
    box: BoxOut, x: float, y: float, *, lang: str, fmt: Formatter, words: LogicWords, quarters: Sequence[str]
) -> tuple[list[str], float]:
    """The drawing of one box at (x, y) and its height."""
    inner = COLUMN_W - 2 * PAD
    body: list[str] = []
    cy = y + PAD
    for line in _wrap(_title(box, lang), 13 * 1.12, inner):  # bold letters are wider
        cy += 15
        body.append(
            f'<text x="{x + PAD}" y="{cy:.1f}" font-size="13" font-weight="bold" fill="{INK}">'
            f"{escape(line)}</text>"
        )
    for m in box.measures:
        cy += 6
        label_lines = _wrap(_label(m, lang), 11, inner)
        value = measure_text(m, lang=lang, fmt=fmt, words=words)
        trend = "; ".join(
            f"{q}: {fmt(p.value) if p.value is not None else '–'}"
            for q, p in zip(quarters, m.trend, strict=False)
        )
        hover = f"{_label(m, lang)}: {value}"
        if m.target is not None:
            hover += " (" + words.target.format(value=fmt(m.target)) + ")"
        if trend:
            hover += ". " + words.trend.format(points=trend)
        body.append(f'<g class="logic-measure" data-key="{_attr(m.key)}"><title>{escape(hover)}</title>')
        for line in label_lines:
            cy += 13
            body.append(
                f'<text x="{x + PAD}" y="{cy:.1f}" font-size="11" fill="{MUTED}">{escape(line)}</text>'
            )
        cy += 18
        body.append(
            f'<text class="logic-value" x="{x + PAD}" y="{cy:.1f}" font-size="{15 if m.available else 11}" '
            f'font-weight="bold" fill="{INK}">{escape(value)}</text>'
        )
        points = spark_points([p.value for p in m.trend], width=SPARK_W, height=SPARK_H)
        if points:
            sx, sy = x + COLUMN_W - PAD - SPARK_W, cy - SPARK_H + 2
            path = " ".join(f"{sx + px:.1f},{sy + py:.1f}" for px, py in points)
            body.append(
                f'<polyline class="spark" points="{path}" fill="none" stroke="{SPARK}" stroke-width="1.6" '
                'stroke-linejoin="round" stroke-linecap="round"/>'
            )
            lx, ly = points[-1]
            body.append(f'<circle cx="{sx + lx:.1f}" cy="{sy + ly:.1f}" r="2.2" fill="{SPARK}"/>')
        if m.target is not None:
            cy += 13
            body.append(
                f'<text x="{x + PAD}" y="{cy:.1f}" font-size="11" fill="{MUTED}">'
                f"{escape(words.target.format(value=fmt(m.target)))}</text>"
            )
        body.append("</g>")
    height = cy - y + PAD
    fill = STAGE_FILL.get(box.stage, "#ffffff")
    head = (
        f'<g class="logic-box" data-key="{_attr(box.key)}" data-stage="{_attr(box.stage.value)}">'
        f"<title>{escape(_title(box, lang))}</title>"
        f'<rect x="{x}" y="{y:.1f}" width="{COLUMN_W}" height="{height:.1f}" rx="6" fill="{fill}" '
        f'stroke="{BOX_STROKE}"/>'
    )
    return [head, *body, "</g>"], height


def logic_diagram(
    logic: ImpactLogicOut, *, lang: str, fmt: Formatter, words: LogicWords, id_prefix: str = "impact-logic"
) -> str:
    """The diagram of ``logic``: a column per stage with its boxes in order, arrows for the links."""
    id_prefix = _attr(id_prefix)
    stages = list(Stage)
    width = len(stages) * COLUMN_W + (len(stages) - 1) * GAP
    quarters = [q.isoformat() for q in logic.quarters]
    drawn: list[str] = []
    frames: dict[str, tuple[float, float, float]] = {}  # key: x, y, height
    bottom = float(TOP)
    for i, stage in enumerate(stages):
        x = i * (COLUMN_W + GAP)
        y = float(TOP)
        for box in (b for b in logic.boxes if b.stage == stage):
            parts, height = _box_parts(box, x, y, lang=lang, fmt=fmt, words=words, quarters=quarters)
            drawn.extend(parts)
            frames[box.key] = (x, y, height)
            y += height + BOX_GAP
        bottom = max(bottom, y)
    height = bottom + 8 if logic.boxes else TOP + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="impact-logic" viewBox="0 0 {width} {height:.0f}" '
        f'role="img" aria-labelledby="{id_prefix}-title {id_prefix}-desc" '
        'preserveAspectRatio="xMidYMin meet">',
        f'<title id="{id_prefix}-title">{escape(words.title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(words.description)}</desc>',
        f'<defs><marker id="{id_prefix}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{ARROW}"/></marker>'
        "</defs>",
    ]
    for i, stage in enumerate(stages):
        x = i * (COLUMN_W + GAP)
        # "Outcome (Wirkungen bei den Zielgruppen)": the name on the first line, what it means below it
        name, _, gloss = words.stages.get(stage.value, stage.value).partition(" (")
        parts.append(
            f'<text class="stage" x="{x + COLUMN_W / 2}" y="14" text-anchor="middle" font-size="14" '
            f'font-weight="bold" fill="{INK}">{escape(name)}</text>'
        )
        if gloss:
            parts.append(
                f'<text x="{x + COLUMN_W / 2}" y="28" text-anchor="middle" font-size="11" fill="{MUTED}">'
                f"{escape('(' + gloss)}</text>"
            )
        parts.append(f'<line x1="{x}" x2="{x + COLUMN_W}" y1="34" y2="34" stroke="{GRID}" stroke-width="2"/>')
    if not logic.boxes:
        parts.append(
            f'<text x="{width / 2}" y="{TOP + 20}" text-anchor="middle" font-size="13" fill="{MUTED}">'
            f"{escape(words.empty)}</text>"
        )
    titles = {b.key: _title(b, lang) for b in logic.boxes}
    parts.append(f'<g class="links" fill="none" stroke="{ARROW}" stroke-width="1.4">')
    for link in logic.links:
        if link.source not in frames or link.target not in frames:
            continue
        sx, sy, sh = frames[link.source]
        tx, ty, th = frames[link.target]
        x1, y1 = sx + COLUMN_W, sy + min(sh / 2, 40)
        x2, y2 = tx - 2, ty + min(th / 2, 40)
        bend = max((x2 - x1) / 2, 16)
        label = words.leads_to.format(source=titles[link.source], target=titles[link.target])
        parts.append(
            f'<path class="link" data-source="{_attr(link.source)}" data-target="{_attr(link.target)}" '
            f'd="M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}" '
            f'marker-end="url(#{id_prefix}-arrow)"><title>{escape(label)}</title></path>'
        )
    parts.append("</g>")
    parts.extend(drawn)
    parts.append("</svg>")
    return "".join(parts)
