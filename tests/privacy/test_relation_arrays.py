"""Relations held as arrays (privacy.tables.Relations) behave as the same relations held as objects.

Protection builds a city's tables with tens of thousands of hierarchy relations as arrays; the kernels must
see the same table, check it the same way, and choose the same pattern as with a tuple of Relation.
"""

from __future__ import annotations

import numpy as np
import pytest

from bettercities.privacy import secondary
from bettercities.privacy.protection import _Groups, _holding
from bettercities.privacy.tables import LinearTable, Relation, Relations


def _groups(groups: list[tuple[int, list[int]]]) -> _Groups:
    """Candidate relations (total, parts) as the arrays _holding takes."""
    return _Groups(
        np.array([t for t, _ in groups], dtype=np.intp),
        np.array([len(parts) for _, parts in groups], dtype=np.intp),
        np.array([p for _, parts in groups for p in parts], dtype=np.intp),
    )


def _arrays(relations: list[Relation]) -> Relations:
    sizes = [len(r.parts) for r in relations]
    return Relations(
        [r.total for r in relations],
        np.concatenate([[0], np.cumsum(sizes)]),
        [p for r in relations for p in r.parts],
    )


def _grid() -> tuple[np.ndarray, list[Relation]]:
    """A 2 x 3 table with margins: cells 0-5 inner (row-major), 6-7 row totals, 8-10 column totals, 11 all."""
    inner = np.array([2.0, 5.0, 10.0, 7.0, 1.0, 4.0])
    rows = [inner[:3].sum(), inner[3:].sum()]
    cols = [inner[0] + inner[3], inner[1] + inner[4], inner[2] + inner[5]]
    values = np.concatenate([inner, rows, cols, [inner.sum()]])
    relations = [
        Relation(6, (0, 1, 2)),
        Relation(7, (3, 4, 5)),
        Relation(8, (0, 3)),
        Relation(9, (1, 4)),
        Relation(10, (2, 5)),
        Relation(11, (6, 7)),
        Relation(11, (8, 9, 10)),
    ]
    return values, relations


def test_array_relations_build_the_same_matrix_and_items() -> None:
    values, relations = _grid()
    by_objects = LinearTable(
        keys=tuple(range(12)), values=values, cost=values + 1, relations=tuple(relations)
    )
    by_arrays = LinearTable(
        keys=tuple(range(12)), values=values, cost=values + 1, relations=_arrays(relations)
    )
    assert (by_objects.matrix != by_arrays.matrix).nnz == 0
    assert list(by_arrays.relations) == relations
    assert by_arrays.relations[-1] == Relation(11, (8, 9, 10))
    assert by_arrays.relations[1:3] == (relations[1], relations[2])


@pytest.mark.parametrize(
    ("relations", "message"),
    [
        (Relations([0], [0, 2], [1, 1]), "names a cell twice"),
        (Relations([0, 1], [0, 0, 1], [2]), "has no parts"),
        (Relations([0], [0, 1], [7]), "names cell index 7"),
        (Relations([0], [0, 1], [1]), "does not hold"),
    ],
)
def test_array_relations_are_checked_like_objects(relations: Relations, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LinearTable(
            keys=("a", "b", "c"), values=np.array([3.0, 1.0, 2.0]), cost=np.ones(3), relations=relations
        )


def test_holding_keeps_relations_that_hold_in_canonical_order() -> None:
    """_holding drops a group whose parts do not sum to the total and orders the rest as canonical_relations
    does (parts ascending; by total, then parts: the two relations of cell 11 tie on the total)."""
    values, relations = _grid()
    groups = [(r.total, list(reversed(r.parts))) for r in reversed(relations)]
    groups.append((6, [0, 1]))  # 2 + 5 != 17: does not hold
    held = _holding(_groups(groups), values)
    assert list(held) == list(secondary.canonical_relations(relations))
    table = LinearTable(keys=tuple(range(12)), values=values, cost=values + 1, relations=held)
    assert secondary._relations_canonical(table)
    shuffled = LinearTable(
        keys=tuple(range(12)), values=values, cost=values + 1, relations=_arrays(relations[::-1])
    )
    assert not secondary._relations_canonical(shuffled)


def test_protect_chooses_the_same_pattern_with_array_relations() -> None:
    values, relations = _grid()
    primary = values < 3  # cells 0 (2) and 4 (1)
    primary[6:] = False
    results = [
        secondary.protect(
            LinearTable(keys=tuple(range(12)), values=values, cost=values + 1, relations=held), primary, 3.0
        )
        for held in (
            tuple(secondary.canonical_relations(relations)),
            _holding(_groups([(r.total, list(r.parts)) for r in relations]), values),
        )
    ]
    assert results[0].withheld.tolist() == results[1].withheld.tolist()
    assert results[0].withheld[[0, 4]].all() and results[0].secondary.any()
