r"""The attacker's audit: how far a withheld cell can be narrowed from what is published.

An attacker knows every published cell's value, every relation of the table and the a-priori bounds of
every cell. For a withheld cell :math:`c` the values it can still take form the interval

.. math:: lo_c = \min x_c, \quad hi_c = \max x_c \quad \text{s.t.} \quad A x = 0,\;
          x_j = v_j \;(j \text{ published}),\; l \le x \le u,

two linear programs per withheld cell (Hundepool et al., *Statistical Disclosure Control*, Wiley 2012,
ch. 4: the attacker's feasibility interval, which τ-ARGUS's audit computes). They are solved with HiGHS
(``scipy.optimize.linprog(method="highs")``) on the connected components of the withheld cells: two
withheld cells interact only through a chain of relations that each contain a withheld cell, so a relation
whose cells are all published is a constant and each component is an independent, small program.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from bettercities.privacy.tables import LinearTable

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: An interval narrower than the required width by more than this is exposed.
TOLERANCE = 1e-7


@dataclass(frozen=True)
class Component:
    """Withheld cells linked by relations, with the relations that link them."""

    cells: IntArray
    relations: IntArray


def components(table: LinearTable, withheld: npt.ArrayLike) -> list[Component]:
    """Connected components of the withheld cells; two are linked when a relation contains both.

    Only relations with at least one withheld cell appear; a withheld cell in no relation is a component
    of its own with no relations.
    """
    mask = _mask(table, withheld)
    cells = np.flatnonzero(mask)
    if cells.size == 0:
        return []
    incidence = sparse.csr_array(table.matrix[:, cells] != 0)
    active = np.flatnonzero(incidence.sum(axis=1) > 0)
    b = incidence[active]
    m, k = b.shape
    graph = sparse.block_array([[None, b.T], [b, None]], format="csr") if m else sparse.csr_array((k, k))
    _, labels = connected_components(graph, directed=False)
    cell_labels = labels[:k]
    relation_labels = labels[k:]
    # grouped by one sort each (a scan of all cells per component made this quadratic in the number of
    # components, which tables with many small cells have by the thousand); cells and relations stay
    # ascending within a component (stable sorts of ascending arrays)
    order = np.argsort(cell_labels, kind="stable")
    sorted_labels = cell_labels[order]
    unique, starts = np.unique(sorted_labels, return_index=True)
    stops = np.append(starts[1:], k)
    relation_order = np.argsort(relation_labels, kind="stable")
    sorted_relation_labels = relation_labels[relation_order]
    relation_starts = np.searchsorted(sorted_relation_labels, unique, side="left")
    relation_stops = np.searchsorted(sorted_relation_labels, unique, side="right")
    members = cells[order]
    linked = active[relation_order]
    return [
        Component(cells=members[a:b], relations=linked[c:d])
        for a, b, c, d in zip(
            starts.tolist(), stops.tolist(), relation_starts.tolist(), relation_stops.tolist(), strict=True
        )
    ]


def row_entries(matrix: sparse.csr_array, rows: IntArray) -> tuple[IntArray, IntArray, FloatArray]:
    """The stored entries of some rows of a CSR matrix: (position in ``rows``, column, value) of each, read
    from the index arrays directly (fancy indexing a scipy matrix costs time in its column count)."""
    starts = matrix.indptr[rows]
    lengths = matrix.indptr[np.asarray(rows) + 1] - starts
    total = int(lengths.sum())
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)
    return (
        np.repeat(np.arange(lengths.size), lengths),
        matrix.indices[offsets].astype(np.intp),
        matrix.data[offsets],
    )


def intervals(
    table: LinearTable, withheld: npt.ArrayLike, *, cells: npt.ArrayLike | None = None
) -> tuple[FloatArray, FloatArray]:
    """The attacker's feasible interval ``[lo, hi]`` of every withheld cell.

    Parameters
    ----------
    table
        The table with its relations and a-priori bounds.
    withheld
        Boolean mask of the withheld cells; every other cell is published at its true value.
    cells
        Optionally, indices of the withheld cells whose intervals are wanted (default: all withheld);
        components without such a cell are not solved.

    Returns
    -------
    lo, hi
        Arrays of the table's length; NaN for cells that are published or not asked for. ``hi`` may be
        ``inf`` (nothing bounds the cell from above).

    Examples
    --------
    >>> from bettercities.privacy.tables import LinearTable, Relation
    >>> t = LinearTable(keys=("total", "a", "b"), values=np.array([10.0, 2.0, 8.0]),
    ...                 cost=np.ones(3), relations=(Relation(0, (1, 2)),))
    >>> lo, hi = intervals(t, np.array([False, True, True]))
    >>> lo.tolist(), hi.tolist()
    ([nan, 0.0, 0.0], [nan, 10.0, 10.0])
    """
    mask = _mask(table, withheld)
    wanted = mask.copy() if cells is None else _wanted(table, mask, cells)
    lo = np.full(len(table), np.nan)
    hi = np.full(len(table), np.nan)
    by_lp: list[Problem] = []
    for problem in _problems(table, mask, wanted):
        if not problem.closed_form:
            by_lp.append(problem)
            continue
        for position in np.flatnonzero(wanted[problem.cells]):
            lo[problem.cells[position]] = problem.bound(position, maximise=False)
            hi[problem.cells[position]] = problem.bound(position, maximise=True)
    if by_lp:
        _intervals_by_lp(_Batch(by_lp), wanted, lo, hi)
    return lo, hi


def exposed(
    table: LinearTable,
    withheld: npt.ArrayLike,
    primary: npt.ArrayLike,
    width: npt.ArrayLike,
    *,
    cache: dict[bytes, list[int]] | None = None,
) -> IntArray:
    """Indices of the primary cells whose feasible interval is narrower than required.

    A primary cell ``p`` is exposed when it is published, or when ``hi - lo < width[p] - 1e-7``. Every
    optimal solution of an LP is a feasible table, so the spread of a cell over the solutions found so far
    (and the true values) is a lower bound on its interval's width; a cell whose spread already reaches
    its width needs no further programs.

    A component's program depends only on its cells (its relations are those touching them, and every
    other cell of those relations is published), so a caller auditing several patterns of the same table,
    primary cells and widths may pass one ``cache`` dict to all calls; components seen before are not
    solved again.

    Examples
    --------
    >>> from bettercities.privacy.tables import LinearTable, Relation
    >>> t = LinearTable(keys=("total", "a", "b"), values=np.array([10.0, 2.0, 8.0]),
    ...                 cost=np.ones(3), relations=(Relation(0, (1, 2)),))
    >>> exposed(t, np.array([False, True, False]), np.array([False, True, False]), np.full(3, 3.0)).tolist()
    [1]
    >>> exposed(t, np.array([False, True, True]), np.array([False, True, False]), np.full(3, 3.0)).tolist()
    []
    """
    mask = _mask(table, withheld)
    primary_mask = _mask(table, primary)
    need = np.broadcast_to(np.asarray(width, dtype=np.float64), (len(table),)) - TOLERANCE
    result = set(np.flatnonzero(primary_mask & ~mask).tolist())
    wanted = primary_mask & mask
    by_lp: list[Problem] = []
    for component in components(table, mask):
        if not wanted[component.cells].any():
            continue
        key = component.cells.tobytes()
        if cache is not None and key in cache:
            result.update(cache[key])
            continue
        problem = Problem(table, component, mask)
        if not problem.closed_form:
            by_lp.append(problem)
            continue
        found = []
        for position in np.flatnonzero(wanted[problem.cells]):
            lo, hi = problem.bound(position, maximise=False), problem.bound(position, maximise=True)
            if not hi - lo >= need[problem.cells[position]]:
                found.append(int(problem.cells[position]))
        if cache is not None:
            cache[key] = found
        result.update(found)
    if by_lp:
        for problem, found in zip(by_lp, _exposed_by_lp(by_lp, table.values, need, wanted), strict=True):
            if cache is not None:
                cache[problem.cells.tobytes()] = found
            result.update(found)
    return np.array(sorted(result), dtype=np.intp)


def _exposed_by_lp(
    problems: list[Problem], values: FloatArray, need: FloatArray, wanted: BoolArray
) -> list[list[int]]:
    """Exposed cells of components that need linear programs, all components batched together.

    A wanted cell is pushed up (then down) with its own bound capped a little beyond ``value +- need``: a
    point of the capped program is a point of the original one, and reaching the cap proves the width, so
    every program here is bounded. The components are independent, so one program over several of them
    with a separable objective (one pushed cell, or one joint push, per component) solves each of them at
    once: first all wanted cells of a component up together, then down together, then, for the cells not
    yet proven, one cell per component per program.
    """
    batch = _Batch(problems)
    cells, owner = batch.cells, batch.owner
    v, w = values[cells], need[cells]
    low, high = v.copy(), v.copy()
    targets = np.flatnonzero(wanted[cells] & (w > 0))  # a width of 0 holds without a program
    # the cap lies well beyond the width, so that reaching it proves the width despite rounding and the
    # solver's feasibility tolerance
    reach = 2 * w + 1e-6 * (1 + np.abs(v))
    tried = np.zeros((cells.size, 2), dtype=np.bool_)  # [pushed up, pushed down]

    def solve(up: IntArray, down: IntArray) -> None:
        objective = np.zeros(cells.size)
        objective[up] = -1.0
        objective[down] = 1.0
        box = batch.bounds.copy()
        box[up, 1] = np.minimum(box[up, 1], v[up] + reach[up])
        box[down, 0] = np.maximum(box[down, 0], v[down] - reach[down])
        try:
            cols, x = batch.solve(np.unique(owner[np.concatenate([up, down])]), objective, box)
        except _Unbounded as error:  # every pushed cell is capped, so this is a solver fault
            raise RuntimeError("capped audit LP reported unbounded") from error
        low[cols] = np.minimum(low[cols], x)
        high[cols] = np.maximum(high[cols], x)

    none = np.zeros(0, dtype=np.intp)
    several = targets[np.bincount(owner[targets], minlength=len(problems))[owner[targets]] > 1]
    if several.size:
        solve(several, none)
        solve(none, several)
    while True:
        pending = targets[(high[targets] - low[targets] < w[targets]) & ~tried[targets].all(axis=1)]
        if pending.size == 0:
            break
        _, first = np.unique(owner[pending], return_index=True)
        chosen = pending[first]
        going_up = ~tried[chosen, 0]
        tried[chosen[going_up], 0] = True
        tried[chosen[~going_up], 1] = True
        solve(chosen[going_up], chosen[~going_up])
    short = targets[~(high[targets] - low[targets] >= w[targets])]
    found: list[list[int]] = [[] for _ in problems]
    for index in short:
        found[owner[index]].append(int(cells[index]))
    return found


def _intervals_by_lp(batch: _Batch, wanted: BoolArray, lo: FloatArray, hi: FloatArray) -> None:
    """Exact intervals of the wanted cells of LP components: in each step, one (cell, direction) per
    component, all in one program; a program that is unbounded is split until the unbounded cell is alone."""
    tasks: list[list[tuple[int, bool]]] = [[] for _ in range(int(batch.owner.max()) + 1)]
    for index in np.flatnonzero(wanted[batch.cells]):
        tasks[batch.owner[index]].extend([(int(index), True), (int(index), False)])

    def run(step: list[tuple[int, bool]]) -> None:
        objective = np.zeros(batch.cells.size)
        for index, maximise in step:
            objective[index] = -1.0 if maximise else 1.0
        blocks = np.array(sorted({int(batch.owner[index]) for index, _ in step}))
        try:
            cols, x = batch.solve(blocks, objective, batch.bounds)
        except _Unbounded:
            if len(step) > 1:
                run(step[: len(step) // 2])
                run(step[len(step) // 2 :])
                return
            index, maximise = step[0]
            (hi if maximise else lo)[batch.cells[index]] = np.inf if maximise else -np.inf
            return
        position = np.full(batch.cells.size, -1)
        position[cols] = np.arange(cols.size)
        for index, maximise in step:
            (hi if maximise else lo)[batch.cells[index]] = x[position[index]]

    for k in range(max(len(t) for t in tasks)):
        step = [t[k] for t in tasks if len(t) > k]
        if step:
            run(step)


class _Batch:
    """Independent component programs stacked block-diagonally; any subset of them is one program, and a
    separable objective over them solves each at once (saving scipy's per-call overhead, which dominates
    programs this small)."""

    def __init__(self, problems: list[Problem]) -> None:
        sizes = np.array([p.cells.size for p in problems])
        heights = np.array([p.a_eq.shape[0] for p in problems])
        self.col_start = np.concatenate([[0], np.cumsum(sizes)])
        self.row_start = np.concatenate([[0], np.cumsum(heights)])
        self.a = sparse.block_diag([sparse.csr_array(p.a_eq) for p in problems], format="csr")
        self.b = np.concatenate([p.b_eq for p in problems])
        self.bounds = np.vstack([p.bounds for p in problems])
        self.cells = np.concatenate([p.cells for p in problems])
        self.owner = np.repeat(np.arange(len(problems)), sizes)

    def solve(self, blocks: IntArray, objective: FloatArray, box: FloatArray) -> tuple[IntArray, FloatArray]:
        """Columns of ``blocks`` and an optimal point of ``min objective x`` over them; ``_Unbounded``."""
        cols = np.concatenate([np.arange(self.col_start[i], self.col_start[i + 1]) for i in blocks])
        rows = np.concatenate([np.arange(self.row_start[i], self.row_start[i + 1]) for i in blocks])
        args = {"A_eq": self.a[rows][:, cols], "b_eq": self.b[rows], "bounds": box[cols], "method": "highs"}
        res = linprog(objective[cols], **args)
        if res.status == 4 and "unbounded" in res.message.lower():
            # presolve could not tell infeasible from unbounded; the true values are feasible
            res = linprog(objective[cols], **args, options={"presolve": False})
        if res.status == 3:
            raise _Unbounded
        if res.status != 0:
            raise RuntimeError(f"audit LP over {blocks.size} components failed: {res.message}")
        return cols, np.asarray(res.x, dtype=np.float64)


class _Unbounded(Exception):
    """The program has no finite optimum."""


class Problem:
    """The linear program of one component."""

    def __init__(self, table: LinearTable, component: Component, mask: BoolArray) -> None:
        # built from the component's own relations only: work in their entries, never in the table's size
        # (a table with many small cells has thousands of components per audit)
        self.cells = component.cells
        row, column, data = row_entries(table.matrix, component.relations)
        position = np.minimum(np.searchsorted(self.cells, column), max(self.cells.size - 1, 0))
        inside = self.cells[position] == column if self.cells.size else np.zeros(column.size, np.bool_)
        self.a_eq = np.zeros((component.relations.size, self.cells.size))
        np.add.at(self.a_eq, (row[inside], position[inside]), data[inside])
        published = ~mask[column]  # withheld cells of these relations all belong to the component
        self.b_eq = -np.bincount(
            row[published],
            weights=data[published] * table.values[column[published]],
            minlength=component.relations.size,
        ).astype(np.float64)
        self.bounds = np.column_stack([table.lower_bounds[self.cells], table.upper_bounds[self.cells]])

    @property
    def closed_form(self) -> bool:
        """Whether the component is one relation or one cell (intervals without an LP)."""
        return self.a_eq.shape[0] <= 1 or self.cells.size == 1

    def bound(self, position: int | np.integer, *, maximise: bool) -> float:
        """Minimum or maximum of one cell of a closed-form component (LP components go to ``_Batch``)."""
        if not self.closed_form:
            raise ValueError("this component needs a linear program")
        return self._closed_form(position)[1 if maximise else 0]

    def _closed_form(self, position: int | np.integer) -> tuple[float, float]:
        r"""The interval without an LP: a component of one relation, or of one cell.

        For one equality :math:`\sum_j a_j x_j = b` over a box, :math:`a_c x_c = b - S` where the rest
        :math:`S` ranges over the interval spanned by its terms' extremes, so :math:`x_c` ranges over
        :math:`(b - S)/a_c` intersected with its own bounds. With one cell, each relation fixes it and the
        interval is the intersection over the relations.
        """
        lo, hi = float(self.bounds[position, 0]), float(self.bounds[position, 1])
        for a, b in zip(self.a_eq, self.b_eq, strict=True):
            others = np.arange(a.size) != position
            with np.errstate(invalid="ignore"):
                ends = a[others, None] * self.bounds[others]
            rest_min = float(np.min(ends, axis=1).sum()) if ends.size else 0.0
            rest_max = float(np.max(ends, axis=1).sum()) if ends.size else 0.0
            first, second = (b - rest_max) / a[position], (b - rest_min) / a[position]
            lo = max(lo, min(first, second))
            hi = min(hi, max(first, second))
        return lo, hi


def _problems(table: LinearTable, mask: BoolArray, wanted: BoolArray) -> Iterator[Problem]:
    for component in components(table, mask):
        if wanted[component.cells].any():
            yield Problem(table, component, mask)


def _mask(table: LinearTable, cells: npt.ArrayLike) -> BoolArray:
    mask = np.asarray(cells)
    if mask.dtype != np.bool_ or mask.shape != (len(table),):
        raise ValueError(f"expected a boolean mask of shape ({len(table)},), got {mask.dtype} {mask.shape}")
    return mask


def _wanted(table: LinearTable, mask: BoolArray, cells: npt.ArrayLike) -> BoolArray:
    wanted = np.zeros(len(table), dtype=np.bool_)
    wanted[np.asarray(cells, dtype=np.intp)] = True
    return wanted & mask
