"""Saving a named set of priority areas through the priority page's form in headless Chromium: an analyst
signs in, saves the shown rule, lands on the set's page (map and list of its areas); the anonymous visitor
is not offered the form and does not see the data team's set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bettercities import access as accounts
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.support.net import ServerThread
from tests.support.testville_mss import INTERNAL_CHOICE, run_testville_mss
from tests.web.citybuilder import build_city
from tests.web.conftest import PASSWORD, SUPPRESSED

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    workspace = Workspace.init(Path(tmp_path_factory.mktemp("priority-set")) / "ws")
    build_city(workspace, suppress=(SUPPRESSED,))
    with workspace.database.session() as session:
        run_testville_mss(session)
        accounts.create_user(session, "ana", PASSWORD)
        accounts.grant(session, "ana", "testville", "analyst")
    with ServerThread(create_app(workspace), timeout=60) as running:
        yield running
    workspace.close()


@pytest.fixture
def tab(server: ServerThread, chromium: Browser) -> Iterator[Any]:
    page = chromium.new_page()
    yield page
    page.context.close()


def test_an_analyst_saves_the_shown_areas_as_a_named_set(server: ServerThread, tab: Any) -> None:
    from playwright.sync_api import expect

    priority = f"{server.url}/cities/testville/priority?lang=en"
    tab.goto(priority)
    expect(tab.locator("#save-set")).to_have_count(0)  # the anonymous visitor may not save
    tab.goto(f"{server.url}/login?lang=en&next=%2Fcities%2Ftestville%2Fpriority%3Flang%3Den")
    tab.fill("input[name=username]", "ana")
    tab.fill("input[name=password]", PASSWORD)
    with tab.expect_navigation():
        tab.locator("form.form-stack button[type=submit]").click()
    assert tab.url == priority
    expect(tab.locator("#priority-count")).to_have_text(str(len(INTERNAL_CHOICE)))
    form = tab.locator("#save-set")
    form.locator("input[name=name]").fill("Aufmerksamkeit 2022")
    form.locator("input[name=description]").fill("for the district office")
    with tab.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "/cities/testville/priority-sets/Aufmerksamkeit%202022" in tab.url
    expect(tab.locator("h1")).to_have_text("Named set: Aufmerksamkeit 2022")
    expect(tab.locator("#set-areas tbody tr")).to_have_count(len(INTERNAL_CHOICE))
    expect(tab.locator("#set-provenance")).to_contain_text("ana")
    expect(tab.locator('svg [data-category="priority"]')).to_have_count(len(INTERNAL_CHOICE) + 1)  # + legend
    # signed out, the data team's set is gone
    with tab.expect_navigation():
        tab.locator("header button", has_text="Sign out").click()
    response = tab.goto(f"{server.url}/cities/testville/priority-sets/Aufmerksamkeit%202022?lang=en")
    assert response is not None and response.status == 404
