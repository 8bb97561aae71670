"""Issue 16's acceptance in headless Chromium: a municipality's contact signs in and applies to an open call
through the application form; an application to a call whose window has passed is refused with the deadline
in the call's and the applicant's time zone; the coordinator shortlists and selects on the applications page,
forms a tandem of the two selected applications, and the tandem appears on the programme's map. Every step
goes through a page form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bettercities import access as accounts
from bettercities.access import contacts
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.calls import service as calls
from bettercities.calls.schemas import ApplicationIn
from bettercities.networks import service as networks
from bettercities.networks.schemas import ProgrammeIn
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.calls.test_calls import call_spec
from tests.support.net import ServerThread

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    workspace = Workspace.init(Path(tmp_path_factory.mktemp("call-to-tandem")) / "ws")
    with workspace.database.session() as session:
        networks.create_programme(session, ProgrammeIn(slug="vie", name="#vernetztinEuropa"))
        networks.create_network(session, "vie-net", name_de="Netz", name_en="Network", programme="vie")
        for slug, name, country, lat, lon in (
            ("hamm", "Hamm", "DE", 51.6652, 7.8236), ("arezzo", "Arezzo", "IT", 43.4451, 11.9043),
        ):  # fmt: skip
            spec = CitySpec(slug=slug, name=name, country=country, lat=lat, lon=lon, population=150_000)
            areas.create_city(session, spec)
        for user in ("coord", "hammc", "arezzoc"):
            accounts.create_user(session, user, PASSWORD)
        accounts.grant_network(session, "coord", "vie-net", "coordinator")
        contacts.add_contact(session, "hammc", "hamm", by="admin")
        contacts.add_contact(session, "arezzoc", "arezzo", by="admin")
        window = {"opens_at": NOW - timedelta(days=5), "closes_at": NOW + timedelta(days=5)}
        calls.create_call(
            session, call_spec(slug="open-call", countries=[], size_classes=[], **window), by="c"
        )
        past = {"opens_at": datetime(2021, 12, 2), "closes_at": datetime(2022, 2, 26)}
        calls.create_call(session, call_spec(slug="past-call", **past), by="c")
        for slug in ("open-call", "past-call"):
            calls.open_call(session, slug, by="c")
        spec = ApplicationIn(city="arezzo", theme="climate", answers={"motivation": "Impariamo insieme."})
        calls.apply(session, "open-call", spec, by="arezzoc")  # the other applicant, through the library
    with ServerThread(create_app(workspace), timeout=60) as running:
        yield running
    workspace.close()


def _submit(page: Any, form: Any, button: str = "button[type=submit]") -> None:
    with page.expect_navigation():
        form.locator(button).click()


def _sign_in(page: Any, url: str, user: str, next_path: str) -> None:
    page.goto(f"{url}/login?lang=en&next={next_path}")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    _submit(page, page.locator("form.form-stack"))


def test_apply_refuse_late_select_and_form_a_tandem(server: ServerThread, chromium: Browser) -> None:
    from playwright.sync_api import expect

    url = server.url
    contact = chromium.new_context().new_page()
    # the contact opens the call and applies through the form
    _sign_in(contact, url, "hammc", "%2Fcalls%2Fopen-call%3Flang%3Den")
    expect(contact.locator("h1")).to_contain_text("Call for participation")
    with contact.expect_navigation():
        contact.locator("#apply-link").click()
    form = contact.locator("#apply-form")
    form.locator("select[name=theme]").select_option("climate")
    form.locator("textarea[name=answer_motivation]").fill("Hamm wants to learn from a European partner.")
    form.locator("select[name=time_zone]").select_option("Europe/Athens")
    _submit(contact, form)
    expect(contact.locator("#application-status")).to_have_attribute("data-status", "submitted")
    expect(contact.locator("h1")).to_contain_text("Hamm")
    # after the window: refused, naming the deadline in the call's and the applicant's zone
    contact.goto(f"{url}/calls/past-call/apply?lang=en")
    late = contact.locator("#apply-form")
    late.locator("select[name=theme]").select_option("climate")
    late.locator("textarea[name=answer_motivation]").fill("Too late?")
    late.locator("select[name=time_zone]").select_option("Europe/Athens")
    _submit(contact, late)
    refusal = contact.locator("#apply-errors")
    expect(refusal).to_contain_text("Too late")
    expect(refusal).to_contain_text("2022-02-26 00:00 CET (Europe/Berlin)")
    expect(refusal).to_contain_text("2022-02-26 01:00 EET (Europe/Athens)")
    # the applicant sees only its own application and no scores
    contact.goto(f"{url}/calls/open-call/applications?lang=en")
    expect(contact.locator("#applications tbody tr")).to_have_count(1)
    expect(contact.locator("#applications tr[data-city=hamm]")).to_have_count(1)
    expect(contact.locator("text=Combined score")).to_have_count(0)

    # the coordinator moves both applications on and selects them
    coordinator = chromium.new_context().new_page()
    _sign_in(coordinator, url, "coord", "%2Fcalls%2Fopen-call%2Fapplications%3Flang%3Den")
    expect(coordinator.locator("#applications tbody tr")).to_have_count(2)
    for city in ("hamm", "arezzo"):
        for step in ("eligible", "shortlisted", "selected"):
            row = coordinator.locator(f"#applications tr[data-city={city}]")
            status_form = row.locator("form.status-form")
            status_form.locator("select[name=status]").select_option(step)
            _submit(coordinator, status_form)
            expect(coordinator.locator(f"#applications tr[data-city={city}]")).to_have_attribute(
                "data-status", step
            )
    # a tandem of the two selected applications
    tandem = coordinator.locator("#tandem-form")
    for box in tandem.locator("input[name=application]").all():
        box.check()
    tandem.locator("input[name=name]").fill("Arezzo – Hamm")
    _submit(coordinator, tandem)
    expect(coordinator.locator("h1")).to_contain_text("Arezzo – Hamm")
    expect(coordinator.locator("#tandem-members li")).to_have_count(2)
    # … on the programme's map: a line between the partners
    coordinator.goto(f"{url}/programmes/vie?lang=en")
    figure = coordinator.locator("#programme-map svg.europe-map")
    expect(figure).to_be_visible()
    expect(figure.locator("line.link")).to_have_count(1)
    expect(coordinator.locator("#tandem-links li")).to_have_count(1)
