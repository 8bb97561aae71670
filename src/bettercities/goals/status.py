r"""Pure kernels of a goal's progress: the trajectory, the status, the detectable change.

**Trajectory.** A straight line from the baseline :math:`b` at the baseline period's reference date
:math:`t_0` (the period's last day) to the target :math:`g` at the deadline :math:`T`:

.. math:: e(t) = b + (g - b)\,\frac{\min(t, T) - t_0}{T - t_0}

**Status.** With the good direction :math:`d` (+1 where higher is better, -1 where higher is worse; for a
*neutral* indicator the goal's own direction, :math:`\operatorname{sign}(g - b)`: the planner said where
the value should go) and the latest value :math:`y` at :math:`t` (newer than the baseline):

* ``achieved`` when :math:`d\,(y - g) \ge 0` (the target is reached or passed in the good direction),
* ``on_track`` when :math:`d\,(y - e(t)) \ge 0` (at or better than the trajectory),
* ``off_track`` otherwise,
* ``no_new_data`` when nothing newer than the baseline is there.

A neutral goal whose target equals its baseline (hold the value) has :math:`d = 0`: it is achieved while
the value equals the target and off track otherwise (give the indicator a polarity to judge more finely).

**Detectable change.** See :func:`detectable_change`.

Example
-------
>>> from datetime import date
>>> e = trajectory(31.4, 25.0, date(2024, 12, 31), date(2030, 12, 31), date(2026, 12, 31))
>>> round(e, 3)
29.268
>>> status(latest=29.0, expected=e, target=25.0, direction=-1).value
'on_track'
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from datetime import date

from bettercities.goals.schemas import GoalStatus
from bettercities.indicators.schemas import Polarity

__all__ = [
    "ALPHA",
    "detectable_change",
    "direction",
    "status",
    "trajectory",
    "wrong_side",
    "year_to_year",
]

#: Significance level of the detectable change (two-sided 95 %).
ALPHA = 0.05
#: Tolerance of the comparisons (values read back from storage in floating point).
_EPS = 1e-9


def direction(polarity: Polarity | str, baseline: float, target: float) -> int:
    """The good direction of a goal: +1 (up is better), -1 (down is better) or 0 (neutral, hold)."""
    polarity = Polarity(polarity)
    if polarity is Polarity.HIGHER_IS_BETTER:
        return 1
    if polarity is Polarity.HIGHER_IS_WORSE:
        return -1
    return 0 if math.isclose(target, baseline, abs_tol=_EPS) else (1 if target > baseline else -1)


def wrong_side(polarity: Polarity | str, baseline: float, target: float) -> bool:
    """Whether the target lies on the worse side of the baseline (or on it) for an indicator with a
    polarity; a neutral indicator has no worse side."""
    polarity = Polarity(polarity)
    if polarity is Polarity.NEUTRAL:
        return False
    good = 1 if polarity is Polarity.HIGHER_IS_BETTER else -1
    return good * (target - baseline) <= _EPS


def trajectory(baseline: float, target: float, start: date, deadline: date, at: date) -> float:
    """The value on the straight line from ``baseline`` at ``start`` to ``target`` at ``deadline``, at
    ``at`` (the baseline before ``start``, the target after ``deadline``)."""
    span = (deadline - start).days
    if span <= 0:
        raise ValueError("the deadline must be after the baseline's reference date")
    share = min(max((at - start).days / span, 0.0), 1.0)
    return baseline + (target - baseline) * share


def status(*, latest: float | None, expected: float | None, target: float, direction: int) -> GoalStatus:
    """The status of a latest value against the target and the trajectory value then (module docs)."""
    if latest is None or expected is None:
        return GoalStatus.NO_NEW_DATA
    if direction == 0:
        return GoalStatus.ACHIEVED if math.isclose(latest, target, abs_tol=_EPS) else GoalStatus.OFF_TRACK
    if direction * (latest - target) >= -_EPS:
        return GoalStatus.ACHIEVED
    if direction * (latest - expected) >= -_EPS:
        return GoalStatus.ON_TRACK
    return GoalStatus.OFF_TRACK


def year_to_year(values: Sequence[float]) -> list[float]:
    """Differences of consecutive values of a series (oldest first)."""
    return [b - a for a, b in itertools.pairwise(values)]


def detectable_change(values: Sequence[float], *, alpha: float = ALPHA) -> float | None:
    r"""The smallest change between two values of a series that can be told from its year-to-year noise.

    The minimum detectable change (MDC, also *smallest detectable change*) of a two-point comparison:

    .. math:: \mathrm{MDC} = z_{1-\alpha/2}\,\sqrt{2}\,\hat\sigma_e,
              \qquad \hat\sigma_e = \mathrm{SD}(\Delta y)/\sqrt{2}
              \quad\Rightarrow\quad \mathrm{MDC} = z_{1-\alpha/2}\,\mathrm{SD}(\Delta y)

    where :math:`\Delta y_t = y_t - y_{t-1}` are the year-to-year differences of the group's past values
    and SD their sample standard deviation (:math:`n-1`). With :math:`y_t = \mu_t + e_t` and independent
    noise of variance :math:`\sigma_e^2`, a difference of two values carries noise of variance
    :math:`2\sigma_e^2`; taking the SD of the differences around their mean removes a steady trend, so
    :math:`\hat\sigma_e` estimates the noise, not the trend.

    Why this version: a goal's status compares two values (the latest with the trajectory and the target,
    both anchored at the baseline value), so the noise that matters is that of a difference of two values,
    whatever the years between them; a trend fitted over the years to the deadline would judge a
    regression slope the status never uses. The MDC is conservative for autocorrelated noise (the
    differences then vary less) and needs at least three past values (two differences).

    Parameters
    ----------
    values
        The group's past values, oldest first, one per period of the baseline's kind.
    alpha
        Two-sided significance level (0.05: :math:`z = 1.96`).

    Returns
    -------
    float or None
        The MDC, in the indicator's unit; ``None`` with fewer than three values.

    References
    ----------
    Weir, J. P. (2005). Quantifying test-retest reliability using the intraclass correlation coefficient
    and the SEM. *Journal of Strength and Conditioning Research*, 19(1), 231-240 (MDC = SEM × 1.96 × √2).
    de Vet, H. C. W., Terwee, C. B., Knol, D. L., Bouter, L. M. (2006). When to use agreement versus
    reliability measures. *Journal of Clinical Epidemiology*, 59(10), 1033-1039 (smallest detectable change).

    Examples
    --------
    >>> round(detectable_change([30.0, 31.0, 30.5, 31.4]), 4)  # differences 1.0, -0.5, 0.9
    1.6437
    >>> detectable_change([30.0, 31.0]) is None
    True
    """
    diffs = year_to_year(values)
    if len(diffs) < 2:
        return None
    z = statistics.NormalDist().inv_cdf(1 - alpha / 2)
    return z * statistics.stdev(diffs)
