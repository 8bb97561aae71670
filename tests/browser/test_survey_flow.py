"""Issue 16's survey acceptance in headless Chromium: a municipality's contact signs in and fills in the
practice survey in German; the question on the finest spatial level stays hidden while its condition (data
below the whole city: yes) is false and appears when it is true (the page's own script asks the server); a
constraint violation (900 staff, allowed 0 to 200) is shown at the field, described by its message; the
corrected response is saved; the results page shows the network's aggregate and withholds a breakdown group
below the minimum group size (3).

World (tests/surveys/world.py): six municipalities; network ``south`` = celle (DE), empoli and fano (IT);
five responses before the test (fano's is the one given here)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bettercities import access as accounts
from bettercities.access.contacts import add_contact
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.support.net import ServerThread
from tests.surveys import world

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CONTACT, PASSWORD = "fano-kontakt", "correct horse battery"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    workspace = Workspace.init(Path(tmp_path_factory.mktemp("survey-flow")) / "ws")
    with workspace.database.session() as session:
        world.build(session)
        accounts.create_user(session, CONTACT, PASSWORD)
        add_contact(session, CONTACT, "fano", by="test")
    with ServerThread(create_app(workspace), timeout=60) as running:
        yield running
    workspace.close()


def _submit(page: Any, button: Any) -> None:
    with page.expect_navigation():
        button.click()


def test_a_contact_answers_in_german_and_the_results_withhold_small_groups(
    served: ServerThread, chromium: Browser
) -> None:
    from playwright.sync_api import expect

    url = served.url
    page = chromium.new_context().new_page()
    page.goto(f"{url}/login?lang=de&next=%2Fsurveys%2Fpractice%3Flang%3Dde")
    page.fill("input[name=username]", CONTACT)
    page.fill("input[name=password]", PASSWORD)
    _submit(page, page.locator("form.form-stack button[type=submit]"))
    # the survey page offers the contact's municipality; the form is in German
    _submit(page, page.locator("a[data-respond=fano]"))
    expect(page.locator("h1")).to_have_text("Sozialdaten in der Praxis der Kommunen")
    level = page.locator("#q-finest_level")
    expect(level).to_be_hidden()
    page.get_by_label("Nein").first.check()  # small_area = no: the condition stays false
    page.wait_for_timeout(400)
    expect(level).to_be_hidden()
    page.locator("#f-small_area-yes").check()  # true: the script asks the server, the question appears
    expect(level).to_be_visible()
    page.locator("#f-small_area-no").check()
    expect(level).to_be_hidden()

    page.locator("#f-topics-labour").check()
    page.locator("#f-sources-statistics_office").check()
    page.locator("#f-staff").fill("900")
    page.locator("#f-priorities-never").check()
    page.locator("#f-goals-no").check()
    page.locator("#f-measures_impact-no").check()
    _submit(page, page.get_by_role("button", name="Antwort speichern"))
    # the constraint's message at the field, which it describes
    error = page.locator("#err-staff")
    expect(error).to_contain_text("Bitte eine Zahl von 0 bis 200 angeben.")
    staff = page.locator("#f-staff")
    expect(staff).to_have_attribute("aria-invalid", "true")
    assert "err-staff" in (staff.get_attribute("aria-describedby") or "")
    expect(page.locator("#error-summary")).to_contain_text("Bitte eine Zahl von 0 bis 200 angeben.")
    expect(level).to_be_hidden()  # still skipped after the server's check
    staff.fill("5")
    _submit(page, page.get_by_role("button", name="Antwort speichern"))
    expect(page.locator("[data-saved]")).to_have_text("Die Antwort wurde gespeichert.")
    expect(page.locator("#f-staff")).to_have_value("5")

    # the results: the network's aggregate (celle, empoli, fano: 3), broken down by country (DE 1, IT 2)
    page.goto(f"{url}/surveys/practice/results?lang=de")
    page.locator("#network").select_option("south")
    _submit(page, page.get_by_role("button", name="Anzeigen"))
    topics = page.locator("section[data-question=topics]")
    expect(topics.locator("tr[data-group=south][data-answer=labour] td").nth(2)).to_have_text("1")
    expect(page.locator(".lead")).to_contain_text("3 antwortende Kommunen")
    page.locator("#by").select_option("country")
    _submit(page, page.get_by_role("button", name="Anzeigen"))
    withheld = topics.locator("tr[data-group=IT][data-withheld=true]")
    expect(withheld).to_contain_text("zurückgehalten")
    expect(topics.locator("tr[data-group=IT][data-answer]")).to_have_count(0)
    expect(page.locator("[data-withheld-group=IT]")).to_be_visible()
