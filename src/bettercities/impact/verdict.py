"""The plain-language verdict of an estimate: better, worse or no detectable change (see ``docs/impact.md``).

The interval decides, not the point estimate: when it includes zero the verdict is *no detectable change*;
otherwise the sign of the estimate, read with the indicator's polarity (higher is better/worse), gives
*better* or *worse*; without a polarity (unknown or neutral) it is *increase* or *decrease*. When the design
reports a p-value that does not reach the significance level (``p >= alpha``), nothing is detectable either:
a synthetic control's placebo interval can exclude zero while its permutation p-value, with few donors,
cannot reject.
"""

from __future__ import annotations

import math

from bettercities.impact.schemas import Verdict
from bettercities.indicators.schemas import Polarity

__all__ = ["verdict"]


def verdict(
    estimate: float,
    ci_low: float | None,
    ci_high: float | None,
    polarity: Polarity | None,
    *,
    p_value: float | None = None,
    alpha: float = 0.05,
) -> Verdict:
    """The verdict of ``estimate`` with interval ``[ci_low, ci_high]``.

    Without an interval (or with one that is not finite) nothing is detectable: the verdict is
    *no detectable change*.

    >>> verdict(-0.02, -0.03, -0.01, Polarity.HIGHER_IS_BETTER)
    <Verdict.WORSE: 'worse'>
    >>> verdict(-0.02, -0.05, 0.01, Polarity.HIGHER_IS_BETTER)
    <Verdict.NO_DETECTABLE_CHANGE: 'no_detectable_change'>
    >>> verdict(-0.8, -1.8, -0.1, Polarity.HIGHER_IS_BETTER, p_value=0.44)
    <Verdict.NO_DETECTABLE_CHANGE: 'no_detectable_change'>
    """
    if ci_low is None or ci_high is None or not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return Verdict.NO_DETECTABLE_CHANGE
    if ci_low <= 0 <= ci_high or not math.isfinite(estimate) or estimate == 0:
        return Verdict.NO_DETECTABLE_CHANGE
    if p_value is not None and not p_value < alpha:  # also NaN
        return Verdict.NO_DETECTABLE_CHANGE
    up = estimate > 0
    if polarity == Polarity.HIGHER_IS_BETTER:
        return Verdict.BETTER if up else Verdict.WORSE
    if polarity == Polarity.HIGHER_IS_WORSE:
        return Verdict.WORSE if up else Verdict.BETTER
    return Verdict.INCREASE if up else Verdict.DECREASE
