"""The evidence label of a design run: a level of the Maryland Scientific Methods Scale (SMS) with the reason.

The Maryland SMS (Sherman et al. 1997, *Preventing Crime*; as used by the UK What Works Centre for Local
Economic Growth, 2016) rates how well a study rules out other explanations, from 1 (a correlation or a
before/after comparison of the treated alone) to 5 (randomised). Our rules (``docs/impact.md``):

- **did / twfe / staggered-did**: 3 when the treated are compared with untreated units and the joint test of
  the pre-period event-study coefficients does not reject parallel trends (p >= 0.10); 2 when the pre-trend
  test rejects (p < 0.10) or no pre-trend test could be run (a single pre-period).
- **synthetic-control**: 3 when the pre-period fit is good (pre-RMSPE at most :data:`GOOD_FIT` times the
  standard deviation of the treated unit's pre-period outcomes, ``Diagnostics.pre_outcome_sd``) and the
  placebo p-value is reported; 2 otherwise.
- **its**: 2 with at least :data:`ITS_MIN_PRE` pre-periods (no comparison group), 1 with fewer.
- Level 4 and 5 need a comparison that is as good as random (an instrument, a discontinuity, randomisation);
  none of our designs has one, so the reason says so.
- When the treated areas were chosen by the outcome indicator (regression to the mean), the level drops by one
  (never below 1).
"""

from __future__ import annotations

from bettercities.impact.schemas import Design, Diagnostics

__all__ = ["GOOD_FIT", "ITS_MIN_PRE", "PRE_TREND_ALPHA", "good_fit", "label", "reasons"]

#: p-value of the joint pre-trend test below which parallel trends count as rejected
PRE_TREND_ALPHA = 0.10
#: fewest pre-periods for an interrupted time series to rate 2
ITS_MIN_PRE = 8
#: largest pre-RMSPE, as a share of the standard deviation of the treated unit's pre-period outcomes, that
#: counts as a good synthetic fit (the synthetic control then explains at least 75 % of their variance)
GOOD_FIT = 0.5

_NOT_RANDOM = (
    "Levels 4 and 5 need a comparison that is as good as random (randomisation, a discontinuity or an "
    "instrument); this design has none."
)


def label(design: Design, diagnostics: Diagnostics, *, selected_on_outcome: bool = False) -> tuple[int, str]:
    """The Maryland SMS level (1-5) of a run of ``design`` with ``diagnostics`` and the reason in plain
    English: fixed sentences without numbers (the numbers are in the diagnostics), so that the catalogue
    translates them (:func:`reasons` lists every one)."""
    level, reason = _base(design, diagnostics)
    if selected_on_outcome and level > 1:
        level -= 1
        reason += (
            " Lowered by one because the treated areas were chosen by this indicator"
            " (regression to the mean)."
        )
    return level, f"{reason} {_NOT_RANDOM}"


def reasons() -> list[str]:
    """Every reason :func:`label` can give (for the translation catalogue and its test)."""
    its = Diagnostics(
        n_units=1, n_periods=9, n_treated=1, n_pre_periods=8, n_post_periods=1, has_comparison=False
    )
    cases = [
        (Design.ITS, its),
        (Design.ITS, its.model_copy(update={"n_pre_periods": 1})),
        (Design.SYNTHETIC_CONTROL, its.model_copy(update={"has_comparison": True, "n_units": 3})),
        (
            Design.SYNTHETIC_CONTROL,
            its.model_copy(update={"pre_rmspe": 0.0, "pre_outcome_sd": 1.0, "placebo_p": 0.5}),
        ),
        (Design.DID, its.model_copy(update={"has_comparison": True, "n_units": 3})),
        (Design.DID, its.model_copy(update={"has_comparison": True, "n_units": 3, "pre_trend_p": 0.01})),
        (Design.DID, its.model_copy(update={"has_comparison": True, "n_units": 3, "pre_trend_p": 0.5})),
    ]
    return sorted(
        {label(design, d, selected_on_outcome=rtm)[1] for design, d in cases for rtm in (False, True)}
    )


def good_fit(pre_rmspe: float | None, pre_outcome_sd: float | None) -> bool:
    """Whether a synthetic control fits the treated unit well before the start (see :data:`GOOD_FIT`); a
    treated series without spread counts as fitted only when the fit is exact."""
    if pre_rmspe is None or pre_outcome_sd is None:
        return False
    if pre_outcome_sd <= 0:
        return pre_rmspe <= 1e-12
    return pre_rmspe <= GOOD_FIT * pre_outcome_sd


def _base(design: Design, d: Diagnostics) -> tuple[int, str]:
    if design == Design.ITS and not (d.has_comparison and d.n_units > d.n_treated):
        if d.n_pre_periods < ITS_MIN_PRE:
            return 1, (
                "A time series of the treated areas alone with fewer than 8 periods before the "
                "start, so the trend without the measure is poorly known."
            )
        return 2, (
            "An interrupted time series without comparison areas, so anything else that changed "
            "at the same time would look like an effect."
        )
    if design == Design.SYNTHETIC_CONTROL:
        good = d.placebo_p is not None and good_fit(d.pre_rmspe, d.pre_outcome_sd)
        if good:
            return 3, (
                "A synthetic comparison built from untreated areas tracks the treated area closely "
                "before the start, and the placebo test across donor areas is reported."
            )
        return 2, (
            "A synthetic comparison from untreated areas, but its fit before the start is poor or "
            "no placebo test was run, so the comparison may not show what would have happened."
        )
    if d.pre_trend_p is None:
        return 2, (
            "Treated areas compared with untreated ones before and after, but there is no test of "
            "parallel trends before the start (too few periods before it)."
        )
    if d.pre_trend_p < PRE_TREND_ALPHA:
        return 2, (
            "Treated areas compared with untreated ones, but their trends before the start differ "
            "(the pre-trend test rejects parallel trends at the 10 % level), so the comparison is doubtful."
        )
    return 3, (
        "Treated areas compared with untreated ones before and after, and their trends before the "
        "start do not differ detectably (the pre-trend test does not reject parallel trends at the 10 % "
        "level)."
    )
