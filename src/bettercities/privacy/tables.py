"""Linear tables: cells with true values, withholding costs and the additive relations between them.

A table in the sense of statistical disclosure control is a vector of cells (counts) and a set of linear
equalities an attacker knows to hold between them: a parent area's count is the sum of its children's, a
quantity is the sum of the quantities declared to compose it. The kernels in :mod:`.primary`,
:mod:`.audit` and :mod:`.secondary` work on this representation only; they know nothing of areas,
indicators or databases.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

import numpy as np
import numpy.typing as npt
from scipy import sparse

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Absolute tolerance (scaled by the relation's magnitude) within which a relation must hold on the values.
RELATION_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Relation:
    """One additive equality: ``values[total] == sum(weight * values[part])``."""

    total: int
    parts: tuple[int, ...]
    weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.parts) == 0:
            raise ValueError(f"relation with total cell {self.total} has no parts")
        if self.weights is not None and len(self.weights) != len(self.parts):
            raise ValueError(
                f"relation with total cell {self.total} has {len(self.parts)} parts "
                f"but {len(self.weights)} weights"
            )
        cells = (self.total, *self.parts)
        if len(set(cells)) != len(cells):
            raise ValueError(f"relation with total cell {self.total} names a cell twice: {cells}")

    @property
    def cells(self) -> tuple[int, ...]:
        """The total followed by the parts."""
        return (self.total, *self.parts)

    def coefficients(self) -> tuple[float, ...]:
        """Coefficients of ``total - sum(w * part) == 0`` in the order of :attr:`cells`."""
        weights = self.weights if self.weights is not None else (1.0,) * len(self.parts)
        return (1.0, *(-float(w) for w in weights))


class Relations(Sequence[Relation]):
    """Relations with unit weights held as arrays: relation ``r`` is ``totals[r] = sum(parts[indptr[r]:
    indptr[r + 1]])``. A city's tables have tens of thousands of hierarchy relations; held this way they
    need no Python object each (items are built as :class:`Relation` when asked for).
    """

    __slots__ = ("indptr", "parts", "totals")

    def __init__(self, totals: npt.ArrayLike, indptr: npt.ArrayLike, parts: npt.ArrayLike) -> None:
        self.totals = np.array(totals, dtype=np.intp)
        self.indptr = np.array(indptr, dtype=np.intp)
        self.parts = np.array(parts, dtype=np.intp)
        for array in (self.totals, self.indptr, self.parts):
            array.setflags(write=False)
        if (
            self.indptr.shape != (self.totals.size + 1,)
            or self.indptr[0] != 0
            or self.indptr[-1] != self.parts.size
        ):
            raise ValueError("indptr must run from 0 to len(parts), one entry per relation and one more")
        if np.any(np.diff(self.indptr) < 0):
            raise ValueError("indptr must not decrease")

    def __len__(self) -> int:
        return int(self.totals.size)

    @overload
    def __getitem__(self, index: int) -> Relation: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Relation, ...]: ...

    def __getitem__(self, index: int | slice) -> Relation | tuple[Relation, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        i = range(len(self))[index]
        start, stop = self.indptr[i], self.indptr[i + 1]
        return Relation(int(self.totals[i]), tuple(int(p) for p in self.parts[start:stop]))

    def __iter__(self) -> Iterator[Relation]:
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return f"Relations({len(self)} relations, {self.parts.size} parts)"


@dataclass(frozen=True, eq=False)
class LinearTable:
    """Cells, their true values, the cost of withholding each and the relations an attacker knows.

    ``lower`` and ``upper`` are the a-priori bounds an attacker knows for every cell (default ``0`` and
    ``+inf``: counts are nonnegative and nothing else is known).
    """

    keys: tuple[Hashable, ...]
    values: FloatArray
    cost: FloatArray
    relations: Sequence[Relation]  # a tuple of Relation, or Relations (arrays)
    lower: FloatArray | None = None
    upper: FloatArray | None = None
    _matrix: sparse.csr_array = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.keys)
        if len(set(self.keys)) != n:
            raise ValueError("table keys are not unique")
        values = _vector("values", self.values, n)
        cost = _vector("cost", self.cost, n)
        if not np.all(np.isfinite(values)):
            bad = int(np.flatnonzero(~np.isfinite(values))[0])
            raise ValueError(f"value of cell {self.keys[bad]!r} is not finite")
        if not np.all(np.isfinite(cost)) or np.any(cost <= 0):
            bad = int(np.flatnonzero(~(np.isfinite(cost) & (cost > 0)))[0])
            raise ValueError(f"cost of cell {self.keys[bad]!r} must be finite and > 0, got {cost[bad]}")
        lower = np.zeros(n) if self.lower is None else _vector("lower", self.lower, n)
        upper = np.full(n, np.inf) if self.upper is None else _vector("upper", self.upper, n)
        outside = (values < lower - RELATION_TOLERANCE) | (values > upper + RELATION_TOLERANCE)
        if np.any(np.isnan(lower) | np.isnan(upper)) or np.any(outside):
            bad = int(np.flatnonzero(outside | np.isnan(lower) | np.isnan(upper))[0])
            raise ValueError(
                f"value {values[bad]} of cell {self.keys[bad]!r} is outside its a-priori bounds "
                f"[{lower[bad]}, {upper[bad]}]"
            )
        if isinstance(self.relations, Relations):
            lengths, owner, cells, coefficients = _arrays(self.relations)
        else:
            for i, relation in enumerate(self.relations):
                if not isinstance(relation, Relation):
                    raise ValueError(f"relation {i} is not a Relation: {relation!r}")
            # checked for all relations at once (a loop per relation dominated building city-sized tables)
            lengths = np.array([len(r.parts) + 1 for r in self.relations], dtype=np.intp)
            owner = np.repeat(np.arange(lengths.size), lengths)
            cells = np.fromiter(
                (c for r in self.relations for c in r.cells), dtype=np.int64, count=owner.size
            )
            coefficients = np.fromiter(
                (c for r in self.relations for c in r.coefficients()), dtype=np.float64, count=owner.size
            )
        outside_cells = (cells < 0) | (cells >= n)
        if outside_cells.any():
            i = int(owner[np.flatnonzero(outside_cells)[0]])
            bad_cell = int(cells[np.flatnonzero(outside_cells)[0]])
            raise ValueError(f"relation {i} names cell index {bad_cell}, but the table has {n} cells")
        if not np.all(np.isfinite(coefficients)):
            i = int(owner[np.flatnonzero(~np.isfinite(coefficients))[0]])
            raise ValueError(f"relation {i} has a weight that is not finite")
        terms = coefficients * values[cells] if cells.size else np.zeros(0)
        residual = np.bincount(owner, weights=terms, minlength=lengths.size)
        scale = np.bincount(owner, weights=np.abs(terms), minlength=lengths.size)
        failing = np.flatnonzero(np.abs(residual) > RELATION_TOLERANCE * np.maximum(1.0, scale))
        if failing.size:
            i = int(failing[0])
            relation = self.relations[i]
            raise ValueError(
                f"relation {i} does not hold: {self.keys[relation.total]!r} = {values[relation.total]} "
                f"but its parts sum to {values[relation.total] - residual[i]}"
            )
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "cost", cost)
        object.__setattr__(self, "lower", lower)
        object.__setattr__(self, "upper", upper)
        matrix = sparse.csr_array((coefficients, (owner, cells)), shape=(lengths.size, n), dtype=np.float64)
        object.__setattr__(self, "_matrix", matrix)

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def lower_bounds(self) -> FloatArray:
        """A-priori lower bounds (always an array after validation)."""
        assert self.lower is not None
        return self.lower

    @property
    def upper_bounds(self) -> FloatArray:
        """A-priori upper bounds (always an array after validation)."""
        assert self.upper is not None
        return self.upper

    @property
    def matrix(self) -> sparse.csr_array:
        """Relations x cells matrix ``A`` with ``A @ values == 0`` (total +1, parts -weight)."""
        return self._matrix


def _arrays(
    relations: Relations,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.int64], FloatArray]:
    """Lengths (total and parts), owner relation, cell and coefficient of every entry of array relations,
    checked as :class:`Relation` checks each (parts present, no cell twice in a relation)."""
    sizes = np.diff(relations.indptr)
    if np.any(sizes == 0):
        i = int(np.flatnonzero(sizes == 0)[0])
        raise ValueError(f"relation with total cell {int(relations.totals[i])} has no parts")
    lengths = sizes + 1
    owner = np.repeat(np.arange(lengths.size), lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.intp) if lengths.size else lengths
    cells = np.empty(owner.size, dtype=np.int64)
    is_total = np.zeros(owner.size, dtype=np.bool_)
    is_total[starts] = True
    cells[is_total] = relations.totals
    cells[~is_total] = relations.parts
    coefficients = np.where(is_total, 1.0, -1.0)
    order = np.lexsort((cells, owner))
    twice = (owner[order][1:] == owner[order][:-1]) & (cells[order][1:] == cells[order][:-1])
    if twice.any():
        relation = relations[int(owner[order][1:][twice][0])]
        raise ValueError(f"relation with total cell {relation.total} names a cell twice: {relation.cells}")
    return lengths, owner, cells, coefficients


def _vector(name: str, data: npt.ArrayLike, n: int) -> FloatArray:
    array = np.array(data, dtype=np.float64, copy=True)
    if array.shape != (n,):
        raise ValueError(f"{name} has shape {array.shape}, expected ({n},) like keys")
    array.setflags(write=False)
    return array
