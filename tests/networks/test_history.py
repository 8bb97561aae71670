"""Memberships with history: valid time (who was a member on a date) and recorded time (a change supersedes,
never overwrites), organisations linked to their municipality, programmes and tandem links (both backends)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bettercities import networks
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.audit.context import Actor, acting_as
from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.networks.schemas import MemberIn, MembershipChange, ProgrammeIn
from bettercities.storage.workspace import Workspace

MARCH_2024 = date(2024, 3, 1)


@pytest.fixture
def world(workspace: Workspace) -> dict[str, int]:
    """Programme ``urbact`` with network ``ur-impact`` (lead ``cinisello``, partner ``bovec``, an
    organisation ``Bucharest 6th district`` linked to ``bucharest``) and programme ``vie`` with tandem
    ``t1`` (``sofia``, ``krefeld``) and tandem ``t3`` (``basel``, ``mulhouse``, ``freiburg``)."""
    ids: dict[str, int] = {}
    with workspace.database.session() as session:
        for slug, country in (
            ("cinisello", "IT"), ("bovec", "SI"), ("bucharest", "RO"), ("sofia", "BG"), ("krefeld", "DE"),
            ("basel", "CH"), ("mulhouse", "FR"), ("freiburg", "DE"),
        ):  # fmt: skip
            ids[slug] = areas.create_city(session, CitySpec(slug=slug, name=slug.title(), country=country)).id
        networks.create_programme(session, ProgrammeIn(slug="urbact", name="URBACT IV"))
        networks.create_programme(session, ProgrammeIn(slug="vie", name="#vernetztinEuropa"))
        networks.create_network(
            session, "ur-impact", name_de="U.R. Impact", name_en="U.R. Impact", programme="urbact",
            start=date(2023, 6, 1), end=date(2025, 12, 31),
        )  # fmt: skip
        june = date(2023, 6, 1)
        ids["lead"] = networks.add_membership(
            session, "ur-impact", MemberIn(city="cinisello", role="lead partner", start=june)
        ).id
        ids["bovec"] = networks.add_membership(
            session, "ur-impact", MemberIn(city="bovec", role="partner", start=june, source="https://x")
        ).id
        ids["district"] = networks.add_membership(
            session,
            "ur-impact",
            MemberIn(
                organisation="Bucharest 6th district", country="RO", organisation_kind="district",
                city="bucharest", role="partner", start=june,
            ),
        ).id  # fmt: skip
        for slug, members in (("t1", ("sofia", "krefeld")), ("t3", ("basel", "mulhouse", "freiburg"))):
            networks.create_network(session, slug, name_de=slug, name_en=slug, programme="vie", kind="tandem")
            for city in members:
                networks.add_membership(
                    session, slug, MemberIn(city=city, role="tandem partner", start=date(2022, 5, 17))
                )
    return ids


def test_a_change_supersedes_and_both_dates_answer(world: dict[str, int], workspace: Workspace) -> None:
    db = workspace.database
    with db.reader() as session:
        before = datetime.now(UTC)
    with db.session() as session, acting_as(Actor("coordinator-anna", 1, "api")):
        changed = networks.end_membership(
            session, world["bovec"], date(2024, 6, 30), reason="left after the first phase"
        )
    assert changed.id != world["bovec"] and changed.end == date(2024, 6, 30)
    assert (changed.recorded_by, changed.reason) == ("coordinator-anna", "left after the first phase")
    with db.reader() as session:
        on_march = [m.member for m in networks.members_on(session, "ur-impact", MARCH_2024)]
        on_july = [m.member for m in networks.members_on(session, "ur-impact", date(2024, 7, 1))]
        # as recorded before the change, Bovec was a member in July 2024 too
        then = [
            m.member for m in networks.members_on(session, "ur-impact", date(2024, 7, 1), recorded=before)
        ]
        history = networks.history(session, "ur-impact")
    assert on_march == ["Cinisello", "Bovec", "Bucharest 6th district"]  # lead partner first
    assert on_july == ["Cinisello", "Bucharest 6th district"]
    assert then == ["Cinisello", "Bovec", "Bucharest 6th district"]
    old = next(m for m in history if m.id == world["bovec"])
    assert old.superseded_by_id == changed.id and old.superseded_at is not None and old.end is None
    assert old.source == changed.source == "https://x"  # carried over
    assert len(history) == 4


def test_change_refusals(world: dict[str, int], workspace: Workspace) -> None:
    db = workspace.database
    with db.session() as session:
        networks.end_membership(session, world["bovec"], date(2024, 6, 30), reason="left")
    with pytest.raises(Conflict, match="superseded"), db.session() as session:
        networks.end_membership(session, world["bovec"], date(2024, 7, 30), reason="again")
    with pytest.raises(InvalidInput, match="before it starts"), db.session() as session:
        networks.end_membership(session, world["lead"], date(2020, 1, 1), reason="typo")
    with pytest.raises(InvalidInput, match="changes nothing"), db.session() as session:
        networks.change_membership(session, world["lead"], MembershipChange(role="lead partner", reason="x"))
    with pytest.raises(NotFound), db.session() as session:
        networks.change_membership(
            session, world["lead"], MembershipChange(role="partner", reason="x"), network_slug="t1"
        )
    with pytest.raises(Conflict, match="member of network 'ur-impact' already"), db.session() as session:
        networks.add_membership(session, "ur-impact", MemberIn(city="cinisello", start=date(2024, 1, 1)))


def test_organisations_count_for_their_municipality(world: dict[str, int], workspace: Workspace) -> None:
    with workspace.database.reader() as session:
        (district,) = networks.city_memberships(session, world["bucharest"])
        # an organisation's membership gives its municipality no network access (only cities share data)
        assert networks.city_networks(session, [world["bucharest"]], on=MARCH_2024) == frozenset()
    assert (district.organisation, district.organisation_kind, district.city) == (
        "Bucharest 6th district",
        "district",
        "bucharest",
    )


def test_programme_members_and_tandem_links(world: dict[str, int], workspace: Workspace) -> None:
    with workspace.database.reader() as session:
        links = networks.tandem_links(session, "vie")
        members = networks.programme_members(session, "vie", on=MARCH_2024)
        (programme, _) = sorted(networks.list_programmes(session), key=lambda p: p.slug, reverse=True)
        listed = {n.slug: n for n in networks.list_networks(session)}
    w = world
    assert links == sorted(
        [tuple(sorted(p)) for p in ((w["sofia"], w["krefeld"]), (w["basel"], w["mulhouse"]),
                                    (w["basel"], w["freiburg"]), (w["mulhouse"], w["freiburg"]))]
    )  # fmt: skip
    assert len(members) == 5
    assert (programme.slug, programme.networks) == ("vie", ["t1", "t3"])
    assert (listed["ur-impact"].programme, listed["ur-impact"].lead_partner) == ("urbact", "Cinisello")
    assert listed["t1"].kind == "tandem"
