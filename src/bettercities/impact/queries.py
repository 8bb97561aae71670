"""Reads of the impact register that the JSON API, the pages, their JSON twins and the CLI share: a city's
interventions, one intervention with its plan versions and runs, one run with its result, and the panel a run
read (CSV), each as the viewer's audience may see them.

An intervention itself (what, where, when, by whom) is visible to everyone who may see the city. A linked
indicator, a plan version or a run on an indicator the viewer's audience may not see is left out, and so is a
run computed from a wider audience's view of the data than the viewer's (a run read as the data team sees the
data is the data team's only): a withheld cell never reaches a public result.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.analysis.priority.service import visible_to
from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.core.errors import NotFound
from bettercities.goals.models import Goal
from bettercities.goals.schemas import AreaSelection
from bettercities.impact import evaluation, service
from bettercities.impact.models import (
    EvaluationPlan,
    EvaluationRun,
    Intervention,
    InterventionArea,
    InterventionGoal,
    InterventionIndicator,
)
from bettercities.impact.register_schemas import (
    Departure,
    GoalRef,
    IndicatorRef,
    InterventionOut,
    PlanOut,
    RunOut,
    RunSettings,
    RunSummary,
)
from bettercities.impact.schemas import EstimateResult
from bettercities.indicators.models import Indicator
from bettercities.publication import withheld_indicators
from bettercities.publication.viewer import Viewer

__all__ = ["run_csv", "visible_intervention", "visible_interventions", "visible_run"]


def _hidden(viewer: Viewer, city: City) -> set[int]:
    return set(
        withheld_indicators(
            viewer.session, city.id, audience=viewer.audience(city.id), networks=viewer.networks(city.id)
        )
    )


def _sees(viewer: Viewer, city: City, run: EvaluationRun, hidden: set[int]) -> bool:
    return run.indicator_id not in hidden and visible_to(run.audience, viewer.audience(city.id))


def _summary(session: Session, run: EvaluationRun) -> RunSummary:
    indicator = session.get(Indicator, run.indicator_id)
    assert indicator is not None
    return RunSummary(
        id=run.id, created_at=run.created_at, design=run.design, indicator=indicator.code,
        verdict=run.verdict, evidence_level=run.evidence_level, estimate=run.estimate,
        followed_plan=run.followed_plan, plan_version=run.plan_version, audience=run.audience,
    )  # fmt: skip


def _out(viewer: Viewer, city: City, row: Intervention, *, detail: bool) -> InterventionOut:
    session = viewer.session
    hidden = _hidden(viewer, city)
    codes = sorted(
        session.scalars(select(InterventionArea.area_code).where(InterventionArea.intervention_id == row.id))
    )
    linked = session.scalars(
        select(Indicator)
        .join(InterventionIndicator, InterventionIndicator.indicator_id == Indicator.id)
        .where(InterventionIndicator.intervention_id == row.id)
        .order_by(Indicator.code)
    ).all()
    goals = session.execute(
        select(Goal.id, Goal.title, Goal.indicator_id)
        .join(InterventionGoal, InterventionGoal.goal_id == Goal.id)
        .where(InterventionGoal.intervention_id == row.id)
        .order_by(Goal.id)
    ).all()
    plans: list[PlanOut] = []
    runs: list[RunSummary] = []
    if detail:
        plans = [
            service.plan_out(session, p)
            for p in session.scalars(
                select(EvaluationPlan)
                .where(EvaluationPlan.intervention_id == row.id)
                .order_by(EvaluationPlan.version)
            )
            if p.indicator_id not in hidden
        ]
        runs = [
            _summary(session, r)
            for r in session.scalars(
                select(EvaluationRun)
                .where(EvaluationRun.intervention_id == row.id)
                .order_by(EvaluationRun.id.desc())
            )
            if _sees(viewer, city, r, hidden)
        ]
    set_name = service.set_names(session, [row.priority_set_id] if row.priority_set_id else [])
    return InterventionOut(
        id=row.id,
        city=city.slug,
        name=row.name,
        description=row.description,
        kind=row.kind,
        areas=AreaSelection(kind=row.selection_kind, value=row.selection_value),
        level=row.level_code,
        area_codes=codes,
        priority_set=set_name.get(row.priority_set_id) if row.priority_set_id else None,
        start_period=row.start_period,
        end_period=row.end_period,
        budget_cents=row.budget_cents,
        currency=row.currency,
        responsible_unit=row.responsible_unit,
        indicators=[
            IndicatorRef(code=i.code, name=i.name_en, name_de=i.name_de) for i in linked if i.id not in hidden
        ],
        goals=[GoalRef(id=g.id, title=g.title) for g in goals if g.indicator_id not in hidden],
        plans=plans,
        runs=runs,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def visible_interventions(viewer: Viewer, slug: str) -> list[InterventionOut]:
    """The city's interventions, oldest first, each with its plan versions and the runs the viewer may see."""
    city = areas.get_city(viewer.session, slug)
    rows = viewer.session.scalars(
        select(Intervention).where(Intervention.city_id == city.id).order_by(Intervention.id)
    ).all()
    return [_out(viewer, city, row, detail=True) for row in rows]


