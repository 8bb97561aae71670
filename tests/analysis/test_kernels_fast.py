"""The blocked composite kernel gives the same index as composing the per-column kernels (property test)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bettercities.analysis import kernels


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 300),
    k=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
    offset=st.sampled_from([0.0, 1e3, 1e6]),
    restandardise=st.booleans(),
    block=st.sampled_from([7, 64, 1 << 16]),
)
def test_equals_per_column_composition(
    n: int, k: int, seed: int, offset: float, restandardise: bool, block: int
) -> None:
    rng = np.random.default_rng(seed)
    columns = [offset + rng.gamma(2.0, 3.0, n) for _ in range(k)]
    columns[0][: n // 2] = columns[0][0]  # ties and, for n = 2, a constant column
    weights = list(rng.uniform(0.1, 3.0, k))
    signs = list(rng.choice([-1.0, 1.0], k))
    matrix = np.column_stack([kernels.zscore(s * c) for s, c in zip(signs, columns, strict=True)])
    expected = kernels.weighted_sum(matrix, weights)
    if restandardise:
        expected = kernels.zscore(expected)
    old, kernels.BLOCK_ROWS = kernels.BLOCK_ROWS, block
    try:
        got = kernels.zscore_weighted_sum(columns, weights, signs=signs, restandardise=restandardise)
    finally:
        kernels.BLOCK_ROWS = old
    np.testing.assert_allclose(got, expected, atol=1e-7 * max(1.0, float(np.abs(expected).max())))
