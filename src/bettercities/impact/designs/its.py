"""Interrupted time series: segmented regression of one unit's series with a level and a slope change.

.. math::

    y_t = \\beta_0 + \\beta_1 (t - t_0) + \\beta_2 P_t + \\beta_3 (t - t_0) P_t
          + \\sum_{s} \\gamma_s S_{s,t} + \\varepsilon_t

with :math:`t_0` the first period with the measure, :math:`P_t = 1[t \\ge t_0]`, :math:`\\beta_2` the level
change at the start, :math:`\\beta_3` the change of slope and optional seasonal dummies
:math:`S_{s,t} = 1[t \\bmod m = s]` for a cycle of :math:`m` periods (Bernal, Cummins & Gasparrini 2017,
*Int. J. Epidemiology* 46(1); Wagner et al. 2002, *J. Clin. Pharm. Ther.* 27(4)). The counterfactual is the
pre-period line continued: the fit with :math:`P_t = 0`. The headline estimate is the average effect over the
post-periods, :math:`\\bar\\delta = \\beta_2 + \\beta_3 \\overline{(t - t_0)}_{t \\ge t_0}`.

Standard errors are heteroskedasticity and autocorrelation consistent (Newey & West 1987, Bartlett kernel)
with :math:`L = \\lfloor 4 (n/100)^{2/9} \\rfloor` lags (Newey & West 1994), at least 1, and the small-sample
factor :math:`n/(n-k)`; intervals use the t distribution with :math:`n - k` degrees of freedom (statsmodels
``cov_type="HAC"``). Periods must be consecutive whole numbers (1, 2, 3 … or 2015, 2016 …): the seasonal
position is ``t mod m``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bettercities.impact.designs._inference import _failed, library
from bettercities.impact.panel import treatment_of
from bettercities.impact.schemas import DesignOutput, Diagnostics, SeriesPoint, Term

if TYPE_CHECKING:
    from bettercities.impact.schemas import EstimateSpec

__all__ = ["hac_lags", "run"]

ONE_POST_NOTE = "Only one period after the start: the change of slope cannot be estimated, only the level."
SEASONAL_NOTE = "Seasonal terms are included (one per position in the cycle)."
GAPS_NOTE = "The series has gaps (missing periods); the trend is fitted over the periods there are."
OTHERS_NOTE = "The other units of the panel are not used; did or twfe compare with them."
AUTOCORRELATION_NOTE = (
    "The residuals are autocorrelated (Durbin-Watson statistic far from 2); the Newey-West errors allow for "
    "it, but a short series may still give too narrow an interval."
)
SHORT_PRE_WARNING = "Fewer than 8 periods before the start: the trend without the measure is poorly known."
TERM_LEVEL = "level change at the start"
TERM_SLOPE = "change of the trend per period after the start"
TERM_TREND = "trend per period before the start"
METHOD = (
    "Interrupted time series: a straight line (with seasonal terms where asked) is fitted to the "
    "periods before the start and carried forward as the estimate without the measure; the effect is "
    "the average gap between the observed values and that line after the start, with the change in "
    "level and in trend (standard errors robust to autocorrelation, Newey-West)."
)
ASSUMPTIONS = [
    "Without the measure, the trend before the start would have continued (the counterfactual is the "
    "pre-period line carried forward).",
    "Nothing else that affects the indicator changed at the same time (there are no comparison areas to "
    "catch such changes).",
    "How the indicator is measured did not change at the start.",
]


def hac_lags(n: int) -> int:
    """Newey & West (1994) rule of thumb for the Bartlett kernel: ``floor(4 (n/100)^(2/9))``, at least 1."""
    return max(1, math.floor(4 * (n / 100) ** (2 / 9)))


def design_matrix(times: np.ndarray, start: int, seasonality: int | None, *, slope: bool) -> pd.DataFrame:
    """Constant, time from the start, post dummy, post slope and seasonal dummies (first season dropped)."""
    rel = (times - start).astype("float64")
    post = (times >= start).astype("float64")
    x = pd.DataFrame({"const": 1.0, "trend": rel, "level": post})
    if slope:
        x["slope"] = rel * post
    if seasonality:
        season = np.mod(times, seasonality)
        for s in sorted(set(season.tolist()))[1:]:
            x[f"season{s}"] = (season == s).astype("float64")
    return x


def run(frame: pd.DataFrame, spec: EstimateSpec) -> DesignOutput:
    """The segmented regression of the treated unit's series (see the module)."""
    from scipy import stats
    from statsmodels.regression.linear_model import OLS
    from statsmodels.stats.stattools import durbin_watson

    info = treatment_of(frame, spec)
    unit = spec.treated_unit or info.units[0]
    start = spec.treatment_start if spec.treatment_start is not None else info.starts[unit]
    series = frame[frame[spec.unit] == unit].sort_values(spec.time)
    times = series[spec.time].to_numpy(dtype="int64")
    y = series[spec.outcome].to_numpy(dtype="float64")
    n_post = int((times >= start).sum())
    x = design_matrix(times, start, spec.seasonality, slope=n_post >= 2)
    n, k = x.shape
    if n <= k or np.linalg.matrix_rank(x.to_numpy()) < k:
        raise _failed(
            f"the series of {unit!r} has {n} periods, too few for the {k} parameters of the segmented "
            "regression (fewer seasonal terms or a longer series)",
            spec.outcome,
        )
    lags = hac_lags(n)
    fit = OLS(y, x.to_numpy()).fit(
        cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True
    )
    params = np.asarray(fit.params)
    cov = np.asarray(fit.cov_params())
    df = n - k
    q = float(stats.t.ppf(1 - spec.alpha / 2, df))

    def linear(c: np.ndarray) -> tuple[float, float]:
        return float(c @ params), float(np.sqrt(max(c @ cov @ c, 0.0)))

    def term(name: str, label: str) -> Term:
        c = np.zeros(k)
        c[list(x.columns).index(name)] = 1.0
        b, se = linear(c)
        p = float(2 * stats.t.sf(abs(b / se), df)) if se > 0 else None
        return Term(name=label, estimate=b, se=se, ci_low=b - q * se, ci_high=b + q * se, p_value=p)

    # the average effect over the post-periods: level + slope x mean time since the start
    post_rows = x[x["level"] == 1.0]
    c = np.zeros(k)
    c[list(x.columns).index("level")] = 1.0
    if "slope" in x.columns:
        c[list(x.columns).index("slope")] = float(post_rows["slope"].mean())
    estimate, se = linear(c)
    p_value = float(2 * stats.t.sf(abs(estimate / se), df)) if se > 0 else None

    without = x.copy()
    without["level"] = 0.0
    if "slope" in without.columns:
        without["slope"] = 0.0
    points = []
    for i, t in enumerate(times.tolist()):
        value, value_se = linear(without.iloc[i].to_numpy())
        on = t >= start
        points.append(
            SeriesPoint(
                time=t,
                observed=float(y[i]),
                counterfactual=value,
                ci_low=value - q * value_se if on else None,
                ci_high=value + q * value_se if on else None,
                treated=on,
            )
        )

    terms = [term("level", TERM_LEVEL), term("trend", TERM_TREND)]
    notes: list[str] = []
    if "slope" in x.columns:
        terms.insert(1, term("slope", TERM_SLOPE))
    else:
        notes.append(ONE_POST_NOTE)
    if spec.seasonality:
        notes.append(SEASONAL_NOTE)
    gaps = np.diff(times)
    if len(gaps) and gaps.max() > 1:
        notes.append(GAPS_NOTE)
    others = len(info.units) - 1
    if others:
        notes.append(OTHERS_NOTE)
    dw = float(durbin_watson(np.asarray(fit.resid)))
    if dw < 1.5 or dw > 2.5:
        notes.append(AUTOCORRELATION_NOTE)
    warnings = []
    if n - n_post < 8:
        warnings.append(SHORT_PRE_WARNING)
    return DesignOutput(
        estimate=estimate,
        se=se,
        ci_low=estimate - q * se,
        ci_high=estimate + q * se,
        p_value=p_value,
        method=METHOD,
        library=library(),
        assumptions=list(ASSUMPTIONS),
        warnings=warnings,
        diagnostics=Diagnostics(
            n_units=1,
            n_periods=n,
            n_treated=1,
            n_pre_periods=n - n_post,
            n_post_periods=n_post,
            has_comparison=False,
            durbin_watson=dw,
            hac_lags=lags,
            terms=terms,
            notes=notes,
        ),
        series=points,
    )
