"""The automatic measures on data of the domains they count (calls, tandems, surveys, networks): each value
as of a day against an independent recount with plain SQL on the same rows — applications submitted by the
day, activities begun, action plans adopted, survey respondents, and the distinct municipalities among
members, applicants and respondents (a city that is all three counts once)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, union

from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.calls import service as calls
from bettercities.calls.models import Application, Call
from bettercities.calls.schemas import ApplicationIn, BodyType, CallIn, FormField
from bettercities.impact_logic import measures
from bettercities.networks import service as networks
from bettercities.networks.models import Membership, Network, Programme
from bettercities.networks.schemas import MemberIn, ProgrammeIn
from bettercities.storage.workspace import Workspace
from bettercities.surveys import service as surveys
from bettercities.surveys.models import Survey, SurveyResponse
from bettercities.surveys.practice import shipped_path
from bettercities.surveys.schemas import SurveyStatus
from bettercities.tandems import service as tandems
from bettercities.tandems.schemas import ActivityIn, OutputIn

TODAY = datetime.now(UTC).date()
ANSWERS = {"topics": "labour", "small_area": "no", "staff": "1", "sources": "statistics_office",
           "priorities": "never", "goals": "no", "measures_impact": "no"}  # fmt: skip


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    workspace = Workspace.init(tmp_path_factory.mktemp("impact-logic-measures"))
    with workspace.database.session() as session:
        for slug, country, population in (("hamm", "DE", 178_000), ("krefeld", "DE", 227_000),
                                          ("arezzo", "IT", 97_000), ("geestland", "DE", 31_000)):  # fmt: skip
            areas.create_city(
                session, CitySpec(slug=slug, name=slug.title(), country=country, population=population)
            )
        networks.create_programme(session, ProgrammeIn(slug="vie", name="#vernetztinEuropa"))
        spec = CallIn(
            slug="vie-2022", programme="vie", title_de="Aufruf", title_en="Call", themes=["climate"],
            opens_at=datetime(2021, 12, 2), closes_at=datetime(2022, 2, 26), time_zone="Europe/Berlin",
            countries=["DE", "IT"], body_types=[BodyType.MUNICIPALITY],
            form=[FormField(code="motivation", label_de="Motivation", label_en="Motivation")],
        )  # fmt: skip
        calls.create_call(session, spec, by="coordinator")
        calls.open_call(session, "vie-2022", by="coordinator")
        for city, at, submit in (("hamm", datetime(2022, 1, 5, 9, tzinfo=UTC), True),
                                 ("krefeld", datetime(2022, 2, 1, 9, tzinfo=UTC), True),
                                 ("arezzo", datetime(2022, 2, 2, 9, tzinfo=UTC), False)):  # fmt: skip
            application = ApplicationIn.model_validate(
                {"city": city, "theme": "climate", "answers": {"motivation": "learn"}, "submit": submit}
            )
            calls.apply(session, "vie-2022", application, by="contact", now=at)
        networks.create_network(
            session, "tandem-hamm-arezzo", name_de="Tandem", name_en="Tandem", programme="vie", kind="tandem",
            start=date(2022, 5, 17),
        )  # fmt: skip
        for city in ("hamm", "arezzo"):
            networks.add_membership(
                session,
                "tandem-hamm-arezzo",
                MemberIn(city=city, role="tandem partner", start=date(2022, 5, 17)),
            )
        tandems.add_activity(
            session,
            "tandem-hamm-arezzo",
            ActivityIn(kind="kick-off", title="Kick-off", starts_on=date(2022, 6, 1)),
        )
        tandems.add_activity(
            session,
            "tandem-hamm-arezzo",
            ActivityIn(kind="workshop", title="Workshop", starts_on=date(2022, 9, 20)),
        )
        plan = tandems.add_output(
            session,
            "tandem-hamm-arezzo",
            OutputIn(title="Action plan", city="hamm", drafted_on=date(2023, 3, 1)),
        )
        tandems.set_output_status(session, plan.id, "adopted", on=date(2023, 6, 30))
        surveys.load_survey(session, shipped_path(), slug="practice", programme_slug="vie", by="test")
        surveys.set_status(session, "practice", SurveyStatus.OPEN, by="test")
        surveys.respond(session, "practice", "geestland", ANSWERS, by="test")  # submitted today
        surveys.respond(session, "practice", "hamm", ANSWERS, by="test")
    yield workspace
    workspace.close()


def _value(ws: Workspace, code: str, day: date) -> int:
    with ws.database.reader() as session:
        programme = session.scalar(select(Programme).where(Programme.slug == "vie"))
        assert programme is not None
        return measures.compute(session, code, programme, day)


def _recount_reached(ws: Workspace, day: date) -> int:
    """Distinct cities: members of the programme's networks started by ``day``, applicants who submitted and
    respondents by its end, with plain SQL."""
    end = measures.end_of_day(day).replace(tzinfo=None)  # SQLite keeps UTC instants without their zone
    members = (
        select(Membership.city_id)
        .join(Network, Network.id == Membership.network_id)
        .join(Programme, Programme.id == Network.programme_id)
        .where(Programme.slug == "vie", Membership.start <= day, Membership.superseded_at.is_(None))
    )
    applicants = (
        select(Application.city_id)
        .join(Call, Call.id == Application.call_id)
        .join(Programme, Programme.id == Call.programme_id)
        .where(Programme.slug == "vie", Application.submitted_at < end)
    )
    respondents = (
        select(SurveyResponse.city_id)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .join(Programme, Programme.id == Survey.programme_id)
        .where(Programme.slug == "vie", SurveyResponse.submitted.is_(True), SurveyResponse.submitted_at < end)
    )
    with ws.database.reader() as session:
        return len(set(session.scalars(union(members, applicants, respondents))))


@pytest.mark.parametrize(
    ("day", "expected"),
    [(date(2022, 1, 31), 1), (date(2022, 2, 28), 2), (date(2024, 12, 31), 3), (TODAY, 4)],
)
def test_municipalities_reached_is_the_distinct_recount(ws: Workspace, day: date, expected: int) -> None:
    # 31 Jan 2022: Hamm applied; 28 Feb: Krefeld too (Arezzo's draft does not count); from 17 May 2022 Arezzo
    # is a tandem member (Hamm counted once); today: Geestland responded to the survey (Hamm responded too)
    assert _value(ws, "municipalities_reached", day) == _recount_reached(ws, day) == expected


def test_the_other_counts_as_of_a_day(ws: Workspace) -> None:
    assert [_value(ws, "applications_submitted", d) for d in (date(2022, 1, 31), date(2022, 2, 28))] == [1, 2]
    assert [
        _value(ws, "activities_held", d) for d in (date(2022, 5, 31), date(2022, 6, 30), date(2022, 12, 31))
    ] == [0, 1, 2]
    assert [_value(ws, "action_plans_adopted", d) for d in (date(2023, 3, 31), date(2023, 6, 30))] == [0, 1]
    assert [_value(ws, "survey_respondents", d) for d in (date(2024, 12, 31), TODAY)] == [0, 2]
    assert [_value(ws, "tandems_formed", d) for d in (date(2022, 5, 16), date(2022, 5, 17))] == [0, 1]
