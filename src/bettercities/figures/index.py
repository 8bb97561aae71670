"""Figures of stored index runs: the class map of a run and the map of areas that moved to a better or a
worse class between two runs, each with its legend.

Each function takes a typed result, the shapes of its level and the words in the reader's language (the
caller translates them), and returns standalone ``<svg>`` strings (:mod:`bettercities.figures.categorical`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bettercities.analysis.index.change import ChangeView
from bettercities.analysis.index.results import RunView, StoredRun
from bettercities.analysis.index.schemas import AreaScore
from bettercities.figures import categorical as draw
from bettercities.figures.shapes import LevelShapes

__all__ = ["MOVES", "MOVE_COLOURS", "change_map", "class_map"]

#: Moves of an area between two runs, in legend order, and their colours (green better, red worse).
MOVES = ("better", "same", "worse")
MOVE_COLOURS = {"better": "#1a9850", "same": "#d9d9d9", "worse": "#d73027"}


def class_map(
    found: RunView,
    shapes: LevelShapes,
    *,
    title: str,
    legend_title: str,
    no_data: str,
    area_url: Callable[[str], str],
    note_text: Callable[[AreaScore], str] = lambda area: area.note or "",
) -> dict[str, str]:
    """The class map of a run and its legend (keys ``map``, ``legend``); an area without a class shows the
    area's note on it (through ``note_text`` of the area's score: its codes in words) or ``no_data``."""
    run = found.run
    legend = [draw.Category(c.code, c.label, c.colour, c.count) for c in found.classes]
    labels = {c.code: c.label for c in found.classes}
    notes = {a.area_id: note_text(a) for a in run.result.areas if a.note}

    def hover(code: str) -> str:
        name = run.names.get(code) or code
        cls = found.area_classes.get(code)
        if cls is None:
            return f"{name}: {notes.get(code) or no_data}"
        return f"{name}: {labels.get(cls, cls)}"

    return {
        "map": draw.categorical_map(
            shapes,
            found.area_classes,
            legend,
            title=title,
            hover=hover,
            href=area_url,
            id_prefix="classmap",
        ),
        "legend": draw.category_legend(legend, title=legend_title, id_prefix="class-legend"),
    }


def change_map(
    found: ChangeView,
    after: StoredRun,
    shapes: LevelShapes,
    *,
    move_names: Mapping[str, str],
    title: str,
    legend_title: str,
    not_classed: str,
    area_url: Callable[[str], str],
) -> dict[str, str]:
    """The map of areas that moved to a better or worse class from the earlier run to ``after`` (whose area
    names it shows), and its legend (keys ``map``, ``legend``)."""
    legend = [draw.Category(m, move_names[m], MOVE_COLOURS[m], found.counts[m]) for m in MOVES]
    classes = {a.area_id: a for a in found.change.areas}

    def hover(code: str) -> str:
        name = after.names.get(code) or code
        area, move = classes.get(code), found.moves.get(code)
        if area is None or move is None:
            return f"{name}: {not_classed}"
        return f"{name}: {area.before[found.part]} → {area.after[found.part]} ({move_names[move]})"

    return {
        "map": draw.categorical_map(
            shapes,
            found.moves,
            legend,
            title=title,
            hover=hover,
            href=area_url,
            id_prefix="changemap",
        ),
        "legend": draw.category_legend(legend, title=legend_title, id_prefix="change-legend"),
    }
