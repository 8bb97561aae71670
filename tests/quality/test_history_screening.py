"""The set-oriented history screening equals the definition, computed here value by value."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from bettercities.quality.outliers import ScreeningOptions, _cross_section, _history, robust_z, zscore


def reference(frame: pd.DataFrame, options: ScreeningOptions) -> list[tuple[object, str, float]]:
    """Band and jump flags by their definition, one series and one value at a time."""
    found = []
    ordered = frame.sort_values(["indicator_id", "area_id", "period_end"], kind="stable")
    for _, series in ordered.groupby(["indicator_id", "area_id"], sort=False):
        values = series["value"].to_numpy(dtype=float)
        for k in range(1, len(values)):
            x, earlier = values[k], values[:k]
            if k >= options.min_history:
                low, high = earlier.min(), earlier.max()
                pad = options.margin * (high - low)
                if x < low - pad or x > high + pad:
                    distance = (x - (high + pad)) if x > high else (x - (low - pad))
                    found.append((series.index[k], "band", float(distance)))
            if earlier[-1] and abs(x / earlier[-1] - 1) > options.jump:
                found.append((series.index[k], "jump", float(x / earlier[-1] - 1)))
    return found


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(2000, 2010), st.floats(0, 100, width=32)),
        min_size=1,
        max_size=80,
        unique_by=lambda t: (t[0], t[1], t[2]),
    )
)
def test_vectorised_history_matches_the_definition(rows: list[tuple[int, int, int, float]]) -> None:
    frame = pd.DataFrame(rows, columns=["indicator_id", "area_id", "year", "value"])
    frame["period_end"] = pd.to_datetime(frame["year"].astype(str) + "-12-31")
    frame["period"] = frame["year"].astype(str)
    frame.index = np.arange(100, 100 + len(frame))  # labels differ from positions
    options = ScreeningOptions()
    got = [(f["index"], f["method"], f["score"]) for f in _history(frame, options)]
    expected = reference(frame, options)
    assert [(i, m) for i, m, _ in got] == [(i, m) for i, m, _ in expected]
    assert np.allclose([s for *_, s in got], [s for *_, s in expected])


def cross_section_reference(frame: pd.DataFrame, options: ScreeningOptions) -> set[tuple[object, str]]:
    """z and robust z flags by their definition, one cross-section (or pool of small ones) at a time."""
    found = set()
    for _, group in frame.groupby(["indicator_id", "level"], sort=False):
        sizes = group.groupby("period_id")["value"].transform("size")
        parts = [g for _, g in group[sizes >= options.min_group].groupby("period_id")]
        pooled = group[sizes < options.min_group]
        if len(pooled) >= options.min_group:
            parts.append(pooled)
        for part in parts:
            values = part["value"].to_numpy(dtype=float)
            for method, kernel, limit in (
                ("zscore", zscore, options.z),
                ("robust", robust_z, options.robust),
            ):
                for position in np.flatnonzero(np.abs(kernel(values)) > limit):
                    found.add((part.index[int(position)], method))
    return found


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 2),
            st.integers(2000, 2003),
            st.one_of(st.floats(0, 10, width=32), st.floats(10, 60, width=32), st.just(10.0)),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_vectorised_cross_section_matches_the_definition(rows: list[tuple[int, int, float]]) -> None:
    frame = pd.DataFrame(rows, columns=["indicator_id", "period_id", "value"])
    frame["level"] = "city"
    frame.index = np.arange(7, 7 + len(frame))
    options = ScreeningOptions()
    got = {(f["index"], f["method"]) for f in _cross_section(frame, options)}
    assert got == cross_section_reference(frame, options)
