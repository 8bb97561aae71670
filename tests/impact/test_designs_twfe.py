"""Two-way fixed effects and the event study (impact/designs/twfe.py): the organ-donation DiD of
Huntington-Klein, *The Effect* (2021), ch. 18, reproduced with the data causaldata ships (MIT licence).

Source: N. Huntington-Klein, *The Effect: An Introduction to Research Design and Causality*, CRC Press 2021,
ch. 18.2 "How Is It Performed?", the organ-donation example (Kessler & Roth 2014): the book's code sets
``Treated = California & Quarter_Num > 3`` (from Q3 2011) and fits ``Rate ~ Treated | State + Quarter``
with standard errors clustered by state; the estimate it prints is -0.0225.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bettercities.impact.designs import estimate
from bettercities.impact.schemas import EstimateResult, EstimateSpec, Verdict


@pytest.fixture(scope="module")
def organ() -> pd.DataFrame:
    from causaldata import organ_donations

    frame = organ_donations.load_pandas().data
    frame["Treated"] = ((frame["State"] == "California") & (frame["Quarter_Num"] > 3)).astype(int)
    return frame


@pytest.fixture(scope="module")
def result(organ: pd.DataFrame) -> EstimateResult:
    spec = EstimateSpec(design="twfe", unit="State", time="Quarter_Num", outcome="Rate", treatment="Treated",
                        polarity="higher_is_better")  # fmt: skip
    return estimate(organ, spec, source="organ_donations")


def _dummies(organ: pd.DataFrame, regressors: list[np.ndarray]) -> np.ndarray:
    states = pd.get_dummies(organ["State"], drop_first=True, dtype=float).to_numpy()
    quarters = pd.get_dummies(organ["Quarter_Num"], drop_first=True, dtype=float).to_numpy()
    return np.column_stack([*regressors, np.ones(len(organ)), states, quarters])


def _cluster_se(x: np.ndarray, y: np.ndarray, groups: pd.Series, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients and cluster-robust covariance by hand (numpy): unit dummies nested in the clusters are
    not counted in K (as R fixest and Stata do)."""
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    u = y - x @ beta
    bread = np.linalg.inv(x.T @ x)
    index = groups.groupby(groups).indices.values()
    meat = sum(np.outer(x[i].T @ u[i], x[i].T @ u[i]) for i in index)
    g, n = len(index), len(y)
    return beta, bread @ meat @ bread * g / (g - 1) * (n - 1) / (n - k)


def test_published_estimate(result: EstimateResult) -> None:
    assert round(result.estimate, 4) == -0.0225  # The Effect, ch. 18
    assert result.verdict == Verdict.WORSE  # fewer registrations, and more is better
    assert result.diagnostics.n_units == 27 and result.diagnostics.n_treated == 1
    assert result.diagnostics.n_pre_periods == 3 and result.diagnostics.n_post_periods == 3
    assert any("Few treated or untreated areas" in w for w in result.warnings)


def test_standard_error_against_a_dummy_regression(organ: pd.DataFrame, result: EstimateResult) -> None:
    """The within estimate equals the dummy regression (Frisch-Waugh-Lovell) and its clustered SE the sandwich
    computed by hand; K = treatment + intercept + 5 quarter effects = 7."""
    x = _dummies(organ, [organ["Treated"].to_numpy(float)])
    beta, v = _cluster_se(x, organ["Rate"].to_numpy(), organ["State"], k=7)
    assert result.estimate == pytest.approx(beta[0], abs=1e-12)
    assert result.se == pytest.approx(np.sqrt(v[0, 0]), rel=1e-9)
    assert round(result.se, 4) == 0.0061
    from scipy import stats

    q = stats.t.ppf(0.975, 26)  # t with G - 1 = 26 degrees of freedom
    assert result.ci_low == pytest.approx(beta[0] - q * np.sqrt(v[0, 0]), rel=1e-9)


def test_event_study_and_pre_trend_test(organ: pd.DataFrame, result: EstimateResult) -> None:
    """Leads and lags against the dummy regression by hand; reference period -1 (Q2 2011)."""
    event = organ["Quarter_Num"] - 4
    ca = (organ["State"] == "California").to_numpy(float)
    times = [-3, -2, 0, 1, 2]
    x = _dummies(organ, [ca * (event == e).to_numpy(float) for e in times])
    beta, v = _cluster_se(x, organ["Rate"].to_numpy(), organ["State"], k=len(times) + 6)
    points = {p.event_time: p for p in result.diagnostics.event_study}
    assert points[-1].estimate == 0.0 and points[-1].se is None
    for i, e in enumerate(times):
        assert points[e].estimate == pytest.approx(beta[i], abs=1e-12)
        assert points[e].se == pytest.approx(np.sqrt(v[i, i]), rel=1e-9)
    from scipy import stats

    lead = beta[:2]
    wald = lead @ np.linalg.inv(v[:2, :2]) @ lead / 2
    assert result.diagnostics.pre_trend_p == pytest.approx(stats.f.sf(wald, 2, 26), rel=1e-9)
    assert result.diagnostics.pre_trend_p < 0.10 and result.evidence_level == 2


