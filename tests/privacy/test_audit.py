"""The attacker's LP audit against intervals solved by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from bettercities.privacy.audit import components, exposed, intervals
from bettercities.privacy.tables import LinearTable, Relation

# A 2 x 3 table with margins:
#            c1  c2  c3 | row
#     r1      2   5   8 |  15
#     r2      4   6   1 |  11
#     col     6  11   9 |  26
CELLS = ["r1c1", "r1c2", "r1c3", "r2c1", "r2c2", "r2c3", "r1", "r2", "c1", "c2", "c3", "all"]
VALUES = [2, 5, 8, 4, 6, 1, 15, 11, 6, 11, 9, 26]
IDX = {name: i for i, name in enumerate(CELLS)}


def table_2x3(upper: list[float] | None = None) -> LinearTable:
    relations = (
        Relation(IDX["r1"], (IDX["r1c1"], IDX["r1c2"], IDX["r1c3"])),
        Relation(IDX["r2"], (IDX["r2c1"], IDX["r2c2"], IDX["r2c3"])),
        Relation(IDX["c1"], (IDX["r1c1"], IDX["r2c1"])),
        Relation(IDX["c2"], (IDX["r1c2"], IDX["r2c2"])),
        Relation(IDX["c3"], (IDX["r1c3"], IDX["r2c3"])),
        Relation(IDX["all"], (IDX["r1"], IDX["r2"])),
        Relation(IDX["all"], (IDX["c1"], IDX["c2"], IDX["c3"])),
    )
    return LinearTable(
        keys=tuple(CELLS),
        values=np.array(VALUES, dtype=float),
        cost=np.ones(len(CELLS)),
        relations=relations,
        upper=None if upper is None else np.array(upper, dtype=float),
    )


def mask(*names: str) -> np.ndarray:
    m = np.zeros(len(CELLS), dtype=bool)
    m[[IDX[n] for n in names]] = True
    return m


RECTANGLE = ("r1c1", "r1c2", "r2c1", "r2c2")


def test_rectangle_intervals_solved_by_hand() -> None:
    # Unknowns a = r1c1, b = r1c2, c = r2c1, d = r2c2 with the published cells fixed:
    #   a + b = 15 - 8 = 7,  c + d = 11 - 1 = 10,  a + c = 6,  b + d = 11.
    # So b = 7 - a, c = 6 - a, d = 4 + a (and b + d = 11 holds for every a).
    # Nonnegativity: a >= 0, a <= 7, a <= 6, a >= -4  =>  a in [0, 6],
    # b in [1, 7], c in [0, 6], d in [4, 10].
    lo, hi = intervals(table_2x3(), mask(*RECTANGLE))
    expected = {"r1c1": (0, 6), "r1c2": (1, 7), "r2c1": (0, 6), "r2c2": (4, 10)}
    for name, (low, high) in expected.items():
        assert lo[IDX[name]] == pytest.approx(low, abs=1e-9)
        assert hi[IDX[name]] == pytest.approx(high, abs=1e-9)
    published = ~mask(*RECTANGLE)
    assert np.isnan(lo[published]).all() and np.isnan(hi[published]).all()


def test_a_priori_upper_bound_narrows_the_rectangle() -> None:
    # the attacker knows r1c1 <= 3: a in [0, 3] => b = 7 - a in [4, 7], c in [3, 6], d in [4, 7]
    upper = [np.inf] * len(CELLS)
    upper[IDX["r1c1"]] = 3
    lo, hi = intervals(table_2x3(upper), mask(*RECTANGLE))
    assert (lo[IDX["r1c2"]], hi[IDX["r1c2"]]) == pytest.approx((4, 7))
    assert (lo[IDX["r2c1"]], hi[IDX["r2c1"]]) == pytest.approx((3, 6))
    assert (lo[IDX["r2c2"]], hi[IDX["r2c2"]]) == pytest.approx((4, 7))


def test_single_withheld_cell_is_recovered_exactly() -> None:
    # r2c3 alone: r2 - r2c1 - r2c2 = 11 - 4 - 6 = 1 (and c3 - r1c3 = 9 - 8 = 1)
    lo, hi = intervals(table_2x3(), mask("r2c3"))
    assert lo[IDX["r2c3"]] == pytest.approx(1) and hi[IDX["r2c3"]] == pytest.approx(1)


def test_row_pair_is_recovered_through_the_columns() -> None:
    # r2c1 and r2c3 withheld: the row alone leaves r2c1 + r2c3 = 5, but columns c1 and c3 each
    # contain only one of them: r2c1 = 6 - 2 = 4, r2c3 = 9 - 8 = 1 exactly.
    lo, hi = intervals(table_2x3(), mask("r2c1", "r2c3"))
    assert (lo[IDX["r2c1"]], hi[IDX["r2c1"]]) == pytest.approx((4, 4))
    assert (lo[IDX["r2c3"]], hi[IDX["r2c3"]]) == pytest.approx((1, 1))


def test_weighted_relation_and_unbounded_cell() -> None:
    # total = 2 x + 3 y = 13 with total published: x in [0, 6.5], y in [0, 13/3];
    # z is in no relation: [0, inf)
    table = LinearTable(
        keys=("total", "x", "y", "z"),
        values=np.array([13.0, 2.0, 3.0, 5.0]),
        cost=np.ones(4),
        relations=(Relation(0, (1, 2), weights=(2.0, 3.0)),),
    )
    lo, hi = intervals(table, np.array([False, True, True, True]))
    assert lo[1:].tolist() == pytest.approx([0, 0, 0])
    assert hi[1:3].tolist() == pytest.approx([6.5, 13 / 3])
    assert hi[3] == np.inf


def test_withheld_total_with_withheld_parent_is_unbounded_above() -> None:
    # chain: all = r1 + r2 with all, r1, r1c1, r1c2 withheld and r2 = 11 published; r1c3 = 8 published;
    # the column relations pin r1c1 = c1 - r2c1 = 2 and r1c2 = 11 - 6 = 5, so r1 = 15, all = 26 exactly
    lo, hi = intervals(table_2x3(), mask("all", "r1", "r1c1", "r1c2"))
    assert (lo[IDX["all"]], hi[IDX["all"]]) == pytest.approx((26, 26))
    # without the column margins published (c1, c2, all withheld too) the rows and columns can grow
    lo, hi = intervals(table_2x3(), mask("all", "r1", "r1c1", "r1c2", "c1", "c2"))
    assert lo[IDX["r1c1"]] == pytest.approx(0) and hi[IDX["r1c1"]] == np.inf


def test_components_follow_relations_with_a_withheld_cell() -> None:
    parts = components(table_2x3(), mask(*RECTANGLE, "c3"))
    assert sorted(sorted(int(c) for c in p.cells) for p in parts) == [
        sorted(IDX[n] for n in RECTANGLE),
        [IDX["c3"]],
    ]


def test_exposed_respects_width() -> None:
    table = table_2x3()
    primary = mask("r1c1", "r2c3")
    width = np.full(len(CELLS), 3.0)
    # r2c3 published -> exposed; r1c1 in [0, 6] (width 6 >= 3) -> safe
    assert exposed(table, mask(*RECTANGLE), primary, width).tolist() == [IDX["r2c3"]]
    # a width of 7 is more than [0, 6] gives
    width[IDX["r1c1"]] = 7
    assert IDX["r1c1"] in exposed(table, mask(*RECTANGLE), primary, width).tolist()
    # exactly 6 is enough (tolerance 1e-7)
    width[IDX["r1c1"]] = 6
    assert IDX["r1c1"] not in exposed(table, mask(*RECTANGLE), primary, width).tolist()


def test_mask_must_be_boolean() -> None:
    with pytest.raises(ValueError, match="boolean mask"):
        intervals(table_2x3(), np.zeros(len(CELLS), dtype=int))


def test_cache_reuses_components_without_changing_answers() -> None:
    table = table_2x3()
    primary = mask("r1c1", "r2c2", "r2c3")
    width = np.full(len(CELLS), 3.0)
    cache: dict[bytes, list[int]] = {}
    patterns = [mask(*RECTANGLE), mask(*RECTANGLE, "r2c3"), mask(*RECTANGLE)]
    for pattern in patterns:
        assert exposed(table, pattern, primary, width, cache=cache).tolist() == (
            exposed(table, pattern, primary, width).tolist()
        )
    assert cache  # the rectangle's component was stored


def test_intervals_of_selected_cells_only() -> None:
    lo, hi = intervals(table_2x3(), mask(*RECTANGLE), cells=[IDX["r1c2"]])
    assert (lo[IDX["r1c2"]], hi[IDX["r1c2"]]) == pytest.approx((1, 7))
    assert np.isnan(lo[IDX["r1c1"]])


@st.composite
def grids(draw: st.DrawFn) -> tuple[LinearTable, np.ndarray, np.ndarray, np.ndarray]:
    """A random r x c table with row, column and grand totals, random withheld/primary cells, widths."""
    rows, cols = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    inner = np.array(draw(st.lists(st.integers(0, 9), min_size=rows * cols, max_size=rows * cols)))
    inner = inner.reshape(rows, cols).astype(float)
    values = np.concatenate([inner.ravel(), inner.sum(axis=1), inner.sum(axis=0), [inner.sum()]])
    cell = lambda i, j: i * cols + j  # noqa: E731
    row_total = lambda i: rows * cols + i  # noqa: E731
    col_total = lambda j: rows * cols + rows + j  # noqa: E731
    grand = len(values) - 1
    relations = [Relation(row_total(i), tuple(cell(i, j) for j in range(cols))) for i in range(rows)]
    relations += [Relation(col_total(j), tuple(cell(i, j) for i in range(rows))) for j in range(cols)]
    relations += [
        Relation(grand, tuple(row_total(i) for i in range(rows))),
        Relation(grand, tuple(col_total(j) for j in range(cols))),
    ]
    n = len(values)
    table = LinearTable(keys=tuple(range(n)), values=values, cost=np.ones(n), relations=tuple(relations))
    withheld = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    primary = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    width = np.array(draw(st.lists(st.sampled_from([0.0, 1.0, 3.0, 8.0]), min_size=n, max_size=n)))
    return table, withheld, primary, width


@settings(max_examples=40, deadline=None)
@given(grids())
def test_intervals_and_exposed_match_a_brute_force_lp_over_the_whole_table(
    case: tuple[LinearTable, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    # independent of the decomposition, the batching and the closed forms: two LPs per primary cell over
    # all cells, the published ones fixed to their values
    table, withheld, primary, width = case
    n = len(table)
    a = np.zeros((len(table.relations), n))
    for r, relation in enumerate(table.relations):
        a[r, relation.total] = 1.0
        a[r, list(relation.parts)] = -1.0
    bounds = [(0.0, None) if withheld[j] else (table.values[j], table.values[j]) for j in range(n)]
    expected = []
    lo, hi = intervals(table, withheld, cells=np.flatnonzero(primary & withheld))
    for p in np.flatnonzero(primary):
        if not withheld[p]:
            expected.append(int(p))
            continue
        ends = []
        for sign in (1.0, -1.0):
            c = np.zeros(n)
            c[p] = sign
            res = linprog(c, A_eq=a, b_eq=np.zeros(len(a)), bounds=bounds, method="highs")
            assert res.status == 0 or sign < 0, res.message  # only the maximum may be unbounded
            ends.append(res.x[p] if res.status == 0 else np.inf)
        assert lo[p] == pytest.approx(ends[0], abs=1e-7)
        assert hi[p] == pytest.approx(ends[1], abs=1e-7)
        if ends[1] - ends[0] < width[p] - 1e-7:
            expected.append(int(p))
    assert exposed(table, withheld, primary, width).tolist() == expected


def test_an_unbounded_cell_whose_push_ends_at_its_cap_is_safe() -> None:
    # found by the property test above: a 4 x 2 table whose grand total (14, primary, width 3) is withheld
    # with one cell (r1c2 = 0), its row total and one column total.  x_all = x_r1c2 + 14, unbounded above,
    # so nothing is exposed; the audit's capped push once ended exactly at value + width and rounding made
    # the spread a hair short of the width.
    values = np.array([0, 0, 0, 0, 0, 0, 5, 9, 0, 0, 0, 14, 5, 9, 14], dtype=float)
    relations = (
        Relation(8, (0, 1)),
        Relation(9, (2, 3)),
        Relation(10, (4, 5)),
        Relation(11, (6, 7)),
        Relation(12, (0, 2, 4, 6)),
        Relation(13, (1, 3, 5, 7)),
        Relation(14, (8, 9, 10, 11)),
        Relation(14, (12, 13)),
    )
    table = LinearTable(keys=tuple(range(15)), values=values, cost=np.ones(15), relations=relations)
    withheld = np.isin(np.arange(15), [1, 8, 13, 14])
    primary = np.arange(15) == 14
    width = np.where(primary, 3.0, 0.0)
    assert exposed(table, withheld, primary, width).tolist() == []
    lo, hi = intervals(table, withheld)
    assert (lo[14], hi[14]) == (pytest.approx(14), np.inf)
