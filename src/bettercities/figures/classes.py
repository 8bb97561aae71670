"""Class breaks for choropleth maps and colour ramps chosen by an indicator's polarity.

The breaks come from the one mapclassify wrapper, :func:`bettercities.core.classify.upper_bounds`
(``quantiles`` by default, ``natural_breaks`` computed exactly by Fisher's algorithm so that the same URL
always shows the same map, ``equal_interval``); this module adds what a map needs on top: one class per
distinct value when there are few, bounds that cover every value, colours and counts.

Breaks depend only on the published values (suppressed cells are already blank), so the legend never
reveals a hidden value. Results are memoised by the values' digest (a cachetools ``LRUCache``):
Fisher-Jenks costs O(k·n²).

>>> result = classify([1.0, 2.0, 3.0, 4.0, 5.0, None], method="quantiles", k=5, polarity="higher_is_worse")
>>> [c.count for c in result.classes], result.assignments[-1]
([1, 1, 1, 1, 1], None)
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from collections.abc import Sequence

import numpy as np
from cachetools import LRUCache, cached
from pydantic import BaseModel, Field

from bettercities.core.classify import ClassMethod, upper_bounds

MIN_CLASSES = 3
MAX_CLASSES = 7
DEFAULT_CLASSES = 5

#: Fill of areas without a published value (the map also hatches them).
NO_DATA_COLOUR = "#d9d9d9"


# ColorBrewer 2.0 sequential schemes (Cynthia Brewer, Pennsylvania State University; Apache License 2.0),
# 3 to 7 classes: light = low values, dark = high values.
_RAMPS: dict[str, dict[int, tuple[str, ...]]] = {
    "reds": {
        3: ("#fee0d2", "#fc9272", "#de2d26"),
        4: ("#fee5d9", "#fcae91", "#fb6a4a", "#cb181d"),
        5: ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"),
        6: ("#fee5d9", "#fcbba1", "#fc9272", "#fb6a4a", "#de2d26", "#a50f15"),
        7: ("#fee5d9", "#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d", "#99000d"),
    },
    "greens_blues": {
        3: ("#e0f3db", "#a8ddb5", "#43a2ca"),
        4: ("#f0f9e8", "#bae4bc", "#7bccc4", "#2b8cbe"),
        5: ("#f0f9e8", "#bae4bc", "#7bccc4", "#43a2ca", "#0868ac"),
        6: ("#f0f9e8", "#ccebc5", "#a8ddb5", "#7bccc4", "#43a2ca", "#0868ac"),
        7: ("#f0f9e8", "#ccebc5", "#a8ddb5", "#7bccc4", "#4eb3d3", "#2b8cbe", "#08589e"),
    },
    "purples": {
        3: ("#efedf5", "#bcbddc", "#756bb1"),
        4: ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#6a51a3"),
        5: ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"),
        6: ("#f2f0f7", "#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f"),
        7: ("#f2f0f7", "#dadaeb", "#bcbddc", "#9e9ac8", "#807dba", "#6a51a3", "#4a1486"),
    },
}

#: Ramp of each polarity: red where more is worse, green-blue where more is better, purple when neutral.
POLARITY_RAMPS = {"higher_is_worse": "reds", "higher_is_better": "greens_blues", "neutral": "purples"}


def ramp(polarity: str, k: int) -> tuple[str, ...]:
    """The ``k`` colours (light to dark) for an indicator of ``polarity``."""
    k = min(max(k, 1), MAX_CLASSES)
    scheme = _RAMPS[POLARITY_RAMPS.get(str(polarity), "purples")]
    if k < MIN_CLASSES:
        return scheme[MIN_CLASSES][-k:]
    return scheme[k]


class ClassBreak(BaseModel):
    """One class of a map: values in (``lower``, ``upper``] (the first class includes ``lower``)."""

    index: int
    lower: float
    upper: float
    colour: str
    count: int


class Classification(BaseModel):
    """Class breaks of a set of values and the class of every value (``None``: no published value)."""

    method: ClassMethod
    k: int = Field(
        description="Number of classes used (fewer than asked when values have few distinct levels)."
    )
    polarity: str
    classes: list[ClassBreak]
    assignments: list[int | None]
    no_data_colour: str = NO_DATA_COLOUR
    no_data_count: int = 0

    def colour_of(self, position: int) -> str:
        index = self.assignments[position]
        return self.no_data_colour if index is None else self.classes[index].colour


_MEMO_SIZE = 512


def _digest(values: np.ndarray, method: ClassMethod, k: int) -> tuple[str, int, str]:
    return (method.value, k, hashlib.blake2b(values.tobytes(), digest_size=16).hexdigest())


@cached(LRUCache(_MEMO_SIZE), key=_digest, lock=threading.Lock())
def _breaks(values: np.ndarray, method: ClassMethod, k: int) -> tuple[list[float], list[int]]:
    """Upper bounds and class of each value, memoised by the values' digest."""
    distinct = np.unique(values)
    if len(distinct) <= k:
        # Fewer levels than classes: one class per distinct value (as mapclassify does, minus its warning).
        bins = [float(v) for v in distinct]
        yb = [int(i) for i in np.searchsorted(distinct, values)]
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. ties that leave fewer distinct bounds than classes
            bounds = upper_bounds(values, method, k)
        # Assign by the bounds themselves (value <= upper bound), as mapclassify does, after making the bounds
        # strictly increasing and covering the maximum: degenerate inputs (subnormal floats) can otherwise
        # yield unsorted bounds or classes beyond the last one.
        edges = np.unique(np.asarray(bounds, dtype=float))
        edges = edges[edges >= values.min()]
        if edges.size == 0 or edges[-1] < values.max():
            edges = np.append(edges, values.max())
        bins = [float(b) for b in edges]
        yb = [int(i) for i in np.searchsorted(edges, values, side="left")]
    return bins, yb


def classify(
    values: Sequence[float | None],
    *,
    method: ClassMethod | str = ClassMethod.QUANTILES,
    k: int = DEFAULT_CLASSES,
    polarity: str = "neutral",
) -> Classification:
    """Class breaks of the known ``values`` and the class of each position (``None`` stays unclassified)."""
    method = ClassMethod(method)
    k = min(max(int(k), MIN_CLASSES), MAX_CLASSES)
    known = [i for i, v in enumerate(values) if v is not None and not np.isnan(v)]
    assignments: list[int | None] = [None] * len(values)
    if not known:
        return Classification(
            method=method, k=0, polarity=str(polarity), classes=[], assignments=assignments,
            no_data_count=len(values),
        )  # fmt: skip
    data = np.array([values[i] for i in known], dtype=float)
    bins, yb = _breaks(data, method, k)
    colours = ramp(polarity, len(bins))
    counts = np.bincount(np.array(yb, dtype=int), minlength=len(bins))
    lowest = float(data.min())
    classes = [
        ClassBreak(
            index=i,
            lower=lowest if i == 0 else bins[i - 1],
            upper=upper,
            colour=colours[i],
            count=int(counts[i]),
        )
        for i, upper in enumerate(bins)
    ]
    for position, cls in zip(known, yb, strict=True):
        assignments[position] = cls
    return Classification(
        method=method,
        k=len(bins),
        polarity=str(polarity),
        classes=classes,
        assignments=assignments,
        no_data_count=len(values) - len(known),
    )
