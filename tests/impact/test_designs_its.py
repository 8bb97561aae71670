"""Interrupted time series (impact/designs/its.py) against an independent computation: numpy least squares and
the Newey-West (1987) HAC covariance written out by hand (Bartlett weights 1 - l/(L+1), small-sample factor
n/(n-k)), lags by the Newey-West (1994) rule floor(4 (n/100)^(2/9))."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bettercities.impact.designs import estimate
from bettercities.impact.designs.its import hac_lags
from bettercities.impact.schemas import EstimateResult, EstimateSpec, Verdict

START = 25


@pytest.fixture(scope="module")
def series() -> pd.DataFrame:
    """36 months, the measure from month 25: a level change of 3 and a slope change of 0.1, a yearly cycle
    and AR(1) noise."""
    rng = np.random.default_rng(2026)
    t = np.arange(1, 37)
    noise = np.zeros(36)
    for i in range(1, 36):
        noise[i] = 0.5 * noise[i - 1] + rng.normal(0, 0.3)
    y = 10 + 0.2 * t + np.where(t >= START, 3 + 0.1 * (t - START), 0) + np.sin(2 * np.pi * t / 12) + noise
    return pd.DataFrame({"area": "centre", "month": t, "y": y})


@pytest.fixture(scope="module")
def result(series: pd.DataFrame) -> EstimateResult:
    spec = EstimateSpec(design="its", unit="area", time="month", outcome="y", treatment_start=START,
                        seasonality=12, polarity="higher_is_worse")  # fmt: skip
    return estimate(series, spec)


def _by_hand(series: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = series["month"].to_numpy()
    rel, post = t - START, (t >= START).astype(float)
    season = np.column_stack([(t % 12 == s).astype(float) for s in range(1, 12)])
    x = np.column_stack([np.ones(len(t)), rel, post, rel * post, season])
    y = series["y"].to_numpy()
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    u = y - x @ beta
    n, k = x.shape
    lags = math.floor(4 * (n / 100) ** (2 / 9))
    score = x * u[:, None]
    s = score.T @ score
    for lag in range(1, lags + 1):
        w = 1 - lag / (lags + 1)
        gamma = score[lag:].T @ score[:-lag]
        s += w * (gamma + gamma.T)
    bread = np.linalg.inv(x.T @ x)
    return beta, bread @ s @ bread * n / (n - k), x


def test_level_and_slope_change_with_hac_errors(series: pd.DataFrame, result: EstimateResult) -> None:
    beta, v, _ = _by_hand(series)
    terms = {t.name: t for t in result.diagnostics.terms}
    level, slope = terms["level change at the start"], terms["change of the trend per period after the start"]
    assert level.estimate == pytest.approx(beta[2], abs=1e-10)
    assert slope.estimate == pytest.approx(beta[3], abs=1e-10)
    assert level.se == pytest.approx(np.sqrt(v[2, 2]), rel=1e-9)
    assert slope.se == pytest.approx(np.sqrt(v[3, 3]), rel=1e-9)
    # the headline: average effect over the 12 post months = level + slope x mean(0..11)
    c = np.zeros(len(beta))
    c[2], c[3] = 1.0, 5.5
    assert result.estimate == pytest.approx(c @ beta, abs=1e-10)
    assert result.se == pytest.approx(np.sqrt(c @ v @ c), rel=1e-9)
    q = stats.t.ppf(0.975, 36 - 15)
    assert result.ci_high == pytest.approx(c @ beta + q * np.sqrt(c @ v @ c), rel=1e-9)
    assert 3.0 < result.estimate < 4.2  # true average effect 3.55
    assert result.verdict == Verdict.WORSE  # up, and higher is worse


def test_counterfactual_series(series: pd.DataFrame, result: EstimateResult) -> None:
    beta, v, x = _by_hand(series)
    without = x.copy()
    without[:, 2:4] = 0.0
    assert [p.treated for p in result.series] == [m >= START for m in range(1, 37)]
    last = result.series[-1]
    assert last.counterfactual == pytest.approx(without[-1] @ beta, abs=1e-10)
    half = stats.t.ppf(0.975, 21) * np.sqrt(without[-1] @ v @ without[-1])
    assert last.ci_high == pytest.approx(without[-1] @ beta + half, rel=1e-9)
    assert result.series[0].ci_low is None  # no interval before the start


def test_evidence_and_diagnostics(result: EstimateResult) -> None:
    d = result.diagnostics
    assert (d.n_units, d.n_pre_periods, d.n_post_periods, d.has_comparison) == (1, 24, 12, False)
    assert d.durbin_watson is not None and 0 < d.durbin_watson < 4
    assert result.evidence_level == 2 and "without comparison areas" in result.evidence_reason
    assert (hac_lags(36), hac_lags(5), hac_lags(100)) == (3, 2, 4)


def test_short_series_rates_one_and_single_post_period() -> None:
    frame = pd.DataFrame({"u": "a", "t": range(2015, 2021), "y": [3.0, 3.2, 3.1, 3.4, 3.3, 4.4]})
    res = estimate(frame, EstimateSpec(design="its", unit="u", time="t", outcome="y", treatment_start=2020))
    assert res.evidence_level == 1
    assert any("slope cannot be estimated" in n for n in res.diagnostics.notes)
    assert res.estimate == pytest.approx(res.diagnostics.terms[0].estimate)  # the level change alone


def test_selected_on_outcome_warns_and_lowers_the_level(series: pd.DataFrame) -> None:
    spec = EstimateSpec(design="its", unit="area", time="month", outcome="y", treatment_start=START,
                        selected_on_outcome=True)  # fmt: skip
    res = estimate(series, spec)
    assert res.evidence_level == 1 and "regression to the mean" in res.evidence_reason
    assert any("regression to the mean" in w for w in res.warnings)
