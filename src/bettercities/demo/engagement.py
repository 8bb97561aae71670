"""From the demo's priority areas to goals with stakeholders (issue 13): its goals (:mod:`.goals`), the action
plan that serves them (:mod:`.plan`) and the closed consultation round on them (:mod:`.consultation`)."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.orm import Session

from bettercities.analysis.priority import service as priority
from bettercities.areas.models import City
from bettercities.demo.consultation import add_round
from bettercities.demo.goals import add_goals
from bettercities.demo.plan import add_plan
from bettercities.publication import Audience


class DemoEngagement(BaseModel):
    """What :func:`add_engagement` stored."""

    goals: list[int]
    plan: int
    consultation: int | None


def add_engagement(
    session: Session, city: City, *, set_name: str, first_year: int, last_year: int, seed: int
) -> DemoEngagement:
    """Set the demo's goals on the public priority set ``set_name``, store the plan and the closed round."""
    goal_list = add_goals(session, city, set_name=set_name, first_year=first_year, last_year=last_year)
    found = priority.get_set(session, city.slug, set_name, audience=Audience.PUBLIC)
    plan = add_plan(
        session,
        city.slug,
        set_name=set_name,
        set_areas=sorted(a.area_id for a in found.areas),
        goal_list=goal_list,
        last_year=last_year,
    )
    round_id = add_round(
        session, city.slug, set_name=set_name, goal_list=goal_list, last_year=last_year, seed=seed
    )
    return DemoEngagement(goals=[g.id for g in goal_list], plan=plan, consultation=round_id)


__all__ = ["DemoEngagement", "add_engagement"]
