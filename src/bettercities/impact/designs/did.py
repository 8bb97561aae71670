"""Before/after with comparison areas: the 2x2 difference-in-differences.

.. math::

    y_{it} = \\beta_0 + \\beta_1 G_i + \\beta_2 P_t + \\delta\\, G_i P_t + \\gamma' x_{it} + \\varepsilon_{it}

with :math:`G_i` = 1 for the treated units and :math:`P_t` = 1 from the (common) start on, every unit-period
row pooled. Without covariates :math:`\\hat\\delta` is the four-means formula

.. math::

    \\hat\\delta = (\\bar y_{T,\\text{after}} - \\bar y_{T,\\text{before}})
                - (\\bar y_{C,\\text{after}} - \\bar y_{C,\\text{before}})

(Angrist & Pischke 2009, *Mostly Harmless Econometrics*, ch. 5.2). Standard errors are clustered by unit
(:mod:`._inference`); with more than two periods an event study with unit and period effects gives the
pre-trend test.

>>> import pandas as pd
>>> from bettercities.impact.schemas import EstimateSpec
>>> frame = pd.DataFrame({"unit": list("aabbcc"), "t": [1, 2] * 3, "y": [1.0, 3.0, 1.0, 1.5, 2.0, 2.5],
...                       "d": [0, 1, 0, 0, 0, 0]})
>>> spec = EstimateSpec(design="did", unit="unit", time="t", outcome="y", treatment="d")
>>> round(run(frame.astype({"d": float}), spec).estimate, 6)  # (3 - 1) - ((1.5 + 2.5)/2 - (1 + 2)/2)
1.5
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from bettercities.impact.designs import _inference as inf
from bettercities.impact.panel import treatment_of
from bettercities.impact.schemas import DesignOutput, Diagnostics, SeriesPoint, Term

if TYPE_CHECKING:
    from bettercities.impact.schemas import EstimateSpec, EventTimePoint

__all__ = ["run"]

POOLED_NOTE = (
    "All periods before the start and all periods from the start on are pooled into before and after."
)
TWO_PERIODS_NOTE = "No pre-trend test: the panel has one period before and one after the start."
TERM_GROUP = "difference treated - comparison before the start"
TERM_AFTER = "change of the comparison areas after the start"
METHOD = (
    "Difference-in-differences: the change in the treated areas from before to after the start, "
    "minus the change in the comparison areas over the same time (ordinary least squares, standard "
    "errors clustered by area)."
)
ASSUMPTIONS = [
    "Parallel trends: without the measure, the treated and the comparison areas would have changed by the "
    "same amount.",
    "No anticipation: the treated areas did not change before the start because the measure was coming.",
    "No spillovers: the measure did not change the comparison areas.",
    "The areas and how the indicator is measured stay the same before and after.",
]


def run(frame: pd.DataFrame, spec: EstimateSpec) -> DesignOutput:
    """The 2x2 difference-in-differences of ``frame`` (see the module)."""
    info = treatment_of(frame, spec)
    start = min(info.starts.values())
    data = frame.copy()
    group = data[spec.unit].isin(info.treated).astype("float64")
    after = (data[spec.time] >= start).astype("float64")
    x = pd.DataFrame(
        {
            "const": 1.0,
            "group": group.to_numpy(),
            "after": after.to_numpy(),
            "did": (group * after).to_numpy(),
        }
    )
    for covariate in spec.covariates:
        x[covariate] = data[covariate].to_numpy()
    fit = inf.cluster_ols(data[spec.outcome].to_numpy(), x, data[spec.unit], absorbed=0)
    estimate = fit.estimate("did")
    se, low, high, p = fit.interval("did", spec.alpha)
    terms = []
    for name, label in (("group", TERM_GROUP), ("after", TERM_AFTER)):
        t_se, t_low, t_high, t_p = fit.interval(name, spec.alpha)
        terms.append(
            Term(name=label, estimate=fit.estimate(name), se=t_se, ci_low=t_low, ci_high=t_high, p_value=t_p)
        )

    pre = [t for t in info.periods if t < start]
    post = [t for t in info.periods if t >= start]
    notes = [POOLED_NOTE]
    event_study: list[EventTimePoint] = []
    pre_p: float | None = None
    if len(info.periods) > 2:
        event_study, pre_p, pre_note = inf.event_study(frame, spec, info.starts)
    else:
        pre_note = TWO_PERIODS_NOTE
    warnings = [w for w in [inf.few_clusters(len(info.treated), len(info.untreated))] if w]
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
            n_pre_periods=len(pre),
            n_post_periods=len(post),
            terms=terms,
            notes=notes,
        ),
        series=series,
    )
