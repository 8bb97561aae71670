"""The numeric core of peer matching: robust standardisation, the overlap-aware distance with shrinkage, and
an index that answers top-k queries through scikit-learn's nearest-neighbour structures.

Pure NumPy and scikit-learn on arrays; it knows nothing of cities, tables or requests
(:mod:`bettercities.peers.profiles` builds the arrays, :mod:`bettercities.peers.service` the result).

The distance
------------
Two profiles :math:`x_a, x_b` (standardised, ``NaN`` = missing) are compared only on the features both have,
the overlap :math:`O = \\{j : x_{aj}, x_{bj} \\text{ present}\\}` with :math:`n = |O|`. With
:math:`S = \\sum_{j \\in O} (x_{aj} - x_{bj})^2`,

.. math::

    D^2 = \\frac{S + w\\,\\tau^2}{n + w}, \\qquad \\text{similarity} = \\frac{1}{1 + D}

i.e. the mean squared standardised difference over the overlap, shrunk towards :math:`\\tau^2 = 2` (the
expected squared difference of two unrelated cities on a feature of unit variance) with the weight of
:math:`w = 2` pseudo-features. Two cities alike on two features are therefore not ranked above two cities
alike on twelve: a small overlap pulls the distance towards "unrelated". Below ``min_overlap`` features no
distance is given at all. :math:`D` is symmetric by construction (every term is), and a city is never its
own candidate.

scikit-learn's ``nan_euclidean`` distance is :math:`\\sqrt{(p / n)\\,S}` for :math:`p` features: the same
overlap-restricted distance, rescaled, but without a minimum overlap and without shrinkage (a pair sharing
one feature can be nearest), so ranking by it is not ranking by :math:`D`; it also computes :math:`S` as
:math:`x^2 + y^2 - 2xy`, which is not symmetric to the last bit. The tests check the relation
:math:`S = d^2 n / p`; the index scores its candidates by differences itself.

The index
---------
Rows are grouped by their missingness pattern. Within a pattern group the overlap with a query is the same
for every row, so :math:`D` is a monotone function of the Euclidean distance on the overlap's columns: a
:class:`sklearn.neighbors.KDTree` (the k-d tree behind ``NearestNeighbors(algorithm="kd_tree")``, used
directly to spare the estimator's per-call input validation) on those columns, built on first use per (group,
overlap) and kept, gives the group's exact top k. Rows of patterns rarer than ``group_min`` (in the
registry: the Urban Audit cities, whose indicators are missing in many combinations) are all candidates
when they share ``min_overlap`` features with the query. The candidates are merged, scored by their
differences on the overlap (so that the score of a pair does not depend on the path that found it) and
ranked.

Example
-------
>>> import numpy as np
>>> z = np.array([[0.0, 0.0, 0.0], [0.1, 0.0, np.nan], [2.0, 2.0, 2.0], [0.0, 0.1, 0.0]])
>>> index = PeerIndex(z, min_overlap=2)
>>> [int(r) for r in index.query(0, k=2).head(2).rows]
[3, 1]
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "PRIOR_SQUARED",
    "PRIOR_WEIGHT",
    "Matches",
    "PeerIndex",
    "brute_force",
    "pair_distance",
    "robust_standardise",
    "similarity",
]

#: :math:`\tau^2`: the expected squared difference of two unrelated cities on a standardised feature.
PRIOR_SQUARED = 2.0
#: :math:`w`: how many pseudo-features of "unrelated" a distance is shrunk with.
PRIOR_WEIGHT = 2.0
#: robust z-scores beyond this many scaled MADs are implausible (unit glitches): the value is skipped
IMPLAUSIBLE_Z = 10.0
#: plausible robust z-scores are winsorised at ± this
WINSOR_Z = 3.0
#: 1.4826 × MAD estimates the standard deviation of a normal distribution
MAD_TO_SD = 1.4826

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]
Ints = NDArray[np.int64]


@dataclass(frozen=True)
class Standardised:
    """Robust z-scores of a feature matrix and how they were made."""

    z: Floats
    centre: Floats
    scale: Floats
    #: values skipped as implausible (``True`` where a value was present but is no longer)
    skipped: Bools


def robust_standardise(
    values: Floats, *, implausible: float = IMPLAUSIBLE_Z, winsor: float | Sequence[float] = WINSOR_Z
) -> Standardised:
    """Robust z-scores per column: :math:`z = (x - \\text{median}) / (1.4826\\,\\text{MAD})`.

    Values beyond ``implausible`` scaled MADs are treated as implausible (skipped, ``NaN``); the rest are
    winsorised at ``± winsor`` (one bound for every column, or one per column; ``inf``: not winsorised). A
    column whose MAD is zero falls back to its standard deviation; a column with fewer than three values, or
    no spread at all, becomes all ``NaN`` (it cannot be compared).

    Parameters
    ----------
    values : (N, p) array, ``NaN`` = missing

    Examples
    --------
    >>> s = robust_standardise(np.array([[1.0], [2.0], [3.0], [1000.0]]))
    >>> [round(float(v), 3) if v == v else None for v in s.z[:, 0]]
    [-1.012, -0.337, 0.337, None]
    """
    values = np.asarray(values, dtype=np.float64)
    n, p = values.shape
    bounds = np.broadcast_to(np.asarray(winsor, dtype=np.float64), (p,))
    z = np.full((n, p), np.nan)
    centre = np.full(p, np.nan)
    scale = np.full(p, np.nan)
    present = ~np.isnan(values)
    for j in range(p):
        column = values[present[:, j], j]
        if column.size < 3:
            continue
        median = float(np.median(column))
        spread = MAD_TO_SD * float(np.median(np.abs(column - median)))
        if spread <= 0:
            spread = float(np.std(column))
        if spread <= 0:
            continue
        centre[j], scale[j] = median, spread
        zj = (values[:, j] - median) / spread
        zj[np.abs(zj) > implausible] = np.nan
        z[:, j] = np.clip(zj, -bounds[j], bounds[j])
    return Standardised(z=z, centre=centre, scale=scale, skipped=present & np.isnan(z))


def pair_distance(a: Floats, b: Floats, *, min_overlap: int) -> tuple[float | None, int, Floats]:
    """:math:`D` of two profiles, the overlap's size and the absolute differences (``NaN`` outside it).

    ``None`` when the overlap is smaller than ``min_overlap``. Symmetric: ``pair_distance(a, b)`` and
    ``pair_distance(b, a)`` are equal to the last bit, as :math:`(a-b)^2 = (b-a)^2` and the sum runs over the
    same columns in the same order.
    """
    diff = np.abs(a - b)
    n = int(np.count_nonzero(~np.isnan(diff)))
    if n < min_overlap or n == 0:
        return None, n, diff
    s = float(np.nansum(diff * diff))
    return shrunk(s, n), n, diff


def shrunk(s: float, n: int) -> float:
    """:math:`D` from the sum of squared differences ``s`` over an overlap of ``n`` features."""
    return math.sqrt((s + PRIOR_WEIGHT * PRIOR_SQUARED) / (n + PRIOR_WEIGHT))


def similarity(distance: float) -> float:
    """:math:`1 / (1 + D)`: 1 for identical profiles, about 0.41 for two unrelated ones."""
    return 1.0 / (1.0 + distance)


@dataclass(frozen=True)
class Matches:
    """The top candidates of a query, best first: row numbers, :math:`D` and the overlap's size."""

    rows: Ints
    distances: Floats
    overlaps: Ints

    def head(self, k: int) -> Matches:
        """The first ``k``."""
        return Matches(self.rows[:k], self.distances[:k], self.overlaps[:k])


