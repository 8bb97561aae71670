"""Tandems: formed from selected applications as a network of kind tandem (drawn by tandem_links), with
stages in order, activities, documents, outputs, links to member cities' goals and the count functions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.audit.models import AuditEntry
from bettercities.calls import service as calls
from bettercities.calls.schemas import ApplicationIn
from bettercities.core.errors import Conflict, InvalidInput
from bettercities.goals.models import Goal
from bettercities.networks import service as networks
from bettercities.networks.history import tandem_links
from bettercities.networks.schemas import ProgrammeIn
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from bettercities.tandems import service as tandems
from bettercities.tandems.schemas import ActivityIn, DocumentIn, OutputIn
from tests.calls.test_calls import DURING, call_spec

CITIES = (
    ("hamm", "Hamm", "DE"),
    ("arezzo", "Arezzo", "IT"),
    ("krefeld", "Krefeld", "DE"),
    ("sofia", "Sofia", "DE"),
)


@pytest.fixture
def world(sqlite_workspace: Workspace) -> tuple[Workspace, dict[str, int]]:
    ids = {}
    with sqlite_workspace.database.session() as session:
        networks.create_programme(session, ProgrammeIn(slug="vie", name="#vernetztinEuropa"))
        for slug, name, country in CITIES:
            areas.create_city(session, CitySpec(slug=slug, name=name, country=country, population=150_000))
        calls.create_call(session, call_spec(countries=[], size_classes=[]), by="c")
        calls.open_call(session, "vie-2022", by="c")
        for slug, *_ in CITIES:
            spec = ApplicationIn(city=slug, theme="climate", answers={"motivation": "learn"})
            application = calls.apply(session, "vie-2022", spec, by="contact", now=DURING).id
            for status in ("eligible", "shortlisted", "selected"):
                if slug == "sofia" and status == "selected":
                    break
                calls.set_status(session, application, status, by="c")
            ids[slug] = application
        session.add(
            Goal(
                city_id=areas.get_city(session, "hamm").id, title="Fewer children in poverty",
                kind="population", selection_kind="areas", selection_value="x", baseline_period="2021",
                baseline_value=20.0,
                target_value=15.0, deadline=date(2027, 12, 31), owner_unit="Social office", themes="[]",
                audience=Audience.PUBLIC.value, created_at=datetime.now(UTC),
            )
        )  # fmt: skip
    return sqlite_workspace, ids


def test_form_tandem_is_a_network_on_the_programme_map(world: tuple[Workspace, dict[str, int]]) -> None:
    ws, ids = world
    with ws.database.session() as session:
        out = tandems.form_tandem(
            session,
            "vie",
            [ids["hamm"], ids["arezzo"]],
            name="Arezzo – Hamm",
            by="c",
            start=date(2022, 5, 17),
        )
    assert out.slug == "tandem-arezzo-hamm" and [m.city for m in out.members] == ["arezzo", "hamm"]
    assert {m.application for m in out.members} == {ids["hamm"], ids["arezzo"]}
    with ws.database.reader() as session:
        hamm, arezzo = (areas.get_city(session, s).id for s in ("hamm", "arezzo"))
        assert tandem_links(session, "vie") == [tuple(sorted((hamm, arezzo)))]
        assert session.scalar(select(AuditEntry.id).where(AuditEntry.action == "tandem-formed")) is not None
        assert [t.slug for t in tandems.list_tandems(session, "vie")] == ["tandem-arezzo-hamm"]


@pytest.mark.parametrize(
    ("cities", "message"),
    [
        (["hamm"], "pair or a triple"),
        (["hamm", "arezzo", "krefeld", "sofia"], "pair or a triple"),
        (["hamm", "sofia"], "shortlisted, not selected"),
    ],
)
def test_form_tandem_refusals(
    world: tuple[Workspace, dict[str, int]], cities: list[str], message: str
) -> None:
    ws, ids = world
    with ws.database.session() as session, pytest.raises(InvalidInput, match=message):
        tandems.form_tandem(session, "vie", [ids[c] for c in cities], name="T", by="c")


def test_an_application_joins_one_tandem(world: tuple[Workspace, dict[str, int]]) -> None:
    ws, ids = world
    with ws.database.session() as session:
        tandems.form_tandem(session, "vie", [ids["hamm"], ids["arezzo"]], name="A", by="c")
    with ws.database.session() as session, pytest.raises(Conflict, match="in tandem 'tandem-a' already"):
        tandems.form_tandem(session, "vie", [ids["hamm"], ids["krefeld"]], name="B", by="c")


def test_lifecycle_activities_outputs_goals_and_counts(world: tuple[Workspace, dict[str, int]]) -> None:
    ws, ids = world
    with ws.database.session() as session:
        slug = tandems.form_tandem(
            session, "vie", [ids["hamm"], ids["arezzo"], ids["krefeld"]], name="Trio", by="c"
        ).slug
        tandems.set_stage(session, slug, "kick-off", on=date(2022, 5, 17))
        tandems.set_stage(session, slug, "workshops", on=date(2022, 9, 1))
        with pytest.raises(InvalidInput, match="cannot begin"):
            tandems.set_stage(session, slug, "visits", on=date(2022, 10, 1))
        with pytest.raises(Conflict, match="already"):
            tandems.set_stage(session, slug, "kick-off", on=date(2022, 5, 18))
        tandems.add_activity(
            session,
            slug,
            ActivityIn(
                kind="kick-off",
                title="Kick-off",
                starts_on=date(2022, 5, 17),
                participants=["Hamm", "Arezzo"],
            ),
        )
        tandems.add_activity(
            session, slug, ActivityIn(kind="workshop", title="Workshop", starts_on=date(2022, 9, 20))
        )
        tandems.add_document(
            session, slug, DocumentIn(title="Minutes", url="https://example.org/minutes.pdf")
        )
        plan = tandems.add_output(
            session, slug, OutputIn(title="Action plan Hamm", city="hamm", drafted_on=date(2023, 3, 1))
        )
        with pytest.raises(InvalidInput, match="not a member"):
            tandems.add_output(session, slug, OutputIn(title="x", city="sofia", drafted_on=date(2023, 3, 1)))
        with pytest.raises(InvalidInput, match="before it was drafted"):
            tandems.set_output_status(session, plan.id, "adopted", on=date(2023, 2, 1))
        tandems.set_output_status(session, plan.id, "adopted", on=date(2023, 6, 30))
        goal = session.scalar(select(Goal.id))
        assert goal is not None
        tandems.link_goal(session, slug, goal, output_id=plan.id, note="the plan serves it")
    with ws.database.reader() as session:
        detail = tandems.tandem_detail(session, slug)
        assert detail.stage is not None and detail.stage.value == "workshops"
        assert [a.kind.value for a in detail.activities] == ["kick-off", "workshop"]
        assert detail.goals[0].title == "Fewer children in poverty" and detail.linkable_goals == []
        assert tandems.count_activities(session, "vie") == 2
        assert tandems.count_activities(session, "vie", kind="workshop", until=date(2022, 9, 19)) == 0
        assert tandems.count_outputs(session, "vie", kind="action_plan") == 1
        assert tandems.count_outputs(session, "vie", status="adopted", until=date(2023, 6, 29)) == 0
        assert tandems.count_outputs(session, "vie", status="drafted", until=date(2023, 6, 29)) == 1
        assert tandems.count_outputs(session, "vie", status="adopted", until=date(2023, 6, 30)) == 1
        assert tandems.count_outputs(session, "vie", until=date(2023, 2, 28)) == 0
