"""Staggered adoption: Callaway & Sant'Anna (2021) group-time average treatment effects and their
aggregations, computed by ``diff-diff`` (MIT).

Units first treated in period :math:`g` form cohort :math:`g`. For every cohort and period

.. math::

    ATT(g, t) = E[Y_t - Y_{g-1} \\mid G = g] - E[Y_t - Y_{g-1} \\mid C = 1]

where :math:`C` are the comparison units: the never-treated ones, or those not yet treated by :math:`t`
(``spec.control_group``); before the start, :math:`t < g`, the base period is :math:`t - 1` ("varying",
as R ``did::att_gt``). Without covariates this is the 2x2 difference-in-differences of cohort :math:`g`
against the comparison units between :math:`g-1` and :math:`t`; with covariates ``diff-diff``'s default
doubly robust estimator (Sant'Anna & Zhao 2020) conditions on their values in the base period.

Aggregations (Callaway & Sant'Anna 2021, section 3; R ``did::aggte``), with :math:`n_g` the size of cohort
:math:`g`:

- ``simple``: :math:`\\sum_{t \\ge g} n_g\\,ATT(g,t) / \\sum_{t \\ge g} n_g`, the headline estimate;
- ``group``: per cohort the mean of its post-start effects, overall their :math:`n_g`-weighted mean;
- ``dynamic``: per event time :math:`e = t - g` the :math:`n_g`-weighted mean of the cells with that
  event time, overall the mean over :math:`e \\ge 0`;
- ``calendar``: per period :math:`t` the :math:`n_g`-weighted mean over the cohorts treated by then,
  overall the mean over those periods.

Standard errors come from the influence functions of the cells (with the adjustment for the estimated
cohort shares, as R ``did``); ``diff-diff`` has no calendar aggregation, so it is combined here from the
same influence functions with ``diff-diff``'s own combiner. Intervals are normal (level ``1 - alpha``).
The pre-trend test is the joint Wald test (chi-squared) that the event-time effects before the start are
all zero.

Reference: Callaway, B. & Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time
periods. *Journal of Econometrics* 225(2), 200-230.
"""

from __future__ import annotations

import warnings as _warnings
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report
from bettercities.impact.panel import treatment_of
from bettercities.impact.schemas import (
    Aggregation,
    ControlGroup,
    DesignOutput,
    Diagnostics,
    EventTimePoint,
    GroupTime,
    SeriesPoint,
)

if TYPE_CHECKING:
    import pandas as pd

    from bettercities.impact.schemas import EstimateSpec

__all__ = [
    "ASSUMPTIONS",
    "COHORTS_NOTE",
    "METHOD",
    "NO_PRE_TREND_NOTE",
    "PRE_TREND_NOTE",
    "aggregations",
    "run",
]

ASSUMPTIONS = [
    "Parallel trends: without the measure, each group of areas that started in the same period would have "
    "changed like the comparison areas.",
    "No anticipation: areas did not change before their start because the measure was coming.",
    "Once started, the measure stays in place (staggered adoption).",
    "No spillovers: the measure did not change the comparison areas.",
]

METHOD = (
    "Staggered difference-in-differences (Callaway & Sant'Anna): for each group of areas that started in "
    "the same period and each later period, the change since the period before their start is compared "
    "with the change in the comparison areas; these group-time effects are then averaged, weighted by "
    "group size. Standard errors from influence functions."
)

COHORTS_NOTE = (
    "Each group of areas that started in the same period is compared with the comparison areas separately; "
    "the group-time effects are listed with the result."
)
PRE_TREND_NOTE = "Joint test that the effects before the start (event time < 0) are all zero."
NO_PRE_TREND_NOTE = "No pre-trend test: no group of areas has two or more periods before its start."

_CONTROL = {ControlGroup.NEVER_TREATED: "never_treated", ControlGroup.NOT_YET_TREATED: "not_yet_treated"}


def library() -> str:
    from importlib.metadata import version

    return f"diff-diff {version('diff-diff')}"


