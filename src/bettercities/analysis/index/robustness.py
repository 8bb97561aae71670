"""How robust are an index's classes? Threshold distance, leave-one-indicator-out, bootstrap.

For MSS-type results (:func:`robustness`) and general composite results (:func:`composite_robustness`;
:func:`robustness` dispatches on the method).

Everything is computed from a result's stored standardised components (the per-indicator z-scores
over the scored areas). z-standardisation is affine, so standardising z-scores again with any
reference sample gives exactly what standardising the raw values would give: a stored run is
enough, the input need not be fetched again. The same holds for min-max scaling (affine and
increasing) and for ranks (increasing: the order of the stored ranks is the order of the raw values).

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

from bettercities.analysis.index import kernels
from bettercities.analysis.index.kernels import classify_bands
from bettercities.analysis.index.schemas import (
    Aggregation,
    ClassScheme,
    CompositeAreaScore,
    CompositeConfig,
    IndexResult,
    MssAreaScore,
    MssConfig,
    Standardisation,
)

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
    MSS index (:func:`~bettercities.analysis.index.methods.mss.mss_index`).

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
    breaks: str = Field(
        default="fixed",
        description="How the variants are classed: 'fixed' (the configured thresholds), 'rederived' "
        "(quantile breaks derived again in every variant) or 'rederived-loo' (natural breaks derived "
        "again for leave-one-out; the bootstrap replicates use the run's breaks).",
    )


def _classes(index: FloatArray, bands: list) -> npt.NDArray[np.int64]:
    return classify_bands(index, [b.upper for b in bands], [b.up_to is not None for b in bands])


def robustness(
    result: IndexResult, *, distance: float = 0.1, replicates: int = 200, seed: int = 1
) -> RobustnessResult:
    """Threshold distance, leave-one-indicator-out and both bootstraps for an MSS-type result.

    A ``composite`` result goes to :func:`composite_robustness`; other methods raise :class:`ValueError`.
    """
    if result.method == "composite":
        return composite_robustness(result, distance=distance, replicates=replicates, seed=seed)
    if result.method != "berlin-mss":
        raise ValueError(f"robustness is available for MSS-type and composite results, not {result.method!r}")
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


# -- the general composite index -----------------------------------------------------------------------------


def restandardise_components(
    components: npt.ArrayLike, reference: npt.ArrayLike, config: CompositeConfig
) -> FloatArray:
    r"""The stored standardised components of every area, standardised again over a reference sample.

    The components are :math:`S(p_k x_{\cdot k})` over all scored areas (:func:`~bettercities.analysis.
    methods.composite.standardise`); this gives what :math:`S` over the reference rows :math:`R`
    (positions, repeats allowed) would give:

    * z-score: :math:`(z_{ik} - \bar z_{R,k}) / \sigma_{R,k}` (z is affine in x);
    * min-max: :math:`l + (h - l)(s_{ik} - \min_R s_k) / (\max_R s_k - \min_R s_k)`, clipped to
      :math:`[l, h]` for areas outside the reference range (min-max is affine and increasing);
    * rank: the mid-rank among the reference rows, :math:`\#\{r \in R: s_r < s_i\} + (\#\{r \in R:
      s_r = s_i\} + 1) / 2` (ranks keep the order of the raw values); for a row of :math:`R` this is its
      average rank in the sample.

    A column that is constant over the reference keeps the value the kernels give a constant input
    (z 0, min-max the middle of the scale).

    Examples
    --------
    >>> from bettercities.analysis.index.schemas import CompositeConfig
    >>> cfg = CompositeConfig(name="x", standardisation="rank", indicators=[{"column": "a"}])
    >>> restandardise_components([[1.0], [2.0], [3.0]], [0, 0, 2], cfg).tolist()
    [[1.5], [2.5], [3.0]]
    """
    x = np.asarray(components, dtype=float)
    rows = np.asarray(reference, dtype=int)
    ref = x[rows]
    if config.standardisation == Standardisation.Z_SCORE:
        sd = ref.std(axis=0)
        flat = sd == 0
        out = (x - ref.mean(axis=0)) / np.where(flat, 1.0, sd)
        out[:, flat] = 0.0
        return np.asarray(out, dtype=float)
    if config.standardisation == Standardisation.MIN_MAX:
        low, high = config.scale
        lo, hi = ref.min(axis=0), ref.max(axis=0)
        span = hi - lo
        flat = span == 0
        out = low + (high - low) * (x - lo) / np.where(flat, 1.0, span)
        out[:, flat] = (low + high) / 2
        return np.asarray(np.clip(out, low, high), dtype=float)
    out = np.empty_like(x)
    for k in range(x.shape[1]):
        ordered = np.sort(ref[:, k])
        below = np.searchsorted(ordered, x[:, k], side="left")
        upto = np.searchsorted(ordered, x[:, k], side="right")
        out[:, k] = below + (upto - below + 1) / 2
    return out


def _aggregate(components: FloatArray, weights: FloatArray, config: CompositeConfig) -> FloatArray:
    if config.aggregation == Aggregation.WEIGHTED_SUM:
        return kernels.weighted_sum(components, list(weights))
    if config.aggregation == Aggregation.MEAN:
        return kernels.weighted_mean(components, list(weights))
    return kernels.geometric_mean(components, list(weights))


def composite_variant(
    components: npt.ArrayLike,
    weights: npt.ArrayLike,
    config: CompositeConfig,
    reference: npt.ArrayLike | None = None,
) -> FloatArray:
    """The composite index of every area from its stored components, with the standardisations (of the
    components and, if configured, of the index) taken from the ``reference`` rows (default: all rows).

    With every row and the configured weights this is the stored index.
    """
    x = np.asarray(components, dtype=float)
    rows = np.arange(len(x)) if reference is None else np.asarray(reference, dtype=int)
    if reference is not None:
        x = restandardise_components(x, rows, config)
    index = _aggregate(x, np.asarray(weights, dtype=float), config)
    if config.restandardise:
        ref = index[rows]
        sd = ref.std()
        index = (index - ref.mean()) / sd if np.isfinite(sd) and sd > 0 else np.zeros_like(index)
    return np.asarray(index, dtype=float)


def _band_classes(index: FloatArray, uppers: Sequence[float]) -> npt.NDArray[np.int64]:
    """Class positions from upper bounds (inclusive, as the derived composite bands are), last band open."""
    cuts = list(uppers)
    return classify_bands(index, [*cuts, None], [True] * len(cuts) + [False])


def composite_robustness(
    result: IndexResult, *, distance: float = 0.1, replicates: int = 200, seed: int = 1
) -> RobustnessResult:
    """Threshold distance, leave-one-indicator-out and both bootstraps for a ``composite`` result.

    As for the MSS (:func:`robustness`), from the stored components of the scored areas that have a
    class. The variants are classed like the run: fixed bands by the configured thresholds; quantile
    breaks derived again from each variant (from the reference sample in the area bootstrap);
    natural breaks derived again for leave-one-out, while the bootstrap replicates use the run's
    breaks (Fisher-Jenks costs about half a second per city-sized variant, too slow for hundreds of
    replicates). The weight bootstrap draws weights from a Dirichlet distribution with mean equal to
    the configured weight shares and concentration :math:`K` (flat for equal weights, as for the MSS),
    scaled to the configured total.
    """
    if result.method != "composite":
        raise ValueError(f"composite robustness needs a composite result, not {result.method!r}")
    config = CompositeConfig.model_validate(result.config)
    columns = [i.column for i in config.indicators]
    scored = [
        a for a in result.areas if isinstance(a, CompositeAreaScore) and a.scored and a.class_code is not None
    ]
    ids = [a.area_id for a in scored]
    n, k = len(scored), len(columns)
    z = np.array([[a.components[c] for c in columns] for a in scored], dtype=float).reshape(n, k)
    weights = np.array([i.weight for i in config.indicators], dtype=float)
    scheme = config.classes.scheme
    stored_breaks = list(result.breaks.get("index", []))
    codes = [str(j + 1) for j in range(len(stored_breaks) + 1)]
    if scheme == ClassScheme.FIXED:
        codes = [b.code for b in config.classes.bands]
    position = {c: j for j, c in enumerate(codes)}
    base = np.array([position[str(a.class_code)] for a in scored], dtype=np.int64)
    base_index = np.array([a.index for a in scored], dtype=float)

    def classes(
        index: FloatArray, reference: npt.NDArray[np.int64] | None, rederive: bool
    ) -> npt.NDArray[np.int64]:
        if scheme == ClassScheme.FIXED:
            return _classes(index, list(config.classes.bands))
        if not rederive:
            return _band_classes(index, stored_breaks)
        values = index if reference is None else index[reference]
        if scheme == ClassScheme.QUANTILES:
            uppers = kernels.quantile_breaks(values, config.classes.k)
        else:
            uppers = kernels.natural_breaks(values, config.classes.k)
        return _band_classes(index, uppers[:-1])

    thresholds = stored_breaks  # the upper bounds of every band but the open last one
    dist = threshold_distance(base_index, thresholds) if thresholds else np.full(n, np.inf)
    loo: dict[str, npt.NDArray[np.int64]] = {}
    if k > 1:
        for j, column in enumerate(columns):
            keep = [i for i in range(k) if i != j]
            loo[column] = classes(composite_variant(z[:, keep], weights[keep], config), None, True)
    rederive = scheme == ClassScheme.QUANTILES
    rng = np.random.default_rng(seed)
    alpha = k * weights / weights.sum()
    area_changes = np.zeros(n)
    weight_changes = np.zeros(n)
    for _ in range(replicates if n else 0):
        sample = rng.integers(0, n, size=n)
        area_changes += classes(composite_variant(z, weights, config, sample), sample, rederive) != base
        drawn = rng.dirichlet(alpha) * weights.sum()
        weight_changes += classes(composite_variant(z, drawn, config), None, rederive) != base
    area_share = area_changes / max(replicates, 1)
    weight_share = weight_changes / max(replicates, 1)
    loo_changes = sum((v != base).astype(int) for v in loo.values()) if loo else np.zeros(n, dtype=int)
    out = [
        AreaRobustness(
            area_id=area_id,
            part="index",
            index=float(base_index[i]),
            class_code=codes[int(base[i])],
            distance=float(dist[i]),
            near_threshold=bool(dist[i] < distance),
            leave_one_out={c: codes[int(v[i])] if v[i] >= 0 else "-" for c, v in loo.items()},
            loo_changes=int(loo_changes[i]),
            bootstrap_areas=float(area_share[i]),
            bootstrap_weights=float(weight_share[i]),
        )
        for i, area_id in enumerate(ids)
    ]
    summary = PartSummary(
        part="index",
        scored=n,
        near_threshold=int((dist < distance).sum()),
        loo_changed=int((np.asarray(loo_changes) > 0).sum()),
        bootstrap_areas_unstable=int((area_share > 0.1).sum()),
        bootstrap_weights_unstable=int((weight_share > 0.1).sum()),
    )
    breaks = {
        ClassScheme.FIXED: "fixed",
        ClassScheme.QUANTILES: "rederived",
        ClassScheme.NATURAL_BREAKS: "rederived-loo",
    }[scheme]
    return RobustnessResult(
        distance=distance, replicates=replicates, seed=seed, areas=out, summary=[summary], breaks=breaks
    )
