"""The local statistics' pseudo p-values, pinned (issue 12: esda's default ``alternative`` is changing).

Conditional permutation (Anselin 1995, sect. 4; esda's ``crand``): for area ``i`` with ``k`` neighbours,
its neighbours' values are replaced by ``k`` values drawn without replacement from the other ``n - 1``
areas. On a 3 x 3 rook lattice every such draw is one of C(8, k) equally likely subsets, so the exact
permutation distribution is enumerated here with the standard library: with row-standardised weights,
LISA's :math:`I_i = z_i \\bar z_{N(i)} (n - 1) / \\sum z^2` and Gi*'s
:math:`G_i^* = (y_i + \\sum_{N(i)} y_j) / ((k + 1) \\sum y)` are monotone in the sum of the drawn values.
The documented alternative (``directed``, GeoDa's pseudo p-value) is
:math:`\\min(P(S \\ge s), P(S < s))`; with 9,999 permutations our ``p_sim`` must be within Monte Carlo
error of it, and far from the two-sided value (twice as large) where that is small. Source of the
definition: esda.significance.calculate_significance (``directed``) and GeoDa's LISA pseudo p-value.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest

from bettercities.analysis.spatial.statistics import ALTERNATIVE, local_statistics

# a 3 x 3 lattice, row by row; distinct values with a high corner (top right) and a low one (bottom left)
Y = np.array([6.0, 8.5, 9.7, 3.2, 5.9, 9.1, 0.4, 2.8, 4.4])
PERMUTATIONS = 9999


def rook(n: int = 3) -> dict[int, list[int]]:
    cells = {}
    for r in range(n):
        for c in range(n):
            cells[r * n + c] = [
                rr * n + cc for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1))
                if 0 <= rr < n and 0 <= cc < n
            ]  # fmt: skip
    return cells


def exact_directed_p(i: int, neighbours: list[int], *, sign: float) -> tuple[float, float]:
    """Exact conditional-permutation p-value of area ``i`` (directed): the statistic is ``sign`` x the sum
    of the neighbours' values (LISA: sign of z_i; Gi*: +1). Two values: the draws equal to the observed one
    (its own neighbours among them) counted at or above it, and counted below it: floating-point rounding
    decides which side esda's computed statistics of an equal draw fall on."""
    others = [float(Y[j]) for j in range(len(Y)) if j != i]
    observed = sign * sum(float(Y[j]) for j in neighbours)
    draws = [sign * sum(subset) for subset in combinations(others, len(neighbours))]
    at_or_above = sum(1 for d in draws if d >= observed - 1e-9) / len(draws)
    above = sum(1 for d in draws if d > observed + 1e-9) / len(draws)
    return min(at_or_above, 1 - at_or_above), min(above, 1 - above)


@pytest.fixture(scope="module")
def areas():  # type: ignore[no-untyped-def]
    from libpysal.weights import W

    w = W(rook(), silence_warnings=True)
    w.transform = "r"
    return local_statistics(Y, w, [str(i) for i in range(9)], permutations=PERMUTATIONS, seed=7, alpha=0.05)


def test_the_alternative_is_set_explicitly() -> None:
    assert ALTERNATIVE == "directed"


@pytest.mark.parametrize("statistic", ["lisa", "gi_star"])
def test_pseudo_p_values_match_the_exact_permutation_distribution(areas, statistic: str) -> None:  # type: ignore[no-untyped-def]
    z = Y - Y.mean()
    told_apart = 0
    for i, neighbours in rook().items():
        sign = (1.0 if z[i] > 0 else -1.0) if statistic == "lisa" else 1.0
        low, high = sorted(exact_directed_p(i, neighbours, sign=sign))
        got = areas[i].p_sim if statistic == "lisa" else areas[i].gi_star_p_sim
        # the estimate (M + 1) / (R + 1): binomial Monte Carlo error, 4 standard errors
        error = 4 * math.sqrt(max(high, 0.01) * (1 - low) / PERMUTATIONS) + 1 / PERMUTATIONS
        assert low - error <= got <= high + error, (statistic, i, low, high, got)
        if low > 0.03 and high < 0.25:  # two-sided would be about twice as large: not what we compute
            assert got < 2 * low - error, (statistic, i, low, got)
            told_apart += 1
    assert told_apart >= 3  # the lattice has areas with small p-values (the test can tell the two apart)


def test_the_high_and_the_low_corner_are_clusters(areas) -> None:  # type: ignore[no-untyped-def]
    # top right (9.7; neighbours 8.5 and 9.1, the highest pair of the other eight values): no draw of the
    # C(8, 2) = 28 is higher, only the observed pair equals it -> p at most 1/28 = 0.036
    assert exact_directed_p(2, [1, 5], sign=1.0) == (pytest.approx(1 / 28), 0.0)
    # bottom left (0.4; neighbours 3.2 and 2.8, the lowest pair): the same in the lower tail
    assert exact_directed_p(6, [3, 7], sign=-1.0) == (pytest.approx(1 / 28), 0.0)
    for i, quadrant in ((2, "HH"), (6, "LL")):
        assert areas[i].p_sim <= 1 / 28 + 0.006
        assert (areas[i].quadrant, areas[i].cluster) == (quadrant, quadrant)
