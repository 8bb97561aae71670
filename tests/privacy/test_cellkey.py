"""Cell keys and p-tables: determinism, uniformity, the moments and bounds the p-table promises, and the
maximum-entropy rows against values derived by hand and against an independent entropy maximisation."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pytest
from scipy import stats
from scipy.optimize import linprog, minimize

from bettercities.privacy.cellkey import PTable, cell_key

PARAMETERS = [(2, 1.0, 0), (3, 2.0, 0), (3, 2.0, 3), (5, 4.0, 2), (2, 1.0, 3), (1, 0.5, 0), (10, 30.0, 3)]


def test_same_secret_and_parts_give_the_same_key() -> None:
    a = cell_key(b"city-secret", "inhabitants", "01011101", "2024")
    assert a == cell_key(b"city-secret", "inhabitants", "01011101", "2024")
    assert a != cell_key(b"other-secret", "inhabitants", "01011101", "2024")
    assert a != cell_key(b"city-secret", "inhabitants", "01011102", "2024")
    # parts are joined with a separator: ("ab", "c") and ("a", "bc") differ
    assert cell_key(b"s", "ab", "c") != cell_key(b"s", "a", "bc")


def test_key_is_the_documented_hmac() -> None:
    # recomputed here from the definition: top 53 bits of the first 8 bytes of HMAC-SHA256
    digest = hmac.new(b"k", b"x\x1fy", hashlib.sha256).digest()
    expected = (int.from_bytes(digest[:8], "big") >> 11) / 2**53
    assert cell_key(b"k", "x", "y") == expected


def test_keys_are_uniform() -> None:
    keys = np.array([cell_key(b"secret", "q", str(i), "2025") for i in range(10_000)])
    assert keys.min() >= 0 and keys.max() < 1
    assert stats.kstest(keys, "uniform").pvalue > 0.001


def test_bad_key_input() -> None:
    with pytest.raises(ValueError, match="non-empty bytes"):
        cell_key(b"", "a")
    with pytest.raises(ValueError, match="unit separator"):
        cell_key(b"s", "a\x1fb")


def test_full_row_matches_the_maximum_entropy_solution_derived_by_hand() -> None:
    # D = 2, V = 1 on {-2..2}: by symmetry p_d = exp(b d^2) / Z with q = e^b; variance 1 means
    # (2q + 8q^4) / (1 + 2q + 2q^4) = 1  <=>  6 q^4 = 1  =>  q = 6^(-1/4), Z = 1 + 2q + 1/3.
    q = 6 ** (-0.25)
    z = 1 + 2 * q + 2 * q**4
    expected = [q**4 / z, q / z, 1 / z, q / z, q**4 / z]
    last = PTable.build(max_deviation=2, variance=1.0).rows()[-1]
    assert last.and_above and last.original == 2
    assert last.deviations == (-2, -1, 0, 1, 2)
    assert list(last.probabilities) == pytest.approx(expected, abs=1e-9)


def test_two_point_rows_derived_by_hand() -> None:
    # D = 2, js = 3: an original 1 may only become 0 or 3 (d in {-1, 2}); mean 0 fixes
    # P(-1) = 2/3, P(2) = 1/3 (variance 2/3 + 4/3 = 2, above V = 1: V is not attainable there)
    rows = PTable.build(max_deviation=2, variance=1.0, js=3).rows()
    assert rows[1].deviations == (-1, 2)
    assert list(rows[1].probabilities) == pytest.approx([2 / 3, 1 / 3])
    # an original 2 may become 0 or 3 or 4 (d in {-2, 1, 2}); the smallest attainable variance is 2,
    # only on {-2, 1}: P(-2) = 1/3, P(1) = 2/3
    assert rows[2].deviations == (-2, 1)
    assert list(rows[2].probabilities) == pytest.approx([1 / 3, 2 / 3])


@pytest.mark.parametrize(("d", "v", "js"), PARAMETERS)
def test_rows_keep_the_promises(d: int, v: float, js: int) -> None:
    rows = PTable.build(max_deviation=d, variance=v, js=js).rows()
    assert [row.original for row in rows] == list(range(d + js + 1))
    assert [row.and_above for row in rows] == [False] * (d + js) + [True]
    assert rows[0].deviations == (0,) and rows[0].probabilities == (1.0,)
    for row in rows:
        p = np.array(row.probabilities)
        dev = np.array(row.deviations)
        assert p.sum() == pytest.approx(1.0, abs=1e-12) and (p > 0).all()
        assert abs(float(p @ dev)) < 1e-6
        assert np.abs(dev).max() <= d
        perturbed = row.original + dev
        assert (perturbed >= 0).all()
        assert not ((perturbed >= 1) & (perturbed <= js - 1)).any()
        support = [
            x for x in range(-d, d + 1) if row.original + x >= 0 and not 1 <= row.original + x <= js - 1
        ]
        low, high = _attainable_variance(support if row.original else [0])
        nearest = min(max(v, low), high)
        assert float(p @ dev**2) == pytest.approx(nearest, abs=1e-6)
    assert float(np.array(rows[-1].probabilities) @ np.array(rows[-1].deviations) ** 2) == pytest.approx(v)


@pytest.mark.parametrize(("d", "v", "js"), [(3, 2.0, 0), (5, 4.0, 2)])
def test_rows_have_maximum_entropy(d: int, v: float, js: int) -> None:
    # an independent solver: maximise the entropy directly (SLSQP) under the three moment constraints
    for row in PTable.build(max_deviation=d, variance=v, js=js).rows():
        dev = np.array(row.deviations, dtype=float)
        if dev.size < 3:
            continue
        constraints = [
            {"type": "eq", "fun": lambda p: p.sum() - 1},
            {"type": "eq", "fun": lambda p, dev=dev: p @ dev},
            {"type": "eq", "fun": lambda p, dev=dev: p @ dev**2 - v},
        ]
        res = minimize(
            lambda p: float(np.sum(p * np.log(np.maximum(p, 1e-300)))),
            np.full(dev.size, 1 / dev.size),
            bounds=[(0, 1)] * dev.size,
            constraints=constraints,
            method="SLSQP",
            options={"ftol": 1e-14, "maxiter": 1000},
        )
        assert res.success
        assert list(row.probabilities) == pytest.approx(res.x.tolist(), abs=1e-4)


def _attainable_variance(support: list[int]) -> tuple[float, float]:
    """Smallest and largest variance of a mean-0 distribution on ``support`` (two small LPs)."""
    d = np.array(support, dtype=float)
    ends = []
    for sign in (1.0, -1.0):
        res = linprog(sign * d**2, A_eq=np.vstack([np.ones_like(d), d]), b_eq=[1, 0], bounds=(0, 1))
        assert res.status == 0
        ends.append(float(d**2 @ res.x))
    return ends[0], ends[1]


def test_deviation_follows_the_cumulative_intervals() -> None:
    # last row of D = 2, V = 1: cumulative 0.0638, 0.3085, 0.6915, 0.9362, 1
    table = PTable.build(max_deviation=2, variance=1.0)
    assert [table.deviation(10, k) for k in (0.0, 0.06, 0.07, 0.5, 0.93, 0.94, 0.999999)] == [
        -2,
        -2,
        -1,
        0,
        1,
        2,
        2,
    ]
    assert table.deviation(0, 0.999) == 0  # zero stays zero
    assert table.deviation(1000, 0.5) == table.deviation(4, 0.5)  # larger counts use the last row


def test_perturb_twice_gives_identical_values_within_the_bounds() -> None:
    rng = np.random.default_rng(7)
    values = rng.integers(0, 40, 5000)
    keys = np.array([cell_key(b"s", "q", str(i)) for i in range(values.size)])
    table = PTable.build(max_deviation=3, variance=2.0, js=3)
    first = table.perturb(values, keys)
    second = PTable.build(max_deviation=3, variance=2.0, js=3).perturb(values.copy(), keys.copy())
    assert np.array_equal(first, second)
    assert np.abs(first - values).max() <= 3
    assert (first >= 0).all()
    assert not ((first >= 1) & (first <= 2)).any()
    assert (first[values == 0] == 0).all()
    # and the deviations of the large counts average about 0 with variance about 2
    large = values >= 6
    deviations = first[large] - values[large]
    assert abs(deviations.mean()) < 0.1 and abs(deviations.var() - 2.0) < 0.2


def test_invalid_parameters() -> None:
    with pytest.raises(ValueError, match="variance V must be in"):
        PTable.build(max_deviation=2, variance=5.0)
    with pytest.raises(ValueError, match="js = 4 is too large"):
        PTable.build(max_deviation=2, variance=1.0, js=4)
    with pytest.raises(ValueError, match="whole counts"):
        PTable.build().perturb(np.array([1.5]), np.array([0.2]))
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        PTable.build().perturb(np.array([1]), np.array([1.0]))
