"""How robust are an MSS-type index's classes? Threshold distance, leave-one-indicator-out, bootstrap.

Everything is computed from a result's stored standardised components (the per-indicator z-scores
over the scored areas). z-standardisation is affine, so standardising z-scores again with any
reference sample gives exactly what standardising the raw values would give: a stored run is
enough, the input need not be fetched again.

Two bootstraps, both seeded:

* **areas** — resample the scored areas with replacement and take the standardisation (means and
  standard deviations of the indicators and of the sum) from the resample, then classify *every*
  area. It shows how much a class depends on which areas happen to form the reference population
  (the MSS classes are relative to the city's own distribution).
* **weights** — draw indicator weights from a flat Dirichlet distribution scaled to mean 1
  (the MSS weights all indicators equally by convention, not by evidence), then classify again.
  It shows how much a class depends on that convention.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field

from bettercities.analysis.kernels import classify_bands
from bettercities.analysis.schemas import IndexResult, MssAreaScore, MssConfig

FloatArray = npt.NDArray[np.float64]


def threshold_distance(index: npt.ArrayLike, thresholds: Sequence[float]) -> FloatArray:
    r"""Distance of each index value to the nearest class threshold.

    .. math:: d_i = \min_t |I_i - t|

    An area with :math:`d_i < \delta` for a chosen :math:`\delta` (e.g. 0.1 standard deviations)
    could change class with a small change in its data. (Used as a sensitivity flag in e.g. the
    OECD/JRC *Handbook on Constructing Composite Indicators*, 2008, section 7.)

    Examples
    --------
    >>> threshold_distance([-1.05, 0.0, 1.3], [-1.0, 1.0, 1.5]).round(2).tolist()
    [0.05, 1.0, 0.2]
    """
    values = np.asarray(index, dtype=float)
    cuts = np.asarray(thresholds, dtype=float)
    return np.asarray(np.abs(values[:, None] - cuts[None, :]).min(axis=1), dtype=float)


def reference_index(z: npt.ArrayLike, weights: npt.ArrayLike, reference: npt.ArrayLike) -> FloatArray:
    r"""An MSS sub-index with the standardisation taken from a reference sample of rows.

    .. math:: I_i = \frac{S_i - \bar S_R}{\sigma_{S,R}}, \quad
              S_i = \sum_k w_k \frac{x_{ik} - \bar x_{R,k}}{\sigma_{R,k}}

    where :math:`R` is the reference sample (row positions, repeats allowed) and :math:`\sigma` is
    the population standard deviation. With :math:`R` = all rows and :math:`w_k = 1` this is the
    MSS index (:func:`~bettercities.analysis.methods.mss.mss_index`).

    Examples
    --------
    >>> z = [[-1.0, -1.0], [0.0, 1.0], [1.0, 0.0]]
    >>> reference_index(z, [1, 1], [0, 1, 2]).round(3).tolist()
    [-1.414, 0.707, 0.707]
    """
    x = np.asarray(z, dtype=float)
    w = np.asarray(weights, dtype=float)
    rows = np.asarray(reference, dtype=int)
    ref = x[rows]
    sd = ref.std(axis=0)
    sd[sd == 0] = 1.0
    s = ((x - ref.mean(axis=0)) / sd) @ w
    s_ref = s[rows]
    spread = s_ref.std() or 1.0
    return np.asarray((s - s_ref.mean()) / spread, dtype=float)


class AreaRobustness(BaseModel):
    """Robustness of one area's class in one sub-index."""

    area_id: str
    part: str
    index: float
    class_code: str
    distance: float = Field(description="Distance of the index to the nearest class threshold.")
    near_threshold: bool
    leave_one_out: dict[str, str] = Field(description="Class when the named indicator is dropped.")
    loo_changes: int = Field(description="How many leave-one-out variants change the class.")
    bootstrap_areas: float = Field(description="Share of area-bootstrap replicates with another class.")
    bootstrap_weights: float = Field(description="Share of weight-bootstrap replicates with another class.")


