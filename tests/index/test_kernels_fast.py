"""The blocked composite kernel gives the same index as composing the per-column kernels (property test),
and, threaded or not, the same numbers as a plain sequential pass over the blocks to 1e-9."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bettercities.analysis.index import kernels


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


def sequential_kernel(
    columns: list[np.ndarray], weights: list[float], signs: list[float], restandardise: bool, block: int
) -> np.ndarray:
    """The same algorithm written sequentially (one thread, blocks in order), for comparison."""
    from scipy.linalg import blas

    arrays = [np.ascontiguousarray(c, dtype=float) for c in columns]
    n = arrays[0].size
    blocks = [slice(a, min(a + block, n)) for a in range(0, n, block)]
    partial = [[(float(x[b].sum()), float(blas.ddot(x[b], x[b]))) for x in arrays] for b in blocks]
    coefficients, shift = [], 0.0
    for k, (x, weight, sign) in enumerate(zip(arrays, weights, signs, strict=True)):
        mean = sum(p[k][0] for p in partial) / n
        variance = sum(p[k][1] for p in partial) / n - mean * mean
        if variance <= 1e-8 * mean * mean:
            variance = float(x.var())
        c = weight * sign / np.sqrt(variance) if np.isfinite(variance) and variance > 0 else 0.0
        coefficients.append(float(c))
        shift += c * mean
    terms = [(x, c) for x, c in zip(arrays, coefficients, strict=True) if c]
    index = np.empty(n)
    squares = 0.0
    for b in blocks:
        out = index[b]
        if terms:
            np.multiply(terms[0][0][b], terms[0][1], out=out)
            out -= shift
        else:
            out.fill(0.0)
        for x, c in terms[1:]:
            blas.daxpy(x[b], out, a=c)
        squares += float(blas.ddot(out, out))
    if restandardise:
        sd = np.sqrt(squares / n)
        index *= 1.0 / sd if np.isfinite(sd) and sd > 0 else 0.0
    return index


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 5000),
    k=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
    offset=st.sampled_from([0.0, 10.0, 1e3]),
    restandardise=st.booleans(),
    block=st.sampled_from([7, 300, 1 << 16]),
    threads=st.sampled_from([1, 2]),
)
def test_equals_the_sequential_algorithm(
    n: int, k: int, seed: int, offset: float, restandardise: bool, block: int, threads: int
) -> None:
    rng = np.random.default_rng(seed)
    columns = [offset + rng.gamma(2.0 + j, 3.0 + j, n) for j in range(k)]
    weights = list(rng.uniform(0.1, 3.0, k))
    signs = list(rng.choice([-1.0, 1.0], k))
    expected = sequential_kernel(columns, weights, signs, restandardise, block)
    old, kernels.BLOCK_ROWS = kernels.BLOCK_ROWS, block
    try:
        got = kernels.zscore_weighted_sum(
            columns, weights, signs=signs, restandardise=restandardise, threads=threads
        )
    finally:
        kernels.BLOCK_ROWS = old
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_a_million_rows_equal_the_sequential_algorithm() -> None:
    rng = np.random.default_rng(20260101)
    columns = [rng.gamma(2.0 + j, 3.0 + j, 1_000_000) for j in range(6)]
    weights, signs = [1.0, 1.0, 0.5, 2.0, 1.0, 1.5], [1.0, 1.0, -1.0, 1.0, -1.0, 1.0]
    expected = sequential_kernel(columns, weights, signs, True, 1 << 17)
    got = kernels.zscore_weighted_sum(columns, weights, signs=signs, restandardise=True, threads=2)
    assert np.abs(got - expected).max() < 1e-9
