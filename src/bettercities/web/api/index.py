"""``/api/cities/{slug}/index-runs`` and ``/api/index-runs/{id}``: stored index runs (JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from bettercities.analysis import results
from bettercities.analysis.results import RunSummary, RunView
from bettercities.web.deps import SessionDep
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api", tags=["analysis"], responses=PROBLEM_RESPONSES)

View = Annotated[str, Query(pattern="^(status|dynamics|combined|index)$", description="Classes to map.")]
Distance = Annotated[
    float, Query(gt=0, le=2, description="Distance to a class threshold that counts as near.")
]


@router.get(
    "/cities/{slug}/index-runs", response_model=list[RunSummary], summary="Stored index runs of a city"
)
def list_runs(slug: str, session: SessionDep) -> list[RunSummary]:
    return results.list_runs(session, slug)


@router.get("/index-runs/{run_id}", response_model=RunView, summary="A stored index run with robustness")
def get_run(run_id: int, session: SessionDep, view: View = "status", distance: Distance = 0.1) -> RunView:
    return results.run_view(session, run_id, view=view, distance=distance)
