"""Class breaks: the one wrapper of mapclassify, for the maps (:mod:`bettercities.figures.classes`) and the
derived index classes (:mod:`bettercities.analysis.index.kernels`).

Three methods:

* ``quantiles``: every class holds about the same number of values (``mapclassify.Quantiles``);
* ``natural_breaks``: Jenks' optimal breaks, computed exactly and deterministically by Fisher's algorithm
  (``mapclassify.FisherJenks``; Fisher 1958, "On grouping for maximum homogeneity", JASA 53, 789-798);
* ``equal_interval``: classes of equal width between minimum and maximum (``mapclassify.EqualInterval``).

>>> upper_bounds([1, 2, 3, 4, 5, 6, 7, 8], ClassMethod.QUANTILES, 4)
[2.75, 4.5, 6.25, 8.0]
"""

from __future__ import annotations

import warnings
from enum import StrEnum

import numpy as np
import numpy.typing as npt


class ClassMethod(StrEnum):
    """How class breaks are chosen."""

    QUANTILES = "quantiles"
    NATURAL_BREAKS = "natural_breaks"
    EQUAL_INTERVAL = "equal_interval"


#: The mapclassify classifier of each method.
CLASSIFIERS: dict[ClassMethod, str] = {
    ClassMethod.QUANTILES: "Quantiles",
    ClassMethod.NATURAL_BREAKS: "FisherJenks",
    ClassMethod.EQUAL_INTERVAL: "EqualInterval",
}


def upper_bounds(values: npt.ArrayLike, method: ClassMethod | str, k: int) -> list[float]:
    """Upper bounds of ``k`` classes of ``values`` by ``method``, as mapclassify computes them."""
    import mapclassify  # imported on first use: it pulls in scipy and scikit-learn

    classifier = getattr(mapclassify, CLASSIFIERS[ClassMethod(method)])
    with warnings.catch_warnings():
        # Without numba mapclassify warns that it uses its pure-Python version (fine at city scale).
        warnings.filterwarnings("ignore", message="Numba not installed", category=UserWarning)
        # With fewer distinct values than classes mapclassify forms fewer classes; the bounds it returns say
        # so (the maps drew this quietly before the wrappers were merged; it is no fault to log).
        warnings.filterwarnings("ignore", message="Not enough unique values", category=UserWarning)
        return [float(b) for b in classifier(np.asarray(values, dtype=float), k=k).bins]
