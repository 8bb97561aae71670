"""Primary rules against hand-computed cases (definitions: Hundepool et al., *Statistical Disclosure
Control*, Wiley 2012, ch. 4 (n,k) and p%, ch. 5 threshold rule; τ-ARGUS manual); every expected value
is computed by hand in the comment next to it."""

from __future__ import annotations

import numpy as np
import pytest

from bettercities.privacy.primary import dominance, frequency, p_percent, required_width
from bettercities.privacy.tables import LinearTable, Relation


def test_frequency_threshold_three_marks_one_and_two() -> None:
    assert frequency([0, 1, 2, 3, 4, 250]).tolist() == [False, True, True, False, False, False]


def test_frequency_zeros_and_threshold_five() -> None:
    assert frequency([0, 1, 4, 5], threshold=5, zeros=True).tolist() == [True, True, True, False]
    # a missing value publishes nothing
    assert frequency([np.nan, 2.0]).tolist() == [False, True]


def test_frequency_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="counts must be >= 0"):
        frequency([3, -1])


def test_dominance_one_75() -> None:
    # cell 1: 80 of 100 = 80 % > 75 % -> sensitive; cell 2: 40 % -> not;
    # cell 3: exactly 75 of 100 is not *more* than 75 % -> not; cell 4: one contributor -> sensitive;
    # cell 5: total 0 reveals nothing
    cells = [[80, 10, 10], [40, 30, 30], [75, 20, 5], [12], [0, 0]]
    assert dominance(cells, n=1, k=75).tolist() == [True, False, False, True, False]


def test_dominance_two_85() -> None:
    # (2, 85): 50 + 40 = 90 of 100 > 85 -> sensitive; 50 + 30 = 80 of 100 -> not
    assert dominance([[40, 50, 10], [50, 30, 10, 10]], n=2, k=85).tolist() == [True, False]


def test_p_percent_rule() -> None:
    # p = 10: X - x1 - x2 < 0.1 x1 ?
    # [100, 50, 5]:  155 - 150 = 5  < 10 -> sensitive
    # [100, 50, 20]: 170 - 150 = 20 < 10 false -> not
    # [100, 50, 10]: 10 < 10 false (strict) -> not
    # [30]: single contributor, 0 < 3 -> sensitive;  [5, 200, 1]: sorted 200, 5, 1 -> 1 < 20 -> sensitive
    cells = [[100, 50, 5], [100, 50, 20], [100, 50, 10], [30], [5, 200, 1]]
    assert p_percent(cells, p=10).tolist() == [True, False, False, True, True]


def test_magnitude_rules_reject_negative_contributions() -> None:
    with pytest.raises(ValueError, match="contributions of cell 1"):
        p_percent([[1, 2], [3, -4]])
    with pytest.raises(ValueError, match="k must be"):
        dominance([[1]], k=120)


def test_required_width() -> None:
    # max(3, 10 % of a): 2 -> 3, 30 -> 3, 45 -> 4.5, 1000 -> 100
    assert required_width([2, 30, 45, 1000], interval_percent=10).tolist() == [3.0, 3.0, 4.5, 100.0]
    assert required_width([2, 1000]).tolist() == [3.0, 3.0]


def _table(values: list[float], relations: tuple[Relation, ...]) -> LinearTable:
    keys = tuple(f"c{i}" for i in range(len(values)))
    return LinearTable(keys=keys, values=np.array(values), cost=np.ones(len(values)), relations=relations)


def test_table_validation_names_the_broken_relation() -> None:
    with pytest.raises(ValueError, match=r"relation 1 does not hold: 'c3' = 10\.0"):
        _table([10, 4, 6, 10, 5], (Relation(0, (1, 2)), Relation(3, (1, 4))))


def test_table_validation_messages() -> None:
    with pytest.raises(ValueError, match="names cell index 7"):
        _table([1, 1], (Relation(0, (7,)),))
    with pytest.raises(ValueError, match="names a cell twice"):
        Relation(0, (1, 1))
    with pytest.raises(ValueError, match="has no parts"):
        Relation(0, ())
    with pytest.raises(ValueError, match="cost of cell 'b'"):
        LinearTable(keys=("a", "b"), values=np.ones(2), cost=np.array([1.0, 0.0]), relations=())
    with pytest.raises(ValueError, match="values has shape"):
        LinearTable(keys=("a", "b"), values=np.ones(3), cost=np.ones(2), relations=())
    with pytest.raises(ValueError, match="outside its a-priori bounds"):
        LinearTable(keys=("a",), values=np.array([-1.0]), cost=np.ones(1), relations=())
    with pytest.raises(ValueError, match="not finite"):
        LinearTable(keys=("a",), values=np.array([np.nan]), cost=np.ones(1), relations=())


def test_weighted_relation_holds() -> None:
    table = _table([13, 2, 3], (Relation(0, (1, 2), weights=(2.0, 3.0)),))
    assert table.matrix.toarray().tolist() == [[1.0, -2.0, -3.0]]