def run(frame: pd.DataFrame, spec: EstimateSpec) -> DesignOutput:
    """Callaway & Sant'Anna ATT(g, t) and its four aggregations for ``frame`` (see the module)."""
    from diff_diff import CallawaySantAnna

    assert spec.cohort is not None
    info = treatment_of(frame, spec)
    data = frame.copy()
    data[spec.cohort] = data[spec.cohort].astype("int64")
    estimator = CallawaySantAnna(control_group=_CONTROL[spec.control_group], alpha=spec.alpha)
    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        try:
            fit = estimator.fit(
                data,
                outcome=spec.outcome,
                unit=spec.unit,
                time=spec.time,
                first_treat=spec.cohort,
                covariates=list(spec.covariates) or None,
            )
        except (ValueError, np.linalg.LinAlgError) as exc:
            problem = Problem(
                code="impact-estimation-failed", message=f"staggered-did: {exc}", column=spec.cohort
            )
            raise InvalidInput(problem.message, Report(source=spec.design.value, problems=[problem])) from exc
        cells, aggs, event_study, pre_p = _results(fit, spec.alpha)
    library_notes = sorted(
        {str(w.message).split("\n")[0] for w in caught if issubclass(w.category, UserWarning)}
    )

    simple = aggs["simple"]
    if simple.se is None or not np.isfinite(simple.estimate):
        problem = Problem(
            code="impact-estimation-failed",
            message="staggered-did: no effect after a start could "
            "be estimated (every cohort lacks comparison units or periods after its start)",
            column=spec.cohort,
        )
        raise InvalidInput(problem.message, Report(source=spec.design.value, problems=[problem]))
    p_value = _normal_p(simple.estimate, simple.se)

    first_start = min(info.starts.values())
    pre = [t for t in info.periods if t < first_start]
    post = [t for t in info.periods if t >= first_start]
    notes = [COHORTS_NOTE]
    pre_note = PRE_TREND_NOTE if pre_p is not None else NO_PRE_TREND_NOTE
    return DesignOutput(
        estimate=simple.estimate,
        se=simple.se,
        ci_low=simple.ci_low,
        ci_high=simple.ci_high,
        p_value=p_value,
        method=METHOD,
        library=library(),
        assumptions=list(ASSUMPTIONS),
        warnings=[f"diff-diff: {n}" for n in library_notes],
        diagnostics=Diagnostics(
            pre_trend_p=pre_p,
            pre_trend_note=pre_note,
            event_study=event_study,
            n_units=len(info.units),
            n_periods=len(info.periods),
            n_treated=len(info.treated),
            n_pre_periods=len(pre),
            n_post_periods=len(post),
            notes=notes,
        ),
        series=_series(frame, spec, info.starts, aggs["calendar"], spec.alpha),
        group_time=cells,
        aggregations=aggs,
    )


# -- results of diff-diff ----------------------------------------------------------------------------------


def _results(
    fit: Any, alpha: float
) -> tuple[list[GroupTime], dict[str, Aggregation], list[EventTimePoint], float | None]:
    """Cells, aggregations, event study and pre-trend p-value of a fitted ``CallawaySantAnnaResults``."""
    cells = [
        GroupTime(group=int(g), time=int(t), att=float(d["effect"]), **_interval(d["effect"], d["se"], alpha))
        for (g, t), d in sorted(fit.group_time_effects.items())
        if np.isfinite(d["effect"])
    ]
    es = fit.aggregate("event_study")
    return cells, aggregations(fit, alpha, es), *_event_study(es, alpha)


def aggregations(fit: Any, alpha: float, es: Any = None) -> dict[str, Aggregation]:
    """The simple, group, dynamic and calendar aggregations of a fitted ``CallawaySantAnnaResults`` (``es``:
    its event study, when already aggregated)."""
    simple = Aggregation(
        kind="simple", estimate=float(fit.overall_att), **_interval(fit.overall_att, fit.overall_se, alpha)
    )
    return {
        "simple": simple,
        "group": _group(fit, alpha),
        "dynamic": _dynamic(es if es is not None else fit.aggregate("event_study"), alpha),
        "calendar": _calendar(fit, alpha),
    }


@lru_cache(maxsize=8)
def _z(alpha: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(1 - alpha / 2))


def _interval(estimate: float, se: float | None, alpha: float) -> dict[str, float | None]:
    if se is None or not np.isfinite(se) or not np.isfinite(estimate):
        return {"se": None, "ci_low": None, "ci_high": None}
    z = _z(alpha)
    return {"se": float(se), "ci_low": float(estimate - z * se), "ci_high": float(estimate + z * se)}


def _normal_p(estimate: float, se: float | None) -> float | None:
    from scipy import stats

    if se is None or se <= 0:
        return None
    return float(2 * stats.norm.sf(abs(estimate / se)))


