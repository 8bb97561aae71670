"""The matching core on arrays: the distance, its symmetry, the index against brute force, a planted twin,
a city with half its indicators missing, and scikit-learn's ``nan_euclidean`` against our definition."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics.pairwise import nan_euclidean_distances

from bettercities.peers.matching import (
    PRIOR_SQUARED,
    PRIOR_WEIGHT,
    PeerIndex,
    brute_force,
    pair_distance,
    robust_standardise,
    similarity,
)


def world(n: int = 3000, p: int = 14, seed: int = 7) -> np.ndarray:
    """Profiles like the registry's: 5 % with many indicators (missing at rates of 10–60 %), the rest with
    the three registry attributes only, a few of those with one."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, p))
    rich = rng.random(n) < 0.05
    missing = np.zeros((n, p), bool)
    missing[~rich, 3:] = True
    missing[rich] = rng.random((int(rich.sum()), p)) < np.linspace(0.1, 0.6, p)
    missing[rich, :3] = False
    missing[~rich & (rng.random(n) < 0.05), 1:3] = True
    z[missing] = np.nan
    return z


@pytest.fixture(scope="module")
def z() -> np.ndarray:
    return world()


@pytest.fixture(scope="module")
def index(z: np.ndarray) -> PeerIndex:
    return PeerIndex(z, min_overlap=3, group_min=64)


def test_distance_by_hand() -> None:
    # overlap = columns 0 and 2: S = 1² + 2² = 5, n = 2 → D² = (5 + 2·2) / (2 + 2) = 9/4
    a = np.array([0.0, np.nan, 1.0, 3.0])
    b = np.array([1.0, 5.0, -1.0, np.nan])
    d, n, diff = pair_distance(a, b, min_overlap=2)
    assert n == 2 and d == pytest.approx(1.5)
    assert similarity(1.5) == pytest.approx(0.4)
    assert np.isnan(diff[1]) and np.isnan(diff[3])
    assert pair_distance(a, b, min_overlap=3)[0] is None  # overlap too small: no score


def test_shrinkage_prefers_a_larger_overlap() -> None:
    # equally alike per feature (difference 0.5 each), the pair compared on 10 features is nearer
    small = (0.5**2) * 2
    large = (0.5**2) * 10
    d_small = math.sqrt((small + PRIOR_WEIGHT * PRIOR_SQUARED) / (2 + PRIOR_WEIGHT))
    d_large = math.sqrt((large + PRIOR_WEIGHT * PRIOR_SQUARED) / (10 + PRIOR_WEIGHT))
    assert d_large < d_small


def test_symmetric_to_the_last_bit(z: np.ndarray, index: PeerIndex) -> None:
    for q in range(0, 3000, 211):
        forward = index.query(q, k=3).head(3)
        for m, d in zip(forward.rows, forward.distances, strict=True):
            back = index.query(int(m), k=1, extra=np.array([q]))
            assert back.distances[back.rows == q][0] == d
            assert pair_distance(z[q], z[m], min_overlap=3)[0] == pair_distance(z[m], z[q], min_overlap=3)[0]


def test_never_itself(index: PeerIndex) -> None:
    for q in range(0, 3000, 37):
        assert q not in index.query(q, k=10).head(10).rows


def test_index_equals_brute_force(z: np.ndarray, index: PeerIndex) -> None:
    rng = np.random.default_rng(3)
    allowed = rng.random(z.shape[0]) < 0.2
    for q in rng.integers(0, z.shape[0], 60):
        for mask in (None, allowed):
            got = index.query(int(q), k=10, allowed=mask).head(10)
            want = brute_force(z, int(q), k=10, min_overlap=3, allowed=mask)
            assert got.rows.tolist() == want.rows.tolist()
            assert np.allclose(got.distances, want.distances)


def test_planted_twin_is_found_first(z: np.ndarray) -> None:
    rng = np.random.default_rng(11)
    rich = np.flatnonzero((~np.isnan(z)).sum(axis=1) >= 8)
    target = int(rich[0])
    twin = z[target] + rng.normal(scale=0.02, size=z.shape[1])
    planted = np.vstack([z, twin])
    index = PeerIndex(planted, min_overlap=3, group_min=64)
    assert int(index.query(target, k=10).rows[0]) == planted.shape[0] - 1
    assert int(index.query(planted.shape[0] - 1, k=10).rows[0]) == target


