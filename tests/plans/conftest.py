"""Testville with two goals and two action plans, built once per module through the library (SQLite).

Testville (``tests/web/citybuilder.py``) over 2020-2022, green space in a *restricted* dataset. Goals (set as
a steward, the data team's view): ``down`` (unemployment in 0103 and 0104, public) and ``green`` (green space
in 0201: invisible to the public). Plans:

* ``public`` (public), 2026-01-01 .. 2028-12-31, two objectives:

  ====  =========  ==========  ==========  ============  ===========  ==========
  id    objective  start       end         budget        source       status
  ====  =========  ==========  ==========  ============  ===========  ==========
  A1    O1 (down)  2026-01-01  2026-06-30  120,000.00    ESF+         planned
  A2    O1         2026-03-01  2027-12-31  30,000.50     municipal    in_progress
  A3    O1         –           2026-05-01  5,000.00      ESF+         done
  A4    O2 (green) –           2026-02-01  7,000.00      ERDF         dropped
  A5    O2         2026-01-15  2026-12-31  –             –            delayed
  ====  =========  ==========  ==========  ============  ===========  ==========

  A5 is linked to ``green`` and the areas 0101 and 0201. Two risks: one of the plan, one of A1.
* ``internal`` (members only): one objective, one action.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from bettercities.areas import service as areas
from bettercities.catalog import approval
from bettercities.catalog import service as catalog
from bettercities.catalog.schemas import AccessRights, DatasetSpec
from bettercities.goals import service as goals
from bettercities.goals.schemas import AreaSelection, GoalIn, SelectionKind
from bettercities.plans import service
from bettercities.plans.schemas import ActionIn, ObjectiveIn, PlanIn, RiskIn, StatusChangeIn, read
from bettercities.storage.workspace import Workspace
from tests.web.citybuilder import build_city

SLUG = "testville"
#: The day the fixture's figures are computed for (A1 and A5 are overdue then).
AS_OF = date(2027, 1, 1)


@dataclass
class Built:
    workspace: Workspace
    goals: dict[str, int]
    plans: dict[str, int]
    objectives: dict[str, int]
    actions: dict[str, int]


def _goal(title: str, indicator: str, codes: str, change: float) -> GoalIn:
    return GoalIn(
        title=title,
        indicator=indicator,
        areas=AreaSelection(kind=SelectionKind.AREAS, value=codes),
        deadline=date(2026, 12, 31),
        owner_unit="Jugendamt",
        baseline_period="2020",
        target_change=change,
    )


def build(workspace: Workspace) -> Built:
    """The module's city, goals and plans (see the module docstring)."""
    build_city(workspace, years=(2020, 2021, 2022))
    with workspace.database.session() as session:
        city = areas.get_city(session, SLUG)
        spec = DatasetSpec(
            code="green", title_de="Grün", title_en="Green", publisher="Statistikstelle", steward="S",
            indicators=["green_space"], access_rights=AccessRights.RESTRICTED,
        )  # fmt: skip
        catalog.add_dataset(session, city, spec)
        for step in (approval.Action.SUBMIT, approval.Action.APPROVE, approval.Action.PUBLISH):
            approval.transition(session, SLUG, "green", step, user="fixture")
        wanted = {
            "down": _goal("Weniger Arbeitslose", "unemployment", "0103,0104", -1.0),
            "green": _goal("Mehr Grün", "green_space", "0201", 2.0),
        }
        goal_ids = {
            key: goals.add_goal(session, city, goal, actor="steward").id for key, goal in wanted.items()
        }
        plan = read(
            PlanIn,
            {"title": "Aktionsplan Nord", "summary": "Weniger Armut im Norden", "period_from": "2026-01-01",
             "period_to": "2028-12-31", "status": "adopted", "owner_unit": "Jugendamt", "public": True},
            what="plan",
        )  # fmt: skip
        public = service.add_plan(session, SLUG, plan, user="steward")
        o1 = service.add_objective(
            session, SLUG, public, ObjectiveIn(title="Familien stärken", goals=[goal_ids["down"]])
        )
        o2 = service.add_objective(
            session, SLUG, public, ObjectiveIn(title="Grün im Quartier", goals=[goal_ids["green"]])
        )
        rows = {
            "A1": (o1, {"title": "Familienzentren", "start": "2026-01-01", "end": "2026-06-30",
                        "budget": "120000.00", "funding_source": "ESF+", "partners": ["Caritas", "AWO"],
                        "responsible_unit": "Jugendamt",
                        "milestones": [{"title": "Eröffnung", "due": "2026-03-01"}]}),
            "A2": (o1, {"title": "Beratung", "start": "2026-03-01", "end": "2027-12-31", "budget": "30000.50",
                        "funding_source": "municipal", "status": "in_progress"}),
            "A3": (o1, {"title": "Flyer", "end": "2026-05-01", "budget": "5000", "funding_source": "ESF+",
                        "status": "done"}),
            "A4": (o2, {"title": "Gutachten", "end": "2026-02-01", "budget": "7000", "funding_source": "ERDF",
                        "status": "dropped"}),
            "A5": (o2, {"title": "Pocket-Park", "start": "2026-01-15", "end": "2026-12-31",
                        "status": "delayed", "goals": [goal_ids["green"]], "areas": ["0101", "0201"]}),
        }  # fmt: skip
        actions = {
            key: service.add_action(
                session, SLUG, objective, read(ActionIn, data, what="action"), user="steward"
            )
            for key, (objective, data) in rows.items()
        }
        staff = RiskIn(
            description="Fachkräftemangel", likelihood="high", impact="medium", mitigation="Stellen"
        )
        rent = RiskIn(description="Mietkosten", likelihood="low", impact="high", action_id=actions["A1"])
        for risk in (staff, rent):
            service.add_risk(session, SLUG, public, risk)
        draft = PlanIn(title="Interner Entwurf", period_from=date(2026, 1, 1), period_to=date(2026, 12, 31))
        internal = service.add_plan(session, SLUG, draft, user="steward")
        o3 = service.add_objective(session, SLUG, internal, ObjectiveIn(title="Geheim"))
        actions["internal"] = service.add_action(
            session, SLUG, o3, ActionIn(title="Vorbereitung"), user="steward"
        )
        delayed = StatusChangeIn(status="delayed", note="Personal fehlt")
        service.set_status(session, SLUG, actions["A2"], delayed, user="steward")
        service.set_status(session, SLUG, actions["A2"], StatusChangeIn(status="in_progress"), user="steward")
    return Built(
        workspace,
        goal_ids,
        {"public": public, "internal": internal},
        {"O1": o1, "O2": o2, "O3": o3},
        actions,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    workspace = Workspace.init(Path(tmp_path_factory.mktemp("plans")) / "ws")
    yield build(workspace)
    workspace.close()
