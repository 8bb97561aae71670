"""Work of the audit and of secondary suppression counted, not timed, on tables of many small cells.

A register aggregated to address blocks gives tables of tens of thousands of cells, a third of them small, so
the attacker's audit meets thousands of withheld components. A step that costs the whole table's size per
component (a scan of every cell to gather a component, a full-length vector built for each component's
program) makes the audit quadratic: a 300,000-record register ran for more than 9 minutes. These tests count
the elements the audit's numpy operations touch on the table's own arrays, and the solver calls, on a table
of ``k`` independent regions and on one four times as large: the counts must grow like the table (4 x), not
like its square (16 x). The thresholds leave room for logarithmic factors only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from bettercities.privacy import audit, secondary
from bettercities.privacy.tables import LinearTable, Relation


class Counted(np.ndarray):
    """An array that adds the size of every numpy operation it takes part in to ``Counted.work``."""

    work = 0

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        Counted.work += max(x.size if isinstance(x, np.ndarray) else 1 for x in inputs)
        plain = [x.view(np.ndarray) if isinstance(x, Counted) else x for x in inputs]
        return getattr(ufunc, method)(*plain, **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        flat = [y for x in args for y in (x if isinstance(x, list | tuple) else [x])]
        Counted.work += sum(x.size for x in flat if isinstance(x, np.ndarray))
        return super().__array_function__(func, types, args, kwargs)


def regions(k: int) -> tuple[LinearTable, np.ndarray, np.ndarray]:
    """``k`` regions of 5 areas under a city total; areas 0 and 1 of each region small (1 each)."""
    values, keys, relations = [], [], []
    region_cells = []
    for r in range(k):
        first = len(values)
        areas = [1.0, 1.0, 40.0 + r % 7, 55.0, 60.0 + r % 3]
        values += [*areas, sum(areas)]
        keys += [("area", r, i) for i in range(5)] + [("region", r)]
        relations.append(Relation(first + 5, tuple(range(first, first + 5))))
        region_cells.append(first + 5)
    values.append(sum(values[c] for c in region_cells))
    keys.append(("city",))
    relations.append(Relation(len(values) - 1, tuple(region_cells)))
    value_array = np.array(values)
    depth = np.array([0 if key[0] == "area" else 1 if key[0] == "region" else 2 for key in keys])
    table = LinearTable(
        keys=tuple(keys), values=value_array, cost=(value_array + 1) * 1000.0**depth, relations=relations
    )
    primary = np.array([key[0] == "area" and key[2] in (0, 1) for key in keys])
    return table, primary, np.where(primary, 3.0, 0.0)


def counted(table: LinearTable) -> LinearTable:
    """The table with its value and bound arrays counting the work done on them."""
    for name in ("values", "lower", "upper"):
        object.__setattr__(table, name, np.asarray(getattr(table, name)).view(Counted))
    return table


@pytest.mark.parametrize("k", [40])
def test_the_audit_works_in_proportion_to_the_table(k: int, monkeypatch: pytest.MonkeyPatch) -> None:
    label = audit.connected_components

    def counted_labels(*args: Any, **kwargs: Any) -> Any:
        count, labels = label(*args, **kwargs)
        return count, labels.view(Counted)  # gathering the components counts too

    monkeypatch.setattr(audit, "connected_components", counted_labels)
    work = []
    for size in (k, 4 * k):
        table, primary, width = regions(size)
        withheld = primary.copy()
        withheld[[i for i, key in enumerate(table.keys) if key[0] == "area" and key[2] == 2]] = True
        table = counted(table)
        Counted.work = 0
        assert audit.exposed(table, withheld, primary, width).size == 0  # each region: 3 withheld areas
        work.append(Counted.work)
        assert len(audit.components(table, withheld)) == size  # one component per region
    # linear: 4 x; the former full-length vector per component: 16 x
    assert work[1] <= 6 * work[0], work


def test_components_are_grouped_as_a_scan_would_group_them() -> None:
    table, primary, _ = regions(30)
    withheld = primary.copy()
    withheld[[i for i, key in enumerate(table.keys) if key == ("region", 3) or key == ("region", 7)]] = True
    found = audit.components(table, withheld)
    # by hand: regions 3 and 7 are linked through the city relation with their areas 0 and 1 (one component
    # of 6 cells and 3 relations); every other region's two small areas form one component of one relation
    assert len(found) == 29
    joined = [c for c in found if c.cells.size == 6]
    assert len(joined) == 1
    assert sorted(table.relations[r].total for r in joined[0].relations) == sorted(
        [3 * 6 + 5, 7 * 6 + 5, len(table) - 1]
    )
    for component in found:
        assert np.all(np.diff(component.cells) > 0)
        assert np.all(np.diff(component.relations) > 0)
        assert withheld[component.cells].all()


def test_solver_calls_do_not_grow_with_the_number_of_small_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"linprog": 0, "milp": 0}

    def counting(name: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(audit, "linprog", counting("linprog", audit.linprog))
    monkeypatch.setattr(secondary, "linprog", counting("linprog", secondary.linprog))
    monkeypatch.setattr(secondary, "milp", counting("milp", secondary.milp))
    seen = []
    for size in (10, 40):
        table, primary, width = regions(size)
        calls.update(linprog=0, milp=0)
        result = secondary.protect(table, primary, width)
        assert audit.exposed(table, result.withheld, primary, width).size == 0
        # by hand: with the region total published, areas 0 and 1 (1 + 1) give each other [0, 2], narrower
        # than 3, so the cheapest safe pattern adds a third area per region (area 2, the smallest of the
        # rest, at a fraction of a region total's cost)
        assert int(result.secondary.sum()) == size
        seen.append(dict(calls))
    assert seen[1] == seen[0], seen  # one program per round, never one per cell or per region
