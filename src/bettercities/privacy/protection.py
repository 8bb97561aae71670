"""Protecting a city's published cells: the tables of its quantities, primary and secondary suppression,
cell-key perturbation and the weighted-mean rule, computed once per data version.

For every period the computation builds the cells the indicators' reads publish
(:func:`bettercities.indicators.service.level_values` and ``city_values``): at every level valid at the
period's end the stored observations where the level has them, else the sum of the next finer level, and
the city-wide cell as the sum of the coarsest level. A *quantity* is what a published value reveals as a
count: a ``sum`` indicator's value, a ``ratio`` indicator's numerator and denominator (named by its
``numerator_code``/``denominator_code``). The relations an attacker knows are the hierarchy (a parent is the
sum of its children, where that holds on the data) and the relations the city declared between quantities.

Quantities of indicators under the *suppression* method go into one :class:`~.tables.LinearTable` per period:
primary cells by the rules (minimum frequency; cells the source marked suppressed), then
:func:`~.secondary.protect` adds complementary cells until the attacker's audit finds no primary cell
narrowed below its protection interval. Costs grow a thousandfold per level above the finest, so totals stay
published wherever protection allows. An indicator's cell is withheld when any of its quantities' cells is.

Indicators under the *cell-key* method publish perturbed counts (each cell by its own key, derived from the
city's secret) and shares recomputed from them. Indicators derived as population-weighted means are withheld
at a parent whenever any input (a child's value or weight) is withheld.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import starmap
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from cachetools import LRUCache, cached
from sqlalchemy import Integer, func, select, type_coerce
from sqlalchemy.orm import Session

from bettercities.areas.models import Area, City, SpatialLevel
from bettercities.indicators.models import Indicator, Observation, Period
from bettercities.privacy import carried, queries
from bettercities.privacy.schemas import (
    Mark,
    Method,
    PeriodReport,
    QuantityReport,
    Reason,
    RuleOut,
)
from bettercities.storage.versioning import current_version

if TYPE_CHECKING:
    from bettercities.privacy.tables import Relations

#: Cost factor per level above the finest: withholding a total costs that much more than a detail.
LEVEL_COST = 1000.0
#: Relative tolerance within which a parent must equal the sum of its children to count as a relation.
TOLERANCE = 1e-6
#: The area code of the city-wide cell in cell keys.
CITY = "city"
#: Why a derived weighted mean is withheld.
WEIGHTED_NOTE = "weighted mean of withheld inputs"

CellKey = tuple[int, int, int | None]
QCell = tuple[str, int | None]  # (quantity, area id or None for the city)


@dataclass(frozen=True)
class Protection:
    """The protection of one city at one data version."""

    version: tuple[int, int]
    marks: Mapping[CellKey, Mark]
    quantities: list[QuantityReport]
    periods: list[PeriodReport]
    seconds: float
    cached: bool = False


class _Row(NamedTuple):
    indicator_id: int
    area_id: int
    period_id: int
    value: float | None
    numerator: float | None
    denominator: float | None
    suppressed: bool | int  # 0/1 as SQLite stores it: read for its truth only


class _AreaRow(NamedTuple):
    id: int
    code: str
    level_id: int
    parent_id: int | None
    valid_from: date | None
    valid_to: date | None


@dataclass
class _Tree:
    """The areas of a city in one period: levels coarse to fine, children by parent."""

    levels: list[int]
    by_level: dict[int, list[int]]
    children: dict[int, list[int]]
    level_of: dict[int, int]

    def depth(self, area_id: int | None) -> int:
        """Levels above the finest (the city one above the coarsest)."""
        if area_id is None:
            return len(self.levels)
        return len(self.levels) - 1 - self.levels.index(self.level_of[area_id])


@dataclass
class _Usage:
    """How an indicator reveals quantities: ``value`` (a sum) or ``numerator``/``denominator`` (a ratio)."""

    indicator: Indicator
    rule: RuleOut
    quantities: dict[str, str] = field(default_factory=dict)  # column -> quantity


# -- the cache ---------------------------------------------------------------------------------------------

_cache: LRUCache[tuple[Any, ...], Protection] = LRUCache(maxsize=32)
_lock = threading.Condition()
_counter = {"computations": 0}


def computations() -> int:
    """How often protection was computed in this process (for tests and benchmarks)."""
    return _counter["computations"]


def data_version(session: Session) -> tuple[int, int]:
    """The data version (every committed write) and the largest observation id (rows added by other tools)."""
    return (current_version(session), session.scalar(select(func.max(Observation.id))) or 0)


def _compute_cached(key: tuple[Any, ...], session: Session, city_id: int) -> Protection:
    _counter["computations"] += 1
    return compute(session, city_id, version=key[-1])


_memo = cached(_cache, key=lambda key, session, city_id: key, condition=_lock, info=True)(_compute_cached)


def protect(session: Session, city_id: int) -> Protection:
    """The protection of city ``city_id`` at the current data version, computed once per version and
    database in this process (concurrent callers wait for the first one's result)."""
    version = data_version(session)
    key = (str(session.get_bind().engine.url), city_id, version)
    with _lock:
        hit = key in _cache
    result: Protection = _memo(key, session, city_id)
    return Protection(**{**result.__dict__, "cached": True}) if hit else result


def is_cached(session: Session, city_id: int) -> bool:
    """Whether the protection of city ``city_id`` at the current data version is computed already."""
    key = (str(session.get_bind().engine.url), city_id, data_version(session))
    with _lock:
        return key in _cache


def clear() -> None:
    """Forget every cached protection."""
    with _lock:
        _cache.clear()


# -- the computation ---------------------------------------------------------------------------------------


def compute(session: Session, city_id: int, *, version: tuple[int, int] | None = None) -> Protection:
    """Protect every cell of city ``city_id`` (uncached; see :func:`protect`)."""
    started = time.perf_counter()
    city = session.get(City, city_id)
    if city is None:
        raise ValueError(f"no city with id {city_id}")
    # named tuples: their fields read several times faster than a result row's attributes (10^5 rows);
    # read through the session's connection (Core rows: no ORM loading step, a third less time)
    if session.autoflush:
        session.flush()  # what session.execute would do before reading
    connection = session.connection()
    rows = list(
        starmap(
            _Row,
            connection.execute(
                select(
                    Observation.indicator_id,
                    Observation.area_id,
                    Observation.period_id,
                    Observation.value,
                    Observation.numerator,
                    Observation.denominator,
                    # read for its truth only: as stored (0/1 on SQLite), without a conversion per row
                    type_coerce(Observation.suppressed, Integer),
                )
                .join(Area, Area.id == Observation.area_id)
                .where(Area.city_id == city_id, Observation.is_current.is_(True))
            ).fetchall(),  # one fetch of every row (iterating a result fetches row by row)
        )
    )
    marks: dict[CellKey, Mark] = {}
    quantity_reports: list[QuantityReport] = []
    period_reports: list[PeriodReport] = []
    if rows:
        areas = {
            a.id: a
            for a in (
                _AreaRow(*r)
                for r in connection.execute(
                    select(
                        Area.id, Area.code, Area.level_id, Area.parent_id, Area.valid_from, Area.valid_to
                    ).where(Area.city_id == city_id)
                )
            )
        }
        ranks = dict(
            session.execute(
                select(SpatialLevel.id, SpatialLevel.rank).where(SpatialLevel.city_id == city_id)
            ).all()
        )
        indicators = {
            i.id: i
            for i in session.scalars(
                select(Indicator).where(Indicator.id.in_({r.indicator_id for r in rows}))
            )
        }
        rules = queries.rules_by_indicator(session, city_id, sorted(indicators))
        periods = session.execute(
            select(Period.id, Period.code, Period.end_date).where(Period.id.in_({r.period_id for r in rows}))
        ).all()
        by_period: dict[int, list[_Row]] = defaultdict(list)
        for row in rows:
            by_period[row.period_id].append(row)
        secret: bytes | None = None
        if any(r.method == Method.CELL_KEY for r in rules.values()):
            secret = queries.city_secret(session, city_id)
        declared = _relations(session, city_id)
        sources, inputs = carried.links(session, city_id, indicators)  # values carried by crosswalks
        for period_id, period_code, end in sorted(periods, key=lambda p: p[2]):
            table_rows, carried_rows = carried.split(by_period[period_id], sources, areas, end)
            period = _Period(period_id, period_code, end, table_rows, areas, ranks, indicators, rules, secret)
            if table_rows:
                period.run(marks, quantity_reports, period_reports, declared)
            carried.mark(marks, carried_rows, sources, inputs, period_id)
    return Protection(
        version=version if version is not None else data_version(session),
        marks=marks,
        quantities=quantity_reports,
        periods=period_reports,
        seconds=round(time.perf_counter() - started, 4),
    )


def _relations(session: Session, city_id: int) -> list[tuple[str, list[str]]]:
    from bettercities.privacy.models import QuantityRelation

    rows = session.execute(
        select(QuantityRelation.total_code, QuantityRelation.parts).where(QuantityRelation.city_id == city_id)
    ).all()
    return [(total, parts.split(",")) for total, parts in rows]


def _tree(rows: Iterable[_Row], areas: Mapping[int, _AreaRow], ranks: Mapping[int, int], end: date) -> _Tree:
    holding = {r.area_id for r in rows}
    present = [
        a
        for a in areas.values()
        if a.id in holding
        or ((a.valid_from is None or a.valid_from <= end) and (a.valid_to is None or a.valid_to > end))
    ]
    levels = sorted({a.level_id for a in present}, key=lambda lid: ranks.get(lid, 0))
    by_level: dict[int, list[int]] = {lid: [] for lid in levels}
    children: dict[int, list[int]] = defaultdict(list)
    ids = {a.id for a in present}
    for a in sorted(present, key=lambda a: a.code):
        by_level[a.level_id].append(a.id)
        if a.parent_id is not None and a.parent_id in ids:
            children[a.parent_id].append(a.id)
    return _Tree(levels, by_level, dict(children), {a.id: a.level_id for a in present})


def _holding(groups: list[tuple[int, list[int]]], values: np.ndarray) -> Relations:
    """The relations (total, parts) that hold on ``values`` within :data:`TOLERANCE`, in the canonical
    order of :func:`.secondary.canonical_relations` (parts ascending, then by total and parts), held as
    arrays (a city's tables have tens of thousands of relations)."""
    from bettercities.privacy.tables import Relations

    if not groups:
        return Relations(np.zeros(0, dtype=np.intp), np.zeros(1, dtype=np.intp), np.zeros(0, dtype=np.intp))
    sizes = np.array([len(parts) for _, parts in groups], dtype=np.intp)
    parts = np.fromiter((j for _, ps in groups for j in ps), dtype=np.intp, count=int(sizes.sum()))
    total_cells = np.array([t for t, _ in groups], dtype=np.intp)
    totals = values[total_cells]
    sums = np.add.reduceat(values[parts], np.concatenate([[0], np.cumsum(sizes)[:-1]]))
    scale = np.maximum(1.0, np.maximum(np.abs(totals), np.abs(sums)))
    keep = np.abs(totals - sums) <= TOLERANCE * scale
    total_cells, sizes, parts = total_cells[keep], sizes[keep], parts[np.repeat(keep, sizes)]
    owner = np.repeat(np.arange(sizes.size), sizes)
    parts = parts[np.lexsort((parts, owner))]  # parts ascending within each relation
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    # relations by total, then (for equal totals: a declared relation beside a hierarchy one) by parts
    order = np.argsort(total_cells, kind="stable")
    sorted_totals = total_cells[order]
    ties = np.flatnonzero(np.diff(sorted_totals) == 0)
    if ties.size:
        run_starts = ties[np.concatenate([[True], np.diff(ties) > 1])]
        for first in run_starts.tolist():
            last = first
            while last + 1 < sorted_totals.size and sorted_totals[last + 1] == sorted_totals[first]:
                last += 1
            run = order[first : last + 1].tolist()
            run.sort(key=lambda r: tuple(parts[starts[r] : starts[r] + sizes[r]].tolist()))
            order[first : last + 1] = run
    new_sizes = sizes[order]
    new_starts = np.concatenate([[0], np.cumsum(new_sizes)[:-1]]).astype(np.intp)
    gather = np.repeat(starts[order] - new_starts, new_sizes) + np.arange(int(new_sizes.sum()))
    indptr = np.concatenate([[0], np.cumsum(new_sizes)]).astype(np.intp)
    return Relations(total_cells[order], indptr, parts[gather])


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


class _Period:
    """The protection of one period of a city."""

    def __init__(
        self,
        period_id: int,
        code: str,
        end: date,
        rows: list[_Row],
        areas: Mapping[int, _AreaRow],
        ranks: Mapping[int, int],
        indicators: Mapping[int, Indicator],
        rules: Mapping[int, RuleOut],
        secret: bytes | None,
    ) -> None:
        self.period_id, self.code = period_id, code
        self.rows = rows
        self.areas = areas
        self.tree = _tree(rows, areas, ranks, end)
        self.indicators = indicators
        self.rules = rules
        self.secret = secret
        self.stored: dict[int, dict[int, _Row]] = defaultdict(dict)
        self.flagged: dict[int, list[int]] = defaultdict(list)  # areas the source marked suppressed
        for row in rows:
            self.stored[row.indicator_id][row.area_id] = row
            if row.suppressed:
                self.flagged[row.indicator_id].append(row.area_id)

    # -- cells of one indicator column, as the reads publish them ----------------------------------------
    def cells(self, indicator_id: int, column: str) -> dict[int | None, float]:
        """Values of ``column`` at every area (stored where the level has data, else the sum of the next
        finer level when complete) and the city (the sum of the coarsest level)."""
        stored = self.stored[indicator_id]
        position = _Row._fields.index(column)
        isfinite = math.isfinite
        level_of = self.tree.level_of
        data_levels = {level_of[a] for a in stored}  # every stored area is in the period's tree
        children = self.tree.children
        out: dict[int | None, float] = {}
        for level in reversed(self.tree.levels):
            at_level = self.tree.by_level[level]
            if level in data_levels:  # the level has data: its stored values
                get = stored.get
                for area in at_level:
                    row = get(area)
                    if row is not None:
                        x = row[position]
                        if x is not None and isfinite(x):
                            out[area] = float(x)
                continue
            for area in at_level:
                kids = children.get(area)
                if kids and all(k in out for k in kids):
                    out[area] = sum([out[k] for k in kids])
        top = self.tree.by_level[self.tree.levels[0]]
        if len(top) > 1 and all(a in out for a in top):
            out[None] = sum(out[a] for a in top)
        return out

    def usages(self) -> tuple[list[_Usage], dict[str, dict[int | None, float]]]:
        """Which quantities each indicator reveals, and the quantities' cells (a quantity whose values
        disagree between two indicators is split into the indicator's own ``code:column``)."""
        quantities: dict[str, dict[int | None, float]] = {}
        usages: list[_Usage] = []
        ordered = sorted(
            (self.indicators[i] for i in self.stored),
            key=lambda i: (i.aggregation != "sum", i.code),
        )
        for indicator in ordered:
            usage = _Usage(indicator, self.rules[indicator.id])
            rows = self.stored[indicator.id].values()
            if indicator.aggregation == "sum":
                columns = {"value": indicator.code}
            elif indicator.aggregation == "ratio" and all(
                r.numerator is not None and r.denominator is not None for r in rows if not r.suppressed
            ):
                columns = {
                    "numerator": indicator.numerator_code or f"{indicator.code}:numerator",
                    "denominator": indicator.denominator_code or f"{indicator.code}:denominator",
                }
            else:
                columns = {}
            for column, name in columns.items():
                values = self.cells(indicator.id, column)
                if any(v < 0 for v in values.values()):
                    continue  # not a count: nothing to protect by counts
                known = quantities.get(name)
                if known is not None and any(
                    k in known and known[k] != v and not _close(known[k], v) for k, v in values.items()
                ):
                    name = f"{indicator.code}:{column}"
                    known = None
                if known is None:
                    quantities[name] = values
                else:
                    for k, v in values.items():
                        known.setdefault(k, v)
                usage.quantities[column] = name
            usages.append(usage)
        return usages, quantities

    def source_cells(self, usages: list[_Usage]) -> set[QCell]:
        """Quantity cells the source marked suppressed (a ratio's through its numerator)."""
        found: set[QCell] = set()
        for usage in usages:
            column = "value" if "value" in usage.quantities else "numerator"
            name = usage.quantities.get(column)
            if name is None:
                continue
            for area in self.flagged.get(usage.indicator.id, ()):
                found.add((name, area))
        return found

    # -- the run -------------------------------------------------------------------------------------------
    def run(
        self,
        marks: dict[CellKey, Mark],
        quantity_reports: list[QuantityReport],
        period_reports: list[PeriodReport],
        declared: list[tuple[str, list[str]]],
    ) -> None:
        started = time.perf_counter()
        usages, quantities = self.usages()
        source = self.source_cells(usages)
        suppressed_q = {
            q for u in usages if u.rule.method == Method.SUPPRESSION for q in u.quantities.values()
        }
        withheld, reasons, report = self.suppress(usages, quantities, suppressed_q, source, declared)
        report.seconds = round(time.perf_counter() - started, 4)
        period_reports.append(report)
        perturbed: dict[str, int] = defaultdict(int)
        withheld_at: dict[str, list[int | None]] = defaultdict(list)  # quantity -> its withheld areas
        for name, area in withheld:
            withheld_at[name].append(area)
        for usage in usages:
            ind = usage.indicator
            if usage.rule.method == Method.CELL_KEY and usage.quantities:
                self.perturb(usage, quantities, source, marks, perturbed)
                continue
            if usage.rule.method == Method.SUPPRESSION:
                names = list(usage.quantities.values())
                hit_areas = {a for n in names for a in withheld_at.get(n, ())}
                for area in sorted(hit_areas, key=lambda a: -1 if a is None else a):
                    hit = [(n, area) for n in names if (n, area) in withheld]
                    primary = [reasons[c] for c in hit if reasons[c] != Reason.SECONDARY.value]
                    mark = (
                        Mark(reason=Reason.PRIMARY, rule=primary[0])
                        if primary
                        else Mark(reason=Reason.SECONDARY)
                    )
                    marks[(ind.id, self.period_id, area)] = mark
            # source-suppressed cells of indicators without quantities or under ``none``
            for area in self.flagged.get(ind.id, ()):
                if (ind.id, self.period_id, area) not in marks:
                    marks[(ind.id, self.period_id, area)] = Mark(reason=Reason.PRIMARY, rule="source")
        for usage in usages:
            if not usage.quantities or usage.rule.method == Method.NONE:
                self.derived(usage.indicator, marks)
        top = self.tree.by_level[self.tree.levels[0]]
        if len(top) == 1:  # the coarsest level is the city itself: its cell is the city-wide one
            for usage in usages:
                own = marks.get((usage.indicator.id, self.period_id, top[0]))
                if own is not None:
                    marks[(usage.indicator.id, self.period_id, None)] = own
        by_rule: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for (name, _), reason in reasons.items():  # the withheld cells only
            by_rule[name][reason] += 1
        for name, cells in sorted(quantities.items()):
            method = Method.SUPPRESSION if name in suppressed_q else None
            if method is None:
                method = Method.CELL_KEY if perturbed.get(name) else Method.NONE
            counted = by_rule.get(name, {})
            secondary = counted.get(Reason.SECONDARY.value, 0)
            primary_by_rule = {r: k for r, k in counted.items() if r != Reason.SECONDARY.value}
            quantity_reports.append(
                QuantityReport(
                    quantity=name,
                    period=self.code,
                    method=method,
                    cells=len(cells),
                    primary=dict(primary_by_rule),
                    secondary=secondary,
                    perturbed=perturbed.get(name, 0),
                )
            )

    def cells_of(
        self, indicator_id: int, quantities: Mapping[str, Mapping[int | None, float]], names: list[str]
    ) -> list[int | None]:
        found: set[int | None] = set()
        for name in names:
            found.update(quantities[name])
        return sorted(found, key=lambda a: -1 if a is None else a)

    def suppress(
        self,
        usages: list[_Usage],
        quantities: Mapping[str, Mapping[int | None, float]],
        names: set[str],
        source: set[QCell],
        declared: list[tuple[str, list[str]]],
    ) -> tuple[set[QCell], dict[QCell, str], PeriodReport]:
        """Primary and secondary suppression of the quantities ``names``: the withheld cells and the reason
        of each (``frequency``, ``source`` or ``secondary``)."""
        from bettercities.privacy import primary as primary_rules
        from bettercities.privacy.tables import LinearTable

        # the canonical order of secondary.protect (cells by repr of their keys), so it needs no copy
        keys: list[QCell] = sorted(((n, a) for n in names for a in quantities[n]), key=repr)
        if not keys:
            return set(), {}, PeriodReport(period=self.code, cells=0, withheld=0, status="none")
        index = {k: i for i, k in enumerate(keys)}
        values = np.fromiter((quantities[n][a] for n, a in keys), dtype=np.float64, count=len(keys))
        depth = {a: self.tree.depth(a) for a in {a for _, a in keys}}
        cost = (values + 1.0) * LEVEL_COST ** np.fromiter((depth[a] for _, a in keys), dtype=np.float64)
        # the strictest rule of the suppression indicators that reveal a quantity
        threshold: dict[str, int] = defaultdict(lambda: 1)
        zeros: dict[str, bool] = defaultdict(bool)
        percent: dict[str, float] = defaultdict(float)
        for usage in usages:
            if usage.rule.method != Method.SUPPRESSION:
                continue
            for name in usage.quantities.values():
                threshold[name] = max(threshold[name], usage.rule.threshold)
                zeros[name] = zeros[name] or usage.rule.zeros
                percent[name] = max(percent[name], usage.rule.interval_percent)
        primary = np.zeros(len(keys), dtype=bool)
        width = np.zeros(len(keys))
        reasons: dict[QCell, str] = {}
        for name in names:
            ids = [index[(name, a)] for a in quantities[name]]
            sub = values[ids]
            sensitive = primary_rules.frequency(sub, threshold=threshold[name], zeros=zeros[name])
            width[ids] = primary_rules.required_width(
                sub, threshold=threshold[name], interval_percent=percent[name]
            )
            for i in np.asarray(ids)[sensitive]:
                primary[i] = True
                reasons[keys[i]] = "frequency"
        for cell in source:
            if cell in index:
                primary[index[cell]] = True
                reasons[cell] = "source"
        if not primary.any():
            return set(), {}, PeriodReport(period=self.code, cells=len(keys), withheld=0, status="none")
        groups = self.hierarchy(index, names, quantities)
        for total, parts in declared:
            if total not in names or not all(p in names for p in parts):
                continue
            for area in quantities[total]:
                cells = [(p, area) for p in parts]
                if all(c in index for c in cells):
                    groups.append((index[(total, area)], [index[c] for c in cells]))
        from bettercities.privacy.secondary import protect

        table = LinearTable(keys=tuple(keys), values=values, cost=cost, relations=_holding(groups, values))
        result = protect(table, primary, width)
        withheld = {keys[i] for i in np.flatnonzero(result.withheld)}
        for j in np.flatnonzero(result.secondary):
            reasons.setdefault(keys[j], Reason.SECONDARY.value)
        return (
            withheld,
            {k: reasons.get(k, Reason.SECONDARY.value) for k in withheld},
            PeriodReport(
                period=self.code,
                cells=len(keys),
                withheld=len(withheld),
                status=result.status,
                iterations=result.iterations,
            ),
        )

    def hierarchy(
        self,
        index: Mapping[QCell, int],
        names: set[str],
        quantities: Mapping[str, Mapping[int | None, float]],
    ) -> list[tuple[int, list[int]]]:
        """Candidate relations parent = sum of children (and city = sum of the coarsest level) as (total,
        parts) cell indices; :func:`_holding` keeps those that hold on the data."""
        groups: list[tuple[int | None, list[int]]] = list(self.tree.children.items())
        top = self.tree.by_level[self.tree.levels[0]]
        if len(top) > 1:
            groups.append((None, top))
        out: list[tuple[int, list[int]]] = []
        for name in sorted(names):
            cells = quantities[name]
            for parent, kids in groups:
                if kids and parent in cells and all(k in cells for k in kids):
                    out.append((index[(name, parent)], [index[(name, k)] for k in kids]))
        return out

    def perturb(
        self,
        usage: _Usage,
        quantities: Mapping[str, Mapping[int | None, float]],
        source: set[QCell],
        marks: dict[CellKey, Mark],
        perturbed: dict[str, int],
    ) -> None:
        """Cell-key perturbation of a cell-key indicator's quantities; shares recomputed from them."""
        from bettercities.privacy.cellkey import PTable, cell_key

        assert self.secret is not None  # compute() reads it when any rule is a cell-key rule
        rule = usage.rule
        table = PTable.build(max_deviation=rule.max_deviation, variance=rule.variance, js=rule.js)
        ind = usage.indicator
        published: dict[str, dict[int | None, float]] = {}
        for column, name in usage.quantities.items():
            cells = quantities[name]
            areas = sorted(cells, key=lambda a: -1 if a is None else a)
            raw = np.array([cells[a] for a in areas])
            keys = np.array(
                [
                    cell_key(self.secret, name, CITY if a is None else self.areas[a].code, self.code)
                    for a in areas
                ]
            )
            new = table.perturb(np.round(raw).astype(np.int64), keys)
            published[column] = {a: float(x) for a, x in zip(areas, new, strict=True)}
            perturbed[name] += len(areas)
        for area in self.cells_of(ind.id, quantities, list(usage.quantities.values())):
            if any((n, area) in source for n in usage.quantities.values()):
                marks[(ind.id, self.period_id, area)] = Mark(reason=Reason.PRIMARY, rule="source")
                continue
            if "value" in published:
                value = published["value"].get(area)
                if value is not None:
                    marks[(ind.id, self.period_id, area)] = Mark(reason=Reason.PERTURBED, value=value)
                continue
            n, d = published["numerator"].get(area), published["denominator"].get(area)
            if n is None or d is None:
                continue
            share = ind.factor * n / d if d > 0 else None
            marks[(ind.id, self.period_id, area)] = Mark(
                reason=Reason.PERTURBED, value=share, numerator=n, denominator=d
            )

    def derived(self, indicator: Indicator, marks: dict[CellKey, Mark]) -> None:
        """Withhold parents (and the city) derived from inputs of which any is withheld: the input's own
        value, or for weighted means the weight's cell at the input's area."""
        stored = self.stored[indicator.id]
        weight_id = None
        if indicator.aggregation in {"weighted_mean", "ratio"}:
            code = indicator.weight_code or "inhabitants"
            weight_id = next((i.id for i in self.indicators.values() if i.code == code), None)

        def bad(area: int) -> bool:
            own = marks.get((indicator.id, self.period_id, area))
            if own is not None and own.withheld:
                return True
            if weight_id is None:
                return False
            weight = marks.get((weight_id, self.period_id, area))
            return weight is not None and weight.withheld

        levels = self.tree.levels
        data_levels = [lid for lid in levels if any(a in stored for a in self.tree.by_level[lid])]
        if not data_levels:
            return
        note = WEIGHTED_NOTE if weight_id is not None else "derived from withheld inputs"
        for i, level in enumerate(levels):
            if level in data_levels:
                continue
            finer = next((lid for lid in levels[i + 1 :] if lid in data_levels), None)
            if finer is None:
                continue
            for area in self.tree.by_level[level]:
                inputs = self.descendants(area, finer)
                if inputs and any(bad(a) for a in inputs):
                    marks.setdefault(
                        (indicator.id, self.period_id, area), Mark(reason=Reason.SECONDARY, note=note)
                    )
        inputs = self.tree.by_level[data_levels[0]]
        if len(inputs) > 1 and any(bad(a) for a in inputs):
            marks.setdefault((indicator.id, self.period_id, None), Mark(reason=Reason.SECONDARY, note=note))

    def descendants(self, area: int, level: int) -> list[int]:
        out: list[int] = []
        stack = [area]
        while stack:
            for kid in self.tree.children.get(stack.pop(), []):
                if self.tree.level_of[kid] == level:
                    out.append(kid)
                else:
                    stack.append(kid)
        return out


__all__ = ["Protection", "clear", "computations", "compute", "data_version", "is_cached", "protect"]
