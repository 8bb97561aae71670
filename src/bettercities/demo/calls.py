"""The demo's call for participation and tandems: the #vernetztinEuropa call (window 2 December 2021 to 25
February 2022, Europe/Berlin: the facts of issue 16 and ``networks/data/README.md``), an application of the
German municipality of each of the six tandems the networks demo holds, moved through the statuses to
``selected`` and linked to its tandem, and each tandem's kick-off (17 May 2022, the day the tandems started)
and one workshop.

Which municipalities formed tandems is fact; the rest is **illustrative** and says so: the call's themes,
form and criteria, the application texts, the times of submission and of the status steps (all recorded on
17 May 2022, the tandems' start: the real dates are not stated) and the workshops' dates. Idempotent: a
second run finds the call and adds nothing. Runs after :func:`bettercities.demo.networks.load_networks`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import select

from bettercities.calls import service as calls
from bettercities.calls.models import Call
from bettercities.calls.schemas import ApplicationIn, BodyType, CallIn, Criterion, FormField
from bettercities.networks.models import Network, Programme
from bettercities.networks.schemas import NetworkKind
from bettercities.storage.workspace import Workspace
from bettercities.tandems import service as tandems
from bettercities.tandems.schemas import ActivityIn

__all__ = ["CALL", "DemoCallsSummary", "load_calls"]

PROGRAMME = "vernetztineuropa"
CALL = "vernetztineuropa-2021"
BY = "demo"
#: The tandems started on 17 May 2022 (the programme's page; networks/data/README.md).
START = date(2022, 5, 17)
STEPS_AT = datetime(2022, 5, 17, 8, 0, tzinfo=UTC)
#: The demo's texts are German, the programme's language (English words on a German page would be taken for
#: untranslated messages by the German walk).
THEME = "integrierte Stadtentwicklung"
REASON = "erfasst am Start der Tandems; das tatsächliche Datum ist nicht angegeben"


class DemoCallsSummary(BaseModel):
    """What the step added (nothing on a second run, or without the networks demo's programme)."""

    built: bool
    call: str
    applications: int
    tandems: int
    activities: int


def _spec() -> CallIn:
    return CallIn(
        slug=CALL,
        programme=PROGRAMME,
        title_de="#vernetztinEuropa: Aufruf zur Teilnahme an Peer-Learning-Tandems",
        title_en="#vernetztinEuropa: call for participation in peer-learning tandems",
        description="Aufruf an deutsche und weitere europäische Kommunen, Peer-Learning-Tandems zu bilden "
        "(2. Dezember 2021 – 25. Februar 2022). Themen, Formular und Kriterien sind hier illustrativ.",
        themes=[THEME, "sozialer Zusammenhalt", "Klima und Umwelt"],
        opens_at=datetime(2021, 12, 2, 0, 0),
        closes_at=datetime(2022, 2, 26, 0, 0),  # the end of 25 February 2022 in Berlin
        time_zone="Europe/Berlin",
        body_types=[BodyType.MUNICIPALITY, BodyType.COUNTY, BodyType.ASSOCIATION],
        form=[
            FormField(code="motivation", label_de="Motivation", label_en="Motivation"),
            FormField(
                code="partner",
                label_de="Gewünschte Partnerkommune",
                label_en="Preferred partner municipality",
                kind="text",
                required=False,
                max_length=200,
            ),
        ],
        criteria=[
            Criterion(code="relevance", label_de="Relevanz", label_en="Relevance", weight=2),
            Criterion(code="capacity", label_de="Umsetzungskapazität", label_en="Capacity", weight=1),
            Criterion(code="partnership", label_de="Partnerschaft", label_en="Partnership", weight=1),
        ],
    )


def load_calls(workspace: Workspace) -> DemoCallsSummary:
    """Add the demo's call, applications and tandem activities (a second call adds nothing)."""
    with workspace.database.reader() as session:
        if session.scalar(select(Call.id).where(Call.slug == CALL)) is not None:
            return DemoCallsSummary(built=False, call=CALL, applications=0, tandems=0, activities=0)
        if session.scalar(select(Programme.id).where(Programme.slug == PROGRAMME)) is None:
            return DemoCallsSummary(built=False, call=CALL, applications=0, tandems=0, activities=0)
    applications = activities = 0
    with workspace.database.session() as session:
        calls.create_call(session, _spec(), by=BY)
        calls.open_call(session, CALL, by=BY)
        found = session.scalars(
            select(Network.slug)
            .join(Programme, Programme.id == Network.programme_id)
            .where(Programme.slug == PROGRAMME, Network.kind == NetworkKind.TANDEM.value)
            .order_by(Network.slug)
        ).all()
        for index, slug in enumerate(found):
            tandem = tandems.tandem_out(session, tandems.get_tandem(session, slug))
            german = [m for m in tandem.members if m.country == "DE"]
            partners = ", ".join(m.city_name for m in tandem.members if m.country != "DE")
            for member in german[:1]:
                spec = ApplicationIn(
                    city=member.city,
                    theme=THEME,
                    answers={
                        "motivation": f"{member.city_name} möchte von einer europäischen Partnerkommune "
                        "lernen (illustrativer Text).",
                        "partner": partners,
                    },
                )
                submitted = datetime(2022, 2, 1, 9, 0, tzinfo=UTC) + timedelta(days=2 * index)
                out = calls.apply(session, CALL, spec, by=BY, now=submitted)
                for step, status in enumerate(("eligible", "shortlisted", "selected")):
                    calls.set_status(
                        session, out.id, status, by=BY, now=STEPS_AT + timedelta(minutes=step),
                        reason=REASON,
                    )  # fmt: skip
                tandems.link_application(session, slug, out.id)
                applications += 1
            tandems.set_stage(session, slug, "kick-off", on=START)
            people = [m.city_name for m in tandem.members]
            kick_off = ActivityIn(
                kind="kick-off", title="Auftakt des Tandems", starts_on=START, participants=people
            )
            tandems.add_activity(session, slug, kick_off)
            workshop = date(2022, 9, 13) + timedelta(days=7 * index)
            tandems.set_stage(session, slug, "workshops", on=workshop)
            title = "Peer-Learning-Workshop (Datum illustrativ)"
            meeting = ActivityIn(kind="workshop", title=title, starts_on=workshop, participants=people)
            tandems.add_activity(session, slug, meeting)
            activities += 2
        calls.close_call(session, CALL, by=BY)
    return DemoCallsSummary(
        built=True, call=CALL, applications=applications, tandems=len(found), activities=activities
    )