class PartSummary(BaseModel):
    """Counts of less robust areas in one sub-index."""

    part: str
    scored: int
    near_threshold: int
    loo_changed: int = Field(description="Areas whose class changes when some indicator is dropped.")
    bootstrap_areas_unstable: int = Field(description="Areas changing class in more than 10% of replicates.")
    bootstrap_weights_unstable: int


class RobustnessResult(BaseModel):
    """Robustness of every scored area's classes, with the options used."""

    distance: float
    replicates: int
    seed: int
    areas: list[AreaRobustness]
    summary: list[PartSummary]


def _classes(index: FloatArray, bands: list) -> npt.NDArray[np.int64]:
    return classify_bands(index, [b.upper for b in bands], [b.up_to is not None for b in bands])


def robustness(
    result: IndexResult, *, distance: float = 0.1, replicates: int = 200, seed: int = 1
) -> RobustnessResult:
    """Threshold distance, leave-one-indicator-out and both bootstraps for an MSS-type result.

    Raises :class:`ValueError` for other methods (a composite has no stored standardised sub-indices).
    """
    if result.method != "berlin-mss":
        raise ValueError(f"robustness is available for MSS-type results, not {result.method!r}")
    config = MssConfig.model_validate(result.config)
    scored = [a for a in result.areas if a.scored and isinstance(a, MssAreaScore)]
    ids = [a.area_id for a in scored]
    n = len(scored)
    rng = np.random.default_rng(seed)
    out: list[AreaRobustness] = []
    summary: list[PartSummary] = []
    for part_name, part in (("status", config.status), ("dynamics", config.dynamics)):
        columns = part.indicators
        z = np.array([[a.components[c] for c in columns] for a in scored], dtype=float)
        everyone = np.arange(n)
        base_index = reference_index(z, np.ones(len(columns)), everyone)
        base = _classes(base_index, part.classes)
        codes = [b.code for b in part.classes]
        thresholds = [float(b.upper) for b in part.classes if b.upper is not None]
        dist = threshold_distance(base_index, thresholds)
        loo: dict[str, npt.NDArray[np.int64]] = {}
        if len(columns) > 1:
            for k, column in enumerate(columns):
                keep = [j for j in range(len(columns)) if j != k]
                loo[column] = _classes(
                    reference_index(z[:, keep], np.ones(len(keep)), everyone), part.classes
                )
        area_changes = np.zeros(n)
        weight_changes = np.zeros(n)
        for _ in range(replicates):
            sample = rng.integers(0, n, size=n)
            area_changes += _classes(reference_index(z, np.ones(len(columns)), sample), part.classes) != base
            weights = rng.dirichlet(np.ones(len(columns))) * len(columns)
            weight_changes += _classes(reference_index(z, weights, everyone), part.classes) != base
        area_share = area_changes / max(replicates, 1)
        weight_share = weight_changes / max(replicates, 1)
        loo_changes = sum((variant != base).astype(int) for variant in loo.values()) if loo else np.zeros(n)
        for i, area_id in enumerate(ids):
            out.append(
                AreaRobustness(
                    area_id=area_id,
                    part=part_name,
                    index=float(base_index[i]),
                    class_code=codes[int(base[i])],
                    distance=float(dist[i]),
                    near_threshold=bool(dist[i] < distance),
                    leave_one_out={c: codes[int(v[i])] for c, v in loo.items()},
                    loo_changes=int(loo_changes[i]),
                    bootstrap_areas=float(area_share[i]),
                    bootstrap_weights=float(weight_share[i]),
                )
            )
        summary.append(
            PartSummary(
                part=part_name,
                scored=n,
                near_threshold=int((dist < distance).sum()),
                loo_changed=int((np.asarray(loo_changes) > 0).sum()),
                bootstrap_areas_unstable=int((area_share > 0.1).sum()),
                bootstrap_weights_unstable=int((weight_share > 0.1).sum()),
            )
        )
    return RobustnessResult(distance=distance, replicates=replicates, seed=seed, areas=out, summary=summary)
