"""Robustness kernels against the MSS index, and the figures for Berlin MSS 2019."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bettercities.analysis import compute_index, parse_config
from bettercities.analysis.index.methods.mss import mss_index
from bettercities.analysis.index.robustness import (
    composite_variant,
    reference_index,
    restandardise_components,
    robustness,
    threshold_distance,
)
from bettercities.analysis.index.schemas import CompositeAreaScore, CompositeConfig, IndexResult
from bettercities.analysis.index.service import compute_index_file


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(*[st.floats(-100, 100, allow_nan=False)] * 3), min_size=3, max_size=30),
       st.floats(0.1, 50), st.floats(-20, 20))  # fmt: skip
def test_reference_index_with_every_row_is_the_mss_index(rows, scale: float, shift: float) -> None:
    frame = pd.DataFrame(rows, columns=["a", "b", "c"])
    if (frame.std(ddof=0) < 1e-6).any():
        return
    expected, _ = mss_index(frame, ["a", "b", "c"])
    got = reference_index(frame.to_numpy() * scale + shift, np.ones(3), np.arange(len(frame)))
    assert np.allclose(got, expected.to_numpy(), atol=1e-6)  # and unchanged by rescaling the input


def test_threshold_distance() -> None:
    assert threshold_distance([-1.0, 2.0], [-1.0, 1.0, 1.5]).tolist() == [0.0, 0.5]


def test_berlin_2019_robustness(open_data: Path) -> None:
    result = compute_index_file(
        open_data / "berlin-mss-2019/mss_2019_index_indicator_shares.csv",
        config="berlin-mss-2019",
        id_column="id",
    )
    found = robustness(result, distance=0.1, replicates=200, seed=1)
    summary = {s.part: s for s in found.summary}
    assert summary["status"].scored == 436
    # base classes are the published ones; figures are reproducible with the seed
    assert all(a.class_code == next(s.status_class for s in result.scored if s.area_id == a.area_id)
               for a in found.areas[:20] if a.part == "status")  # fmt: skip
    assert (summary["status"].near_threshold, summary["dynamics"].near_threshold) == (80, 26)
    assert (summary["status"].loo_changed, summary["dynamics"].loo_changed) == (58, 67)
    again = robustness(result, distance=0.1, replicates=200, seed=1)
    assert again.summary == found.summary
    assert 0 < summary["status"].bootstrap_areas_unstable < 436
    near = [a for a in found.areas if a.near_threshold]
    assert all(a.distance < 0.1 for a in near)


# -- the general composite index ---------------------------------------------------------------------------

MSS_STATUS_2019 = {
    "method": "composite",
    "name": "status-2019-as-composite",
    "population_column": "inhabitants",
    "min_population": 300,
    "exclude": ["10010203", "04041239"],
    "indicators": [
        {"column": c}
        for c in [
            "s1_percentage_unemployed",
            "s3_percentage_transfer_payments_recipients",
            "s4_percentage_transfer_payments_recipients_below_15_years",
        ]
    ],
    "standardisation": "z-score",
    "aggregation": "weighted-sum",
    "restandardise": True,
    "classes": {
        "scheme": "fixed",
        "bands": [
            {"code": "1", "label": "hoch", "below": -1},
            {"code": "2", "label": "mittel", "up_to": 1},
            {"code": "3", "label": "niedrig", "up_to": 1.5},
            {"code": "4", "label": "sehr niedrig"},
        ],
    },
}


def test_composite_robustness_equals_the_mss_status_figures_when_configured_alike(open_data: Path) -> None:
    """Configured like the MSS status index, the composite's robustness is the MSS status robustness:
    the same base classes, thresholds, leave-one-out variants and (same seed) the same bootstrap draws."""
    data = open_data / "berlin-mss-2019/mss_2019_index_indicator_shares.csv"
    mss = compute_index_file(data, config="berlin-mss-2019", id_column="id")
    composite = compute_index_file(data, config=parse_config(MSS_STATUS_2019), id_column="id")
    expected = robustness(mss, distance=0.1, replicates=60, seed=3)
    got = robustness(composite, distance=0.1, replicates=60, seed=3)
    status = next(s for s in expected.summary if s.part == "status")
    assert got.breaks == "fixed" and [s.part for s in got.summary] == ["index"]
    assert got.summary[0].model_dump(exclude={"part"}) == status.model_dump(exclude={"part"})
    by_area = {a.area_id: a for a in expected.areas if a.part == "status"}
    assert len(got.areas) == 436
    for area in got.areas:
        other = by_area[area.area_id]
        assert area.class_code == other.class_code and area.leave_one_out == other.leave_one_out
        assert area.distance == pytest.approx(other.distance, abs=1e-9)
        assert area.bootstrap_areas == other.bootstrap_areas
        assert area.bootstrap_weights == other.bootstrap_weights


def _composite_result(**options: object) -> IndexResult:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "id": [f"{i:03d}" for i in range(60)],
            "a": rng.gamma(2.0, 3.0, 60),
            "b": rng.normal(10.0, 2.0, 60),
            "c": rng.uniform(1.0, 9.0, 60),
        }
    )
    config = parse_config(
        {
            "method": "composite",
            "name": "synthetic",
            "indicators": [
                {"column": "a"},
                {"column": "b", "weight": 2},
                {"column": "c", "polarity": "higher_is_better"},
            ],
            **options,
        }
    )
    return compute_index(frame, config=config, id_column="id")


@pytest.mark.parametrize(
    "options",
    [
        {"standardisation": "z-score", "classes": {"scheme": "quantiles", "k": 4}},
        {"standardisation": "min-max", "aggregation": "mean", "classes": {"scheme": "quantiles", "k": 5}},
        {"standardisation": "rank", "restandardise": False, "classes": {"scheme": "quantiles", "k": 3}},
        {"standardisation": "min-max", "scale": [1, 100], "aggregation": "geometric-mean",
         "classes": {"scheme": "natural-breaks", "k": 3}},
    ],
)  # fmt: skip
def test_composite_variants_reproduce_the_run_with_all_rows(options: dict[str, object]) -> None:
    """With every row and the configured weights a variant is the stored index; standardising the stored
    components again over all rows changes nothing; the robustness figures are reproducible."""
    result = _composite_result(**options)
    config = CompositeConfig.model_validate(result.config)
    scored = [a for a in result.areas if isinstance(a, CompositeAreaScore) and a.scored]
    z = np.array([[a.components[c] for c in ("a", "b", "c")] for a in scored])
    everyone = np.arange(len(scored))
    assert np.allclose(restandardise_components(z, everyone, config), z, atol=1e-12)
    weights = [i.weight for i in config.indicators]
    stored = np.array([a.index for a in scored])
    assert np.allclose(composite_variant(z, weights, config), stored, atol=1e-12)
    assert np.allclose(composite_variant(z, weights, config, everyone), stored, atol=1e-12)
    found = robustness(result, distance=0.1, replicates=20, seed=2)
    assert found.summary == robustness(result, distance=0.1, replicates=20, seed=2).summary
    assert [a.class_code for a in found.areas] == [a.class_code for a in scored]
    assert found.breaks == ("rederived-loo" if "natural" in str(options) else "rederived")
    assert all(set(a.leave_one_out) == {"a", "b", "c"} for a in found.areas)
    assert 0 < found.summary[0].loo_changed <= len(scored)
    near = {a.area_id for a in found.areas if a.near_threshold}
    assert near == {a.area_id for a in found.areas if a.distance < 0.1}


def test_rank_restandardisation_is_the_rank_among_the_reference_rows() -> None:
    config = CompositeConfig.model_validate(
        {"name": "r", "standardisation": "rank", "indicators": [{"column": "a"}]}
    )
    ranks = np.array([[1.0], [2.0], [3.0], [4.0]])
    # reference rows 1, 1, 3: values 2, 2, 4 -> 2 has mid-rank 1.5, 1 is below all (0.5), 3 sits between (2.5)
    assert restandardise_components(ranks, [1, 1, 3], config)[:, 0].tolist() == [0.5, 1.5, 2.5, 3.0]


def test_robustness_refuses_other_methods() -> None:
    result = _composite_result()
    with pytest.raises(ValueError, match="composite"):
        robustness(result.model_copy(update={"method": "typology"}))
