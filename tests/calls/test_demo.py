"""The demo's call and tandems on a small world holding the networks demo's programme and two of its
tandems: the call's window (2 Dec 2021 – 25 Feb 2022, Europe/Berlin), one selected application per tandem's
German member linked to its tandem, a kick-off on 17 May 2022 and a workshop each; a second run adds
nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.calls import service as calls
from bettercities.demo.calls import CALL, load_calls
from bettercities.networks import service as networks
from bettercities.networks.schemas import MemberIn, ProgrammeIn
from bettercities.storage.workspace import Workspace
from bettercities.tandems import service as tandems


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = Workspace.init(tmp_path_factory.mktemp("demo-calls"))
    with ws.database.session() as session:
        networks.create_programme(session, ProgrammeIn(slug="vernetztineuropa", name="#vernetztinEuropa"))
        for slug, name, country in (("sofia", "Sofia", "BG"), ("krefeld", "Krefeld", "DE"),
                                    ("arezzo", "Arezzo", "IT"), ("hamm", "Hamm", "DE")):  # fmt: skip
            areas.create_city(session, CitySpec(slug=slug, name=name, country=country))
        for tandem, members in (
            ("tandem-sofia-krefeld", ("sofia", "krefeld")),
            ("tandem-arezzo-hamm", ("arezzo", "hamm")),
        ):
            networks.create_network(
                session, tandem, name_de=tandem, name_en=tandem, programme="vernetztineuropa", kind="tandem",
                start=date(2022, 5, 17),
            )  # fmt: skip
            for city in members:
                spec = MemberIn(city=city, role="tandem partner", start=date(2022, 5, 17))
                networks.add_membership(session, tandem, spec)
    first = load_calls(ws)
    assert (first.built, first.applications, first.tandems, first.activities) == (True, 2, 2, 4)
    yield ws
    ws.close()


def test_the_call_and_its_applications(demo: Workspace) -> None:
    with demo.database.reader() as session:
        call = calls.call_out(session, calls.get_call(session, CALL))
        applications = calls.list_applications(session, CALL)
        assert calls.count_applications(session, "vernetztineuropa", until=date(2022, 2, 25)) == 2
        assert (
            calls.count_applications(session, "vernetztineuropa", status="selected", until=date(2022, 5, 17))
            == 2
        )
        assert (
            calls.count_applications(session, "vernetztineuropa", status="selected", until=date(2022, 5, 16))
            == 0
        )
    assert (call.opens_at.isoformat(), call.closes_at.isoformat()) == (
        "2021-12-02T00:00:00+01:00",
        "2022-02-26T00:00:00+01:00",
    )
    assert call.state.value == "closed" and call.time_zone == "Europe/Berlin"
    assert sorted(a.city for a in applications) == ["hamm", "krefeld"]
    assert {a.status.value for a in applications} == {"selected"}
    assert [h.status.value for h in applications[0].history] == [
        "draft", "submitted", "eligible", "shortlisted", "selected",
    ]  # fmt: skip


def test_the_tandems_kick_off_and_workshop(demo: Workspace) -> None:
    with demo.database.reader() as session:
        detail = tandems.tandem_detail(session, "tandem-arezzo-hamm")
        assert tandems.count_activities(session, "vernetztineuropa", kind="kick-off") == 2
        assert (
            tandems.count_activities(session, "vernetztineuropa", kind="workshop", until=date(2022, 9, 1))
            == 0
        )
    assert (detail.activities[0].kind.value, detail.activities[0].starts_on) == (
        "kick-off",
        date(2022, 5, 17),
    )
    assert detail.activities[1].kind.value == "workshop" and "illustrativ" in detail.activities[1].title
    assert detail.stage is not None and detail.stage.value == "workshops"
    assert {m.city: m.application is not None for m in detail.members} == {"arezzo": False, "hamm": True}


def test_a_second_run_adds_nothing(demo: Workspace) -> None:
    again = load_calls(demo)
    assert (again.built, again.applications, again.activities) == (False, 0, 0)
