"""``/api/cities/{slug}/index-runs`` and ``/api/index-runs/{id}``: stored index runs (JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.access.policy import Principal, audience_for
from bettercities.analysis.index import change, results
from bettercities.analysis.index.change import ChangeView
from bettercities.analysis.index.models import IndexRun
from bettercities.analysis.index.results import RunSummary, RunView
from bettercities.areas import service as areas
from bettercities.core.errors import NotFound
from bettercities.publication import Audience
from bettercities.web.deps import DbId, ReaderDep, SessionDep
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api", tags=["analysis"], responses=PROBLEM_RESPONSES)

View = Annotated[str, Query(pattern="^(status|dynamics|combined|index)$", description="Classes to map.")]
Part = Annotated[
    str | None, Query(pattern="^(status|dynamics|index)$", description="Index part to map (default: first).")
]
Crosswalk = Annotated[
    str | None,
    Query(max_length=80, description="Crosswalk code: carry the earlier run to the later boundaries."),
]
Distance = Annotated[
    float, Query(gt=0, le=2, description="Distance to a class threshold that counts as near.")
]


def run_audience(session: Session, principal: Principal, run_id: int) -> Audience:
    """The audience ``principal`` belongs to in the city of index run ``run_id`` (404 when unknown)."""
    city_id = session.scalar(select(IndexRun.city_id).where(IndexRun.id == run_id))
    if city_id is None:
        raise NotFound("index run", run_id)
    return audience_for(principal, city_id)


@router.get(
    "/cities/{slug}/index-runs", response_model=list[RunSummary], summary="Stored index runs of a city"
)
def list_runs(slug: str, session: SessionDep) -> list[RunSummary]:
    return results.list_runs(session, slug)


@router.get("/index-runs/{run_id}", response_model=RunView, summary="A stored index run with robustness")
def get_run(run_id: DbId, reader: ReaderDep, view: View = "status", distance: Distance = 0.1) -> RunView:
    audience = run_audience(reader.session, reader.principal, run_id)
    return results.run_view(
        reader.session, run_id, view=view, distance=distance, memo=reader.memo, audience=audience
    )


@router.get(
    "/cities/{slug}/index-change",
    response_model=ChangeView,
    summary="Change of index classes between two stored runs",
    description="Which areas changed class from run ``before`` to run ``after`` (both runs of the city, "
    "same method), the transition matrix per index part, and per area whether it moved to a better or a "
    "worse class in ``part``. With ``crosswalk`` the earlier run is carried to the later boundaries first.",
)
def index_change(
    slug: str,
    reader: ReaderDep,
    before: Annotated[DbId, Query(description="Id of the earlier run.")],
    after: Annotated[DbId, Query(description="Id of the later run.")],
    part: Part = None,
    crosswalk: Crosswalk = None,
) -> ChangeView:
    audience = audience_for(reader.principal, areas.get_city(reader.session, slug).id)
    return change.change_view(
        reader.session, before, after, part=part, crosswalk=crosswalk, city=slug, audience=audience
    )
