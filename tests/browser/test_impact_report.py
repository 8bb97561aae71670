"""Issue 14's acceptance in headless Chromium, on the demo city (60 planning areas, 2023-2024): the public
follows the city page's link to the interventions, opens the demo's intervention and its evaluation, whose
page shows the verdict before the counterfactual chart (an SVG with a title), and opens the HTML report; a
steward signs in, registers a new plan version through the intervention page's form and runs the evaluation
with its button, landing on the new run's page, which says that the run followed plan version 2; its PDF
report is a PDF. Every step goes through a page (none needs the API)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from bettercities import access as accounts
from bettercities.web import create_app
from tests.support.demos import built_demo
from tests.support.net import ServerThread

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLUG = "auenstedt"
STEWARD, PASSWORD = "ilka", "correct horse battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    folder = Path(tmp_path_factory.mktemp("impact-report")) / "demo"
    workspace, _ = built_demo(tmp_path_factory, folder, n_planning_areas=60, first_year=2023, last_year=2024)
    with workspace.database.session() as session:
        accounts.create_user(session, STEWARD, PASSWORD)
        accounts.grant(session, STEWARD, SLUG, "steward")
    with ServerThread(create_app(workspace), timeout=60) as running:
        yield running
    workspace.close()


def _submit(page: Any, form: Any) -> None:
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_the_public_reads_the_report_and_a_steward_runs_the_plan(
    server: ServerThread, chromium: Browser
) -> None:
    from playwright.sync_api import expect

    url = server.url
    public = chromium.new_context().new_page()
    public.goto(f"{url}/cities/{SLUG}?lang=en")
    public.locator("a[data-link=interventions]").click()
    expect(public.locator("h1")).to_contain_text("Interventions in")
    public.locator("#interventions tbody a").first.click()
    expect(public.locator("#intervention-plans")).to_contain_text("difference in differences")
    public.locator("#intervention-runs tbody a").first.click()
    verdict = public.locator(".bc-verdict")
    expect(verdict).to_have_attribute("data-verdict", "no_detectable_change")
    expect(public.locator("h1")).to_have_count(1)
    chart = public.locator("#impact-report svg").first
    expect(chart.locator(":scope > title")).to_have_count(1)
    first, chart_box = verdict.bounding_box(), chart.bounding_box()
    assert first is not None and chart_box is not None and first["y"] < chart_box["y"]  # the verdict first
    expect(public.locator("#run-plan")).to_contain_text("followed the plan registered before it (version 1)")
    public.locator("a[data-link=report-html]").click()
    expect(public.locator(".bc-verdict-word")).to_be_visible()
    assert public.evaluate("document.styleSheets.length") >= 1  # the report's stylesheet loaded under the CSP

    steward = chromium.new_context().new_page()
    steward.goto(f"{url}/login?lang=en&next=%2Fcities%2F{SLUG}%2Finterventions%3Flang%3Den")
    steward.fill("input[name=username]", STEWARD)
    steward.fill("input[name=password]", PASSWORD)
    _submit(steward, steward.locator("form.form-stack"))
    steward.locator("#interventions tbody a").first.click()
    plan = steward.locator("#plan-form")
    plan.locator("#plan-design").select_option("twfe")
    plan.locator("#plan-analysis").fill("Two-way fixed effects instead: the same comparison areas.")
    _submit(steward, plan)
    expect(steward.locator('#intervention-plans tr[data-plan-version="2"]')).to_contain_text("two-way")
    _submit(steward, steward.locator("#run-form"))
    expect(steward.locator("#run-plan")).to_contain_text("followed the plan registered before it (version 2)")
    expect(steward.locator(".bc-verdict")).to_have_count(1)
    pdf_href = steward.locator("a[data-link=report-pdf]").get_attribute("href")
    assert pdf_href is not None
    pdf = httpx.get(f"{url}{pdf_href}", timeout=60)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
