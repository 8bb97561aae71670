"""The 2x2 difference-in-differences (impact/designs/did.py) against the four-means formula computed by hand,
and the organ-donation panel of causaldata."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from bettercities.impact.designs import estimate
from bettercities.impact.schemas import EstimateSpec, Verdict


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """6 units x 5 periods, units a-c treated from period 3, an effect of 2 plus noise."""
    rng = np.random.default_rng(14)
    rows = []
    for i, unit in enumerate("abcdef"):
        for t in range(1, 6):
            treated = unit in "abc" and t >= 3
            rows.append({"unit": unit, "t": t, "y": 10 + i + 0.5 * t + 2 * treated + rng.normal(0, 0.3),
                         "d": int(treated)})  # fmt: skip
    return pd.DataFrame(rows)


def test_estimate_is_the_four_means_formula(panel: pd.DataFrame) -> None:
    result = estimate(panel, EstimateSpec(design="did", unit="unit", time="t", outcome="y", treatment="d"))
    group = panel["unit"].isin(list("abc"))
    after = panel["t"] >= 3
    mean = panel.groupby([group, after])["y"].mean()
    by_hand = (mean[True, True] - mean[True, False]) - (mean[False, True] - mean[False, False])
    assert result.estimate == pytest.approx(by_hand, abs=1e-10)
    assert result.ci_low is not None and result.ci_high is not None
    assert result.ci_low < result.estimate < result.ci_high
    assert result.verdict == Verdict.INCREASE  # no polarity given
    assert result.diagnostics.n_pre_periods == 2 and result.diagnostics.n_post_periods == 3
    assert result.diagnostics.pre_trend_p is not None  # two pre-periods: one lead tested
    assert [p.event_time for p in result.diagnostics.event_study] == [-2, -1, 0, 1, 2]
    # few clusters are flagged
    assert any("Few treated or untreated areas" in w for w in result.warnings)


def test_standard_error_is_cluster_robust_by_hand(panel: pd.DataFrame) -> None:
    """Liang-Zeger sandwich with the small-sample factor G/(G-1) (n-1)/(n-K), computed with numpy alone."""
    result = estimate(panel, EstimateSpec(design="did", unit="unit", time="t", outcome="y", treatment="d"))
    g = panel["unit"].isin(list("abc")).to_numpy(float)
    p = (panel["t"] >= 3).to_numpy(float)
    x = np.column_stack([np.ones(len(g)), g, p, g * p])
    y = panel["y"].to_numpy()
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    u = y - x @ beta
    bread = np.linalg.inv(x.T @ x)
    meat = sum(
        np.outer(x[idx].T @ u[idx], x[idx].T @ u[idx]) for idx in panel.groupby("unit").indices.values()
    )
    n, k, clusters = len(y), 4, 6
    v = bread @ meat @ bread * clusters / (clusters - 1) * (n - 1) / (n - k)
    assert result.se == pytest.approx(np.sqrt(v[3, 3]), rel=1e-9)


def test_two_periods_before_after_with_comparison() -> None:
    frame = pd.DataFrame(
        {"area": ["a", "a", "b", "b", "c", "c"], "year": [2020, 2021] * 3,
         "rate": [5.0, 3.0, 5.0, 4.5, 6.0, 5.7]}
    )  # fmt: skip
    spec = EstimateSpec(design="did", unit="area", time="year", outcome="rate", treated_unit="a",
                        treatment_start=2021, polarity="higher_is_worse")  # fmt: skip
    result = estimate(frame, spec)
    assert result.estimate == pytest.approx((3.0 - 5.0) - ((4.5 + 5.7) / 2 - (5.0 + 6.0) / 2))
    assert result.diagnostics.pre_trend_p is None and result.evidence_level == 2
    assert "no test of parallel trends" in result.evidence_reason
    assert [s.treated for s in result.series] == [False, True]
    assert result.series[1].counterfactual == pytest.approx(3.0 - result.estimate)


@pytest.fixture(scope="module")
def organ() -> pd.DataFrame:
    """causaldata's organ_donations (MIT licence): 27 states x 6 quarters (Q4 2010 - Q1 2012), treated =
    California from Quarter_Num 4 (Q3 2011), coded as in the book's code (``After = Quarter_Num > 3``)."""
    from causaldata import organ_donations

    frame = organ_donations.load_pandas().data
    frame["Treated"] = ((frame["State"] == "California") & (frame["Quarter_Num"] > 3)).astype(int)
    return frame


def test_organ_donations_did(organ: pd.DataFrame) -> None:
    """California's active-choice law from 2011 Q3 (Quarter_Num 4): the pooled 2x2 DiD on a balanced panel
    equals the TWFE estimate, -0.0225 (Huntington-Klein 2021, *The Effect*, ch. 18; see test_designs_twfe)."""
    spec = EstimateSpec(design="did", unit="State", time="Quarter_Num", outcome="Rate", treatment="Treated",
                        polarity="higher_is_better")  # fmt: skip
    result = estimate(organ, spec, source="organ_donations")
    assert round(result.estimate, 4) == -0.0225
    assert result.verdict == Verdict.WORSE
    # the book's event study shows a lead different from zero: parallel pre-trends are doubtful -> level 2
    assert result.diagnostics.pre_trend_p is not None and result.diagnostics.pre_trend_p < 0.10
    assert result.evidence_level == 2


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("design", ["did", "twfe"])
def test_a_constant_outcome_is_no_detectable_change(design: str) -> None:
    frame = pd.DataFrame({"u": list("aabbcc"), "t": [1, 2] * 3, "y": [1.0] * 6, "d": [0, 1, 0, 0, 0, 0]})
    result = estimate(frame, EstimateSpec(design=design, unit="u", time="t", outcome="y", treatment="d"))
    assert result.estimate == pytest.approx(0.0, abs=1e-12)
    assert result.verdict == Verdict.NO_DETECTABLE_CHANGE
    json.loads(result.model_dump_json())  # no NaN in RESULT.json
