"""The impact register stored and read back on both backends (SQLite and PostgreSQL): an intervention with
its areas, indicator and goal links, two plan versions, a run with its result and panel, every write in the
audit log under the city, removal with every row, and the migration creating what the models declare."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from bettercities.audit.models import AuditEntry
from bettercities.goals import service as goals
from bettercities.goals.progress import FixedViewer
from bettercities.goals.schemas import AreaSelection, GoalIn
from bettercities.impact import evaluation, queries, service
from bettercities.impact import models as tables
from bettercities.impact.register_schemas import InterventionIn, PlanIn, RunIn
from bettercities.impact.schemas import EstimateResult
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from tests.impact.impactville import AREAS, SET, SLUG, TREATED, build_impactville, did_by_hand

MODELS = (
    tables.Intervention,
    tables.InterventionArea,
    tables.InterventionIndicator,
    tables.InterventionGoal,
    tables.EvaluationPlan,
    tables.EvaluationRun,
)


def _counts(workspace: Workspace) -> dict[str, int]:
    with workspace.database.reader() as session:
        return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0 for m in MODELS}


def test_the_register_round_trip_on_the_backend(workspace: Workspace) -> None:
    build_impactville(workspace)
    with workspace.database.session() as session:
        goal = goals.add_goal(
            session, SLUG,
            GoalIn(title="Weniger Arbeitslose", indicator="jobless",
                   areas=AreaSelection(kind="priority_set", value=SET), target_change=-2.0,
                   baseline_period="2019", deadline=date(2027, 12, 31), owner_unit="Sozialamt"),
            actor="tester",
        ).id  # fmt: skip
        item = service.add_intervention(
            session, SLUG,
            InterventionIn(name="Quartiersmanagement", kind="neighbourhood_management",
                           areas=AreaSelection(kind="priority_set", value=SET), start_period="2020",
                           budget_cents=12_345_678_901, responsible_unit="Sozialamt", indicators=["jobless"],
                           goals=[goal]),
            actor="tester",
        )  # fmt: skip
        service.register_plan(session, SLUG, item, PlanIn(indicator="jobless", design="did"), actor="tester")
        service.register_plan(
            session,
            SLUG,
            item,
            PlanIn(indicator="jobless", design="did", analysis="Zweite Fassung"),
            actor="a",
        )
        run_id = evaluation.evaluate(session, SLUG, item, RunIn(), actor="tester")
    assert _counts(workspace) == {
        "intervention": 1, "intervention_area": 3, "intervention_indicator": 1, "intervention_goal": 1,
        "evaluation_plan": 2, "evaluation_run": 1,
    }  # fmt: skip
    with workspace.database.reader() as session:
        out = queries.visible_intervention(FixedViewer(session, Audience.PUBLIC), SLUG, item)
        run = queries.visible_run(FixedViewer(session, Audience.PUBLIC), SLUG, item, run_id)
        stored = session.get(tables.EvaluationRun, run_id)
        assert stored is not None
        assert evaluation.reestimate(session, stored) == EstimateResult.model_validate_json(stored.result)
        logged = session.execute(select(AuditEntry.entity, AuditEntry.action, AuditEntry.city)).all()
    assert out.area_codes == list(TREATED) and out.budget_cents == 12_345_678_901
    assert [g.id for g in out.goals] == [goal] and [p.version for p in out.plans] == [1, 2]
    assert out.plans[1].analysis == "Zweite Fassung" and out.plans[1].registered_by == "a"
    controls = tuple(a for a in AREAS if a not in TREATED)
    assert run.result.estimate == pytest.approx(did_by_hand(("D01", "D03"), controls), abs=1e-9)
    assert run.followed_plan and run.plan_version == 2
    for model in MODELS:
        assert (model.__tablename__, "insert", SLUG) in logged, model.__tablename__
    with workspace.database.session() as session:
        service.remove_intervention(session, SLUG, item)
    assert set(_counts(workspace).values()) == {0}
    with workspace.database.reader() as session:
        deleted = session.scalars(
            select(AuditEntry.entity).where(
                AuditEntry.action == "delete", AuditEntry.entity == "evaluation_run"
            )
        ).all()
    assert deleted == ["evaluation_run"]


def test_the_migration_creates_the_tables_the_models_declare(sqlite_workspace: Workspace) -> None:
    workspace = sqlite_workspace  # PostGIS columns of other domains are types alembic does not know
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bettercities.storage.models import metadata

    with workspace.database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    names = {m.__tablename__ for m in MODELS}
    ours = [d for d in diff if any(name in repr(d) for name in names)]
    assert ours == []
