"""Goals stored and read back on both backends (SQLite and PostgreSQL): set (baseline, areas, links to a
priority set), status read back, a performance measure's values recorded and corrected, removal with its
rows, and every write in the audit log."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from bettercities.analysis.priority import service as priority
from bettercities.analysis.priority.evaluation import evaluate
from bettercities.analysis.priority.schemas import PriorityRule
from bettercities.audit.models import AuditEntry
from bettercities.goals import queries, service
from bettercities.goals.models import Goal, GoalArea, GoalMeasureValue, GoalPrioritySet
from bettercities.goals.progress import FixedViewer
from bettercities.goals.schemas import AreaSelection, GoalIn, GoalStatus, MeasureValueIn
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from tests.goals.goalville import SLUG, build_goalville


def test_goals_round_trip_on_the_backend(workspace: Workspace) -> None:
    build_goalville(workspace)
    rule = PriorityRule.model_validate(
        {
            "name": "poor",
            "conditions": [{"kind": "threshold", "indicator": "poverty", "op": ">=", "value": 25}],
        }
    )
    with workspace.database.session() as session:
        # 2024 poverty: A 28, B 23.5, C 13 -> {A}
        result = evaluate(session, SLUG, rule, level="district", period="2024", audience=Audience.INTERNAL)
        priority.save_set(session, result, "poor")
        goal = service.add_goal(
            session,
            SLUG,
            GoalIn(
                title="Less poverty",
                indicator="poverty",
                areas=AreaSelection(kind="priority_set", value="poor"),
                target_change=-5.0,
                baseline_period="2022",
                deadline=date(2027, 12, 31),
                owner_unit="Youth",
                themes=["social"],
            ),
            actor="tester",
        )
        measure = service.add_goal(
            session,
            SLUG,
            GoalIn(
                title="Sessions",
                indicator="sessions",
                kind="performance",
                performance_kind="how_well",
                measure_name="Share of sessions on time",
                unit="%",
                polarity="higher_is_better",
                baseline_value=60.0,
                baseline_period="2023",
                target_value=80.0,
                deadline=date(2026, 12, 31),
                areas=AreaSelection(kind="level", value="district"),
                owner_unit="Youth",
            ),
            actor="tester",
        )
        for value in (65.0, 75.0):
            service.record_measure(
                session, SLUG, measure.id, MeasureValueIn(period="2024", value=value), actor="t"
            )
    assert goal.area_codes == ["A"] and goal.priority_sets == ["poor"]
    with workspace.database.reader() as session:
        found = queries.visible_goal(FixedViewer(session, Audience.INTERNAL), SLUG, goal.id)
        # A: 32 % in 2022, 28 % in 2024; target 27 by 2027; line at 2024: 32 - 5 * 731/1826 = 29.998
        assert found.baseline.value is not None and abs(found.baseline.value - 32.0) < 1e-9
        assert found.latest is not None and abs(found.latest.value - 28.0) < 1e-9
        assert found.expected is not None and abs(found.expected - (32 - 5 * 731 / 1826)) < 1e-9
        assert found.status == GoalStatus.ON_TRACK and found.themes == ["social"]
        assert (
            queries.visible_goal(FixedViewer(session, Audience.PUBLIC), SLUG, measure.id).status
            == GoalStatus.ON_TRACK
        )
        assert session.scalar(select(func.count()).select_from(GoalMeasureValue)) == 1  # corrected in place
        last = session.scalar(select(func.max(AuditEntry.id))) or 0
    with workspace.database.session() as session:
        service.remove_goal(session, SLUG, goal.id)
    with workspace.database.reader() as session:
        for model in (GoalArea, GoalPrioritySet):
            assert (
                session.scalar(select(func.count()).select_from(model).where(model.goal_id == goal.id)) == 0
            )
        assert session.get(Goal, goal.id) is None
        removed = session.scalars(select(AuditEntry).where(AuditEntry.id > last)).all()
        assert {("goal", "delete"), ("goal_area", "delete"), ("goal_priority_set", "delete")} <= {
            (e.entity, e.action) for e in removed
        }
        entities = set(session.scalars(select(AuditEntry.entity)).all())
    assert {"goal", "goal_area", "goal_priority_set", "goal_measure_value"} <= entities
