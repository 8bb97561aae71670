"""Reads of goals that the JSON API, the pages, their JSON twins and the CLI share: a city's goals, one goal,
its chart series and the scorecard, each as the viewer's audience may see them (a goal on an indicator the
audience may not see does not exist for it; withheld values are blanked, :mod:`bettercities.goals.progress`).
"""

from __future__ import annotations

from sqlalchemy import select

from bettercities.areas import service as areas
from bettercities.core.errors import NotFound
from bettercities.goals import progress
from bettercities.goals.models import Goal
from bettercities.goals.schemas import GoalOut, GoalSeries, Scorecard
from bettercities.publication.viewer import Viewer
from bettercities.storage.versioning import current_version

__all__ = ["goal_series", "scorecard", "scorecard_series", "visible_goal", "visible_goals"]


def visible_goals(viewer: Viewer, slug: str) -> list[GoalOut]:
    """The city's goals the viewer may see, oldest first, each with its status (the group values of all of
    them computed together, :func:`bettercities.goals.progress.goal_outs`)."""
    city = areas.get_city(viewer.session, slug)
    goals = viewer.session.scalars(select(Goal).where(Goal.city_id == city.id).order_by(Goal.id)).all()
    return list(progress.goal_outs(viewer, goals, city).values())


def visible_goal(viewer: Viewer, slug: str, goal_id: int) -> GoalOut:
    """One goal; :class:`NotFound` also for a goal the viewer may not see."""
    city = areas.get_city(viewer.session, slug)
    goal = viewer.session.scalar(select(Goal).where(Goal.id == goal_id, Goal.city_id == city.id))
    if goal is None:
        raise NotFound("goal", f"{slug}/{goal_id}")
    return progress.goal_out(viewer, goal, city)


def goal_series(viewer: Viewer, slug: str, goal_id: int) -> GoalSeries:
    """What a chart of one goal draws (group values, trajectory, target, city total)."""
    city = areas.get_city(viewer.session, slug)
    goal = viewer.session.scalar(select(Goal).where(Goal.id == goal_id, Goal.city_id == city.id))
    if goal is None:
        raise NotFound("goal", f"{slug}/{goal_id}")
    return progress.goal_series(viewer, goal, city)


def scorecard(viewer: Viewer, slug: str) -> Scorecard:
    """The city's goals the viewer may see, with counts by status and the data version they were read at."""
    city = areas.get_city(viewer.session, slug)
    goals = visible_goals(viewer, slug)
    version = current_version(viewer.session)
    return Scorecard(
        city=city.slug,
        city_name=city.name,
        goals=goals,
        counts=progress.counts(goals),
        data_version=int(version),
    )


def scorecard_series(viewer: Viewer, slug: str) -> dict[int, GoalSeries]:
    """The chart series of every goal the viewer may see, by goal id, from one pass over all of them (what the
    scorecard draws beside :func:`scorecard`; on the same viewer the goals are not worked out again where its
    memo keeps them)."""
    city = areas.get_city(viewer.session, slug)
    goals = viewer.session.scalars(select(Goal).where(Goal.city_id == city.id).order_by(Goal.id)).all()
    return progress.series_of(viewer, goals, city)