def test_treated_unit_and_start_give_the_same(organ: pd.DataFrame, result: EstimateResult) -> None:
    spec = EstimateSpec(design="twfe", unit="State", time="Quarter_Num", outcome="Rate",
                        treated_unit="California", treatment_start=4)  # fmt: skip
    other = estimate(organ, spec)
    assert other.estimate == pytest.approx(result.estimate) and other.verdict == Verdict.DECREASE


def test_staggered_adoption_and_unbalanced_panel() -> None:
    """Staggered starts warn (Goodman-Bacon); an unbalanced panel is demeaned by alternating projections and
    still equals the dummy regression."""
    rng = np.random.default_rng(3)
    rows = []
    starts = {"a": 3, "b": 4, "c": 5}
    for i, unit in enumerate("abcdefgh"):
        for t in range(1, 8):
            d = unit in starts and t >= starts[unit]
            rows.append({"u": unit, "t": t, "y": i + 0.3 * t + 1.5 * d + rng.normal(0, 0.2), "d": int(d)})
    frame = pd.DataFrame(rows).drop(index=[5, 17, 40]).reset_index(drop=True)
    res = estimate(frame, EstimateSpec(design="twfe", unit="u", time="t", outcome="y", treatment="d"))
    assert any("Goodman-Bacon" in w for w in res.warnings)
    units = pd.get_dummies(frame["u"], drop_first=True, dtype=float).to_numpy()
    periods = pd.get_dummies(frame["t"], drop_first=True, dtype=float).to_numpy()
    x = np.column_stack([frame["d"].to_numpy(float), np.ones(len(frame)), units, periods])
    beta, *_ = np.linalg.lstsq(x, frame["y"].to_numpy(), rcond=None)
    assert res.estimate == pytest.approx(beta[0], abs=1e-8)


def test_covariates_enter_the_regression() -> None:
    """A time-varying covariate: the within estimate equals the dummy regression with the covariate."""
    rng = np.random.default_rng(11)
    rows = []
    for i, unit in enumerate("abcdefgh"):
        for t in range(1, 7):
            x = rng.normal()
            d = unit in "abc" and t >= 4
            rows.append({"u": unit, "t": t, "x": x, "y": i + 0.2 * t + 0.8 * x + 1.0 * d + rng.normal(0, 0.1),
                         "d": int(d)})  # fmt: skip
    frame = pd.DataFrame(rows)
    for design in ("twfe", "did"):
        spec = EstimateSpec(design=design, unit="u", time="t", outcome="y", treatment="d", covariates=["x"])
        res = estimate(frame, spec)
        assert 0.8 < res.estimate < 1.2
    units = pd.get_dummies(frame["u"], drop_first=True, dtype=float).to_numpy()
    periods = pd.get_dummies(frame["t"], drop_first=True, dtype=float).to_numpy()
    x = np.column_stack(
        [frame["d"].to_numpy(float), frame["x"].to_numpy(), np.ones(len(frame)), units, periods]
    )
    beta, *_ = np.linalg.lstsq(x, frame["y"].to_numpy(), rcond=None)
    twfe = estimate(frame, EstimateSpec(design="twfe", unit="u", time="t", outcome="y", treatment="d",
                                        covariates=["x"]))  # fmt: skip
    assert twfe.estimate == pytest.approx(beta[0], abs=1e-10)


@pytest.fixture(scope="module")
def small_panel() -> pd.DataFrame:
    rng = np.random.default_rng(21)
    rows = [
        {"u": u, "t": t, "y": rng.normal(), "d": int(u < 3 and t >= 3)} for u in range(8) for t in range(1, 6)
    ]
    return pd.DataFrame(rows)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    scale=st.floats(0.01, 100.0),
    shift=st.floats(-1e3, 1e3),
    unit_shifts=st.lists(st.floats(-50.0, 50.0), min_size=8, max_size=8),
)
def test_twfe_is_equivariant(
    small_panel: pd.DataFrame, scale: float, shift: float, unit_shifts: list[float]
) -> None:
    """Rescaling the outcome rescales estimate and SE; constants added per unit (absorbed by unit effects)
    or overall changes neither."""
    spec = EstimateSpec(design="twfe", unit="u", time="t", outcome="y", treatment="d")
    base = estimate(small_panel, spec)
    moved = small_panel.assign(
        y=scale * small_panel["y"] + shift + small_panel["u"].map(dict(enumerate(unit_shifts)))
    )
    other = estimate(moved, spec)
    assert other.estimate == pytest.approx(scale * base.estimate, rel=1e-6, abs=1e-9)
    assert other.se == pytest.approx(scale * base.se, rel=1e-6)
    assert other.verdict == base.verdict
