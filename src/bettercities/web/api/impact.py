"""``/api/cities/{slug}/interventions``: the impact register (JSON). Interventions with their treated areas,
linked indicators and goals; evaluation plans registered before the results (each change a new, locked
version); evaluation runs with their typed result (estimate, interval, verdict, evidence label, diagnostics),
whether they followed the plan, and the panel they read (CSV). Writes need the permission ``edit``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from bettercities.access.policy import Permission, audience_for
from bettercities.goals.progress import FixedViewer
from bettercities.impact import evaluation, queries, service
from bettercities.impact.register_schemas import (
    InterventionIn,
    InterventionOut,
    PlanIn,
    PlanOut,
    RunIn,
    RunOut,
)
from bettercities.publication import Audience
from bettercities.web.deps import DbId, PrincipalDep, ReaderDep, WorkspaceDep, city_with, requires
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api", tags=["impact"], responses=PROBLEM_RESPONSES)

BASE = "/cities/{slug}/interventions"


@router.get(
    BASE,
    response_model=list[InterventionOut],
    summary="A city's interventions",
    description=(
        "Each intervention with its treated areas, period, budget (cents), responsible unit, linked "
        "indicators and goals, its evaluation plan versions and the evaluation runs the caller may see. "
        "Links to indicators the caller may not see are left out."
    ),
)
def interventions(slug: str, reader: ReaderDep) -> list[InterventionOut]:
    return queries.visible_interventions(reader, slug)


@router.get(f"{BASE}/{{intervention_id}}", response_model=InterventionOut, summary="One intervention")
def intervention(slug: str, intervention_id: DbId, reader: ReaderDep) -> InterventionOut:
    return queries.visible_intervention(reader, slug, intervention_id)


@router.post(
    BASE,
    response_model=InterventionOut,
    status_code=201,
    summary="Register an intervention",
    description=(
        "Needs the permission `edit` in the city. Areas are given as goals give theirs: "
        '`{"kind": "priority_set", "value": NAME}`, `{"kind": "level", …}` or `{"kind": "areas", "value": '
        '"A,B"}`. Refused input answers 422 with every problem.'
    ),
    dependencies=[Depends(requires(Permission.EDIT))],
)
def add_intervention(
    slug: str, body: InterventionIn, workspace: WorkspaceDep, principal: PrincipalDep
) -> InterventionOut:
    with workspace.database.session() as session:
        city = city_with(session, principal, slug, Permission.EDIT)
        own = audience_for(principal, city.id)
        added = service.add_intervention(session, city, body, actor=principal.name, audience=own)
        return queries.visible_intervention(FixedViewer(session, own), slug, added)


@router.delete(
    f"{BASE}/{{intervention_id}}",
    status_code=204,
    response_class=Response,
    summary="Remove an intervention with its plan versions and runs",
    dependencies=[Depends(requires(Permission.EDIT))],
)
def remove_intervention(
    slug: str, intervention_id: DbId, workspace: WorkspaceDep, principal: PrincipalDep
) -> Response:
    with workspace.database.session() as session:
        city = city_with(session, principal, slug, Permission.EDIT)
        service.remove_intervention(session, city, intervention_id)
    return Response(status_code=204)


@router.get(
    f"{BASE}/{{intervention_id}}/plans",
    response_model=list[PlanOut],
    summary="Every registered version of an intervention's evaluation plan, oldest first",
)
def plans(slug: str, intervention_id: DbId, reader: ReaderDep) -> list[PlanOut]:
    return queries.visible_intervention(reader, slug, intervention_id).plans


@router.post(
    f"{BASE}/{{intervention_id}}/plans",
    response_model=PlanOut,
    status_code=201,
    summary="Register (the next version of) an evaluation plan",
    description=(
        "Needs the permission `edit`. A registered version is never changed: every post stores the next "
        "version, and the audit log records who registered it. Evaluation runs say whether they followed the "
        "latest version registered before them."
    ),
    dependencies=[Depends(requires(Permission.EDIT))],
)
def register_plan(
    slug: str, intervention_id: DbId, body: PlanIn, workspace: WorkspaceDep, principal: PrincipalDep
) -> PlanOut:
    with workspace.database.session() as session:
        city = city_with(session, principal, slug, Permission.EDIT)
        return service.register_plan(
            session,
            city,
            intervention_id,
            body,
            actor=principal.name,
            audience=audience_for(principal, city.id),
        )


@router.post(
    f"{BASE}/{{intervention_id}}/evaluations",
    response_model=RunOut,
    status_code=201,
    summary="Run an evaluation (by the plan, or with settings that depart from it)",
    description=(
        "Needs the permission `edit`. Reads the published values as the public sees them (withheld and "
        "perturbed cells never enter), estimates with the plan's design (settings given in the body override "
        "the plan's, and the run then says that it did not follow the plan) and stores the run. A panel the "
        "design cannot use answers 422 with its problems."
    ),
    dependencies=[Depends(requires(Permission.EDIT))],
)
def run_evaluation(
    slug: str, intervention_id: DbId, body: RunIn, workspace: WorkspaceDep, principal: PrincipalDep
) -> RunOut:
    with workspace.database.session() as session:
        city = city_with(session, principal, slug, Permission.EDIT)
        run_id = evaluation.evaluate(session, city, intervention_id, body, actor=principal.name)
        return queries.visible_run(FixedViewer(session, Audience.PUBLIC), slug, intervention_id, run_id)


@router.get(
    f"{BASE}/{{intervention_id}}/evaluations/{{evaluation_id}}",
    response_model=RunOut,
    summary="One evaluation run with its result",
)
def run(slug: str, intervention_id: DbId, evaluation_id: DbId, reader: ReaderDep) -> RunOut:
    return queries.visible_run(reader, slug, intervention_id, evaluation_id)


@router.get(
    f"{BASE}/{{intervention_id}}/evaluations/{{evaluation_id}}/panel.csv",
    response_class=Response,
    summary="The panel an evaluation run estimated on (CSV)",
    responses={200: {"content": {"text/csv": {}}, "description": "unit, period, time, outcome, treated, …"}},
)
def run_panel(slug: str, intervention_id: DbId, evaluation_id: DbId, reader: ReaderDep) -> Response:
    body = queries.run_csv(reader, slug, intervention_id, evaluation_id)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="{_filename(slug, intervention_id, evaluation_id)}"'
        },
    )


def _filename(slug: str, intervention_id: int, run_id: int) -> str:
    return f"{slug}-intervention-{intervention_id}-run-{run_id}.csv"
