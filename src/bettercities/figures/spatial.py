"""Figures of spatial statistics: the LISA and Gi* maps with their legends, the Moran scatter plot, and the
map, legend and profile charts of a typology.

Each function takes a typed result, the shapes of its level and the words in the reader's language (the
caller translates them), and returns standalone ``<svg>`` strings (:mod:`bettercities.figures.categorical`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bettercities.analysis.spatial.schemas import (
    CLUSTER_COLOURS,
    CLUSTERS,
    HOTSPOT_COLOURS,
    HOTSPOTS,
    SpatialAnalysis,
)
from bettercities.analysis.spatial.typology import TypologyResult
from bettercities.figures import categorical as draw
from bettercities.figures.shapes import LevelShapes

__all__ = ["LisaTexts", "Number", "TypologyTexts", "lisa_figures", "typology_map", "typology_profiles"]

#: Formats a number with so many decimals in the reader's language.
Number = Callable[[float | None, int], str]


@dataclass(frozen=True)
class LisaTexts:
    """The words of the LISA and Gi* figures, in the reader's language."""

    #: LISA cluster and Gi* spot codes (HH, LL, LH, HL, hot, cold, ns) in words
    labels: Mapping[str, str]
    no_data: str
    lisa_title: str
    gi_title: str
    lisa_legend: str
    scatter_title: str
    x_label: str
    y_label: str


def lisa_figures(
    result: SpatialAnalysis,
    shapes: LevelShapes,
    texts: LisaTexts,
    *,
    num: Number,
    area_url: Callable[[str], str],
) -> dict[str, str]:
    """The LISA map and legend, the Gi* map and legend and the Moran scatter plot of ``result``
    (keys ``lisa_map``, ``lisa_legend``, ``gi_map``, ``gi_legend``, ``scatter``); every area links to
    ``area_url(code)``."""
    labels = texts.labels
    by_code = {a.area_id: a for a in result.areas}

    def hover(code: str) -> str:
        area = by_code.get(code)
        if area is None:
            return f"{code}: {texts.no_data}"
        return (
            f"{area.name}: {num(area.value, 2)} – {labels[area.cluster or 'ns']}, "
            f"Gi* {labels[area.hotspot or 'ns']}"
        )

    lisa_legend = [
        draw.Category(c, labels[c], CLUSTER_COLOURS[c], result.cluster_counts.get(c, 0)) for c in CLUSTERS
    ]
    gi_legend = [
        draw.Category(h, labels[h], HOTSPOT_COLOURS[h], result.hotspot_counts.get(h, 0)) for h in HOTSPOTS
    ]
    points = [
        (a.z, a.lag, CLUSTER_COLOURS[a.cluster or "ns"], f"{a.name}: {labels[a.cluster or 'ns']}")
        for a in result.areas
    ]
    return {
        "lisa_map": draw.categorical_map(
            shapes,
            {a.area_id: a.cluster for a in result.areas},
            lisa_legend,
            title=texts.lisa_title,
            hover=hover,
            href=area_url,
            id_prefix="lisa",
        ),
        "lisa_legend": draw.category_legend(lisa_legend, title=texts.lisa_legend, id_prefix="lisa-legend"),
        "gi_map": draw.categorical_map(
            shapes,
            {a.area_id: a.hotspot for a in result.areas},
            gi_legend,
            title=texts.gi_title,
            hover=hover,
            href=area_url,
            id_prefix="gi",
        ),
        "gi_legend": draw.category_legend(gi_legend, title="Gi*", id_prefix="gi-legend"),
        "scatter": draw.scatter_plot(
            points,
            slope=result.moran.I if result.moran else 0.0,
            fmt=lambda v: num(v, 1),
            title=texts.scatter_title,
            x_label=texts.x_label,
            y_label=texts.y_label,
        ),
    }


@dataclass(frozen=True)
class TypologyTexts:
    """The words of the typology figures, in the reader's language; ``{code}`` stands for a type's code."""

    type_name: str
    profile_title: str
    map_title: str
    legend_title: str
    no_data: str


def _type_legend(result: TypologyResult, texts: TypologyTexts) -> list[draw.Category]:
    return [
        draw.Category(c.code, texts.type_name.format(code=c.code), c.colour, c.size) for c in result.clusters
    ]


def typology_map(
    result: TypologyResult, shapes: LevelShapes, texts: TypologyTexts, *, area_url: Callable[[str], str]
) -> dict[str, str]:
    """The map of the types and its legend (keys ``map``, ``legend``)."""
    by_code = {a.area_id: a for a in result.areas}
    legend = _type_legend(result, texts)

    def hover(code: str) -> str:
        area = by_code.get(code)
        return (
            f"{area.name}: {texts.type_name.format(code=area.cluster)}"
            if area
            else f"{code}: {texts.no_data}"
        )

    return {
        "map": draw.categorical_map(
            shapes,
            {a.area_id: a.cluster for a in result.areas},
            legend,
            title=texts.map_title,
            hover=hover,
            href=area_url,
            id_prefix="types",
        ),
        "legend": draw.category_legend(legend, title=texts.legend_title, id_prefix="types-legend"),
    }


def typology_profiles(
    result: TypologyResult, texts: TypologyTexts, *, names: Mapping[str, str], num: Number
) -> dict[str, str]:
    """One profile chart (mean z-scores per indicator, labelled by ``names``) per type, by type code."""
    labels = [names.get(code, code) for code in result.indicators]
    return {
        c.code: draw.profile_chart(
            labels,
            [draw.ProfileLine(texts.type_name.format(code=c.code), c.colour, list(c.profile.values()))],
            fmt=lambda v: num(v, 1),
            title=texts.profile_title.format(code=c.code),
            id_prefix=f"profile-{c.code}",
        )
        for c in result.clusters
    }