def _point(key: int, estimate: float, se: float | None, alpha: float) -> dict[str, float | int | None]:
    return {"key": int(key), "estimate": float(estimate), **_interval(estimate, se, alpha)}


class _Combiner:
    """Influence functions of weighted sums of ATT(g, t) cells, through ``diff-diff``'s own combiner (the
    same code its group and simple aggregations use, with the adjustment for estimated cohort shares)."""

    def __init__(self, fit: Any) -> None:
        from diff_diff.staggered_results import _KitAggregator

        self.fit = fit
        self.kit = fit._aggregation_kit
        self.aggregator = _KitAggregator(self.kit.alpha, self.kit.anticipation)

    def psi(self, cells: list[tuple[Any, Any]], weights: np.ndarray) -> np.ndarray:
        effects = np.array([self.fit.group_time_effects[c]["effect"] for c in cells], dtype=float)
        groups = np.array([g for g, _ in cells])
        _, psi, _ = self.aggregator._compute_aggregated_se_with_wif(
            cells,
            weights,
            effects,
            groups,
            self.kit.influence,
            None,
            None,
            dict(self.kit.bookkeeping),
            return_psi=True,
        )
        return np.asarray(psi, dtype=float)

    def cohort_shares(self) -> tuple[np.ndarray, dict[Any, float]]:
        """Per unit its cohort (index order of the influence functions) and each cohort's share of units."""
        book = self.kit.bookkeeping
        cohorts = np.asarray(book["unit_cohorts"])
        n = int(book.get("canonical_size", len(cohorts)))
        values, counts = np.unique(cohorts, return_counts=True)
        return cohorts, {v: c / n for v, c in zip(values.tolist(), counts.tolist(), strict=True)}


def _post_cells(fit: Any) -> list[tuple[Any, Any]]:
    return [
        (g, t) for (g, t), d in sorted(fit.group_time_effects.items()) if t >= g and np.isfinite(d["effect"])
    ]


def _group(fit: Any, alpha: float) -> Aggregation:
    """Per cohort the mean of its post-start effects; overall their mean weighted by cohort size, with the
    influence function of the weights (R ``did::aggte(type = "group")``)."""
    combiner = _Combiner(fit)
    post = _post_cells(fit)
    groups = sorted({g for g, _ in post})
    cohorts, share = combiner.cohort_shares()
    thetas, psis, points = [], [], []
    for g in groups:
        cells = [c for c in post if c[0] == g]
        weights = np.full(len(cells), 1 / len(cells))
        theta = float(sum(fit.group_time_effects[c]["effect"] for c in cells) / len(cells))
        psi = combiner.psi(cells, weights)
        thetas.append(theta)
        psis.append(psi)
        points.append(_point(g, theta, float(np.sqrt(np.sum(psi**2))), alpha))
    pg = np.array([share[g] for g in groups])
    w = pg / pg.sum()
    estimate = float(np.dot(w, thetas))
    psi_total = np.sum([wi * p for wi, p in zip(w, psis, strict=True)], axis=0)
    psi_total = psi_total + _weights_if(cohorts, groups, pg, np.array(thetas))
    return Aggregation(
        kind="group",
        estimate=estimate,
        points=points,
        **_interval(estimate, float(np.sqrt(np.sum(psi_total**2))), alpha),
    )


def _weights_if(cohorts: np.ndarray, groups: list[Any], pg: np.ndarray, thetas: np.ndarray) -> np.ndarray:
    """Influence function (divided by n) of the estimated weights pg/sum(pg) in sum_g w_g theta_g (R
    ``did:::wif``)."""
    n = len(cohorts)
    total = pg.sum()
    indicator = np.stack([(cohorts == g).astype(float) for g in groups], axis=1)  # n x k
    if1 = (indicator - pg) / total
    if2 = np.outer((indicator - pg).sum(axis=1), pg / total**2)
    return np.asarray(((if1 - if2) @ thetas) / n)


def _dynamic(es: Any, alpha: float) -> Aggregation:
    """Per event time the size-weighted mean of its cells (``diff-diff``'s event study); overall the mean
    over event times >= 0 with the event-time covariance."""
    table = es.to_dataframe()
    table = table[~table["is_reference"].astype(bool) & np.isfinite(table["att"])]
    points = [_point(int(r.event_time), float(r.att), float(r.se), alpha) for r in table.itertuples()]
    post = table[table["event_time"] >= 0]
    estimate = float(post["att"].mean())
    se: float | None = None
    if es.vcov is not None and len(post):
        index = [list(es.vcov_index).index(e) for e in post["event_time"]]
        cov = np.asarray(es.vcov)[np.ix_(index, index)]
        w = np.full(len(index), 1 / len(index))
        se = float(np.sqrt(max(w @ cov @ w, 0.0)))
    return Aggregation(kind="dynamic", estimate=estimate, points=points, **_interval(estimate, se, alpha))


