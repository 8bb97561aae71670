"""web.forms.run_form: a refused write keeps nothing and shows the page again with its reasons; a write that
goes through redirects (303) in the reader's language."""

from __future__ import annotations

import pytest
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas.models import City
from bettercities.areas.schemas import CitySpec
from bettercities.areas.service import create_city
from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.core.problems import Problem, Report
from bettercities.storage.workspace import Workspace
from bettercities.web.forms import refusal_messages, run_form


def _page(messages: list[str]) -> HTMLResponse:
    return HTMLResponse(" | ".join(messages), status_code=422)


def _cities(workspace: Workspace) -> list[str]:
    with workspace.database.reader() as session:
        return list(session.scalars(select(City.slug)))


def test_a_write_that_goes_through_redirects_in_the_language(sqlite_workspace: Workspace) -> None:
    def action(session: Session) -> str:
        return create_city(session, CitySpec(slug="aachen", name="Aachen", country="DE")).slug

    response = run_form(sqlite_workspace, "de", action, refused=_page, done=lambda slug: f"/cities/{slug}")
    assert response.status_code == 303 and response.headers["location"] == "/cities/aachen?lang=de"
    assert _cities(sqlite_workspace) == ["aachen"]


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (NotFound("network", "nowhere"), "network not found: nowhere"),
        (Conflict("a city with slug 'x' exists already"), "a city with slug 'x' exists already"),
        (
            InvalidInput("bad", Report(problems=[Problem(code="invalid-period", message="not a year")])),
            "not a year",
        ),
        (
            Conflict("late", Report(problems=[Problem(code="call-late", message="the call closed")])),
            "the call closed",
        ),
    ],
)
def test_a_refused_write_keeps_nothing_and_shows_its_reason(
    sqlite_workspace: Workspace, error: Exception, shown: str
) -> None:
    def action(session: Session) -> None:
        create_city(session, CitySpec(slug="aachen", name="Aachen", country="DE"))
        session.flush()
        raise error

    response = run_form(sqlite_workspace, "en", action, refused=_page, done="/never")
    assert response.status_code == 422 and shown in bytes(response.body).decode()
    assert _cities(sqlite_workspace) == []  # the city written before the refusal was rolled back


def test_a_conflict_with_a_report_reads_like_an_invalid_input() -> None:
    report = Report(problems=[Problem(code="call-late", message="the call closed", column="submitted")])
    assert refusal_messages(Conflict("late", report), "en") == refusal_messages(
        InvalidInput("late", report), "en"
    )
