"""Reads of stored index runs that the JSON API, the pages and their JSON twins share: the runs of a city, a
run's class map view, and the change of classes between two runs, each as the viewer's audience may see it."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select

from bettercities.analysis.index import change, results
from bettercities.analysis.index.change import ChangeView
from bettercities.analysis.index.models import IndexRun
from bettercities.analysis.index.results import RunSummary, RunView
from bettercities.analysis.index.robustness import AreaRobustness
from bettercities.areas import service as areas
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.publication import Audience
from bettercities.publication.viewer import Viewer

__all__ = [
    "ChangePage",
    "RunList",
    "change_page",
    "change_view",
    "run_audience",
    "run_list",
    "run_view",
    "unstable_areas",
]


class RunList(BaseModel):
    """The stored index runs of a city."""

    city: str
    runs: list[RunSummary]


class ChangePage(BaseModel):
    """The change page: the runs to choose from, the crosswalks, and the comparison (None: no pair)."""

    city: str
    runs: list[RunSummary]
    crosswalks: list[str]
    view: ChangeView | None = None


def run_list(viewer: Viewer, slug: str) -> RunList:
    """The stored index runs of city ``slug``, newest first, as the viewer's audience may see them (class
    counts of the published areas only)."""
    city_id = areas.get_city(viewer.session, slug).id
    runs = results.list_runs(
        viewer.session, slug, audience=viewer.audience(city_id), networks=viewer.networks(city_id)
    )
    return RunList(city=slug, runs=runs)


def run_audience(viewer: Viewer, run_id: int) -> Audience:
    """The audience ``viewer`` belongs to in the city of index run ``run_id`` (:class:`NotFound` when
    unknown)."""
    city_id = viewer.session.scalar(select(IndexRun.city_id).where(IndexRun.id == run_id))
    if city_id is None:
        raise NotFound("index run", run_id)
    return viewer.audience(city_id)


def run_view(
    viewer: Viewer, run_id: int, *, view: str = "status", distance: float = 0.1, city: str | None = None
) -> RunView:
    """The class map view of run ``run_id`` with its robustness (memoised); with ``city``, a run of another
    city is :class:`NotFound`."""
    audience = run_audience(viewer, run_id)
    found = results.run_view(
        viewer.session, run_id, view=view, distance=distance, memo=viewer.memo, audience=audience
    )
    if city is not None and found.run.city != city:
        raise NotFound("index run", run_id)
    return found


def unstable_areas(found: RunView) -> list[AreaRobustness]:
    """The areas whose class is not robust (near a threshold, changed by leaving an indicator out, or by
    more than 10 % of the bootstrap replicates), by index part and distance to the threshold."""
    unstable = [
        a
        for a in (found.robustness.areas if found.robustness else [])
        if a.near_threshold or a.loo_changes or a.bootstrap_areas > 0.1 or a.bootstrap_weights > 0.1
    ]
    unstable.sort(key=lambda a: (a.part, a.distance))
    return unstable


def change_view(
    viewer: Viewer,
    slug: str,
    before: int,
    after: int,
    *,
    part: str | None = None,
    crosswalk: str | None = None,
) -> ChangeView:
    """The change of classes between two runs of city ``slug`` (:func:`change.change_view`)."""
    audience = viewer.audience(areas.get_city(viewer.session, slug).id)
    return change.change_view(
        viewer.session, before, after, part=part, crosswalk=crosswalk, city=slug, audience=audience
    )


def change_page(
    viewer: Viewer,
    slug: str,
    before: int | None,
    after: int | None,
    *,
    part: str | None = None,
    crosswalk: str | None = None,
) -> ChangePage:
    """The change page of city ``slug``: both runs chosen, or neither for the newest pair of one method."""
    session = viewer.session
    city_id = areas.get_city(session, slug).id
    audience = viewer.audience(city_id)
    if (before is None) != (after is None):
        raise InvalidInput("choose both runs to compare (before and after), or neither for the newest pair")
    pair = (before, after) if before is not None and after is not None else change.default_pair(session, slug)
    view = None
    if pair is not None:
        view = change.change_view(
            session, pair[0], pair[1], part=part, crosswalk=crosswalk or None, city=slug, audience=audience
        )
    return ChangePage(
        city=slug,
        runs=results.list_runs(session, slug, audience=audience, networks=viewer.networks(city_id)),
        crosswalks=change.crosswalk_codes(session, slug),
        view=view,
    )
