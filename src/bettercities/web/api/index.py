"""``/api/cities/{slug}/index-runs`` and ``/api/index-runs/{id}``: stored index runs (JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from bettercities.analysis.index import queries
from bettercities.analysis.index.change import ChangeView
from bettercities.analysis.index.results import RunSummary, RunView
from bettercities.web.deps import (
    Crosswalk,
    DbId,
    IndexPart,
    IndexView,
    ReaderDep,
    ThresholdDistance,
)
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api", tags=["analysis"], responses=PROBLEM_RESPONSES)


@router.get(
    "/cities/{slug}/index-runs", response_model=list[RunSummary], summary="Stored index runs of a city"
)
def list_runs(slug: str, reader: ReaderDep) -> list[RunSummary]:
    return queries.run_list(reader, slug).runs


@router.get("/index-runs/{run_id}", response_model=RunView, summary="A stored index run with robustness")
def get_run(
    run_id: DbId, reader: ReaderDep, view: IndexView = "status", distance: ThresholdDistance = 0.1
) -> RunView:
    return queries.run_view(reader, run_id, view=view, distance=distance)


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
    part: IndexPart = None,
    crosswalk: Crosswalk = None,
) -> ChangeView:
    return queries.change_view(reader, slug, before, after, part=part, crosswalk=crosswalk)