def test_half_missing_gets_peers_with_the_overlap(z: np.ndarray) -> None:
    rich = np.flatnonzero((~np.isnan(z)).sum(axis=1) >= 10)
    target = int(rich[1])
    half = z.copy()
    have = np.flatnonzero(~np.isnan(half[target]))
    half[target, have[: have.size // 2]] = np.nan
    index = PeerIndex(half, min_overlap=3, group_min=64)
    found = index.query(target, k=10).head(10)
    assert found.rows.size == 10
    assert (found.overlaps <= have.size - have.size // 2).all()
    assert (found.overlaps >= 3).all()


def test_nan_euclidean_is_the_unshrunk_distance_rescaled(z: np.ndarray) -> None:
    # sklearn: d² = (p / n) · S over the coordinates both have; our S is d² · n / p
    a, b = z[world_rich(z)[:2]]
    p = z.shape[1]
    d2 = nan_euclidean_distances(a[None], b[None], squared=True)[0, 0]
    diff = a - b
    n = int(np.count_nonzero(~np.isnan(diff)))
    assert d2 * n / p == pytest.approx(float(np.nansum(diff * diff)))


def world_rich(z: np.ndarray) -> np.ndarray:
    return np.flatnonzero((~np.isnan(z)).sum(axis=1) >= 8)


def test_robust_standardise_skips_a_unit_glitch() -> None:
    # the Urban Audit file has a medianIncome of 1,690,302 among values around 20,000 (shared data README)
    incomes = np.array([[18000.0], [21000.0], [23000.0], [26000.0], [1690302.0], [np.nan]])
    s = robust_standardise(incomes)
    assert np.isnan(s.z[4, 0]) and s.skipped[4, 0]
    assert not s.skipped[5, 0]
    assert s.centre[0] == 23000.0
    # MAD of (18,21,23,26,1690.302)k around 23k: |−5, −2, 0, 3, 1667.3|k → median 3000
    assert s.scale[0] == pytest.approx(1.4826 * 3000)
    assert s.z[0, 0] == pytest.approx(-5000 / (1.4826 * 3000))


def test_ties_are_ranked_as_brute_force_ranks_them() -> None:
    # towns of one region and one size: many rows at exactly the same distance from a query
    rng = np.random.default_rng(5)
    tied = rng.integers(0, 3, size=(600, 3)).astype(float)
    index = PeerIndex(tied, min_overlap=3, group_min=64)
    allowed = rng.random(600) < 0.5
    for q in range(0, 600, 41):
        for mask in (None, allowed):
            got = index.query(q, k=10, allowed=mask).head(10)
            want = brute_force(tied, q, k=10, min_overlap=3, allowed=mask)
            assert got.rows.tolist() == want.rows.tolist()


def test_a_query_may_raise_the_minimum_overlap(z: np.ndarray) -> None:
    # one index (minimum 2) serves every search: a larger minimum per query equals brute force's
    index = PeerIndex(z, min_overlap=2, group_min=64)
    for q in range(0, 3000, 173):
        for least in (2, 3, 6):
            got = index.query(q, k=10, min_overlap=least).head(10)
            want = brute_force(z, q, k=10, min_overlap=least)
            assert got.rows.tolist() == want.rows.tolist()
    with pytest.raises(ValueError):
        index.query(0, k=10, min_overlap=1)


def test_the_examples_in_the_docstrings() -> None:
    import doctest

    from bettercities.peers import matching, themes

    for module in (matching, themes):
        assert doctest.testmod(module).failed == 0


def test_a_column_can_be_left_unwinsorised() -> None:
    """Population (log10) over the registry: median town ~10,800, scaled MAD 0.33, so at ±3 every city above
    ~107,000 inhabitants was equally large (Krefeld's most 'alike' feature with every big city was its
    population, difference 0). Its column is not winsorised; the others still are."""
    from bettercities.peers.profiles import FEATURES, WINSOR

    towns = [[float(round(p)), 1.0 + k % 3] for k, p in enumerate(np.geomspace(5_000, 25_000, 13))]
    logs = np.log10([*towns, [227_417.0, 2.0], [3_669_491.0, 60.0]])
    capped = robust_standardise(logs)
    free = robust_standardise(logs, winsor=[np.inf, 3.0])
    assert capped.z[-2, 0] == capped.z[-1, 0] == 3.0  # Krefeld and Berlin the same size
    assert free.z[-1, 0] > free.z[-2, 0] > 3.0
    assert free.z[-1, 1] == capped.z[-1, 1] == 3.0
    assert dict(zip([f.code for f in FEATURES], WINSOR, strict=True))["population"] == np.inf
    assert [w for f, w in zip(FEATURES, WINSOR, strict=True) if f.code != "population"] == [3.0] * 14
