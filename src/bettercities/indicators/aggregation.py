r"""Combining area values into other areas: up the hierarchy and across boundary versions.

One kernel serves both: a link ``source -> target`` with weight :math:`w_{st}` says which share
of the source lies in the target (1 for a child inside its parent; the crosswalk weight for a
boundary change). With values :math:`v_s`, numerators :math:`n_s`, denominators :math:`d_s` and
base weights :math:`p_s` (e.g. inhabitants):

* ``sum``:            :math:`v_t = \sum_s w_{st} v_s`
* ``ratio``:          :math:`v_t = f \cdot \sum_s w_{st} n_s / \sum_s w_{st} d_s`
  (falls back to ``weighted_mean`` when a source lacks its numerator or denominator)
* ``weighted_mean``:  :math:`v_t = \sum_s w_{st} p_s v_s / \sum_s w_{st} p_s`
  (population-weighted, for shares whose counts are not known)

A target is only given a value when every source linked to it has one: a partial sum would
look like a real number and be wrong.

Example
-------
>>> import pandas as pd
>>> links = pd.DataFrame({"source": [1, 2], "target": [9, 9], "weight": [1.0, 1.0]})
>>> data = pd.DataFrame({"source": [1, 2], "value": [10.0, 30.0], "numerator": [1.0, 6.0],
...                      "denominator": [10.0, 20.0], "base": [10.0, 20.0]})
>>> float(round(combine(links, data, method="ratio", factor=100).loc[9, "value"], 4))
23.3333
"""

from __future__ import annotations

import numpy as np
import pandas as pd

METHODS = ("sum", "ratio", "weighted_mean", "none")


def combine(links: pd.DataFrame, data: pd.DataFrame, *, method: str, factor: float = 1.0) -> pd.DataFrame:
    """Combine source values into targets.

    Parameters
    ----------
    links
        Columns ``source``, ``target``, ``weight``.
    data
        Columns ``source``, ``value`` and optionally ``numerator``, ``denominator``, ``base``.
    method
        One of :data:`METHODS`.
    factor
        Multiplier of ratio indicators (100 for percent).

    Returns
    -------
    pandas.DataFrame
        Indexed by target, columns ``value``, ``numerator``, ``denominator``, ``sources``
        (number of linked sources) and ``complete`` (every source had what the method needs).
    """
    if method not in METHODS:
        raise ValueError(f"unknown aggregation method {method!r}; choose from {', '.join(METHODS)}")
    frame = links.merge(data, on="source", how="left")
    for column in ("value", "numerator", "denominator", "base"):
        if column not in frame:
            frame[column] = np.nan
    w = frame["weight"].astype(float)
    frame["wv"] = w * frame["value"]
    frame["wn"] = w * frame["numerator"]
    frame["wd"] = w * frame["denominator"]
    frame["wp"] = w * frame["base"]
    frame["wpv"] = frame["wp"] * frame["value"]
    frame["has_value"] = frame["value"].notna()
    frame["has_ratio"] = frame["numerator"].notna() & frame["denominator"].notna()
    frame["has_base"] = frame["base"].notna() & frame["value"].notna()
    grouped = frame.groupby("target", sort=True)
    out = pd.DataFrame(
        {
            "sources": grouped.size(),
            "all_value": grouped["has_value"].all(),
            "all_ratio": grouped["has_ratio"].all(),
            "all_base": grouped["has_base"].all(),
            "sv": grouped["wv"].sum(min_count=1),
            "sn": grouped["wn"].sum(min_count=1),
            "sd": grouped["wd"].sum(min_count=1),
            "sp": grouped["wp"].sum(min_count=1),
            "spv": grouped["wpv"].sum(min_count=1),
        }
    )
    value = pd.Series(np.nan, index=out.index)
    numerator = pd.Series(np.nan, index=out.index)
    denominator = pd.Series(np.nan, index=out.index)
    complete = pd.Series(False, index=out.index)
    if method == "sum":
        complete = out["all_value"]
        value = out["sv"].where(complete)
    elif method == "ratio":
        by_ratio = out["all_ratio"] & (out["sd"] > 0)
        numerator = out["sn"].where(by_ratio)
        denominator = out["sd"].where(by_ratio)
        value = (factor * out["sn"] / out["sd"]).where(by_ratio)
        by_weight = ~by_ratio & out["all_base"] & (out["sp"] > 0)
        value = value.where(by_ratio, (out["spv"] / out["sp"]).where(by_weight))
        complete = by_ratio | by_weight
    elif method == "weighted_mean":
        complete = out["all_base"] & (out["sp"] > 0)
        value = (out["spv"] / out["sp"]).where(complete)
    return pd.DataFrame(
        {
            "value": value,
            "numerator": numerator,
            "denominator": denominator,
            "sources": out["sources"],
            "complete": complete.astype(bool),
        }
    )
