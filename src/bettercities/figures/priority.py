"""The figure of priority areas: a map of the chosen areas (the others grey) and its legend, of a rule's
result or a stored named set.

It takes a typed result, the shapes of its level and the words in the reader's language (the caller
translates them), and returns standalone ``<svg>`` strings (:mod:`bettercities.figures.categorical`).
"""

from __future__ import annotations

from collections.abc import Callable

from bettercities.analysis.priority.schemas import PriorityArea, PriorityResult, PrioritySetOut
from bettercities.figures import categorical as draw
from bettercities.figures.shapes import LevelShapes

__all__ = ["OTHER_COLOUR", "PRIORITY_COLOUR", "priority_map"]

PRIORITY_COLOUR = "#b2182b"
OTHER_COLOUR = "#e8e8e8"


def priority_map(
    items: PriorityResult | PrioritySetOut,
    shapes: LevelShapes,
    *,
    title: str,
    priority_label: str,
    other_label: str,
    legend_title: str,
    area_url: Callable[[str], str],
) -> dict[str, str]:
    """The map of the chosen areas, hovering with the reasons they met, and its legend (keys ``map``,
    ``legend``)."""
    chosen: dict[str, PriorityArea] = {a.area_id: a for a in items.areas}
    others = sum(1 for code in shapes.order if code not in chosen)
    legend = [
        draw.Category("priority", priority_label, PRIORITY_COLOUR, len(chosen)),
        draw.Category("other", other_label, OTHER_COLOUR, others),
    ]

    def hover(code: str) -> str:
        area = chosen.get(code)
        return f"{area.name}: {'; '.join(area.reasons)}" if area else code

    return {
        "map": draw.categorical_map(
            shapes,
            {code: "priority" if code in chosen else "other" for code in shapes.order},
            legend,
            title=title,
            hover=hover,
            href=area_url,
            id_prefix="priority",
        ),
        "legend": draw.category_legend(legend, title=legend_title, id_prefix="priority-legend"),
    }
