"""Primary suppression rules: which cells are sensitive by themselves.

Each rule maps cells to a boolean array (``True`` = sensitive). The rules follow the standard definitions
of Hundepool, Domingo-Ferrer, Franconi, Giessing, Schulte Nordholt, Spicer and de Wolf, *Statistical
Disclosure Control*, Wiley 2012, chapter 4 (magnitude tables: the (n, k) and p% sensitivity rules) and
chapter 5 (frequency tables: the threshold rule), which are also those of the τ-ARGUS manual (sensitivity
rules); the formulas below are the definitions used.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


def frequency(values: npt.ArrayLike, *, threshold: int = 3, zeros: bool = False) -> BoolArray:
    r"""Minimum-frequency (threshold) rule for counts.

    A count :math:`a` is sensitive when

    .. math:: 0 < a < \text{threshold} \quad\text{or}\quad (a = 0 \text{ and zeros}).

    With the default threshold 3, counts of 1 and 2 are sensitive (Hundepool et al. 2012, ch. 5: a cell is
    sensitive when its frequency is below a threshold). For a ratio, call it on the numerator and on the
    denominator and combine with ``|``. A missing value (NaN) publishes nothing and is not sensitive.

    Examples
    --------
    >>> frequency([0, 1, 2, 3, 10]).tolist()
    [False, True, True, False, False]
    >>> frequency([0, 1, 2, 3], zeros=True).tolist()
    [True, True, True, False]
    """
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    a = np.asarray(values, dtype=np.float64)
    if np.any(a < 0):
        raise ValueError(f"counts must be >= 0, got {a[a < 0][0]}")
    sensitive = (a > 0) & (a < threshold)
    if zeros:
        sensitive |= a == 0
    return np.asarray(sensitive, dtype=np.bool_)


def dominance(contributions: Sequence[Sequence[float]], *, n: int = 1, k: float = 75.0) -> BoolArray:
    r"""The (n, k) dominance rule for magnitude cells with known contributions.

    Let :math:`x_1 \ge x_2 \ge \dots` be the contributions to a cell and :math:`X = \sum_i x_i` its total.
    The cell is sensitive when the :math:`n` largest contributors together hold more than :math:`k` per
    cent of it:

    .. math:: \sum_{i=1}^{n} x_i > \frac{k}{100} X.

    (Hundepool et al. 2012, ch. 4; τ-ARGUS manual.) A cell with at most ``n`` contributors and a
    positive total is therefore always sensitive; a cell whose total is 0 reveals nothing and is not.

    Examples
    --------
    >>> dominance([[80, 10, 10], [40, 30, 30]], n=1, k=75).tolist()
    [True, False]
    >>> dominance([[40, 40, 20]], n=2, k=75).tolist()
    [True]
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if not 0 <= k <= 100:
        raise ValueError(f"k must be a percentage in [0, 100], got {k}")
    result = np.zeros(len(contributions), dtype=np.bool_)
    for i, cell in enumerate(contributions):
        x = _sorted_contributions(cell, i)
        total = x.sum()
        result[i] = total > 0 and x[:n].sum() > k / 100.0 * total
    return result


def p_percent(contributions: Sequence[Sequence[float]], *, p: float = 10.0) -> BoolArray:
    r"""The p% rule for magnitude cells with known contributions.

    With contributions :math:`x_1 \ge x_2 \ge \dots` and total :math:`X`, the second largest contributor
    can estimate the largest contribution by :math:`X - x_2`; its error is what the others contribute,
    :math:`X - x_1 - x_2`. The cell is sensitive when that estimate is closer than :math:`p` per cent:

    .. math:: X - x_1 - x_2 < \frac{p}{100} x_1.

    (Hundepool et al. 2012, ch. 4; τ-ARGUS manual.) A single contributor (:math:`x_2 = 0`) with a
    positive value is always sensitive.

    Examples
    --------
    >>> p_percent([[100, 50, 5], [100, 50, 20]], p=10).tolist()
    [True, False]
    """
    if p < 0:
        raise ValueError(f"p must be >= 0, got {p}")
    result = np.zeros(len(contributions), dtype=np.bool_)
    for i, cell in enumerate(contributions):
        x = _sorted_contributions(cell, i)
        if x.size == 0 or x[0] <= 0:
            continue
        second = x[1] if x.size > 1 else 0.0
        result[i] = x.sum() - x[0] - second < p / 100.0 * x[0]
    return result


def required_width(values: npt.ArrayLike, *, threshold: int = 3, interval_percent: float = 0.0) -> FloatArray:
    r"""The protection interval a withheld primary cell needs.

    An attacker's feasible interval :math:`[lo, hi]` for a primary cell of value :math:`a` must satisfy

    .. math:: hi - lo \ge w(a) = \max\left(\text{threshold}, \frac{\text{interval\_percent}}{100} |a|\right).

    The absolute part keeps a count of 1 or 2 from being narrowed to "1 or 2"; the relative part is the
    usual protection level of magnitude tables (Hundepool et al. 2012, ch. 4: upper and lower protection
    levels; here one width for the whole interval).

    Examples
    --------
    >>> required_width([2, 100], threshold=3, interval_percent=10).tolist()
    [3.0, 10.0]
    """
    if threshold < 0 or interval_percent < 0:
        raise ValueError("threshold and interval_percent must be >= 0")
    a = np.asarray(values, dtype=np.float64)
    return np.maximum(float(threshold), interval_percent / 100.0 * np.abs(a))


def _sorted_contributions(cell: Sequence[float], index: int) -> FloatArray:
    x = np.asarray(cell, dtype=np.float64).ravel()
    if not np.all(np.isfinite(x)) or np.any(x < 0):
        raise ValueError(f"contributions of cell {index} must be finite and >= 0, got {list(cell)}")
    return np.sort(x)[::-1]
