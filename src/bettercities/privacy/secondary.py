r"""Secondary (complementary) suppression: which further cells to withhold so that no primary cell is exposed.

The pattern is chosen by a mixed-integer program solved with HiGHS (``scipy.optimize.milp``) and then
verified by the attacker's audit (:mod:`.audit`); cells are added by cuts until the audit passes. The
approach is the classical one of Fischetti and Salazar-González ("Models and algorithms for optimizing
cell suppression in tabular data with linear constraints", JASA 95, 2000) in a simplified form: a small
MILP with necessary conditions, and the exact LP check as the separation step (Hundepool et al.,
*Statistical Disclosure Control*, Wiley 2012, ch. 4; τ-ARGUS's "Optimal" method).

The MILP, with a binary :math:`s_j` per candidate cell (1 = withheld) and cost :math:`c_j`:

.. math::

    \min \sum_j c_j s_j \quad \text{s.t.}\quad
    s_p = 1 \;(p \text{ primary}), \qquad
    s_c \le \sum_{j \in r,\, j \ne c} s_j \;(c \in r), \qquad
    \sum_{j \in r,\, j \ne p} \kappa_{rj} s_j \ge
    \min\Bigl(w_p - v_p, \sum_{j \in r,\, j \ne p} \kappa_{rj}\Bigr) \;(p \in r),

plus the cuts added after each audit. The second family says that a relation never has exactly one
withheld cell (that cell would be its published cells' difference). The third is the protection capacity
of primary cell :math:`p` (value :math:`v_p`, required width :math:`w_p`) in relation :math:`r`: with the
relation's other cells published except the withheld ones, the attacker's interval of :math:`p` reaches
down to 0 (a room of :math:`v_p`, the a-priori lower bound) and up by at most what the other withheld cells
can give back by falling to 0, :math:`\kappa_{rj} = |a_{rj}| v_j / |a_{rp}|` (the cell's value in units of
:math:`p` through the relation's coefficients :math:`a`; a zero cell gives nothing). For one relation whose
total is published this is exactly the condition :math:`hi - lo \ge w_p`; elsewhere it is a necessary-style
heuristic, which is why the audit decides. The right-hand side is capped at what the relation can give, so
the program stays feasible; the audit catches what the cap lets through.

The cut after an audit: if primary cell :math:`p` is exposed under pattern :math:`W`, let :math:`C` be its
component of withheld cells and :math:`N(C)` the cells of the relations touching :math:`C`. Every safe
pattern withholds a cell of :math:`N(C) \setminus W`: a pattern that withholds none of them gives
:math:`p` a component inside :math:`C` whose LP is the LP under :math:`W` with more cells fixed, so its
interval is no wider. Hence :math:`\sum_{j \in N(C) \setminus W} s_j \ge 1` removes no safe pattern.
Each exposed cell also gets its capacity cut from the duals of its two audit programs
(:func:`_capacity_cut`), which says how much room the other cells must add; without it, tables whose
relations form cycles (a quantity chain such as inhabitants = under 65 + 65 and over, under 65 = under 15
+ 15 to 64, across a hierarchy) needed many rounds.

After an audit round that found exposed cells, the next solve is a local repair: only the candidate cells
within two relations of the exposed cells' components stay free, the others keep their state, so the program
is small. A repaired pattern that passes the audit is kept when its cost is within :data:`MIP_GAP` of the dual
bound of the latest solve of the whole program, as long as no cell has joined the candidates since (cuts only
remove patterns, so that bound holds for every later program; the gap is the one at which HiGHS calls its own
solutions optimal). Otherwise it is confirmed by one solve of the whole program with every cut so far (it
usually returns the same or a cheaper safe pattern at once; if its pattern fails the audit, repairs go on
from there). On a register aggregated to 9,000 blocks with 33 persons per block (112,453 cells, a quarter
withheld) the whole program took 10-14 s per solve and confirmed repaired patterns within 0.01 % five times
in a row. If the rounds run out after a safe repair, that pattern is returned as
``"feasible"``; if a repair has no solution, the whole program is solved.

Only cells within two relations of a primary cell get variables at first; the cells of a cut join. In a
relation some of whose cells have no variable yet, those cells are represented by one binary stand-in that
costs as much as the cheapest of them; when a solution uses a stand-in, the relation's cells get variables
and the program is solved again before the audit (no complement is chosen whose only partner is a cell the
program cannot see).

If the rounds run out, or the solver fails or stops at its node limit without a solution, the fallback
withholds every cell of the relations touching each exposed component and repeats until the audit passes.
With the default bounds (0 and no upper bound) and positive weights this ends at the latest when a whole
connected part of the table is withheld, where only the scale-free relations remain.

The result is deterministic: a pure function of the table, the primary cells and the widths. The table is
put in a canonical order (cells by the ``repr`` of their keys, relations by their cells), the MILP's
variables and rows follow that order, and the limits that can change the answer count work (branch-and-bound
nodes per solve, audit rounds), never seconds. A wall clock would let a loaded machine stop where an idle one
goes on, and two processes (two web workers, the CLI and the web) would publish two patterns of the same
data, which an attacker can combine. The clock remains only as a safety net that raises
:class:`ProtectionTimeout`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal, NoReturn

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from bettercities.privacy import audit
from bettercities.privacy.tables import LinearTable, Relation, Relations

log = logging.getLogger(__name__)

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

Status = Literal["optimal", "feasible", "fallback"]
#: Branch-and-bound nodes per MILP solve (a deterministic limit: the same table stops at the same node).
NODE_LIMIT = 10_000
#: Relative optimality gap at which a MILP solve stops (HiGHS `mip_rel_gap`, pinned here).
MIP_GAP = 1e-4
#: Seconds for one :func:`protect` call before :class:`ProtectionTimeout` (a safety net, never an answer).
TIME_LIMIT = 600.0
#: A cut ``sum(coefficients * s[cells]) >= rhs``.
Cut = tuple[IntArray, FloatArray, float]


@dataclass(frozen=True, eq=False)
class Suppression:
    """A protected pattern: which cells are withheld, which of them as complements, and how it was found.

    ``status`` is ``"optimal"`` when every MILP was solved to optimality and the last one passed the audit
    (or a locally repaired pattern did, within :data:`MIP_GAP` of the whole program's bound: see above),
    ``"feasible"`` when a solve stopped at its node limit with a solution that (after cuts) passed the
    audit, ``"fallback"`` when whole relations were withheld; ``iterations`` counts the MILP solves (one per
    audit round, and one per re-solve after a stand-in brought new cells in).
    """

    withheld: BoolArray
    secondary: BoolArray
    iterations: int
    status: Status


def protect(
    table: LinearTable,
    primary: npt.ArrayLike,
    width: npt.ArrayLike,
    *,
    node_limit: int = NODE_LIMIT,
    max_rounds: int = 20,
    time_limit: float = TIME_LIMIT,
) -> Suppression:
    """Choose complementary cells so that every primary cell keeps its protection interval.

    The pattern is a pure function of the table (keys, values, costs, relations, bounds), the primary
    cells and the widths: the cells and relations are put in a canonical order first (:func:`canonical`),
    and every limit that may change the answer counts work, not time. Two processes protecting the same
    data therefore publish the same pattern; two different patterns of the same table could be combined
    by an attacker.

    Parameters
    ----------
    table
        Cells, values, costs (what withholding each costs; make totals expensive to keep them
        published) and relations.
    primary
        Boolean mask of the primary (sensitive) cells; all are withheld.
    width
        Required width of each primary cell's attacker interval (see :func:`.primary.required_width`);
        a scalar or an array of the table's length.
    node_limit
        Branch-and-bound nodes per MILP solve (HiGHS ``mip_max_nodes``); a solve that reaches it with a
        solution goes on with that solution (status ``"feasible"``), one without goes to the fallback.
    max_rounds
        Audit rounds (a MILP solve followed by the audit and its cuts) before the fallback.
    time_limit
        A safety net only, in seconds for the whole call: when it is reached, :class:`ProtectionTimeout`
        is raised (and logged) instead of publishing a pattern that depends on the machine's load.

    Returns
    -------
    Suppression
        Guaranteed: ``audit.exposed(table, result.withheld, primary, width)`` is empty. If even withholding
        every related cell cannot protect a cell (the a-priori bounds and relations alone determine it),
        a ``ValueError`` names the cell.

    Examples
    --------
    >>> from bettercities.privacy.tables import LinearTable, Relation, Relations
    >>> t = LinearTable(keys=("district", "a", "b", "c"), values=np.array([17.0, 2.0, 5.0, 10.0]),
    ...                 cost=np.array([100.0, 2.0, 5.0, 10.0]), relations=(Relation(0, (1, 2, 3)),))
    >>> result = protect(t, np.array([False, True, False, False]), 3.0)
    >>> result.withheld.tolist(), result.status
    ([False, True, True, False], 'optimal')
    """
    if max_rounds < 0 or node_limit < 1 or time_limit <= 0:
        raise ValueError("max_rounds must be >= 0, node_limit >= 1 and time_limit > 0")
    n = len(table)
    primary_mask = np.asarray(primary)
    if primary_mask.dtype != np.bool_ or primary_mask.shape != (n,):
        raise ValueError(f"primary must be a boolean mask of shape ({n},)")
    widths = np.array(np.broadcast_to(np.asarray(width, dtype=np.float64), (n,)))
    if np.any(np.isnan(widths[primary_mask])) or np.any(widths[primary_mask] < 0):
        raise ValueError("width must be >= 0 for every primary cell")
    if not primary_mask.any():
        empty = np.zeros(n, dtype=np.bool_)
        return Suppression(withheld=empty, secondary=empty.copy(), iterations=0, status="optimal")
    deadline = _Deadline(time_limit)
    order = canonical(table.keys)
    if np.array_equal(order, np.arange(n)) and _relations_canonical(table):
        return _protect(table, primary_mask, widths, node_limit, max_rounds, deadline)
    inner = _protect(
        _reordered(table, order), primary_mask[order], widths[order], node_limit, max_rounds, deadline
    )
    withheld = np.zeros(n, dtype=np.bool_)
    withheld[order] = inner.withheld
    return _result(withheld, primary_mask, inner.iterations, inner.status)


def canonical(keys: Sequence[Hashable]) -> IntArray:
    """The canonical order of a table's cells: positions sorted by ``repr`` of their keys.

    :func:`protect` works on the table in this order, so that its result does not depend on the order in
    which a caller lists the cells; a caller that builds its table in this order (and its relations with
    :func:`canonical_relations`) saves the reordered copy. Keys with equal ``repr`` keep their order.
    """
    reprs = [repr(key) for key in keys]
    return np.array(sorted(range(len(reprs)), key=reprs.__getitem__), dtype=np.intp)


def canonical_relations(relations: Iterable[Relation]) -> tuple[Relation, ...]:
    """Relations in the canonical order :func:`protect` uses: parts ascending (weights alongside), then
    the relations by total and parts."""
    out = []
    for relation in relations:
        weights = relation.weights if relation.weights is not None else (1.0,) * len(relation.parts)
        pairs = sorted(zip(relation.parts, weights, strict=True))
        out.append(
            Relation(
                relation.total,
                tuple(p for p, _ in pairs),
                None if relation.weights is None else tuple(float(w) for _, w in pairs),
            )
        )
    return tuple(sorted(out, key=lambda r: (r.total, r.parts)))


def _relations_canonical(table: LinearTable) -> bool:
    if isinstance(table.relations, Relations):
        return _arrays_canonical(table.relations)
    previous: tuple[int, tuple[int, ...]] | None = None
    for relation in table.relations:
        parts = relation.parts
        if any(a >= b for a, b in pairwise(parts)):
            return False
        current = (relation.total, parts)
        if previous is not None and not previous < current:
            return False
        previous = current
    return True


def _arrays_canonical(relations: Relations) -> bool:
    """:func:`_relations_canonical` for relations held as arrays (no Python object per relation)."""
    totals, indptr, parts = relations.totals, relations.indptr, relations.parts
    step = np.diff(parts)
    within = np.ones(step.size, dtype=np.bool_)
    within[indptr[1:-1][(indptr[1:-1] > 0) & (indptr[1:-1] < parts.size)] - 1] = False
    if np.any(step[within] <= 0):
        return False  # parts not strictly ascending within a relation
    rising = np.diff(totals)
    if np.any(rising < 0):
        return False
    for r in np.flatnonzero(rising == 0).tolist():  # equal totals: the parts decide
        first = tuple(parts[indptr[r] : indptr[r + 1]].tolist())
        second = tuple(parts[indptr[r + 1] : indptr[r + 2]].tolist())
        if not first < second:
            return False
    return True


def _reordered(table: LinearTable, order: IntArray) -> LinearTable:
    """The table with cell ``order[i]`` at position ``i`` and its relations in canonical order."""
    position = np.empty(order.size, dtype=np.intp)
    position[order] = np.arange(order.size)
    relations = canonical_relations(
        Relation(
            int(position[r.total]),
            tuple(int(position[p]) for p in r.parts),
            r.weights,
        )
        for r in table.relations
    )
    return LinearTable(
        keys=tuple(table.keys[i] for i in order),
        values=table.values[order],
        cost=table.cost[order],
        relations=relations,
        lower=table.lower_bounds[order],
        upper=table.upper_bounds[order],
    )


class ProtectionTimeout(RuntimeError):
    """The wall-clock safety net of :func:`protect` was reached (no pattern is returned)."""


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            self.expired()
        return left

    def expired(self) -> NoReturn:
        message = (
            f"secondary suppression did not finish within its safety limit of {self.seconds:g} s; no "
            "pattern is published (a pattern cut short by the clock would depend on the machine's load)"
        )
        log.error(message)
        raise ProtectionTimeout(message)


def _protect(
    table: LinearTable,
    primary: BoolArray,
    widths: FloatArray,
    node_limit: int,
    max_rounds: int,
    deadline: _Deadline,
) -> Suppression:
    """:func:`protect` on a table in canonical order."""
    incidence = sparse.csr_array(table.matrix != 0, dtype=np.int8)
    by_cell = sparse.csr_array(incidence.T)
    candidate = primary | _neighbourhood(incidence, by_cell, primary)
    candidate |= _neighbourhood(incidence, by_cell, candidate)
    cuts: list[Cut] = []
    withheld = primary.copy()
    safe: BoolArray | None = None  # the latest pattern that passed the audit after a local repair
    free: BoolArray | None = None  # None: a full solve; else the cells a local repair may change
    status: Status = "optimal"
    rounds = 0
    solves = 0
    cache: dict[bytes, list[int]] = {}
    # the dual bound of the latest solve of the whole program: no pattern of that program costs less, nor of
    # any later one while no cell joins the candidates (cuts only remove patterns); -inf once one joins
    bound = -np.inf
    while rounds < max_rounds:
        solves += 1
        fixed = None if free is None else candidate & ~free
        solved = _solve(
            table, incidence, by_cell, primary, widths, candidate, cuts, node_limit, deadline, fixed, withheld
        )
        if solved is None:
            if free is None:
                break
            free = None  # the repair found nothing within its neighbourhood: solve the whole program
            continue
        selection, optimal, expand, dual = solved
        if not optimal:
            status = "feasible"
        if free is None:
            bound = dual
        withheld = primary | selection  # the fallback starts from the latest solution
        if expand.any():
            candidate |= expand  # a stand-in was used: solve again with its relation's cells
            bound = -np.inf
            continue
        rounds += 1
        exposed = audit.exposed(table, withheld, primary, widths, cache=cache)
        deadline.remaining()
        if exposed.size == 0:
            if free is None or _within_gap(float(table.cost[withheld].sum()), bound):
                return _result(withheld, primary, solves, status)
            # a repaired pattern is safe but perhaps not the cheapest: solve the whole program with every
            # cut so far, which usually confirms it (or a cheaper one) at once
            safe, free = withheld, None
            continue
        new_cuts = _cuts(table, incidence, by_cell, withheld, exposed, widths)
        if new_cuts is None:
            break
        for cut in new_cuts:
            cuts.append(cut)
            if not candidate[cut[0]].all():
                candidate[cut[0]] = True
                bound = -np.inf
        free = _repair_region(table, incidence, by_cell, withheld, exposed)
    if safe is not None:
        return _result(safe, primary, solves, "feasible")
    return _fallback(table, incidence, by_cell, withheld, primary, widths, solves, cache, deadline)


def _within_gap(cost: float, bound: float) -> bool:
    """Whether a pattern of ``cost`` is optimal within :data:`MIP_GAP` given a lower ``bound`` of every
    pattern's cost: the gap at which HiGHS itself calls a solution optimal (relative to the solution)."""
    return cost - bound <= MIP_GAP * abs(cost)


def _repair_region(
    table: LinearTable,
    incidence: sparse.csr_array,
    by_cell: sparse.csr_array,
    withheld: BoolArray,
    exposed: IntArray,
) -> BoolArray:
    """The cells within two relations of the withheld components that hold an exposed cell: what a local
    repair may change (the rest of the pattern stays as it is, so the repair is a small program)."""
    exposed_set = set(exposed.tolist())
    hit = [c.cells for c in audit.components(table, withheld) if not exposed_set.isdisjoint(c.cells.tolist())]
    region = _around(incidence, by_cell, np.concatenate(hit), len(table))
    return region | _neighbourhood(incidence, by_cell, region)


def _solve(
    table: LinearTable,
    incidence: sparse.csr_array,
    by_cell: sparse.csr_array,
    primary: BoolArray,
    widths: FloatArray,
    candidate: BoolArray,
    cuts: list[Cut],
    node_limit: int,
    deadline: _Deadline,
    fixed: BoolArray | None = None,
    current: BoolArray | None = None,
) -> tuple[BoolArray, bool, BoolArray, float] | None:
    """One MILP over the candidate cells, or None when the solver gives no solution.

    ``fixed`` cells (a local repair) keep their state in ``current``.

    Returns the selection, whether it is optimal, the cells of the open relations whose stand-in was
    used (they become candidates and the program is solved again before any audit), and the solver's dual
    bound (no solution of this program costs less; -inf when the solver gives none). Variables: the
    candidate cells in table order, then :math:`t_r` per touched relation, then the stand-ins.
    """
    n = len(table)
    cells = np.flatnonzero(candidate)
    column = np.full(n, -1, dtype=np.intp)
    column[cells] = np.arange(cells.size)
    touched = np.flatnonzero(by_cell[cells].sum(axis=0) > 0)
    sub = incidence[touched]
    sizes = np.diff(sub.indptr)
    owner = np.repeat(np.arange(touched.size), sizes)  # relation position of every (relation, cell) entry
    member_column = column[sub.indices]
    inside = member_column >= 0
    is_open = np.bincount(owner[inside], minlength=touched.size) < sizes
    k, m, o = cells.size, touched.size, int(is_open.sum())

    # never alone: t_r = sum_{j in r} s_j and 2 s_c - t_r <= 0 (linear in the relation's size). The cells
    # of an open relation without a variable are represented by one binary stand-in o_r at the cost of the
    # cheapest of them: a solution that uses it names the relation whose cells must join the candidates.
    opened = np.flatnonzero(is_open)
    outside_cost = np.where(inside, np.inf, table.cost[sub.indices])
    stand_in_cost = np.minimum.reduceat(outside_cost, sub.indptr[:-1])[opened] if m else np.zeros(0)
    pairs = np.flatnonzero(inside)
    rows = [owner[pairs], np.arange(m), opened, m + np.arange(pairs.size), m + np.arange(pairs.size)]
    cols = [
        member_column[pairs],
        k + np.arange(m),
        k + m + np.arange(o),
        member_column[pairs],
        k + owner[pairs],
    ]
    data = [np.ones(pairs.size), -np.ones(m), np.ones(o), np.full(pairs.size, 2.0), -np.ones(pairs.size)]
    lower = [np.zeros(m), np.full(pairs.size, -np.inf)]
    upper = [np.zeros(m), np.zeros(pairs.size)]
    height = m + pairs.size

    def add(entries: list[tuple[int, float]], lo: float) -> None:
        nonlocal height
        rows.append(np.full(len(entries), height))
        cols.append(np.array([c for c, _ in entries], dtype=np.intp))
        data.append(np.array([v for _, v in entries], dtype=np.float64))
        lower.append(np.array([lo]))
        upper.append(np.array([np.inf]))
        height += 1

    # protection capacity of every primary cell in every relation that contains it: one row per (cell,
    # relation) pair, in the order of the cells and of their relations, built for all pairs at once (a
    # loop per primary cell cost a fifth of a city's protection)
    needs = widths - table.values
    sensitive = np.flatnonzero(primary & (needs > audit.TOLERANCE))
    pair, relation_of_pair, _ = audit.row_entries(by_cell, sensitive)
    cell_of_pair = sensitive[pair]
    entry_pair, member, coefficient = audit.row_entries(table.matrix, relation_of_pair)
    is_self = member == cell_of_pair[entry_pair]
    a_p = np.zeros(relation_of_pair.size)
    a_p[entry_pair[is_self]] = np.abs(coefficient[is_self])
    other = ~is_self
    entry_pair, member = entry_pair[other], member[other]
    capacity = np.abs(coefficient[other]) * np.maximum(table.values[member], 0.0) / a_p[entry_pair]
    available = np.bincount(entry_pair, weights=capacity, minlength=relation_of_pair.size)
    positive = capacity > 0
    used = (np.bincount(entry_pair[positive], minlength=relation_of_pair.size) > 0) & (available > 0)
    row_of_pair = np.cumsum(used) - 1 + height
    taken = positive & used[entry_pair]
    rows.append(row_of_pair[entry_pair[taken]])
    cols.append(column[member[taken]])
    data.append(capacity[taken])
    lower.append(np.minimum(needs[cell_of_pair[used]], available[used]) * (1 - 1e-9))
    upper.append(np.full(int(used.sum()), np.inf))
    height += int(used.sum())

    for cut_cells, coefficients, rhs in cuts:
        add([(int(column[j]), float(c)) for j, c in zip(cut_cells, coefficients, strict=True)], rhs)

    variables = k + m + o
    objective = np.concatenate([table.cost[cells], np.zeros(m), stand_in_cost])
    lb = np.concatenate([primary[cells].astype(np.float64), np.zeros(m + o)])
    ub = np.concatenate([np.ones(k), sizes.astype(np.float64), np.ones(o)])
    if fixed is not None and current is not None:
        pinned = np.flatnonzero(fixed[cells])
        lb[pinned] = ub[pinned] = current[cells[pinned]].astype(np.float64)
    integrality = np.concatenate([np.ones(k), np.zeros(m), np.ones(o)])
    a = sparse.csr_array(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(height, variables)
    )
    result = milp(
        objective,
        integrality=integrality,
        bounds=Bounds(lb, ub),
        constraints=[LinearConstraint(a, np.concatenate(lower), np.concatenate(upper))],
        options={
            "node_limit": node_limit,
            "mip_rel_gap": MIP_GAP,
            "time_limit": deadline.remaining(),
            "disp": False,
        },
    )
    if "time limit" in result.message.lower():
        deadline.expired()
    node_limited = "solution limit" in result.message.lower()
    if result.x is None or not (result.status == 0 or node_limited):
        return None
    x = np.asarray(result.x)
    selection = np.zeros(n, dtype=np.bool_)
    selection[cells] = x[:k] > 0.5
    expand = np.zeros(n, dtype=np.bool_)
    for relation in touched[opened[x[k + m :] > 0.5]]:
        expand[incidence.indices[incidence.indptr[relation] : incidence.indptr[relation + 1]]] = True
    dual = getattr(result, "mip_dual_bound", None)
    return selection, result.status == 0, expand, -np.inf if dual is None else float(dual)


def _cuts(
    table: LinearTable,
    incidence: sparse.csr_array,
    by_cell: sparse.csr_array,
    withheld: BoolArray,
    exposed: IntArray,
    widths: FloatArray,
) -> list[Cut] | None:
    r"""Cuts for the components with an exposed cell; None when a component has no cell left to add.

    Per component: at least one more cell of :math:`N(C) \setminus W` (see the module docstring), and per
    exposed cell its capacity cut (:func:`_capacity_cut`) where the duals allow it.
    """
    cuts: list[Cut] = []
    exposed_set = set(exposed.tolist())
    for component in audit.components(table, withheld):
        hit = [int(c) for c in component.cells if int(c) in exposed_set]
        if not hit:
            continue
        around = _around_cells(incidence, by_cell, component.cells)
        cut = around[~withheld[around]]
        if cut.size == 0:
            return None
        cuts.append((cut, np.ones(cut.size), 1.0))
        for p in hit:
            capacity = _capacity_cut(table, component, withheld, p, float(widths[p]))
            if capacity is not None:
                cuts.append(capacity)
    return cuts


def _capacity_cut(
    table: LinearTable, component: audit.Component, withheld: BoolArray, p: int, width: float
) -> Cut | None:
    r"""The capacity (Benders) cut of an exposed primary cell from the duals of its two audit programs.

    With :math:`y = x - v` and :math:`s` the pattern, the attacker's upward room of :math:`p` is
    :math:`\max\{y_p : A y = 0,\; (l_j - v_j) s_j \le y_j \le (u_j - v_j) s_j\}`. For any multipliers
    :math:`\lambda`, weak duality bounds it by :math:`\sum_j s_j g_j(\lambda)` with
    :math:`g_j = \max_{y_j} (e_p - A^	op \lambda)_j\, y_j` over the cell's box, and with the optimal
    :math:`\lambda^*` of the current pattern the bound is tight. Likewise downward. So every pattern that
    protects :math:`p` satisfies :math:`\sum_j (g^{up}_j + g^{down}_j) s_j \ge w_p`, which the current one
    violates (Fischetti and Salazar-González 2000, the "capacity constraints"). Coefficients above
    :math:`w_p` are lowered to :math:`w_p` (the same binary solutions). None when a program's duals do not
    reproduce its optimum (numerical trouble): the cell-adding cut still applies.
    """
    # everything in the columns of the component's relations (and p): a coefficient is 0 elsewhere, and
    # this runs once per exposed cell, so no step may cost the table's size
    problem = audit.Problem(table, component, withheld)
    cells = component.cells
    position = int(np.flatnonzero(cells == p)[0])
    row, column, data = audit.row_entries(table.matrix, component.relations)
    local = np.unique(np.append(column, p))
    at = np.searchsorted(local, column)
    at_p = int(np.searchsorted(local, p))
    room_up = table.upper_bounds[local] - table.values[local]
    room_down = table.lower_bounds[local] - table.values[local]
    hidden = withheld[local]
    total = np.zeros(local.size)
    for sign in (1.0, -1.0):
        c = np.zeros(cells.size)
        c[position] = -sign
        res = linprog(c, A_eq=problem.a_eq, b_eq=problem.b_eq, bounds=problem.bounds, method="highs")
        if res.status != 0 or res.eqlin is None:
            return None
        reached = sign * (float(res.x[position]) - table.values[p])
        duals = np.asarray(res.eqlin.marginals, dtype=np.float64)
        for multipliers in (duals, -duals):
            coefficient = -np.bincount(at, weights=data * multipliers[row], minlength=local.size)
            coefficient[at_p] += sign
            coefficient[np.abs(coefficient) < 1e-9] = 0.0
            with np.errstate(invalid="ignore"):
                g = np.where(
                    coefficient > 0,
                    coefficient * room_up,
                    np.where(coefficient < 0, coefficient * room_down, 0.0),
                )
            if abs(float(g[hidden].sum()) - reached) <= 1e-6 * (1.0 + abs(reached)):
                break
        else:
            return None
        total += g
    chosen = total > 1e-9
    if not chosen.any():
        return None
    return local[chosen], np.minimum(total[chosen], width), width * (1 - 1e-9)


def _fallback(
    table: LinearTable,
    incidence: sparse.csr_array,
    by_cell: sparse.csr_array,
    withheld: BoolArray,
    primary: BoolArray,
    widths: FloatArray,
    rounds: int,
    cache: dict[bytes, list[int]],
    deadline: _Deadline,
) -> Suppression:
    """Withhold every cell of the relations touching each exposed component until the audit passes."""
    withheld = withheld | primary
    while True:
        exposed = audit.exposed(table, withheld, primary, widths, cache=cache)
        deadline.remaining()
        if exposed.size == 0:
            return _result(withheld, primary, rounds, "fallback")
        grown = withheld.copy()
        exposed_set = set(exposed.tolist())
        for component in audit.components(table, withheld):
            if not exposed_set.isdisjoint(component.cells.tolist()):
                grown[_around_cells(incidence, by_cell, component.cells)] = True
        if np.array_equal(grown, withheld):
            names = ", ".join(repr(table.keys[i]) for i in exposed[:5])
            raise ValueError(
                f"cannot protect {names}: with every related cell withheld, the relations and a-priori "
                "bounds alone narrow it below its required width"
            )
        withheld = grown


def _neighbourhood(incidence: sparse.csr_array, by_cell: sparse.csr_array, mask: BoolArray) -> BoolArray:
    """Cells that share a relation with a cell of ``mask``."""
    relations = np.asarray(by_cell[np.flatnonzero(mask)].sum(axis=0)).ravel() > 0
    cells = np.asarray(incidence[np.flatnonzero(relations)].sum(axis=0)).ravel() > 0
    return np.asarray(cells, dtype=np.bool_)


def _around(incidence: sparse.csr_array, by_cell: sparse.csr_array, cells: IntArray, n: int) -> BoolArray:
    mask = np.zeros(n, dtype=np.bool_)
    mask[cells] = True
    return mask | _neighbourhood(incidence, by_cell, mask)


def _around_cells(incidence: sparse.csr_array, by_cell: sparse.csr_array, cells: IntArray) -> IntArray:
    """``cells`` and the cells sharing a relation with one of them, ascending: :func:`_around` for a few
    cells, in work proportional to their relations' sizes (not the table's; it runs once per exposed
    component)."""
    _, relations, _ = audit.row_entries(by_cell, cells)
    _, members, _ = audit.row_entries(incidence, np.unique(relations))
    return np.unique(np.concatenate([np.asarray(cells, dtype=np.intp), members]))


def _result(withheld: BoolArray, primary: BoolArray, rounds: int, status: Status) -> Suppression:
    return Suppression(withheld=withheld, secondary=withheld & ~primary, iterations=rounds, status=status)
