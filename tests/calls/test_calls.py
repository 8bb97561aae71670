"""Calls for participation: the window in the call's time zone and the late refusal, eligibility rules,
the status order with its history, panel scores combined by mean or median, count_applications."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.audit.models import AuditEntry
from bettercities.calls import service as calls
from bettercities.calls.models import ApplicationStatus
from bettercities.calls.schemas import ApplicationIn, BodyType, CallIn, Criterion, FormField
from bettercities.core.errors import Conflict, InvalidInput
from bettercities.networks import service as networks
from bettercities.networks.schemas import ProgrammeIn
from bettercities.storage.workspace import Workspace

#: Opened 2 Dec 2021, closes at the end of 25 Feb 2022 in Berlin: 2022-02-26 00:00 CET = 2022-02-25 23:00 UTC
#: (CET is UTC+1 in winter; #vernetztinEuropa's call window, issue 16).
OPENS = datetime(2021, 12, 2, 0, 0)
CLOSES = datetime(2022, 2, 26, 0, 0)
DURING = datetime(2022, 1, 10, 12, 0, tzinfo=UTC)


def call_spec(**changes: object) -> CallIn:
    data: dict[str, object] = {
        "slug": "vie-2022",
        "programme": "vie",
        "title_de": "Aufruf zur Teilnahme",
        "title_en": "Call for participation",
        "themes": ["social cohesion", "climate"],
        "opens_at": OPENS,
        "closes_at": CLOSES,
        "time_zone": "Europe/Berlin",
        "countries": ["DE", "IT"],
        "size_classes": ["medium-town", "city"],
        "body_types": [BodyType.MUNICIPALITY],
        "form": [FormField(code="motivation", label_de="Motivation", label_en="Motivation")],
        "criteria": [
            Criterion(code="relevance", label_de="Relevanz", label_en="Relevance", weight=2, scale_max=5),
            Criterion(code="capacity", label_de="Kapazität", label_en="Capacity", weight=1, scale_max=5),
        ],
    }
    data.update(changes)
    return CallIn.model_validate(data)


@pytest.fixture
def world(sqlite_workspace: Workspace) -> Workspace:
    with sqlite_workspace.database.session() as session:
        networks.create_programme(session, ProgrammeIn(slug="vie", name="#vernetztinEuropa"))
        networks.create_programme(session, ProgrammeIn(slug="other", name="Other"))
        for slug, name, country, population in (
            ("hamm", "Hamm", "DE", 178_000),
            ("krefeld", "Krefeld", "DE", 227_000),
            ("arezzo", "Arezzo", "IT", 97_000),
            ("geestland", "Geestland", "DE", 31_000),
            ("tiny", "Tiny", "DE", 4_000),
            ("lyon", "Lyon", "FR", 520_000),
        ):
            areas.create_city(session, CitySpec(slug=slug, name=name, country=country, population=population))
        calls.create_call(session, call_spec(), by="coordinator")
        calls.open_call(session, "vie-2022", by="coordinator")
    return sqlite_workspace


def _apply(ws: Workspace, city: str, *, at: datetime = DURING, **changes: object) -> int:
    spec = {"city": city, "theme": "climate", "answers": {"motivation": "We want to learn."}, **changes}
    with ws.database.session() as session:
        return calls.apply(session, "vie-2022", ApplicationIn.model_validate(spec), by="contact", now=at).id


def test_window_is_kept_in_the_calls_zone(world: Workspace) -> None:
    with world.database.reader() as session:
        out = calls.call_out(session, calls.get_call(session, "vie-2022"), now=DURING)
    assert out.opens_at.isoformat() == "2021-12-02T00:00:00+01:00"
    assert out.closes_at.isoformat() == "2022-02-26T00:00:00+01:00"
    assert out.accepting and out.time_zone == "Europe/Berlin"


def test_late_application_is_refused_naming_the_deadline_in_both_zones(world: Workspace) -> None:
    last_second = datetime(2022, 2, 25, 22, 59, 59, tzinfo=UTC)
    assert _apply(world, "hamm", at=last_second)
    late = datetime(2022, 2, 25, 23, 0, tzinfo=UTC)  # = 2022-02-26 00:00 in Berlin
    with pytest.raises(calls.LateApplication) as refused:
        _apply(world, "krefeld", at=late, time_zone="Europe/Athens")
    message = str(refused.value)
    assert "2022-02-26 00:00 CET (Europe/Berlin)" in message
    assert "2022-02-26 01:00 EET (Europe/Athens) in your time zone" in message  # EET = UTC+2
    assert "2022-02-25 23:00 UTC (UTC)" in message
    assert refused.value.report is not None and refused.value.report.problems[0].code == "call-late"
    with world.database.reader() as session:  # nothing written
        assert [a.city for a in calls.list_applications(session, "vie-2022")] == ["hamm"]


def test_before_opening_and_unknown_zone_are_refused(world: Workspace) -> None:
    with pytest.raises(Conflict, match="takes applications from 2021-12-02 00:00 CET"):
        _apply(world, "hamm", at=datetime(2021, 12, 1, 22, 59, tzinfo=UTC))
    with pytest.raises(InvalidInput, match="unknown time zone"):
        _apply(world, "hamm", time_zone="Mars/Olympus")
    with world.database.session() as session, pytest.raises(InvalidInput, match="unknown time zone"):
        calls.create_call(session, call_spec(slug="x-1", time_zone="Europe/Nowhere"), by="c")
    with world.database.session() as session, pytest.raises(InvalidInput, match="end after it opens"):
        calls.create_call(session, call_spec(slug="x-2", closes_at=OPENS), by="c")


def test_answers_must_fit_the_form(world: Workspace) -> None:
    with pytest.raises(InvalidInput, match="needs an answer"):
        _apply(world, "hamm", answers={})
    with pytest.raises(InvalidInput, match="no field budget"):
        _apply(world, "hamm", answers={"motivation": "x", "budget": "1"})
    with pytest.raises(InvalidInput, match="call's themes"):
        _apply(world, "hamm", theme="sports")
    draft = _apply(world, "hamm", answers={}, submit=False)  # a draft may be incomplete
    with world.database.session() as session, pytest.raises(InvalidInput, match="needs an answer"):
        calls.submit(session, draft, by="contact", now=DURING)
    again = _apply(world, "hamm")  # completes and submits the draft
    assert again == draft
    with pytest.raises(Conflict, match="applied to call 'vie-2022' already"):
        _apply(world, "hamm")


def test_statuses_follow_the_order_with_an_audited_history(world: Workspace) -> None:
    first = _apply(world, "hamm")
    with world.database.session() as session:
        with pytest.raises(Conflict, match="can become eligible, rejected, not shortlisted"):
            calls.set_status(session, first, "shortlisted", by="coordinator")
        calls.set_status(session, first, "eligible", by="coordinator")
        calls.set_status(session, first, "shortlisted", by="coordinator")
        with pytest.raises(InvalidInput, match="needs a reason"):
            calls.set_status(session, first, "rejected", by="coordinator")
        out = calls.set_status(session, first, "selected", by="coordinator", reason="strong pair")
    assert [h.status.value for h in out.history] == [
        "draft",
        "submitted",
        "eligible",
        "shortlisted",
        "selected",
    ]
    assert out.history[-1].reason == "strong pair" and out.history[-1].by == "coordinator"
    with world.database.reader() as session:
        events = session.scalars(select(AuditEntry.action).where(AuditEntry.action == "application-status"))
        assert len(list(events)) == 5
        rows = session.scalars(
            select(AuditEntry.entity).where(AuditEntry.entity == "call_application_status")
        )
        assert rows.first() is not None  # the history rows themselves are recorded writes


@pytest.mark.parametrize(
    ("city", "changes", "reason"),
    [
        ("lyon", {}, "country FR is not among DE, IT"),
        ("tiny", {}, "size class small-town is not among medium-town, city"),
        ("krefeld", {"body_type": "county"}, "body type county is not among municipality"),
    ],
)
def test_eligibility_rules(world: Workspace, city: str, changes: dict[str, object], reason: str) -> None:
    application = _apply(world, city, **changes)
    with world.database.session() as session:
        assert (
            reason in calls.application_out(session, calls.get_application(session, application)).ineligible
        )
        with pytest.raises(Conflict, match="not eligible"):
            calls.set_status(session, application, "eligible", by="coordinator")
        calls.set_status(session, application, "rejected", by="coordinator", reason="not eligible")


def test_scores_combined_by_mean_or_median_of_weighted_sums(world: Workspace) -> None:
    application = _apply(world, "arezzo")
    with world.database.session() as session:
        with pytest.raises(Conflict, match="only eligible"):
            calls.score(session, application, "r1", {"relevance": 4, "capacity": 3})
        calls.set_status(session, application, "eligible", by="coordinator")
        with pytest.raises(InvalidInput, match="must be 0 to 5"):
            calls.score(session, application, "r1", {"relevance": 6})
        # weighted sums by hand (relevance × 2 + capacity × 1): 2·4+3 = 11, 2·5+5 = 15, 2·2+4 = 8
        calls.score(session, application, "r1", {"relevance": 4, "capacity": 3})
        calls.score(session, application, "r2", {"relevance": 5, "capacity": 5})
        partial = calls.score(session, application, "r3", {"relevance": 2})
        assert partial.combined == pytest.approx((11 + 15) / 2)  # r3 has not scored every criterion
        out = calls.score(session, application, "r3", {"capacity": 4})
    assert [r.weighted_sum for r in out.reviewers] == [11, 15, 8]
    assert out.combined == pytest.approx(34 / 3)
    assert out.method.startswith("mean of the reviewers' weighted sums")
    with world.database.session() as session:
        calls.get_call(session, "vie-2022").combination = "median"
    with world.database.reader() as session:
        ranking = calls.ranking(session, "vie-2022")
    assert ranking.applications[0].combined == 11 and ranking.method.startswith("median")


def test_count_applications_reads_the_history(world: Workspace) -> None:
    a = _apply(world, "hamm", at=datetime(2022, 1, 5, 9, tzinfo=UTC))
    _apply(world, "krefeld", at=datetime(2022, 2, 1, 9, tzinfo=UTC))
    _apply(world, "arezzo", at=datetime(2022, 2, 2, 9, tzinfo=UTC), submit=False)
    with world.database.session() as session:
        calls.set_status(session, a, "eligible", by="c", now=datetime(2022, 3, 1, 9, tzinfo=UTC))
    with world.database.reader() as session:
        assert calls.count_applications(session, "vie", until=date(2022, 1, 31)) == 1
        assert calls.count_applications(session, "vie", until=date(2022, 2, 28)) == 2  # drafts do not count
        assert calls.count_applications(session, "vie", status="submitted", until=date(2022, 2, 28)) == 2
        assert calls.count_applications(session, "vie", status="submitted", until=date(2022, 3, 1)) == 1
        assert calls.count_applications(session, "vie", status="eligible", until=date(2022, 3, 1)) == 1
        assert calls.count_applications(session, "vie", status="draft", until=date(2022, 3, 1)) == 1
        assert calls.count_applications(session, "other") == 0
        assert len(list(session.scalars(select(ApplicationStatus.id)))) == 6


def test_closed_call_takes_nothing(world: Workspace) -> None:
    with world.database.session() as session:
        calls.close_call(session, "vie-2022", by="coordinator")
    with pytest.raises(Conflict, match="is closed"):
        _apply(world, "hamm")
