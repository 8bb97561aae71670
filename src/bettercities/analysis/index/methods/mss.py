"""The Berlin *Monitoring Soziale Stadtentwicklung* (MSS) method: status x dynamics index."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bettercities.analysis.index.kernels import classify_bands, zscore
from bettercities.analysis.index.methods.base import IndexMethod, MethodScores, count_classes, register_method
from bettercities.analysis.index.schemas import (
    AreaScore,
    ClassBand,
    IndexConfigBase,
    IndexPart,
    MssAreaScore,
    MssConfig,
)


def mss_index(frame: pd.DataFrame, indicators: list[str]) -> tuple[pd.Series, pd.DataFrame]:
    r"""One MSS sub-index: z-standardise each indicator, sum with equal weights, z-standardise the sum.

    .. math:: I_i = z\Big(\sum_{k} z(x_{\cdot k})\Big)_i, \qquad
              z(x)_i = \frac{x_i - \bar x}{\sigma_x}\ (\text{population SD, } n \text{ in the denominator})

    over the *scored* areas only. Higher indicator values (shares of unemployed, of transfer
    recipients) mean a lower social status, so a high index means low status / negative dynamics.
    Reference: Senatsverwaltung für Stadtentwicklung und Wohnen Berlin, *Monitoring Soziale
    Stadtentwicklung 2021*, method chapter; reproduced exactly on the published 2019 and 2021 results.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [2.0, 2.0, 5.0]}, index=["x", "y", "z"])
    >>> index, z = mss_index(frame, ["a", "b"])
    >>> index.round(3).tolist()
    [-1.0, -0.366, 1.366]
    """
    z = pd.DataFrame({c: zscore(frame[c].to_numpy(float)) for c in indicators}, index=frame.index)
    return pd.Series(zscore(z.sum(axis=1).to_numpy(float)), index=frame.index), z


def classify(index: pd.Series, bands: list[ClassBand]) -> pd.Series:
    """Class code per area from ordered bands (:func:`~.kernels.classify_bands`)."""
    positions = classify_bands(
        index.to_numpy(float), [b.upper for b in bands], [b.up_to is not None for b in bands]
    )
    codes = np.array([*(b.code for b in bands), None], dtype=object)  # position -1 (nan) -> None
    return pd.Series(codes[positions], index=index.index)


@register_method
class BerlinMss(IndexMethod):
    """Status index and dynamics index with 4 x 3 classes, as Berlin's MSS publishes them."""

    name = "berlin-mss"
    config_model = MssConfig
    columns = (
        "area_id",
        "status_index",
        "status_class",
        "dynamics_index",
        "dynamics_class",
        "combined_class",
        "note",
    )

    def indicator_columns(self, config: IndexConfigBase) -> list[str]:
        assert isinstance(config, MssConfig)
        return [*config.status.indicators, *config.dynamics.indicators]

    def score(self, frame: pd.DataFrame, config: IndexConfigBase) -> MethodScores:
        assert isinstance(config, MssConfig)
        parts: dict[str, IndexPart] = {"status": config.status, "dynamics": config.dynamics}
        indices: dict[str, pd.Series] = {}
        classes: dict[str, pd.Series] = {}
        components: list[pd.DataFrame] = []
        for key, part in parts.items():
            indices[key], z = mss_index(frame, part.indicators)
            classes[key] = classify(indices[key], part.classes)
            components.append(z)
        z_all = pd.concat(components, axis=1)
        status_labels = {b.code: b.label for b in config.status.classes}
        dynamics_labels = {b.code: b.label for b in config.dynamics.classes}
        scores: dict[str, AreaScore] = {}
        for area_id in frame.index:
            s_code, d_code = classes["status"][area_id], classes["dynamics"][area_id]
            scores[area_id] = MssAreaScore(
                area_id=area_id,
                population=None,
                scored=True,
                components={c: float(v) for c, v in z_all.loc[area_id].items()},
                status_index=float(indices["status"][area_id]),
                status_class=s_code,
                status_label=status_labels[s_code],
                dynamics_index=float(indices["dynamics"][area_id]),
                dynamics_class=d_code,
                dynamics_label=dynamics_labels[d_code],
                combined_class=f"{s_code}{d_code}",
                combined_label=f"Status {status_labels[s_code]}, Dynamik {dynamics_labels[d_code]}",
            )
        return MethodScores(
            scores=scores,
            class_counts={
                "status": count_classes(classes["status"], config.status.classes),
                "dynamics": count_classes(classes["dynamics"], config.dynamics.classes),
            },
            breaks={
                key: [float(b.upper) for b in part.classes if b.upper is not None]
                for key, part in parts.items()
            },
        )

    def unscored(self, area_id: str, population: float | None, note: str) -> AreaScore:
        return MssAreaScore(area_id=area_id, population=population, scored=False, note=note)