def _empty() -> Matches:
    return Matches(np.empty(0, np.int64), np.empty(0, np.float64), np.empty(0, np.int64))


def _rank(rows: Ints, s: Floats, n: Ints, k: int) -> Matches:
    """The ``k`` best of the candidates by :math:`D`, ties by row number (a stable order)."""
    if rows.size == 0:
        return _empty()
    d = np.sqrt((s + PRIOR_WEIGHT * PRIOR_SQUARED) / (n + PRIOR_WEIGHT))
    order = np.lexsort((rows, d))[:k]
    return Matches(rows[order], d[order], n[order])


def brute_force(z: Floats, query: int, *, k: int, min_overlap: int, allowed: Bools | None = None) -> Matches:
    """The top ``k`` of every row by :math:`D`, computed over all rows with NumPy (the reference the index
    is tested and benchmarked against)."""
    present = ~np.isnan(z)
    x = z[query]
    diff = z - x
    n = np.count_nonzero(present & present[query], axis=1)
    s = np.nansum(diff * diff, axis=1)
    keep = n >= max(min_overlap, 1)
    keep[query] = False
    if allowed is not None:
        keep &= allowed
    rows = np.flatnonzero(keep)
    return _rank(rows, s[rows], n[rows], k)


@dataclass
class _Group:
    rows: Ints
    columns: Bools
    trees: dict[bytes, object] = field(default_factory=dict)


