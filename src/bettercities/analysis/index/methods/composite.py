"""A general composite index: chosen indicators, polarity, weights, standardisation, aggregation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd

from bettercities.analysis.index import kernels
from bettercities.analysis.index.methods.base import IndexMethod, MethodScores, count_classes, register_method
from bettercities.analysis.index.methods.mss import classify
from bettercities.analysis.index.schemas import (
    Aggregation,
    AreaScore,
    ClassBand,
    ClassScheme,
    CompositeAreaScore,
    CompositeConfig,
    IndexConfigBase,
    Standardisation,
)

Aggregator = Callable[[npt.ArrayLike, list[float]], kernels.FloatArray]
AGGREGATORS: dict[Aggregation, Aggregator] = {
    Aggregation.WEIGHTED_SUM: kernels.weighted_sum,
    Aggregation.MEAN: kernels.weighted_mean,
    Aggregation.GEOMETRIC_MEAN: kernels.geometric_mean,
}


def standardise(values: npt.ArrayLike, config: CompositeConfig) -> kernels.FloatArray:
    """Apply the configured standardisation to one (already oriented) indicator."""
    if config.standardisation == Standardisation.Z_SCORE:
        return kernels.zscore(values)
    if config.standardisation == Standardisation.MIN_MAX:
        return kernels.min_max(values, low=config.scale[0], high=config.scale[1])
    return kernels.rank(values)


def composite_index(frame: pd.DataFrame, config: CompositeConfig) -> tuple[pd.Series, pd.DataFrame]:
    r"""The composite index of every area of ``frame`` and its standardised components.

    .. math:: I_i = A_k\big(w_k,\ S(p_k\, x_{\cdot k})_i\big)

    with polarity :math:`p_k = +1` when the indicator points the same way as the index (by default
    "higher is worse") and :math:`-1` otherwise, standardisation :math:`S` (z-score, min-max,
    rank), and aggregation :math:`A` (weighted sum, weighted mean, weighted geometric mean);
    optionally z-standardised again. Reference: OECD/JRC (2008), *Handbook on Constructing
    Composite Indicators: Methodology and User Guide*, sections 5-6.

    Examples
    --------
    >>> from bettercities.analysis.index.schemas import CompositeConfig
    >>> cfg = CompositeConfig(name="x", standardisation="min-max", aggregation="mean", indicators=[
    ...     {"column": "poverty"}, {"column": "income", "polarity": "higher_is_better"}])
    >>> frame = pd.DataFrame({"poverty": [10.0, 20.0, 30.0], "income": [3.0, 2.0, 1.0]})
    >>> composite_index(frame, cfg)[0].tolist()
    [0.0, 0.5, 1.0]
    """
    components = {}
    for ind in config.indicators:
        sign = 1.0 if ind.polarity == config.polarity else -1.0
        components[ind.column] = standardise(sign * frame[ind.column].to_numpy(float), config)
    matrix = pd.DataFrame(components, index=frame.index)
    index = AGGREGATORS[config.aggregation](matrix.to_numpy(float), [i.weight for i in config.indicators])
    if config.restandardise:
        index = kernels.zscore(index)
    return pd.Series(index, index=frame.index), matrix


def class_bands(index: pd.Series, config: CompositeConfig) -> list[ClassBand]:
    """The bands to classify with: fixed from the configuration, else derived from the data."""
    spec = config.classes
    if spec.scheme == ClassScheme.FIXED:
        return list(spec.bands)
    values = index.to_numpy(float)
    if spec.scheme == ClassScheme.QUANTILES:
        uppers = kernels.quantile_breaks(values, spec.k)
    else:
        uppers = kernels.natural_breaks(values, spec.k)
    labels = spec.labels or [f"class {j}" for j in range(1, spec.k + 1)]
    bands = [ClassBand(code=str(j + 1), label=labels[j], up_to=upper) for j, upper in enumerate(uppers[:-1])]
    last = len(bands)
    return [*bands, ClassBand(code=str(last + 1), label=labels[last])]


@register_method
class Composite(IndexMethod):
    """One index from freely chosen indicators, with one class scheme."""

    name = "composite"
    config_model = CompositeConfig
    columns = ("area_id", "index", "class", "note")

    def indicator_columns(self, config: IndexConfigBase) -> list[str]:
        assert isinstance(config, CompositeConfig)
        return [i.column for i in config.indicators]

    def score(self, frame: pd.DataFrame, config: IndexConfigBase) -> MethodScores:
        assert isinstance(config, CompositeConfig)
        index, components = composite_index(frame, config)
        bands = class_bands(index, config)
        codes = classify(index, bands)
        labels = {b.code: b.label for b in bands}
        scores: dict[str, AreaScore] = {}
        for area_id in frame.index:
            value = float(index[area_id])
            code = codes[area_id] if np.isfinite(value) else None
            scores[area_id] = CompositeAreaScore(
                area_id=area_id,
                scored=True,
                components={c: float(v) for c, v in components.loc[area_id].items()},
                index=value if np.isfinite(value) else None,
                class_code=code,
                class_label=labels.get(code) if code else None,
            )
        return MethodScores(
            scores=scores,
            class_counts={"index": count_classes(codes, bands)},
            breaks={"index": [float(b.upper) for b in bands if b.upper is not None]},
        )

    def unscored(self, area_id: str, population: float | None, note: str) -> AreaScore:
        return CompositeAreaScore(area_id=area_id, population=population, scored=False, note=note)
