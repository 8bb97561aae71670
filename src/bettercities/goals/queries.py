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

__all__ = ["goal_series", "scorecard", "visible_goal", "visible_goals"]


def visible_goals(viewer: Viewer, slug: str) -> list[GoalOut]:
    """The city's goals the viewer may see, oldest first, each with its status."""
    city = areas.get_city(viewer.session, slug)
    goals = viewer.session.scalars(select(Goal).where(Goal.city_id == city.id).order_by(Goal.id)).all()
    found: list[GoalOut] = []
    for goal in goals:
        try:
            found.append(progress.goal_out(viewer, goal, city))
        except NotFound:
            continue  # on an indicator the viewer's audience may not see
    return found


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