def _calendar(fit: Any, alpha: float) -> Aggregation:
    """Per period t the cohort-size-weighted mean of ATT(g, t) over the cohorts treated by t; overall the
    mean over those periods (R ``did::aggte(type = "calendar")``)."""
    combiner = _Combiner(fit)
    post = _post_cells(fit)
    _, share = combiner.cohort_shares()
    thetas, psis, points = [], [], []
    for t in sorted({t for _, t in post}):
        cells = [c for c in post if c[1] == t]
        pg = np.array([share[g] for g, _ in cells])
        weights = pg / pg.sum()
        theta = float(np.dot(weights, [fit.group_time_effects[c]["effect"] for c in cells]))
        psi = combiner.psi(cells, weights)
        thetas.append(theta)
        psis.append(psi)
        points.append(_point(t, theta, float(np.sqrt(np.sum(psi**2))), alpha))
    estimate = float(np.mean(thetas))
    psi_total = np.mean(psis, axis=0)
    return Aggregation(
        kind="calendar",
        estimate=estimate,
        points=points,
        **_interval(estimate, float(np.sqrt(np.sum(psi_total**2))), alpha),
    )


def _event_study(es: Any, alpha: float) -> tuple[list[EventTimePoint], float | None]:
    """Event-time effects for the diagnostics and the joint Wald test of those before the start."""
    from scipy import stats

    table = es.to_dataframe()
    table = table[np.isfinite(table["att"])]
    points = []
    for r in table.itertuples():
        if bool(r.is_reference):
            points.append(
                EventTimePoint(event_time=int(r.event_time), estimate=0.0, se=None, ci_low=None, ci_high=None)
            )
            continue
        points.append(
            EventTimePoint(
                event_time=int(r.event_time),
                estimate=float(r.att),
                **_interval(float(r.att), float(r.se), alpha),
            )
        )
    pre = table[(table["event_time"] < 0) & ~table["is_reference"].astype(bool)]
    if es.vcov is None or len(pre) == 0:
        return points, None
    index = [list(es.vcov_index).index(e) for e in pre["event_time"]]
    b = pre["att"].to_numpy(dtype=float)
    v = np.asarray(es.vcov)[np.ix_(index, index)]
    if not np.all(np.isfinite(v)):
        return points, None
    rank = int(np.linalg.matrix_rank(v))
    if rank == 0:
        return points, None
    statistic = float(b @ np.linalg.pinv(v) @ b)
    return points, float(stats.chi2.sf(statistic, rank))


def _series(
    frame: pd.DataFrame, spec: EstimateSpec, starts: dict[str, int], calendar: Aggregation, alpha: float
) -> list[SeriesPoint]:
    """Mean outcome of all ever-treated units per period and that mean without the effect of the cohorts
    already treated: observed minus share-treated times the calendar effect (interval from its SE)."""
    import pandas as pd
    from scipy import stats

    z = float(stats.norm.ppf(1 - alpha / 2))
    treated = frame[frame[spec.unit].isin(list(starts))]
    observed = treated.groupby(spec.time)[spec.outcome].mean()
    sizes = pd.Series(list(starts.values())).value_counts()  # units per cohort
    total = float(sizes.sum())
    effect = {int(p["key"]): p for p in calendar.points}  # type: ignore[arg-type]
    series = []
    for t, y in zip(observed.index.astype(int).tolist(), observed.tolist(), strict=True):
        on = t >= min(starts.values())
        point = effect.get(t)
        if point is None:
            series.append(
                SeriesPoint(
                    time=t, observed=float(y), counterfactual=float(y) if not on else None, treated=on
                )
            )
            continue
        share = float(sizes[sizes.index <= t].sum()) / total
        cf = float(y) - share * float(point["estimate"])  # type: ignore[arg-type]
        se = point.get("se")
        low = cf - z * share * float(se) if se is not None else None
        high = cf + z * share * float(se) if se is not None else None
        series.append(
            SeriesPoint(time=t, observed=float(y), counterfactual=cf, ci_low=low, ci_high=high, treated=True)
        )
    return series
