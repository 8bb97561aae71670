"""``import memberships``: members matched to registry cities, organisations linked to their municipality, an
unmatched member reported by row and kept, refused files write nothing, a re-import changes nothing, a later
list withdraws who it no longer names (SQLite; the membership storage is tested on both backends)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bettercities import networks
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.core.errors import InvalidInput
from bettercities.networks.importing import import_memberships, read_file
from bettercities.networks.models import Programme
from bettercities.storage.workspace import Workspace

DATA = Path(__file__).parents[1] / "data" / "networks" / "memberships.csv"
HEADER = "programme,network,member,country,role,start,end,source,note\n"
CITIES = (
    ("lyon", "Lyon", "FR"), ("strasbourg", "Strasbourg", "FR"), ("muenchen", "München", "DE"),
    ("cinisello-balsamo", "Cinisello Balsamo", "IT"), ("sofia", "Sofia", "BG"), ("krefeld", "Krefeld", "DE"),
    ("basel", "Basel", "CH"), ("mulhouse", "Mulhouse", "FR"),
    ("freiburg-im-breisgau", "Freiburg im Breisgau", "DE"),
)  # fmt: skip

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def world(workspace: Workspace) -> Workspace:
    with workspace.database.session() as session:
        for slug, name, country in CITIES:
            areas.create_city(session, CitySpec(slug=slug, name=name, country=country))
    return workspace


def _import(ws: Workspace, text: str, file: str = "memberships.csv", **options: object):  # type: ignore[no-untyped-def]
    with ws.database.session() as session:
        return import_memberships(session, text, file, **options)  # type: ignore[arg-type]


def test_members_are_matched_kept_and_reported(world: Workspace) -> None:
    result, report = _import(world, read_file(DATA))
    assert result.programmes_created == [
        "urbact-iv-action-planning-networks-2023-2025", "vernetztineuropa-peer-learning-tandems-2022-2024"
    ]  # fmt: skip
    assert result.networks_created == [
        "one-health-4-cities", "u-r-impact", "tandem-sofia-krefeld",
        "tandem-basel-mulhouse-freiburg-im-breisgau",
    ]  # fmt: skip
    assert result.memberships_added == 10
    kinds = {m.member: (m.matched, m.city) for m in result.matched}
    assert kinds["Eurométropole de Strasbourg"] == ("organisation", "strasbourg")
    assert kinds["München"] == ("city", "muenchen")
    assert kinds["Bovec"] == ("unmatched", None)
    (problem,) = report.problems
    assert (problem.code, problem.row, problem.column, problem.value) == (
        "network-unmatched-member", 6, "member", "Bovec"
    )  # fmt: skip
    with world.database.reader() as session:
        members = networks.members_on(session, "one-health-4-cities", date(2024, 3, 1))
        ur = networks.members_on(session, "u-r-impact", date(2024, 3, 1))
        tandems = networks.list_networks(
            session, programme="vernetztineuropa-peer-learning-tandems-2022-2024"
        )
        links = networks.tandem_links(session, "vernetztineuropa-peer-learning-tandems-2022-2024")
    assert [(m.member, m.role, m.city) for m in members] == [
        ("Lyon", "lead partner", "lyon"),
        ("Eurométropole de Strasbourg", "partner", "strasbourg"),
        ("München", "partner", "muenchen"),
    ]
    assert [(m.member, m.organisation_kind) for m in ur] == [
        ("Cinisello Balsamo", None),
        ("Bovec", "unmatched"),
    ]
    assert {n.kind for n in tandems} == {"tandem"}
    assert len(links) == 1 + 3  # Sofia-Krefeld; Basel, Mulhouse and Freiburg pairwise
    again, _ = _import(world, read_file(DATA))
    assert (again.memberships_added, again.memberships_unchanged, again.networks_created) == (0, 10, [])


def test_dry_run_writes_nothing(world: Workspace) -> None:
    with world.database.reader() as session:
        result, _ = import_memberships(session, read_file(DATA), "memberships.csv", dry_run=True)
    assert (result.dry_run, result.memberships_added, len(result.networks_created)) == (True, 10, 4)
    with world.database.reader() as session:
        assert session.scalar(select(func.count()).select_from(Programme)) == 0


def test_a_refused_file_names_every_problem_and_writes_nothing(world: Workspace) -> None:
    text = HEADER + (
        "Prog,Net,Lyon,FR,partner,2023-06-01,2025-12-31,,\n"
        "Prog,Net,Sofia,BG,chair,2023-06-01,,,\n"
        "Prog,Net,Krefeld,DE,partner,2023-13-01,,,\n"
        "Prog,Net,Basel,CH,partner,2024-01-01,2023-01-01,,\n"
        "Prog,Net,,Germany,partner,,,,\n"
        "P,Net,Lyon,FR,partner,,,,\n"
    )
    with pytest.raises(InvalidInput) as refused:
        _import(world, text, "bad.csv")
    assert refused.value.report is not None
    found = [(p.code, p.row, p.column) for p in refused.value.report.problems]
    assert found == [
        ("network-unknown-role", 3, "role"),
        ("network-invalid-date", 4, "start"),
        ("network-end-before-start", 5, "end"),
        ("network-missing-value", 6, "member"),
        ("network-invalid-country", 6, "country"),
        ("network-invalid-name", 7, "programme"),
    ]
    with pytest.raises(InvalidInput) as missing:
        _import(world, "programme,network,member\nP,N,Lyon\n", "short.csv")
    assert missing.value.report is not None
    assert {p.code for p in missing.value.report.problems} == {"missing-column"}
    with world.database.reader() as session:
        assert session.scalar(select(func.count()).select_from(Programme)) == 0


def test_a_later_list_withdraws_without_inventing_a_date(world: Workspace) -> None:
    row = "Prog,Net,{member},{country},partner,2023-06-01,2025-12-31,https://example.org/{copy},\n"
    earlier = (
        HEADER
        + row.format(member="Lyon", country="FR", copy="old")
        + row.format(member="Sofia", country="BG", copy="old")
    )
    later = (
        HEADER
        + row.format(member="Lyon", country="FR", copy="new")
        + row.format(member="Krefeld", country="DE", copy="new")
    )
    _import(world, earlier, "earlier.csv")
    result, _ = _import(world, later, "later.csv", withdraw_missing=True, reason="the page changed")
    assert (result.memberships_added, result.memberships_changed) == (1, 2)  # Lyon's source; Sofia withdrawn
    with world.database.reader() as session:
        now = [m.member for m in networks.members_on(session, "net", date(2024, 3, 1))]
        history = networks.history(session, "net")
    assert now == ["Krefeld", "Lyon"]
    sofia = [m for m in history if m.member == "Sofia"]
    assert [(m.status, m.end, m.superseded_at is None) for m in sofia] == [
        ("active", date(2025, 12, 31), False),
        ("withdrawn", None, True),
    ]
    assert sofia[1].reason == "the page changed"
