"""A practice's linked goals as the viewer may see them: a goal on an indicator withheld from the public
(Goalville's ``secret``, in a restricted dataset) is left out of the public's practice, and shown to the
city's members; the indicator link and the other goal are shown to everyone (SQLite; the rule is
goals.queries', tested there)."""

from __future__ import annotations

from datetime import date

from bettercities.goals import service as goals
from bettercities.goals.progress import FixedViewer
from bettercities.goals.schemas import AreaSelection, GoalIn
from bettercities.hub import queries, service
from bettercities.hub.schemas import PracticeIn
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from tests.goals.goalville import SLUG, build_goalville


def _goal(indicator: str, title: str) -> GoalIn:
    areas = AreaSelection(kind="areas", value="A")
    return GoalIn(title=title, indicator=indicator, areas=areas, target_value=4.0, baseline_period="2022",
                  deadline=date(2027, 12, 31), owner_unit="Office")  # fmt: skip


def test_a_withheld_goal_is_not_shown_to_the_public(sqlite_workspace: Workspace) -> None:
    build_goalville(sqlite_workspace)
    with sqlite_workspace.database.session() as session:
        green = goals.add_goal(session, SLUG, _goal("green", "More green"), actor="test").id
        secret = goals.add_goal(session, SLUG, _goal("secret", "Secret goal"), actor="test").id
        spec = PracticeIn(slug="parks", title="Parks", city=SLUG, summary="S", indicators=["green"],
                          goals=[green, secret])  # fmt: skip
        service.add_practice(session, spec, by="test")
    with sqlite_workspace.database.reader() as session:
        public = queries.practice(FixedViewer(session, Audience.PUBLIC), "parks")
        member = queries.practice(FixedViewer(session, Audience.MEMBER), "parks")
    assert [g.title for g in public.goals] == ["More green"]
    assert [g.title for g in member.goals] == ["More green", "Secret goal"]
    assert [i.code for i in public.indicators] == ["green"]