class PeerIndex:
    """Top-k queries by :math:`D` over the rows of ``z`` (see the module's docstring).

    Build once per data version and keep it (the service caches it); trees for a (pattern, overlap) pair
    are added on first use under a lock, so one index serves concurrent requests.
    """

    def __init__(self, z: Floats, *, min_overlap: int = 3, group_min: int = 256) -> None:
        self.z = np.ascontiguousarray(z, dtype=np.float64)
        self.present = ~np.isnan(self.z)
        self.min_overlap = min_overlap
        self._lock = threading.Lock()
        patterns, inverse = np.unique(self.present, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        groups: list[_Group] = []
        rest: list[Ints] = []
        for g in range(patterns.shape[0]):
            rows = np.flatnonzero(inverse == g).astype(np.int64)
            if patterns[g].sum() < min_overlap:
                continue  # never comparable with anything
            if rows.size >= group_min:
                groups.append(_Group(rows=rows, columns=patterns[g]))
            else:
                rest.append(rows)
        self.groups = groups
        self.rest = np.sort(np.concatenate(rest)) if rest else np.empty(0, np.int64)
        # the tree on a group's own columns serves every query that has them all (most queries)
        for group in groups:
            self._tree(group, group.columns)

    def __len__(self) -> int:
        return int(self.z.shape[0])

    def _tree(self, group: _Group, overlap: Bools) -> object:
        from sklearn.neighbors import KDTree

        key = np.packbits(overlap).tobytes()
        tree = group.trees.get(key)
        if tree is None:
            with self._lock:
                tree = group.trees.get(key)
                if tree is None:
                    tree = KDTree(np.ascontiguousarray(self.z[group.rows][:, overlap]))
                    group.trees[key] = tree
        return tree

    def _from_group(self, group: _Group, query: int, k: int, allowed: Bools | None, least: int) -> Ints:
        """Rows of ``group`` among the ``k`` nearest to ``query`` on the overlap (the allowed ones only)."""
        overlap = group.columns & self.present[query]
        if overlap.sum() < least:
            return np.empty(0, np.int64)
        ok = np.ones(group.rows.size, bool) if allowed is None else allowed[group.rows]
        ok = ok & (group.rows != query)
        available = int(ok.sum())
        if available == 0:
            return np.empty(0, np.int64)
        tree = self._tree(group, overlap)
        point = self.z[query, overlap][None, :]
        size = group.rows.size
        # ask for enough neighbours that k allowed ones are among them; widen until they are
        ask = min(size, max(k + 1, math.ceil((k + 1) * size / available * 1.5)))
        while True:
            distances, positions = tree.query(point, k=ask)  # type: ignore[attr-defined]
            keep = ok[positions[0]]
            found, near = positions[0][keep], distances[0][keep]
            if found.size >= k or ask >= size:
                break
            ask = min(size, ask * 4)
        if found.size < k:
            return group.rows[found]
        # every row as near as the k-th (ties: towns of one region and size), so that the ranking by D,
        # then row, is the same as over all rows
        radius = float(near[k - 1]) * (1 + 1e-9) + 1e-12
        within = tree.query_radius(point, r=radius)[0]  # type: ignore[attr-defined]
        return group.rows[np.sort(within[ok[within]])]

    def _from_rest(self, query: int, allowed: Bools | None, least: int) -> Ints:
        """Rows of rare patterns that share at least ``least`` features with ``query``."""
        rows = self.rest
        if allowed is not None:
            rows = rows[allowed[rows]]
        rows = rows[rows != query]
        if rows.size == 0:
            return rows
        n = self.present[rows] @ self.present[query].astype(np.int64)
        return rows[n >= least]

    def candidates(
        self, query: int, *, k: int, allowed: Bools | None = None, min_overlap: int | None = None
    ) -> Ints:
        """A superset of the top ``k`` rows of ``query``: each pattern group's k nearest, the rare rows."""
        least = self._least(min_overlap)
        parts = [self._from_group(group, query, k, allowed, least) for group in self.groups]
        parts.append(self._from_rest(query, allowed, least))
        return np.concatenate(parts) if parts else np.empty(0, np.int64)

    def _least(self, min_overlap: int | None) -> int:
        """The minimum overlap of a query: the index's own or a larger one (within a pattern group the overlap
        is the same for every row, so a larger minimum drops whole groups and the result stays exact)."""
        if min_overlap is None:
            return self.min_overlap
        if min_overlap < self.min_overlap:
            raise ValueError(f"min_overlap {min_overlap} is below the index's {self.min_overlap}")
        return min_overlap

    def query(
        self,
        query: int,
        *,
        k: int,
        allowed: Bools | None = None,
        extra: Ints | None = None,
        min_overlap: int | None = None,
    ) -> Matches:
        """Every candidate of row ``query`` (never itself), best first: a superset of the ``k`` best rows
        allowed by ``allowed``; take ``.head(k)`` for the top ``k``.

        ``extra`` rows are scored as well whatever their rank (the service passes the cities whose practices
        fit the query's themes, so that their bonus can lift them). Each candidate is scored exactly by
        differences over the overlap (the arithmetic of :func:`pair_distance`), so a pair's distance does not
        depend on the path that found it and is symmetric to the last bit. ``min_overlap`` may raise the
        index's minimum overlap for this query.
        """
        least = self._least(min_overlap)
        rows = self.candidates(query, k=k, allowed=allowed, min_overlap=least)
        if extra is not None and extra.size:
            more = extra[extra != query]
            if allowed is not None:
                more = more[allowed[more]]
            rows = np.concatenate([rows, more.astype(np.int64)])
        rows = np.unique(rows)
        if rows.size == 0:
            return _empty()
        diff = self.z[rows] - self.z[query]
        n = np.count_nonzero(~np.isnan(diff), axis=1).astype(np.int64)
        s = np.nansum(diff * diff, axis=1)
        keep = n >= max(least, 1)
        return _rank(rows[keep], s[keep], n[keep], rows.size)
