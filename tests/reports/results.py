"""Hand-built impact results for the report tests (numbers made up, shaped as the designs return them) and
the context of a report."""

from __future__ import annotations

from datetime import date

from bettercities.impact.schemas import (
    Aggregation,
    Design,
    Diagnostics,
    EstimateResult,
    EstimateSpec,
    EventTimePoint,
    GroupTime,
    PlaceboResult,
    SeriesPoint,
    Verdict,
)
from bettercities.indicators.schemas import Polarity
from bettercities.reports.impact import ImpactReportContext, PlanStatus


def series(effect: float, *, start: int = 2018, first: int = 2012, last: int = 2023) -> list[SeriesPoint]:
    points = []
    for t in range(first, last + 1):
        base = 20 - 0.3 * (t - first)
        treated = t >= start
        observed = base + (effect if treated else 0.0) + (0.2 if t % 2 else -0.2)
        points.append(
            SeriesPoint(
                time=t,
                observed=round(observed, 3),
                counterfactual=round(base, 3),
                ci_low=round(base - 0.8, 3) if treated else None,
                ci_high=round(base + 0.8, 3) if treated else None,
                treated=treated,
            )
        )
    return points


def did_result(
    verdict: Verdict = Verdict.BETTER,
    estimate: float = -2.1,
    ci: tuple[float, float] = (-3.0, -1.2),
    polarity: Polarity | None = Polarity.HIGHER_IS_WORSE,
) -> EstimateResult:
    spec = EstimateSpec(
        design=Design.DID, unit="area", time="year", outcome="rate", treatment="treated", polarity=polarity
    )
    return EstimateResult(
        design=Design.DID,
        spec=spec,
        estimate=estimate,
        se=0.45,
        ci_low=ci[0],
        ci_high=ci[1],
        p_value=0.0001,
        verdict=verdict,
        evidence_level=3,
        evidence_reason=(
            "Before/after comparison with untreated comparison areas; parallel pre-trends not rejected."
        ),
        method="2x2 difference-in-differences with cluster-robust standard errors by area.",
        library="statsmodels 0.14.4",
        assumptions=[
            "Without the measure, treated and comparison areas would have followed parallel trends."
        ],
        warnings=[
            "The treated areas were chosen by this indicator: part of the change may be regression to "
            "the mean."
        ],
        diagnostics=Diagnostics(
            pre_trend_p=0.42,
            event_study=[
                EventTimePoint(
                    event_time=e,
                    estimate=0.0 if e == -1 else (0.1 * e if e < 0 else estimate),
                    se=None if e == -1 else 0.4,
                    ci_low=None if e == -1 else (0.1 * e if e < 0 else estimate) - 0.8,
                    ci_high=None if e == -1 else (0.1 * e if e < 0 else estimate) + 0.8,
                )
                for e in range(-5, 6)
            ],
            n_units=40,
            n_periods=12,
            n_treated=8,
            n_pre_periods=6,
            n_post_periods=6,
            notes=["Standard errors are clustered by area."],
        ),
        series=series(estimate),
    )


def synthetic_result() -> EstimateResult:
    spec = EstimateSpec(
        design=Design.SYNTHETIC_CONTROL,
        unit="region",
        time="year",
        outcome="gdpcap",
        treated_unit="Basque Country",
        treatment_start=1970,
        polarity=Polarity.HIGHER_IS_BETTER,
    )
    placebos = [
        PlaceboResult(
            unit=name,
            pre_rmspe=0.1 + 0.01 * i,
            post_rmspe=0.2 + 0.05 * i,
            ratio=(0.2 + 0.05 * i) / (0.1 + 0.01 * i),
        )
        for i, name in enumerate(
            ["Andalucia", "Aragon", "Asturias", "Baleares", "Canarias", "Cantabria", "Madrid", "Cataluna"]
        )
    ]
    return EstimateResult(
        design=Design.SYNTHETIC_CONTROL,
        spec=spec,
        estimate=-0.6,
        se=None,
        ci_low=-0.9,
        ci_high=-0.3,
        p_value=0.11,
        verdict=Verdict.WORSE,
        evidence_level=3,
        evidence_reason="Synthetic control with a good pre-period fit; placebo p-value reported.",
        method="Synthetic control on the pre-period outcomes, placebo-in-space inference.",
        library="pysyncon 1.5.1",
        assumptions=["The donor areas were not affected by the measure."],
        warnings=[],
        diagnostics=Diagnostics(
            pre_rmspe=0.09,
            post_rmspe=0.7,
            pre_outcome_sd=1.2,
            placebo_p=0.11,
            placebos=placebos,
            n_units=17,
            n_periods=43,
            n_treated=1,
            n_pre_periods=15,
            n_post_periods=28,
        ),
        series=series(-0.6, start=1970, first=1955, last=1997),
        weights={"Cataluna": 0.851, "Madrid": 0.149, "Aragon": 0.0},
    )


def report_context() -> ImpactReportContext:
    return ImpactReportContext(
        intervention="Street work in Nordstadt",
        question="Did the street-work programme lower the youth unemployment rate?",
        city="Demostadt",
        indicator="Youth unemployment rate",
        unit="%",
        decimals=1,
        areas=["Nordstadt", "Hafen"],
        comparison=["Südstadt", "Weststadt"],
        plan=PlanStatus(followed=True, version=2, registered=date(2019, 1, 15)),
        data_url="https://example.org/data/impact-1.csv",
        report_url="https://example.org/impact/1",
        generated=date(2026, 12, 3),
    )


def staggered_result() -> EstimateResult:
    """A staggered-adoption result: group-time effects and their four aggregations."""
    base = did_result()
    group_time = [
        GroupTime(group=g, time=t, att=-1.0, se=0.3, ci_low=-1.6, ci_high=-0.4)
        for g in (2016, 2018)
        for t in range(2013, 2024)
    ]
    points = [{"key": 2016, "estimate": -1.0, "se": 0.3, "ci_low": -1.6, "ci_high": -0.4}]
    aggregations = {
        kind: Aggregation(kind=kind, estimate=-1.2, se=0.3, ci_low=-1.8, ci_high=-0.6, points=points * n)
        for kind, n in (("simple", 0), ("group", 2), ("dynamic", 8), ("calendar", 8))
    }
    spec = base.spec.model_copy(update={"design": Design.STAGGERED_DID, "cohort": "first_treated"})
    return base.model_copy(
        update={
            "design": Design.STAGGERED_DID,
            "spec": spec,
            "group_time": group_time,
            "aggregations": aggregations,
        }
    )
