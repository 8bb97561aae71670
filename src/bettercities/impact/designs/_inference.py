"""Inference shared by the regression designs (did, twfe): two-way within transformation, OLS with
cluster-robust standard errors by unit, the joint Wald test and the event study.

Written once here so that every design computes its intervals the same way (STYLE 6).

Cluster-robust covariance (Liang & Zeger 1986; Cameron & Miller 2015, *J. Human Resources* 50(2)):

.. math::

    \\hat V = c \\,(X'X)^{-1} \\Big(\\sum_g X_g' \\hat u_g \\hat u_g' X_g\\Big) (X'X)^{-1},
    \\qquad c = \\frac{G}{G-1}\\,\\frac{n-1}{n-K}

computed by statsmodels (``cov_type="cluster"`` without its own correction) on the demeaned data, which gives
the same coefficients and residuals as the regression with unit and period dummies (Frisch-Waugh-Lovell).
``K`` counts the regressors and the period effects but not the unit effects, which are nested in the clusters
(Cameron & Miller 2015, section VI.B; the default of R ``fixest`` and Stata ``xtreg, fe vce(cluster)``).
Intervals and tests use the t (F) distribution with ``G - 1`` degrees of freedom.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report

if TYPE_CHECKING:
    import pandas as pd

    from bettercities.impact.schemas import EstimateSpec, EventTimePoint


# Fixed sentences (no numbers: those are in the typed fields), so that the catalogue translates them.
PRE_TREND_REJECTED = (
    "The joint test that the event-study coefficients before the start are all zero rejects parallel "
    "pre-trends at the 10 % level."
)
PRE_TREND_KEPT = (
    "The joint test that the event-study coefficients before the start are all zero does not reject parallel "
    "pre-trends at the 10 % level."
)
NO_PRE_TREND_TEST = "No pre-trend test: the treated units have only one period before the start."
FEW_CLUSTERS_WARNING = (
    "Few treated or untreated areas (fewer than 5): standard errors clustered by area are unreliable with so "
    "few, so the interval may be too narrow."
)

#: alternating projections stop when no value moves by more than this (relative to the column's scale)
TOLERANCE = 1e-12
MAX_ITERATIONS = 1000


@dataclass(frozen=True)
class Fit:
    """Coefficients, their cluster-robust covariance and the degrees of freedom of inference."""

    names: list[str]
    params: np.ndarray
    cov: np.ndarray
    df: int
    n: int
    clusters: int

    def se(self, name: str) -> float:
        i = self.names.index(name)
        return float(np.sqrt(max(self.cov[i, i], 0.0)))  # rounding can leave -1e-35

    def estimate(self, name: str) -> float:
        return float(self.params[self.names.index(name)])

    def interval(self, name: str, alpha: float) -> tuple[float, float, float, float | None]:
        """(se, ci_low, ci_high, two-sided p-value) of one coefficient; no p-value when the SE is 0."""
        from scipy import stats

        b, se = self.estimate(name), self.se(name)
        q = float(stats.t.ppf(1 - alpha / 2, self.df))
        p = float(2 * stats.t.sf(abs(b / se), self.df)) if se > 0 else None
        return se, b - q * se, b + q * se, p

    def wald_p(self, names: list[str]) -> float:
        """p-value of the joint test that the coefficients ``names`` are all zero (F with q and G-1 df)."""
        from scipy import stats

        idx = [self.names.index(n) for n in names]
        b = self.params[idx]
        v = self.cov[np.ix_(idx, idx)]
        q = len(idx)
        statistic = float(b @ np.linalg.pinv(v) @ b) / q
        return float(stats.f.sf(statistic, q, self.df))


def library() -> str:
    import statsmodels

    return f"statsmodels {statsmodels.__version__}"


def demean(frame: pd.DataFrame, columns: list[str], unit: str, time: str) -> pd.DataFrame:
    """``columns`` with unit and period means removed (two-way within transformation).

    A balanced panel needs one pass; an unbalanced one is demeaned by alternating projections
    (Guimarães & Portugal 2010) until nothing moves.
    """
    data = frame[columns].astype("float64")
    units, times = frame[unit], frame[time]
    scale = np.maximum(data.abs().max().to_numpy(), 1.0)
    for _ in range(MAX_ITERATIONS):
        before = data.to_numpy(copy=True)
        data = data - data.groupby(units.to_numpy()).transform("mean")
        data = data - data.groupby(times.to_numpy()).transform("mean")
        if np.all(np.abs(data.to_numpy() - before).max(axis=0) <= TOLERANCE * scale):
            break
    return data


def cluster_ols(
    y: np.ndarray, x: pd.DataFrame, groups: pd.Series, *, absorbed: int, source: str = "panel"
) -> Fit:
    """OLS of ``y`` on ``x`` with standard errors clustered by ``groups``; ``absorbed`` = number of fixed
    effects already removed from the data that are *not* nested in the clusters (counted in ``K``)."""
    import statsmodels.api as sm

    codes = groups.astype("category").cat.codes.to_numpy()
    clusters = len(np.unique(codes))
    n, k = len(y), x.shape[1]
    if clusters < 2:
        raise _failed("cluster-robust standard errors need at least two units", source)
    matrix = x.to_numpy()
    # rank from the k x k cross-product: an SVD of the n x k matrix costs seconds on large panels
    if k and np.linalg.matrix_rank(matrix.T @ matrix) < k:
        raise _failed(
            "the treatment cannot be told apart from the unit and period effects (it is collinear with "
            "them); check that treated and untreated units are observed both before and after the start",
            source,
        )
    result = sm.OLS(y, matrix).fit(
        method="qr", cov_type="cluster", cov_kwds={"groups": codes, "use_correction": False}
    )
    big_k = k + absorbed
    if n - big_k <= 0:
        raise _failed("the panel has fewer rows than the model has parameters", source)
    correction = clusters / (clusters - 1) * (n - 1) / (n - big_k)
    return Fit(
        names=list(x.columns),
        params=np.asarray(result.params),
        cov=np.asarray(result.cov_params()) * correction,
        df=clusters - 1,
        n=n,
        clusters=clusters,
    )


def _failed(message: str, source: str) -> InvalidInput:
    problem = Problem(code="impact-estimation-failed", message=message, file=source)
    return InvalidInput(f"{source}: {message}", Report(source=source, problems=[problem]))


def event_study(
    frame: pd.DataFrame, spec: EstimateSpec, starts: dict[str, int]
) -> tuple[list[EventTimePoint], float | None, str]:
    """Leads and lags of the treatment with unit and period effects, clustered by unit.

    One dummy per event time ``e = t - start`` of the treated units except ``e = -1`` (the reference, given
    as 0); never-treated units have none. Returns the points, the p-value of the joint test that all leads
    ``e <= -2`` are zero (None with fewer than two pre-periods) and a plain-language note.
    """
    from bettercities.impact.schemas import EventTimePoint

    start = frame[spec.unit].map(starts)
    event = (frame[spec.time] - start).astype("float64")
    times = sorted(int(e) for e in event.dropna().unique())
    columns = {f"e{e}": (event == e).astype("float64") for e in times if e != -1}
    data = frame[[spec.unit, spec.time, spec.outcome, *spec.covariates]].copy()
    for name, values in columns.items():
        data[name] = values.to_numpy()
    regressors = [*columns, *spec.covariates]
    within = demean(data, [spec.outcome, *regressors], spec.unit, spec.time)
    # columns that vanish after demeaning (e.g. an event time every unit shares) cannot be estimated
    keep = [c for c in regressors if np.abs(within[c].to_numpy()).max() > 1e-12]
    n_periods = int(frame[spec.time].nunique())
    fit = cluster_ols(
        within[spec.outcome].to_numpy(),
        within[keep],
        frame[spec.unit],
        absorbed=n_periods,
        source="event study",
    )
    points: list[EventTimePoint] = []
    for e in times:
        name = f"e{e}"
        if e == -1:
            points.append(EventTimePoint(event_time=-1, estimate=0.0, se=None, ci_low=None, ci_high=None))
        elif name in keep:
            se, low, high, _ = fit.interval(name, spec.alpha)
            points.append(
                EventTimePoint(event_time=e, estimate=fit.estimate(name), se=se, ci_low=low, ci_high=high)
            )
    leads = [f"e{e}" for e in times if e <= -2 and f"e{e}" in keep]
    if not leads:
        return points, None, NO_PRE_TREND_TEST
    p = fit.wald_p(leads)
    return points, p, PRE_TREND_REJECTED if p < 0.10 else PRE_TREND_KEPT


#: fewer treated (or untreated) clusters than this: the cluster-robust interval is flagged
FEW_CLUSTERS = 5


def few_clusters(treated: int, untreated: int) -> str | None:
    """The warning for too few treated or untreated units (Conley & Taber 2011; MacKinnon & Webb 2017)."""
    if treated >= FEW_CLUSTERS and untreated >= FEW_CLUSTERS:
        return None
    return FEW_CLUSTERS_WARNING


def treated_series(
    frame: pd.DataFrame, spec: EstimateSpec, starts: dict[str, int], effect: float, low: float, high: float
) -> list[tuple[int, float, float, float | None, float | None, bool]]:
    """The treated units' mean per period and the counterfactual without the measure: the mean minus the
    average effect times the share of treated units that have the measure in that period (interval from the
    effect's interval). Rows: (time, observed, counterfactual, ci_low, ci_high, treated)."""
    treated = frame[frame[spec.unit].isin(list(starts))]
    on = treated[spec.time] >= treated[spec.unit].map(starts)
    summary = (
        treated.assign(_on=on.astype("float64"))
        .groupby(spec.time)
        .agg(y=(spec.outcome, "mean"), share=("_on", "mean"))
    )
    rows: list[tuple[int, float, float, float | None, float | None, bool]] = []
    for key, row in summary.iterrows():
        t = int(str(key))
        share = float(row["share"])
        y = float(row["y"])
        if share > 0:
            rows.append((t, y, y - share * effect, y - share * high, y - share * low, True))
        else:
            rows.append((t, y, y, None, None, False))
    return rows
