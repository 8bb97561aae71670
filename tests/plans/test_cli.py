"""``bettercities plans`` on a small city (SQLite): a plan built command by command, shown as text and as JSON
(the same typed result the API returns), what the public sees, and refusals with their problem codes (exit
code 2, nothing written)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bettercities.cli.main import app
from bettercities.plans.models import Plan, PlanAction
from bettercities.storage.workspace import Workspace
from tests.web.citybuilder import build_city

SLUG = "testville"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = Workspace.init(Path(tmp_path_factory.mktemp("plans-cli")) / "ws")
    build_city(ws, years=(2022,))
    yield ws
    ws.close()


def run(workspace: Workspace, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--workspace", str(workspace.path)])
    return result.exit_code, result.stdout, result.stderr


def count(workspace: Workspace, model: type) -> int:
    with workspace.database.reader() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _plan(workspace: Workspace) -> tuple[int, int]:
    """A plan that is not public with one objective and two ESF+ actions, through the library."""
    from datetime import date

    from bettercities.plans import service
    from bettercities.plans.schemas import ActionIn, ObjectiveIn, PlanIn, StatusChangeIn

    with workspace.database.session() as session:
        new = PlanIn(title="IAP Nord", period_from=date(2026, 1, 1), period_to=date(2027, 12, 31))
        plan = service.add_plan(session, SLUG, new, user="steward")
        objective = service.add_objective(session, SLUG, plan, ObjectiveIn(title="Familien"))
        for title, budget in (("Zentren", "1000.10"), ("Beratung", "250.45")):
            action = ActionIn(title=title, budget=Decimal(budget), funding_source="ESF+", areas=["0101"])
            last = service.add_action(session, SLUG, objective, action, user="steward")
        service.set_status(session, SLUG, last, StatusChangeIn(status="done"), user="steward")
    return plan, objective


def test_show_and_list_print_the_queries_results(workspace: Workspace) -> None:
    from bettercities.plans import queries
    from bettercities.publication import Audience
    from bettercities.views.reader import Reader

    plan, _ = _plan(workspace)
    code, out, err = run(workspace, "plans", "show", str(plan), "--city", SLUG, "--json")
    assert code == 0, err
    with workspace.database.reader() as session:
        expected = queries.visible_plan(Reader(session, audience=Audience.INTERNAL), SLUG, plan)
    shown = json.loads(out)
    assert {k: v for k, v in shown.items() if k != "figures"} == {
        k: v for k, v in expected.model_dump(mode="json").items() if k != "figures"
    }
    # by hand: 1,000.10 + 250.45 = 1,250.55, both ESF+
    assert [(b["key"], Decimal(b["amount"])) for b in shown["figures"]["budget_by_source"]] == [
        ("ESF+", Decimal("1250.55"))
    ]
    code, out, err = run(workspace, "plans", "show", str(plan), "--city", SLUG)
    assert code == 0 and "IAP Nord" in out and "1250.55 EUR" in out and "done 1" in out
    # not public: the public sees no plan (the CLI, the city's own tool, every plan)
    assert run(workspace, "plans", "list", "--city", SLUG, "--public", "--json")[1].strip() == "[]"
    assert run(workspace, "plans", "show", str(plan), "--city", SLUG, "--public")[0] == 1


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--title", "A\x07B", "--from", "2026-01-01", "--to", "2026-12-31"], "invalid-text"),
        (["--title", "A", "--from", "2026-12-31", "--to", "2026-01-01"], "invalid-timeline"),
        (
            ["--title", "A", "--from", "2026-01-01", "--to", "2026-12-31", "--status", "final"],
            "invalid-choice",
        ),
        (["--title", "A", "--from", "someday", "--to", "2026-12-31"], "invalid-plan"),
    ],
)
def test_refusals_name_their_code_and_write_nothing(workspace: Workspace, args: list[str], code: str) -> None:
    before = count(workspace, Plan)
    exit_code, _, err = run(workspace, "plans", "add", "--city", SLUG, *args)
    assert exit_code == 2 and code in err, err
    assert count(workspace, Plan) == before


def test_an_action_with_a_negative_budget_or_unknown_area_or_goal_is_refused(workspace: Workspace) -> None:
    _, objective = _plan(workspace)
    before = count(workspace, PlanAction)
    for extra, problem in ((["--budget", "-1"], "negative-budget"), (["--area", "9999"], "unknown-area"),
                           (["--goal", "424242"], "unknown-goal")):  # fmt: skip
        args = ["plans", "action", "add", str(objective), "--city", SLUG, "--title", "A", *extra]
        exit_code, _, err = run(workspace, *args)
        assert exit_code == 2 and problem in err, err
    assert count(workspace, PlanAction) == before
