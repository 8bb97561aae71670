"""The demo's intervention (issue 14) on the 60-area demo of two years (2023-2024, the build the engagement
tests share): neighbourhood management in the public priority set from 2024, its plan registered before the
run, the run by the plan on the public's data (its stored result equal to a fresh estimate on a panel built
again from the database), chosen by the outcome (the regression-to-the-mean warning), evaluated end to end in
the web app (the run page and its PDF report); a demo of one year has none."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bettercities.areas import service as areas
from bettercities.demo.impact import NAME, add_intervention
from bettercities.goals.progress import FixedViewer
from bettercities.impact import evaluation, queries
from bettercities.impact.designs import RTM_WARNING, estimate
from bettercities.impact.models import EvaluationRun, Intervention
from bettercities.impact.register_schemas import RunSettings
from bettercities.impact.schemas import EstimateResult
from bettercities.indicators.models import Indicator
from bettercities.indicators.schemas import Polarity
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.support.demos import built_demo

PARAMS = {"seed": 2026, "n_planning_areas": 60, "first_year": 2023, "last_year": 2024}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    workspace, _ = built_demo(
        tmp_path_factory, Path(tmp_path_factory.mktemp("impact-demo")) / "demo", **PARAMS
    )
    yield workspace
    workspace.close()


def _run(demo: Workspace) -> tuple[str, int, int]:
    with demo.database.reader() as session:
        item = session.scalar(select(Intervention).where(Intervention.name == NAME))
        assert item is not None
        run_id = session.scalar(select(EvaluationRun.id).where(EvaluationRun.intervention_id == item.id))
        assert run_id is not None
        slug = areas.get_city(session, "auenstedt").slug
        return slug, item.id, run_id


def test_the_demo_intervention_is_planned_and_evaluated_by_its_plan(demo: Workspace) -> None:
    slug, item, run_id = _run(demo)
    with demo.database.reader() as session:
        viewer = FixedViewer(session, Audience.PUBLIC)
        out = queries.visible_intervention(viewer, slug, item)
        run = queries.visible_run(viewer, slug, item, run_id)
    assert out.start_period == "2024" and out.kind.value == "neighbourhood_management" and out.priority_set
    assert [p.version for p in out.plans] == [1] and out.plans[0].registered_at <= run.created_at
    assert run.followed_plan and run.audience == "public" and run.settings.pre_start == "2023"
    assert set(run.treated_areas) <= set(out.area_codes) and run.comparison_areas
    assert RTM_WARNING in run.result.warnings  # the set was chosen by a status index reading unemployment


def test_the_stored_result_equals_a_fresh_estimate(demo: Workspace) -> None:
    slug, item, run_id = _run(demo)
    with demo.database.reader() as session:
        city = areas.get_city(session, slug)
        stored = session.get(EvaluationRun, run_id)
        row = session.get(Intervention, item)
        assert stored is not None and row is not None
        settings = RunSettings.model_validate_json(stored.settings)
        indicator = session.scalar(select(Indicator).where(Indicator.code == settings.indicator))
        assert indicator is not None
        panel = evaluation.build_panel(session, city, row, indicator, settings, audience=Audience.PUBLIC)
        selected = evaluation.selected_on_outcome(session, row, indicator)
        polarity = Polarity(indicator.polarity)
        stored_panel, stored_result = stored.panel, stored.result
    frame, spec = evaluation.spec_for(panel, settings, polarity, selected=selected)
    assert panel.csv() == stored_panel
    assert estimate(frame, spec) == EstimateResult.model_validate_json(stored_result)


def test_the_demo_s_evaluation_in_the_web_app(demo: Workspace) -> None:
    slug, item, run_id = _run(demo)
    client = TestClient(create_app(demo))
    listing = client.get(f"/cities/{slug}/interventions?lang=de")
    assert listing.status_code == 200 and NAME in listing.text
    page = client.get(f"/cities/{slug}/interventions/{item}/evaluations/{run_id}?lang=de")
    assert (page.status_code == 200 and "Urteil" in page.text) or "Ergebnis" in page.text
    pdf = client.get(f"/cities/{slug}/interventions/{item}/evaluations/{run_id}/report.pdf?lang=de")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_demo_of_one_year_has_no_intervention(demo: Workspace) -> None:
    with demo.database.session() as session:
        city = areas.get_city(session, "auenstedt")
        assert add_intervention(session, city, set_name="x", first_year=2024, last_year=2024) is None
        assert add_intervention(session, city, set_name="x", first_year=2023, last_year=2024) is None  # built


def test_no_protected_or_suppressed_cell_is_in_the_public_panel(demo: Workspace) -> None:
    """The demo declares disclosure control (withheld and perturbed cells): none of them, and no suppressed
    observation, is among the cells the public run estimated on."""
    import io

    import pandas as pd

    from bettercities.areas.models import Area
    from bettercities.indicators.models import Observation, Period
    from bettercities.publication import protection

    slug, _, run_id = _run(demo)
    with demo.database.reader() as session:
        city = areas.get_city(session, slug)
        stored = session.get(EvaluationRun, run_id)
        assert stored is not None
        panel = pd.read_csv(io.StringIO(stored.panel), dtype={"unit": str, "period": str})
        marks = protection.marks(session, city.id)
        ids = {c: i for i, c in session.execute(select(Area.id, Area.code).where(Area.city_id == city.id))}
        periods = {c: i for i, c in session.execute(select(Period.id, Period.code))}
        suppressed = set(
            session.execute(
                select(Observation.area_id, Observation.period_id).where(
                    Observation.indicator_id == stored.indicator_id, Observation.suppressed.is_(True)
                )
            ).all()
        )
        marked = {(area, period) for (ind, period, area) in marks if ind == stored.indicator_id}
    assert marked, "the demo protects some cells of the outcome (else this test shows nothing)"
    used = {(ids[u], periods[p]) for u, p in zip(panel["unit"], panel["period"], strict=True)}
    assert not used & marked and not used & suppressed
