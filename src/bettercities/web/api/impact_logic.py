"""``/api/programmes/{slug}/impact-logic``: a programme's impact logic (JSON) — boxes from inputs to impact
with their links, each box's measures with the current value, the trend over the last quarters and the
target; coordinators of a network of the programme (and platform admins) add and change boxes, links and
measures and enter the values of manual measures."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from bettercities.access.policy import Principal, require_programme_coordinator
from bettercities.impact_logic import service
from bettercities.impact_logic.schemas import (
    BoxChange,
    BoxIn,
    BoxOut,
    ImpactLogicOut,
    LinkIn,
    LinkOut,
    MeasureCode,
    MeasureIn,
    MeasureOut,
    TargetIn,
    ValueIn,
    ValueOut,
)
from bettercities.networks.history import get_programme
from bettercities.web.deps import PrincipalDep, SessionDep, WorkspaceDep
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api", tags=["impact logic"], responses=PROBLEM_RESPONSES)

OnQuery = Annotated[
    date | None,
    Query(description="Values as of this day (YYYY-MM-DD); default: today, or the programme's last day."),
]
QuartersQuery = Annotated[
    int | None,
    Query(
        ge=0,
        le=40,
        description="How many quarter ends the trend shows; default: from the quarter before the programme "
        "started (at least 4, at most 12), or 8 without a start date.",
    ),
]
WHO = "Needs to coordinate a network of the programme (or a platform admin)."


def _require(session: Session, principal: Principal, slug: str) -> None:
    require_programme_coordinator(
        principal, get_programme(session, slug).id, what="change this programme's impact logic"
    )


@router.get(
    "/programmes/{slug}/impact-logic",
    response_model=ImpactLogicOut,
    summary="A programme's impact logic with current values and trends",
    description=(
        "Boxes in stage order (inputs, activities, outputs, outcomes, impact) with their links and measures. "
        "An automatic measure is computed from the stored data as of `on` and as of the end of each of the "
        "last `quarters` quarters; one whose data are not available here says so (`available`: false) and "
        "has no value. A manual measure's value is the last one entered for a day up to then."
    ),
)
def impact_logic(
    slug: str, session: SessionDep, on: OnQuery = None, quarters: QuartersQuery = None
) -> ImpactLogicOut:
    return service.logic(session, slug, on=on, quarters=quarters)


@router.get(
    "/impact-logic/measure-codes",
    response_model=list[MeasureCode],
    summary="The automatic measures an impact logic can hold",
)
def measure_codes() -> list[MeasureCode]:
    return service.measure_codes()


@router.post(
    "/programmes/{slug}/impact-logic/boxes",
    response_model=BoxOut,
    status_code=201,
    summary="Add a box",
    description=WHO,
)
def add_box(slug: str, body: BoxIn, workspace: WorkspaceDep, principal: PrincipalDep) -> BoxOut:
    with workspace.database.session() as session:
        _require(session, principal, slug)
        return service.add_box(session, slug, body)


@router.patch(
    "/programmes/{slug}/impact-logic/boxes/{key}",
    response_model=BoxOut,
    summary="Change a box",
    description=WHO,
)
def change_box(
    slug: str, key: str, body: BoxChange, workspace: WorkspaceDep, principal: PrincipalDep
) -> BoxOut:
    with workspace.database.session() as session:
        _require(session, principal, slug)
        return service.update_box(session, slug, key, body)


@router.delete(
    "/programmes/{slug}/impact-logic/boxes/{key}",
    status_code=204,
    summary="Remove a box with its measures and links",
    description=WHO,
)
def remove_box(slug: str, key: str, workspace: WorkspaceDep, principal: PrincipalDep) -> Response:
    with workspace.database.session() as session:
        _require(session, principal, slug)
        service.remove_box(session, slug, key)
    return Response(status_code=204)


@router.post(
    "/programmes/{slug}/impact-logic/links",
    response_model=LinkOut,
    status_code=201,
    summary="Link a box to a box of a later stage",
    description=WHO,
)
def add_link(slug: str, body: LinkIn, workspace: WorkspaceDep, principal: PrincipalDep) -> LinkOut:
    with workspace.database.session() as session:
        _require(session, principal, slug)
        return service.link_boxes(session, slug, body)


@router.delete(
    "/programmes/{slug}/impact-logic/links",
    status_code=204,
    summary="Remove a link",
    description=WHO,
)
def remove_link(
    slug: str,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    source: Annotated[str, Query(max_length=80, description="Key of the box the arrow leaves.")],
    target: Annotated[str, Query(max_length=80, description="Key of the box it leads to.")],
) -> Response:
    with workspace.database.session() as session:
        _require(session, principal, slug)
        service.unlink_boxes(session, slug, LinkIn(source=source, target=target))
    return Response(status_code=204)


@router.post(
    "/programmes/{slug}/impact-logic/measures",
    response_model=MeasureOut,
    status_code=201,
    summary="Add a measure to a box (automatic with a code, else manual)",
    description=WHO,
)
def add_measure(slug: str, body: MeasureIn, workspace: WorkspaceDep, principal: PrincipalDep) -> MeasureOut:
    with workspace.database.session() as session:
        _require(session, principal, slug)
        return service.add_measure(session, slug, body)


@router.patch(
    "/programmes/{slug}/impact-logic/measures/{key}",
    response_model=MeasureOut,
    summary="Set or remove a measure's target",
    description=WHO,
)
def change_measure(
    slug: str, key: str, body: TargetIn, workspace: WorkspaceDep, principal: PrincipalDep
) -> MeasureOut:
    with workspace.database.session() as session:
        _require(session, principal, slug)
        return service.update_measure(
            session, slug, key, target=body.target, target_date=body.target_date, clear_target=body.clear
        )


@router.delete(
    "/programmes/{slug}/impact-logic/measures/{key}",
    status_code=204,
    summary="Remove a measure and its entered values",
    description=WHO,
)
def remove_measure(slug: str, key: str, workspace: WorkspaceDep, principal: PrincipalDep) -> Response:
    with workspace.database.session() as session:
        _require(session, principal, slug)
        service.remove_measure(session, slug, key)
    return Response(status_code=204)


@router.post(
    "/programmes/{slug}/impact-logic/measures/{key}/values",
    response_model=ValueOut,
    status_code=201,
    summary="Enter a manual measure's value on a day, with its source",
    description=WHO + " A value entered for the same day before is replaced (the audit log keeps it).",
)
def record_value(
    slug: str, key: str, body: ValueIn, workspace: WorkspaceDep, principal: PrincipalDep
) -> ValueOut:
    with workspace.database.session() as session:
        _require(session, principal, slug)
        return service.record_value(session, slug, key, body)
