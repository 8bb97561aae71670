"""The impact register on Impactville (``tests/impact/impactville.py``, SQLite; storage on both backends is
``test_register_storage.py``): interventions with their areas resolved as goals resolve theirs, every bad
input refused with its Problem and nothing written, plan versions locked (a change is a new version), runs
that say whether they followed the plan, withheld values never in a public run (the estimate equals the
difference in differences computed by hand from the generator without the suppressed area), the
regression-to-the-mean flag for areas chosen by the outcome, and the stored result equal to a fresh estimate.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select

from bettercities.audit.models import AuditEntry
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.goals.progress import FixedViewer
from bettercities.impact import evaluation, queries, service
from bettercities.impact.designs import RTM_WARNING
from bettercities.impact.models import EvaluationPlan, EvaluationRun, Intervention, InterventionArea
from bettercities.impact.register_schemas import AreaSelection, InterventionIn, PlanIn, RunIn
from bettercities.impact.schemas import Design, EstimateResult, Verdict
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from tests.impact.impactville import (
    AREAS,
    RAW_SUPPRESSED,
    SET,
    SLUG,
    TREATED,
    build_impactville,
    did_by_hand,
)

CONTROLS = tuple(a for a in AREAS if a not in TREATED)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    workspace = Workspace.init(tmp_path_factory.mktemp("impact") / "workspace")
    build_impactville(workspace)
    yield workspace
    workspace.close()


@pytest.fixture(autouse=True)
def one_test_s_interventions(ws: Workspace) -> Iterator[None]:
    yield
    with ws.database.session() as session:
        for item in session.scalars(select(Intervention.id)).all():
            service.remove_intervention(session, SLUG, item)


def intervention(**fields: Any) -> InterventionIn:
    base: dict[str, Any] = {
        "name": "Quartiersmanagement",
        "kind": "neighbourhood_management",
        "areas": AreaSelection(kind="priority_set", value=SET),
        "start_period": "2020",
        "responsible_unit": "Sozialamt",
        "indicators": ["jobless"],
        "budget_cents": 250_000_00,
    }
    return InterventionIn.model_validate({**base, **fields})


def add(ws: Workspace, **fields: Any) -> int:
    with ws.database.session() as session:
        return service.add_intervention(session, SLUG, intervention(**fields), actor="tester")


def plan(ws: Workspace, item: int, **fields: Any) -> int:
    with ws.database.session() as session:
        return service.register_plan(
            session, SLUG, item, PlanIn.model_validate({"indicator": "jobless", "design": "did", **fields}),
            actor="tester",
        ).version  # fmt: skip


def run(ws: Workspace, item: int, audience: Audience = Audience.PUBLIC, **fields: Any) -> int:
    with ws.database.session() as session:
        return evaluation.evaluate(
            session, SLUG, item, RunIn.model_validate(fields), actor="tester", audience=audience
        )


def read(ws: Workspace, audience: Audience = Audience.PUBLIC) -> Any:
    class Reading:
        def __enter__(self) -> FixedViewer:
            self.cm = ws.database.session()
            return FixedViewer(self.cm.__enter__(), audience)

        def __exit__(self, *exc: object) -> None:
            self.cm.__exit__(None, None, None)

    return Reading()


def test_an_intervention_on_a_priority_set_takes_its_areas(ws: Workspace) -> None:
    item = add(ws, goals=[])
    with read(ws) as viewer:
        out = queries.visible_intervention(viewer, SLUG, item)
    assert out.area_codes == list(TREATED) and out.priority_set == SET and out.level == "district"
    assert out.budget_cents == 25_000_000 and out.kind.value == "neighbourhood_management"
    assert [i.code for i in out.indicators] == ["jobless"] and out.plans == [] and out.runs == []
    with read(ws) as viewer:
        assert [i.id for i in queries.visible_interventions(viewer, SLUG)] == [item]


def test_explicit_areas_and_a_level(ws: Workspace) -> None:
    item = add(ws, areas=AreaSelection(kind="areas", value="D05, D04"), end_period="2022")
    with read(ws) as viewer:
        out = queries.visible_intervention(viewer, SLUG, item)
    assert out.area_codes == ["D04", "D05"] and out.priority_set is None and out.end_period == "2022"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"areas": AreaSelection(kind="priority_set", value="nope")}, "unknown-priority-set"),
        ({"areas": AreaSelection(kind="areas", value="D01,X9")}, "unknown-area"),
        ({"indicators": ["nope"]}, "unknown-indicator"),
        ({"goals": [999]}, "unknown-goal"),
        ({"start_period": "soon"}, "invalid-period"),
        ({"start_period": "2021", "end_period": "2020"}, "invalid-period"),
        ({"name": "a\x00b"}, "invalid-text"),
    ],
)
def test_bad_interventions_are_refused_with_their_problem(
    ws: Workspace, fields: dict[str, Any], code: str
) -> None:
    with ws.database.session() as session:
        before = session.scalar(select(func.count()).select_from(Intervention))
        with pytest.raises(InvalidInput) as caught:
            service.add_intervention(session, SLUG, intervention(**fields), actor="tester")
        assert caught.value.report is not None
        assert code in {p.code for p in caught.value.report.problems}
        assert session.scalar(select(func.count()).select_from(Intervention)) == before


def test_the_public_may_not_link_a_restricted_indicator(ws: Workspace) -> None:
    with ws.database.session() as session, pytest.raises(InvalidInput, match="secret"):
        service.add_intervention(
            session, SLUG, intervention(indicators=["secret"]), actor="t", audience=Audience.PUBLIC
        )
    item = add(ws, indicators=["jobless", "secret"])  # the data team's view
    with read(ws) as viewer:
        assert [i.code for i in queries.visible_intervention(viewer, SLUG, item).indicators] == ["jobless"]
    with read(ws, Audience.INTERNAL) as viewer:
        codes = [i.code for i in queries.visible_intervention(viewer, SLUG, item).indicators]
    assert codes == ["jobless", "secret"]


def test_plan_versions_are_locked_and_take_their_defaults(ws: Workspace) -> None:
    item = add(ws)
    assert plan(ws, item, analysis="DiD, never-treated districts") == 1
    assert plan(ws, item, design="twfe", comparison=["D09", "D10", "D08"]) == 2
    with read(ws) as viewer:
        plans = queries.visible_intervention(viewer, SLUG, item).plans
    first, second = plans
    assert (first.version, first.design, first.pre_start, first.pre_end) == (1, Design.DID, "2016", "2019")
    assert (first.post_start, first.post_end) == ("2020", None)
    assert first.analysis == "DiD, never-treated districts" and first.comparison == []
    assert second.design is Design.TWFE and second.comparison == ["D08", "D09", "D10"]
    with ws.database.session() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == "evaluation_plan")
        ).all()
    assert actions.count("insert") >= 2 and "update" not in actions  # a version is never changed


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"comparison": ["D01", "D05"]}, "invalid-option"),  # a treated area as comparison
        ({"comparison": ["Z1"]}, "unknown-area"),
        ({"pre_end": "2021"}, "invalid-period"),  # overlaps the post-period
        ({"indicator": "nope"}, "unknown-indicator"),
        ({"post_end": "2019"}, "invalid-period"),
    ],
)
def test_bad_plans_are_refused(ws: Workspace, fields: dict[str, Any], code: str) -> None:
    item = add(ws)
    with ws.database.session() as session:
        with pytest.raises(InvalidInput) as caught:
            given = PlanIn.model_validate({"indicator": "jobless", "design": "did", **fields})
            service.register_plan(session, SLUG, item, given, actor="t")
        assert code in {p.code for p in caught.value.report.problems}  # type: ignore[union-attr]
        assert session.scalar(select(func.count()).select_from(EvaluationPlan)) == 0


def test_a_public_run_never_reads_a_withheld_value(ws: Workspace) -> None:
    item = add(ws)
    plan(ws, item)
    run_id = run(ws, item)
    with read(ws) as viewer:
        out = queries.visible_run(viewer, SLUG, item, run_id)
        csv = queries.run_csv(viewer, SLUG, item, run_id)
    # D02's 2021 cell is suppressed: the public panel leaves the area out, the raw 99 is nowhere
    assert out.treated_areas == ["D01", "D03"] and out.comparison_areas == list(CONTROLS)
    panel = pd.read_csv(io.StringIO(csv))
    assert "D02" not in set(panel["unit"]) and RAW_SUPPRESSED not in set(panel["outcome"])
    assert len(panel) == (len(AREAS) - 1) * 8
    assert out.result.estimate == pytest.approx(did_by_hand(("D01", "D03"), CONTROLS), abs=1e-9)
    assert out.result.verdict is Verdict.BETTER  # lower unemployment is better; the interval excludes 0
    assert out.audience == "public" and any("D02" in note for note in out.notes)
    assert out.followed_plan and out.differences == [] and out.plan_version == 1


def test_a_data_team_run_is_the_data_team_s_only(ws: Workspace) -> None:
    item = add(ws)
    plan(ws, item)
    run_id = run(ws, item, Audience.INTERNAL)
    with read(ws, Audience.INTERNAL) as viewer:
        out = queries.visible_run(viewer, SLUG, item, run_id)
    assert out.treated_areas == list(TREATED)  # the suppressed cell is there for the data team
    for audience in (Audience.PUBLIC, Audience.MEMBER):
        with read(ws, audience) as viewer:
            with pytest.raises(NotFound):
                queries.visible_run(viewer, SLUG, item, run_id)
            with pytest.raises(NotFound):
                queries.run_csv(viewer, SLUG, item, run_id)
            assert queries.visible_intervention(viewer, SLUG, item).runs == []


def test_a_run_on_a_restricted_indicator_is_refused_for_the_public(ws: Workspace) -> None:
    item = add(ws)
    with ws.database.session() as session, pytest.raises(InvalidInput) as caught:
        evaluation.evaluate(
            session, SLUG, item,
            RunIn(indicator="secret", design="did", pre_start="2016", pre_end="2019", post_start="2020"),
            actor="t",
        )  # fmt: skip
    assert {p.code for p in caught.value.report.problems} == {"unknown-indicator"}  # type: ignore[union-attr]


def test_a_run_says_how_it_departed_from_the_plan(ws: Workspace) -> None:
    item = add(ws)
    plan(ws, item)
    plan(ws, item, pre_start="2017")
    departed = run(ws, item, design="twfe", comparison=["D08", "D09", "D10"])
    followed = run(ws, item)
    with read(ws) as viewer:
        out = queries.visible_run(viewer, SLUG, item, departed)
        same = queries.visible_run(viewer, SLUG, item, followed)
    assert not out.followed_plan and out.plan_version == 2
    assert out.differences == [
        "design: planned did, run with twfe",
        "comparison areas: planned the other areas of the level, run with 3 areas",
    ]
    assert (
        same.followed_plan
        and same.settings.pre_start == "2017"
        and same.result.diagnostics.n_pre_periods == 3
    )
    with read(ws) as viewer:
        runs = queries.visible_intervention(viewer, SLUG, item).runs
    assert [r.id for r in runs] == [followed, departed] and [r.followed_plan for r in runs] == [True, False]


def test_without_a_plan_a_run_needs_its_settings_and_does_not_follow_one(ws: Workspace) -> None:
    item = add(ws)
    with ws.database.session() as session, pytest.raises(InvalidInput, match="no evaluation plan"):
        evaluation.evaluate(session, SLUG, item, RunIn(), actor="t")
    run_id = run(
        ws, item, indicator="jobless", design="did", pre_start="2016", pre_end="2019", post_start="2020"
    )
    with read(ws) as viewer:
        out = queries.visible_run(viewer, SLUG, item, run_id)
    assert not out.followed_plan and out.plan_version is None
    assert out.differences == ["no evaluation plan was registered before this run"]


def test_areas_chosen_by_the_outcome_carry_the_regression_to_the_mean_warning(ws: Workspace) -> None:
    chosen = add(ws)
    explicit = add(ws, areas=AreaSelection(kind="areas", value="D01,D03"))
    for item in (chosen, explicit):
        plan(ws, item)
    results = {}
    for item in (chosen, explicit):
        run_id = run(ws, item)
        with read(ws) as viewer:
            results[item] = queries.visible_run(viewer, SLUG, item, run_id).result
    assert results[chosen].spec.selected_on_outcome and RTM_WARNING in results[chosen].warnings
    assert not results[explicit].spec.selected_on_outcome and RTM_WARNING not in results[explicit].warnings
    # the same panel (D02 left out of the chosen set's public panel): the same estimate
    assert results[chosen].estimate == pytest.approx(results[explicit].estimate)
    assert results[chosen].evidence_level <= results[explicit].evidence_level


@pytest.mark.parametrize("design", ["did", "twfe", "its", "staggered-did", "synthetic-control"])
def test_the_stored_result_equals_a_fresh_estimate(ws: Workspace, design: str) -> None:
    item = add(ws, areas=AreaSelection(kind="areas", value="D01,D03"))
    plan(ws, item, design=design)
    run_id = run(ws, item)
    with ws.database.session() as session:
        stored = session.get(EvaluationRun, run_id)
        assert stored is not None
        fresh = evaluation.reestimate(session, stored)
    assert fresh == EstimateResult.model_validate_json(stored.result)
    if design == "its":  # one treated unit: the treated areas' mean
        assert fresh.spec.treated_unit == evaluation.TREATED_UNIT and fresh.spec.treatment_start == 2020


def test_removing_an_intervention_removes_its_plans_runs_and_areas(ws: Workspace) -> None:
    item = add(ws)
    plan(ws, item)
    run(ws, item)
    with ws.database.session() as session:
        service.remove_intervention(session, SLUG, item)
        for model in (Intervention, InterventionArea, EvaluationPlan, EvaluationRun):
            assert session.scalar(select(func.count()).select_from(model)) == 0
        with pytest.raises(NotFound):
            service.remove_intervention(session, SLUG, item)


def test_the_cli_registers_plans_runs_and_shows(ws: Workspace, tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from bettercities.cli.main import app as cli_app

    runner, where = CliRunner(), ["--workspace", str(ws.path)]

    def cli(*args: str) -> Any:
        result = runner.invoke(cli_app, [*args, *where])
        assert result.exit_code == 0, result.output
        return result

    added = json.loads(
        cli("impact", "intervention", "add", "--city", SLUG, "--name", "Jugendarbeit", "--areas", "D01,D03",
            "--start", "2020", "--unit", "Jugendamt", "--kind", "youth_work", "--budget", "12500.5",
            "--indicator", "jobless", "--json").stdout
    )  # fmt: skip
    assert added["area_codes"] == ["D01", "D03"] and added["budget_cents"] == 1_250_050
    item = str(added["id"])
    planned = cli(
        "impact", "plan", "register", "--city", SLUG, item, "--indicator", "jobless", "--design", "did"
    )
    assert "plan version 1 registered (jobless, did, pre 2016–2019, post 2020–open)" in planned.stdout
    run = cli("impact", "run", "add", "--city", SLUG, item)
    assert "better" in run.stdout and "followed plan version 1" in run.stdout
    shown = json.loads(
        cli("impact", "intervention", "show", "--city", SLUG, item, "--public", "--json").stdout
    )
    run_id = str(shown["runs"][0]["id"])
    panel = tmp_path / "panel.csv"
    cli("impact", "run", "show", "--city", SLUG, item, run_id, "--public", "--panel", str(panel))
    assert panel.read_text(encoding="utf-8").startswith("unit,period,time,outcome,treated,treatment,cohort")
    listed = json.loads(cli("impact", "intervention", "list", "--city", SLUG, "--json").stdout)
    assert [i["name"] for i in listed] == ["Jugendarbeit"] and listed[0]["runs"][0]["verdict"] == "better"
    refused = runner.invoke(
        cli_app,
        [
            "impact",
            "plan",
            "register",
            "--city",
            SLUG,
            item,
            "--indicator",
            "jobless",
            "--design",
            "x",
            *where,
        ],
    )
    assert refused.exit_code == 2 and "design" in refused.output
    bad = runner.invoke(
        cli_app, ["impact", "run", "add", "--city", SLUG, item, "--comparison", "D01", *where]
    )
    assert (
        bad.exit_code != 0
        and "comparison areas must not be treated" in bad.output
        and "Traceback" not in bad.output
    )
    cli("impact", "intervention", "remove", "--city", SLUG, item)
