r"""The cell-key method: consistent random perturbation of counts by a cell key and a published p-table.

Every cell gets a key in :math:`[0, 1)` derived from the city's secret and the cell's identity, so the same
cell is always perturbed the same way, however often and in whatever table it is published. The p-table
maps an original count :math:`i` and a key to a deviation :math:`d`; the published count is :math:`i + d`.
The design follows the method of the German statistical offices (Enderle, Giessing and Tent, "Designing
confidentiality on the fly", Privacy in Statistical Databases 2018, LNCS 11126; the 2022 census
documentation of the Statistische Ämter des Bundes und der Länder) and the construction of the R package
``ptable`` (Enderle and Tent): for each original count the deviation distribution on
:math:`\{-D, \dots, D\}` that has mean 0 and variance :math:`V` and, among those, maximum entropy.

Published for users: :math:`D`, :math:`V`, :math:`j_s` and the rows of the p-table (never the keys or the
secret). Totals are perturbed by their own keys, so a published total is in general not the sum of its
published parts.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize, root

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Separates the parts of a cell's identity before hashing (ASCII unit separator).
SEPARATOR = "\x1f"


def cell_key(secret: bytes, *parts: str) -> float:
    r"""A cell's key: a number in :math:`[0, 1)` fixed by the secret and the cell's identity.

    .. math:: k = \lfloor h / 2^{11} \rfloor \, / \, 2^{53}, \qquad
              h = \text{first 8 bytes (big-endian) of } \mathrm{HMAC\text{-}SHA256}(\text{secret},
              \text{parts joined by U+001F})

    The top 53 bits make every key an exact double strictly below 1; without the secret the keys cannot
    be computed, so the deviations cannot be undone (Enderle et al. 2018).

    Examples
    --------
    >>> k = cell_key(b"secret", "inhabitants", "01011101", "2024")
    >>> 0 <= k < 1 and k == cell_key(b"secret", "inhabitants", "01011101", "2024")
    True
    """
    if not isinstance(secret, bytes) or not secret:
        raise ValueError("the cell-key secret must be non-empty bytes")
    for part in parts:
        if not isinstance(part, str):
            raise ValueError(f"cell-key parts must be strings, got {part!r}")
        if SEPARATOR in part:
            raise ValueError(f"cell-key part {part!r} contains the unit separator U+001F")
    digest = hmac.new(secret, SEPARATOR.join(parts).encode("utf-8"), hashlib.sha256).digest()
    return (int.from_bytes(digest[:8], "big") >> 11) / float(1 << 53)


@dataclass(frozen=True)
class PTableRow:
    """The deviations an original count may get and their probabilities (``and_above``: also every larger
    count)."""

    original: int
    and_above: bool
    deviations: tuple[int, ...]
    probabilities: tuple[float, ...]

    @property
    def mean(self) -> float:
        """Expected deviation (0 by construction)."""
        return float(np.dot(self.deviations, self.probabilities))

    @property
    def variance(self) -> float:
        """Variance of the deviation (``V`` where attainable)."""
        d = np.asarray(self.deviations, dtype=np.float64)
        return float(np.dot(d**2, self.probabilities))


@dataclass(frozen=True)
class PTable:
    r"""A p-table with maximum deviation :math:`D`, variance :math:`V` and optionally :math:`j_s`.

    Row :math:`i` (:math:`i = 0, \dots, D + j_s`; larger counts use the last row) is the distribution of
    the deviation :math:`d` of an original count :math:`i` over the support

    .. math:: S_i = \{d \in \{-D, \dots, D\} : i + d \ge 0,\; i + d \notin \{1, \dots, j_s - 1\}\}

    that maximises the entropy :math:`-\sum_d p_d \log p_d` subject to :math:`\sum_d p_d = 1`,
    :math:`\sum_d p_d d = 0` and :math:`\sum_d p_d d^2 = V` (Enderle et al. 2018; R package
    ``ptable``). Its solution is :math:`p_d \propto \exp(\lambda_1 d + \lambda_2 d^2)`,
    found by minimising the convex dual :math:`\log Z(\lambda) - \lambda_2 V` (scipy ``trust-exact``).

    Where :math:`V` cannot be reached on :math:`S_i` with mean 0 — the attainable variances form the
    interval :math:`[v_{min}, v_{max}]` with :math:`v_{max} = -\min S_i \cdot \max S_i` (all mass on the
    two extremes) and :math:`v_{min} = 0` if :math:`0 \in S_i`, else :math:`-a b` for the nearest
    deviations :math:`a < 0 < b` — the row takes the nearest attainable variance, which is the unique
    two-point distribution at that end. So the small counts get a larger or smaller variance than ``V``;
    :meth:`rows` shows it. An original 0 stays 0 (row 0 is :math:`d = 0` with probability 1), so empty
    cells stay empty and no perturbed count is negative.

    Examples
    --------
    >>> table = PTable.build(max_deviation=2, variance=1.0)
    >>> [round(p, 4) for p in table.rows()[-1].probabilities]
    [0.0638, 0.2447, 0.383, 0.2447, 0.0638]
    >>> table.deviation(0, 0.99), table.perturb(np.array([0, 5, 5]), np.array([0.5, 0.01, 0.99])).tolist()
    (0, [0, 3, 7])
    """

    max_deviation: int
    variance: float
    js: int = 0
    _rows: tuple[PTableRow, ...] = field(init=False, repr=False, compare=False)
    _cumulative: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rows = _build_rows(int(self.max_deviation), float(self.variance), int(self.js))
        object.__setattr__(self, "_rows", rows)
        cumulative = np.zeros((len(rows), 2 * self.max_deviation + 1))
        for r, row in enumerate(rows):
            columns = np.asarray(row.deviations) + self.max_deviation
            cumulative[r, columns] = row.probabilities
        cumulative = np.cumsum(cumulative, axis=1)
        for r, row in enumerate(rows):
            # the last deviation with positive probability ends at exactly 1, so every key in [0, 1) falls
            # into a deviation of the row's support
            cumulative[r, row.deviations[-1] + self.max_deviation :] = 1.0
        cumulative.setflags(write=False)
        object.__setattr__(self, "_cumulative", cumulative)

    @classmethod
    def build(cls, *, max_deviation: int = 2, variance: float = 1.0, js: int = 0) -> PTable:
        """The p-table for these parameters (rows computed once per parameter set and cached)."""
        return cls(max_deviation=max_deviation, variance=variance, js=js)

    def rows(self) -> list[PTableRow]:
        """The documented table: one row per original count ``0 .. D + js``, the last for all larger."""
        return list(self._rows)

    def deviation(self, value: int, key: float) -> int:
        """The deviation for an original count and a cell key (the same pair always gives the same)."""
        return int(self.perturb(np.array([value]), np.array([key]))[0] - value)

    def perturb(self, values: npt.ArrayLike, keys: npt.ArrayLike) -> IntArray:
        r"""Perturbed counts :math:`i + d`, where :math:`d` is the deviation whose cumulative interval
        :math:`[P(d' < d), P(d' \le d))` in the row of :math:`i` contains the key."""
        counts = np.asarray(values)
        k = np.asarray(keys, dtype=np.float64)
        if counts.shape != k.shape:
            raise ValueError(f"values {counts.shape} and keys {k.shape} differ in shape")
        if (
            counts.size
            and (not np.issubdtype(counts.dtype, np.integer))
            and np.any(counts != np.round(counts))
        ):
            raise ValueError("the cell-key method perturbs whole counts only")
        counts = counts.astype(np.int64)
        if np.any(counts < 0):
            raise ValueError("counts must be >= 0")
        if np.any(~np.isfinite(k) | (k < 0) | (k >= 1)):
            raise ValueError("cell keys must lie in [0, 1)")
        rows = np.minimum(counts, len(self._rows) - 1)
        index = (self._cumulative[rows] <= k[..., None]).sum(axis=-1)
        return counts + index - self.max_deviation


@functools.lru_cache(maxsize=64)
def _build_rows(max_deviation: int, variance: float, js: int) -> tuple[PTableRow, ...]:
    if max_deviation < 1:
        raise ValueError(f"the maximum deviation D must be >= 1, got {max_deviation}")
    if js < 0:
        raise ValueError(f"js must be >= 0, got {js}")
    if not np.isfinite(variance) or not 0 < variance <= max_deviation**2:
        raise ValueError(
            f"the variance V must be in (0, D^2] = (0, {max_deviation**2}] "
            f"(D^2 puts all mass on -D and D), got {variance}"
        )
    last = max_deviation + js
    rows = []
    for original in range(last + 1):
        support = [
            d
            for d in range(-max_deviation, max_deviation + 1)
            if original + d >= 0 and not 1 <= original + d <= js - 1
        ]
        if original == 0:
            support = [0]
        if not (0 in support or (min(support) < 0 < max(support))):
            raise ValueError(
                f"js = {js} is too large for D = {max_deviation}: an original count of {original} cannot be "
                "perturbed with mean 0 (js must be <= D + 1)"
            )
        probabilities = _max_entropy(np.array(support, dtype=np.float64), variance)
        keep = probabilities > 0
        rows.append(
            PTableRow(
                original=original,
                and_above=original == last,
                deviations=tuple(int(d) for d in np.array(support)[keep]),
                probabilities=tuple(float(p) for p in probabilities[keep]),
            )
        )
    return tuple(rows)


def _max_entropy(support: FloatArray, variance: float) -> FloatArray:
    """Maximum-entropy probabilities on ``support`` with mean 0 and the attainable variance nearest V."""
    if support.size == 1:
        return np.ones(1)
    negative, positive = support[support < 0], support[support > 0]
    if negative.size == 0 or positive.size == 0:
        return (support == 0).astype(np.float64)  # mean 0 on one side of 0: all mass on 0
    v_max = -negative.min() * positive.max()
    v_min = 0.0 if 0 in support else -negative.max() * positive.min()
    margin = 1e-9 * max(1.0, v_max)
    if variance >= v_max - margin:
        return _two_point(support, negative.min(), positive.max())
    if variance <= v_min + margin:
        if 0 in support:
            return (support == 0).astype(np.float64)
        return _two_point(support, negative.max(), positive.min())

    features = np.column_stack([support, support**2])
    target = np.array([0.0, variance])

    def dual(lam: FloatArray) -> tuple[float, FloatArray]:
        z = features @ lam
        shift = z.max()
        w = np.exp(z - shift)
        total = w.sum()
        p = w / total
        return float(np.log(total) + shift - lam @ target), features.T @ p - target

    def hessian(lam: FloatArray) -> FloatArray:
        z = features @ lam
        p = np.exp(z - z.max())
        p /= p.sum()
        centred = features - features.T @ p
        return np.asarray((centred * p[:, None]).T @ centred)

    def gradient(lam: FloatArray) -> FloatArray:
        return dual(lam)[1]

    # the convex dual brings lambda near the optimum, a Newton-type root search of its gradient (the
    # moment equations) then meets them to machine precision
    result = minimize(
        dual, np.zeros(2), jac=True, hess=hessian, method="trust-exact", options={"gtol": 1e-10}
    )
    polished = root(gradient, result.x, jac=hessian, method="hybr", options={"xtol": 1e-14})
    lam = polished.x if np.abs(gradient(polished.x)).max() < np.abs(gradient(result.x)).max() else result.x
    z = features @ lam
    p = np.exp(z - z.max())
    p /= p.sum()
    error = np.abs(features.T @ p - target).max()
    if error > 1e-8:
        raise RuntimeError(f"p-table row did not converge (moment error {error:.2e})")
    return np.asarray(p, dtype=np.float64)


def _two_point(support: FloatArray, a: float, b: float) -> FloatArray:
    """The mean-0 distribution on two deviations a < 0 < b: P(a) = b / (b - a), P(b) = -a / (b - a)."""
    p = np.zeros(support.size)
    p[support == a] = b / (b - a)
    p[support == b] = -a / (b - a)
    return p
