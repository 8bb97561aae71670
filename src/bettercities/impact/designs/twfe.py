"""Two-way fixed effects (TWFE) and the event study.

.. math::

    y_{it} = \\alpha_i + \\lambda_t + \\delta D_{it} + \\gamma' x_{it} + \\varepsilon_{it}

with unit effects :math:`\\alpha_i`, period effects :math:`\\lambda_t` and :math:`D_{it}` = 1 when unit
:math:`i` has the measure in period :math:`t`; estimated on the two-way demeaned data (Frisch-Waugh-Lovell),
standard errors clustered by unit (:mod:`._inference`). The event study replaces :math:`D_{it}` by one
dummy per period relative to the start (leads and lags, reference -1); the joint Wald test of the leads is
the pre-trend test (Huntington-Klein 2021, *The Effect*, ch. 18.2).

With staggered adoption (units starting in different periods) the TWFE estimate is a weighted average of
comparisons, some of which use already-treated units as controls, and can be biased when effects change over
time (Goodman-Bacon 2021, *J. Econometrics* 225(2)); the result then warns and points to staggered-did.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bettercities.impact.designs import _inference as inf
from bettercities.impact.panel import treatment_of
from bettercities.impact.schemas import DesignOutput, Diagnostics, SeriesPoint

if TYPE_CHECKING:
    import pandas as pd

    from bettercities.impact.schemas import EstimateSpec

__all__ = ["run"]

FE_NOTE = "Each area's own level and each period's change common to all areas are removed."
STAGGERED_WARNING = (
    "The treated areas started in different periods. Two-way fixed effects then also "
    "compares later-treated with already-treated areas and can be biased when the effect grows or "
    "shrinks over time (Goodman-Bacon 2021); compare with the staggered-did design."
)
METHOD = (
    "Two-way fixed effects: a regression of the indicator on the measure that removes each area's "
    "own level and each period's change common to all areas; standard errors clustered by area. An "
    "event study shows the difference period by period before and after the start."
)
ASSUMPTIONS = [
    "Parallel trends: without the measure, treated and untreated areas would have followed the same trend "
    "(differences between areas that stay constant and changes common to all areas are removed).",
    "No anticipation: the treated areas did not change before the start because the measure was coming.",
    "No spillovers: the measure did not change the untreated areas.",
    "The effect is the same whenever an area started (with staggered starts, see the warning).",
]


def run(frame: pd.DataFrame, spec: EstimateSpec) -> DesignOutput:
    """The two-way fixed effects estimate of ``frame`` with its event study (see the module)."""
    info = treatment_of(frame, spec)
    data = frame.copy()
    started = data[spec.unit].map(info.starts)
    data["_d"] = (started.notna() & (data[spec.time] >= started)).astype("float64")
    regressors = ["_d", *spec.covariates]
    within = inf.demean(data, [spec.outcome, *regressors], spec.unit, spec.time)
    fit = inf.cluster_ols(
        within[spec.outcome].to_numpy(), within[regressors], data[spec.unit], absorbed=len(info.periods)
    )
    estimate = fit.estimate("_d")
    se, low, high, p = fit.interval("_d", spec.alpha)
    event_study, pre_p, pre_note = inf.event_study(frame, spec, info.starts)

    first = min(info.starts.values())
    cohorts = sorted(set(info.starts.values()))
    warnings = []
    if len(cohorts) > 1:
        warnings.append(STAGGERED_WARNING)
    warnings += [w for w in [inf.few_clusters(len(info.treated), len(info.untreated))] if w]
    notes = [FE_NOTE]
    series = [
        SeriesPoint(time=t, observed=y, counterfactual=c, ci_low=lo, ci_high=hi, treated=on)
        for t, y, c, lo, hi, on in inf.treated_series(frame, spec, info.starts, estimate, low, high)
    ]
    return DesignOutput(
        estimate=estimate,
        se=se,
        ci_low=low,
        ci_high=high,
        p_value=p,
        method=METHOD,
        library=inf.library(),
        assumptions=list(ASSUMPTIONS),
        warnings=warnings,
        diagnostics=Diagnostics(
            pre_trend_p=pre_p,
            pre_trend_note=pre_note,
            event_study=event_study,
            n_units=len(info.units),
            n_periods=len(info.periods),
            n_treated=len(info.treated),
            n_pre_periods=sum(t < first for t in info.periods),
            n_post_periods=sum(t >= first for t in info.periods),
            notes=notes,
        ),
        series=series,
    )