def visible_intervention(viewer: Viewer, slug: str, intervention_id: int) -> InterventionOut:
    """One intervention; :class:`NotFound` for an id of another city."""
    city = areas.get_city(viewer.session, slug)
    row = service.get_intervention_row(viewer.session, city, intervention_id)
    return _out(viewer, city, row, detail=True)


def _run_row(viewer: Viewer, slug: str, intervention_id: int, run_id: int) -> tuple[City, EvaluationRun]:
    city = areas.get_city(viewer.session, slug)
    row = service.get_intervention_row(viewer.session, city, intervention_id)
    run = viewer.session.scalar(
        select(EvaluationRun).where(EvaluationRun.id == run_id, EvaluationRun.intervention_id == row.id)
    )
    if run is None or not _sees(viewer, city, run, _hidden(viewer, city)):
        raise NotFound("evaluation run", f"{slug}/{intervention_id}/{run_id}")
    return city, run


def visible_run(viewer: Viewer, slug: str, intervention_id: int, run_id: int) -> RunOut:
    """One run with its result; :class:`NotFound` also for a run the viewer may not see."""
    city, run = _run_row(viewer, slug, intervention_id, run_id)
    session = viewer.session
    intervention = session.get(Intervention, run.intervention_id)
    indicator = session.get(Indicator, run.indicator_id)
    assert intervention is not None and indicator is not None
    settings = json.loads(run.settings)
    departures = [Departure.model_validate(d) for d in json.loads(run.differences)]
    return RunOut(
        id=run.id,
        city=city.slug,
        intervention_id=intervention.id,
        intervention=intervention.name,
        plan_version=run.plan_version,
        followed_plan=run.followed_plan,
        differences=[evaluation.describe(d) for d in departures],
        departures=departures,
        settings=RunSettings.model_validate(settings),
        indicator_name=indicator.name_en,
        indicator_name_de=indicator.name_de,
        unit=indicator.unit or None,
        audience=run.audience,
        data_version=run.data_version,
        treated_areas=settings.get("treated", []),
        comparison_areas=settings.get("comparison_areas", []),
        withheld_cells=settings.get("withheld", 0),
        left_out_areas=settings.get("left_out", []),
        notes=evaluation.notes(settings.get("withheld", 0), settings.get("left_out", []), run.audience),
        result=EstimateResult.model_validate_json(run.result),
        created_by=run.created_by,
        created_at=run.created_at,
    )


def run_csv(viewer: Viewer, slug: str, intervention_id: int, run_id: int) -> str:
    """The panel a run estimated on, as CSV (what the viewer may see of the run, nothing more: the panel was
    read for the run's audience, which the viewer's includes)."""
    _, run = _run_row(viewer, slug, intervention_id, run_id)
    return run.panel
