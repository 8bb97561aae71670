"""Pure numeric kernels of the social indices: standardisation, aggregation, classification.

Every function takes and returns numpy arrays (or plain lists) and has no knowledge of files,
configurations or areas; the index methods in :mod:`bettercities.analysis.index.methods` compose them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from bettercities.core.classify import ClassMethod, upper_bounds

FloatArray = npt.NDArray[np.float64]


def zscore(values: npt.ArrayLike) -> FloatArray:
    r"""Standardise to mean 0 and *population* standard deviation 1.

    .. math:: z_i = \frac{x_i - \bar{x}}{\sigma}, \qquad
              \sigma = \sqrt{\tfrac{1}{n}\sum_{j=1}^{n} (x_j - \bar{x})^2}

    The population standard deviation (``ddof = 0``) is what the Berlin *Monitoring Soziale
    Stadtentwicklung* uses (Senatsverwaltung für Stadtentwicklung, MSS method notes; reproduced
    exactly by the 2019 and 2021 editions, see ``tests/index``). A constant input has no spread;
    its z-scores are all 0.

    Examples
    --------
    >>> zscore([1.0, 2.0, 3.0]).round(4).tolist()
    [-1.2247, 0.0, 1.2247]
    """
    x = np.asarray(values, dtype=float)
    sd = x.std(ddof=0)
    if not np.isfinite(sd) or sd == 0:
        return np.zeros_like(x)
    return (x - x.mean()) / sd


def min_max(values: npt.ArrayLike, *, low: float = 0.0, high: float = 1.0) -> FloatArray:
    r"""Rescale linearly to ``[low, high]``.

    .. math:: s_i = \text{low} + (\text{high} - \text{low})
              \frac{x_i - \min x}{\max x - \min x}

    (OECD/JRC, *Handbook on Constructing Composite Indicators*, 2008, section 5.) A constant
    input maps to the middle of the range.

    Examples
    --------
    >>> min_max([2.0, 4.0, 6.0]).tolist()
    [0.0, 0.5, 1.0]
    >>> min_max([2.0, 4.0, 6.0], low=1, high=100).tolist()
    [1.0, 50.5, 100.0]
    """
    x = np.asarray(values, dtype=float)
    span = x.max() - x.min() if x.size else 0.0
    if span == 0:
        return np.full_like(x, (low + high) / 2)
    return low + (high - low) * (x - x.min()) / span


def rank(values: npt.ArrayLike) -> FloatArray:
    """Ranks 1..n, ties get their average rank (OECD/JRC 2008, section 5: ranking).

    Examples
    --------
    >>> rank([10.0, 30.0, 20.0, 20.0]).tolist()
    [1.0, 4.0, 2.5, 2.5]
    """
    from scipy.stats import rankdata

    return np.asarray(rankdata(np.asarray(values, dtype=float), method="average"), dtype=float)


def weighted_sum(matrix: npt.ArrayLike, weights: Sequence[float]) -> FloatArray:
    r"""Row-wise weighted sum :math:`I_i = \sum_k w_k s_{ik}` of an ``n x k`` matrix.

    Examples
    --------
    >>> weighted_sum([[1.0, 2.0], [3.0, -1.0]], [1, 2]).tolist()
    [5.0, 1.0]
    """
    m = np.asarray(matrix, dtype=float)
    return np.asarray(m @ np.asarray(weights, dtype=float), dtype=float)


def weighted_mean(matrix: npt.ArrayLike, weights: Sequence[float]) -> FloatArray:
    r"""Row-wise weighted arithmetic mean :math:`I_i = \sum_k w_k s_{ik} / \sum_k w_k`.

    Examples
    --------
    >>> weighted_mean([[1.0, 2.0], [3.0, -1.0]], [1, 3]).tolist()
    [1.75, 0.0]
    """
    w = np.asarray(weights, dtype=float)
    return weighted_sum(matrix, list(w / w.sum()))


def geometric_mean(matrix: npt.ArrayLike, weights: Sequence[float]) -> FloatArray:
    r"""Row-wise weighted geometric mean :math:`I_i = \prod_k s_{ik}^{w_k / \sum w}` (values > 0).

    Used for partly non-compensatory composites such as the UNDP Human Development Index since
    2010 (OECD/JRC 2008, section 6.2). Non-positive values yield ``nan``.

    Examples
    --------
    >>> geometric_mean([[1.0, 4.0], [2.0, 8.0]], [1, 1]).tolist()
    [2.0, 4.0]
    """
    m = np.asarray(matrix, dtype=float)
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(m > 0, np.log(np.where(m > 0, m, 1.0)), np.nan)
    return np.asarray(np.exp(logs @ w), dtype=float)


def classify_bands(
    values: npt.ArrayLike, uppers: Sequence[float | None], inclusive: Sequence[bool]
) -> npt.NDArray[np.int64]:
    """Index (0-based) of the first band whose upper bound admits each value.

    Band ``j`` admits ``x < uppers[j]`` (``inclusive[j]`` false) or ``x <= uppers[j]`` (true); an
    upper bound ``None`` admits everything (the open last band). ``nan`` gives ``-1``.

    Examples
    --------
    The MSS status classes: < -1, -1..+1, (+1..+1.5], > +1.5 ("-1" itself is *mittel*):

    >>> classify_bands([-1.2, -1.0, 1.0, 1.2, 1.5, 1.6], [-1, 1, 1.5, None],
    ...                [False, True, True, False]).tolist()
    [0, 1, 1, 2, 2, 3]
    """
    x = np.asarray(values, dtype=float)
    out = np.full(x.shape, -1, dtype=np.int64)
    free = ~np.isnan(x)
    for j, (upper, closed) in enumerate(zip(uppers, inclusive, strict=True)):
        hit = free if upper is None else free & ((x <= upper) if closed else (x < upper))
        out[hit] = j
        free = free & ~hit
    return out


def quantile_breaks(values: npt.ArrayLike, k: int) -> list[float]:
    """Upper bounds of ``k`` quantile classes (via :class:`mapclassify.Quantiles`).

    Examples
    --------
    >>> quantile_breaks([1, 2, 3, 4, 5, 6, 7, 8], 4)
    [2.75, 4.5, 6.25, 8.0]
    """
    return upper_bounds(values, ClassMethod.QUANTILES, k)


def natural_breaks(values: npt.ArrayLike, k: int) -> list[float]:
    """Upper bounds of ``k`` Fisher-Jenks natural-breaks classes (:class:`mapclassify.FisherJenks`).

    Fisher (1958), "On grouping for maximum homogeneity", JASA 53, 789-798: the partition into ``k``
    contiguous classes with the least within-class sum of squared deviations.

    Examples
    --------
    >>> natural_breaks([1, 2, 3, 10, 11, 12, 30, 31], 3)
    [3.0, 12.0, 31.0]
    """
    return upper_bounds(values, ClassMethod.NATURAL_BREAKS, k)


#: Rows per block of :func:`zscore_weighted_sum`: a block of one column (1 MiB) stays in the CPU cache
#: between the reads that use it.
BLOCK_ROWS = 1 << 17


def zscore_weighted_sum(
    columns: Sequence[npt.ArrayLike],
    weights: Sequence[float],
    *,
    signs: Sequence[float] | None = None,
    restandardise: bool = True,
    threads: int | None = None,
) -> FloatArray:
    r"""Weighted sum of the indicators' z-scores (optionally z-standardised again), for millions of rows.

    The same numbers as ``zscore(weighted_sum(column_stack([zscore(s_k x_k)]), w))`` without the
    ``n x k`` matrix of z-scores: since :math:`z_{ik} = (x_{ik} - \bar x_k) / \sigma_k`,

    .. math:: I_i = \sum_k w_k s_k \frac{x_{ik} - \bar x_k}{\sigma_k}
                  = \sum_k c_k x_{ik} - \sum_k c_k \bar x_k, \qquad c_k = \frac{w_k s_k}{\sigma_k}

    Two passes over the data in blocks of :data:`BLOCK_ROWS` rows, spread over ``threads`` (default: the
    CPU count; numpy releases the GIL): the first sums :math:`x` and :math:`x^2` per column while a block
    is in cache, the second accumulates :math:`c_k x_k` into the output block (and its sum of squares,
    for restandardising: :math:`I` has mean 0, so it is divided by :math:`\sqrt{\sum I_i^2 / n}`).
    Variances from the two sums lose precision when a column's mean dwarfs its spread; such columns
    (variance below 1e-8 of the squared mean) are recomputed exactly. Constant columns contribute 0, as
    in :func:`zscore`. ``signs`` are the polarities (+1 or -1).

    Examples
    --------
    >>> zscore_weighted_sum([[1.0, 2.0, 3.0], [3.0, 1.0, 2.0]], [1, 2], restandardise=False).round(4).tolist()
    [1.2247, -2.4495, 1.2247]
    """
    import os
    from concurrent.futures import ThreadPoolExecutor
    from contextlib import ExitStack

    from scipy.linalg import blas

    arrays = [np.ascontiguousarray(c, dtype=float) for c in columns]
    n = arrays[0].size
    signs = signs if signs is not None else [1.0] * len(arrays)
    blocks = [slice(a, min(a + BLOCK_ROWS, n)) for a in range(0, n, BLOCK_ROWS)]
    workers = max(1, min(threads or os.cpu_count() or 1, len(blocks)))

    def moments(block: slice) -> list[tuple[float, float]]:
        return [(float(x[block].sum()), float(blas.ddot(x[block], x[block]))) for x in arrays]

    # our threads split the rows; BLAS must not start threads of its own inside them (nor for one worker:
    # OpenBLAS threads on vectors of a few 100,000 values took 50-230 ms instead of 2-12 on a busy machine)
    with _single_threaded_blas(), ExitStack() as stack:
        # one worker: map in this thread (handing blocks to a pool thread only adds the hand-off)
        each = stack.enter_context(ThreadPoolExecutor(workers)).map if workers > 1 else map
        partial = list(each(moments, blocks))
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

        def combine(block: slice) -> float:
            out = index[block]
            if terms:
                np.multiply(terms[0][0][block], terms[0][1], out=out)
                out -= shift
            else:
                out.fill(0.0)
            for x, c in terms[1:]:
                blas.daxpy(x[block], out, a=c)  # in place: out += c * x
            return float(blas.ddot(out, out))

        squares = sum(each(combine, blocks))
        if restandardise:
            sd = np.sqrt(squares / n)
            scale = 1.0 / sd if np.isfinite(sd) and sd > 0 else 0.0

            def rescale(block: slice) -> None:
                index[block] *= scale

            list(each(rescale, blocks))
    return index


def _single_threaded_blas() -> Any:
    """A context limiting BLAS to one thread (threadpoolctl, installed with scikit-learn), if available.

    The controller (which finds the loaded BLAS libraries, 0.4 ms) is made once per process.
    """
    from contextlib import nullcontext

    controller = _blas_controller()
    return nullcontext() if controller is None else controller.limit(limits=1, user_api="blas")


@functools.cache
def _blas_controller() -> Any:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return None
    return ThreadpoolController()
