"""The demo's networks on the shipped registry (loaded once for the module, as the demo does): the URBACT
networks and the six #vernetztinEuropa tandems with their members matched, the tandem links, and U.R. Impact's
changed partner list in its recorded history without an invented date; a second run adds nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from bettercities import networks
from bettercities.demo.networks import CHANGE_REASON, DemoNetworksSummary, load_networks
from bettercities.demo.registry import load_registry
from bettercities.storage.workspace import Workspace

pytestmark = pytest.mark.slow

TANDEMS = {
    "tandem-sofia-krefeld": {"sofia", "krefeld"},
    "tandem-arezzo-hamm": {"arezzo", "hamm"},
    "tandem-vari-voula-vouliagmeni-geestland": {"voula", "geestland"},  # the municipality's seat, Voúla
    "tandem-utrecht-muenchen": {"utrecht", "muenchen"},
    "tandem-alba-iulia-arnsberg": {"alba-iulia", "arnsberg"},
    "tandem-basel-mulhouse-freiburg-im-breisgau": {"basel", "mulhouse", "freiburg-im-breisgau"},
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, DemoNetworksSummary]]:
    ws = Workspace.init(tmp_path_factory.mktemp("demo-networks"))
    load_registry(ws)
    summary = load_networks(ws)
    yield ws, summary
    ws.close()


def test_every_fact_is_loaded_and_matched(demo: tuple[Workspace, DemoNetworksSummary]) -> None:
    ws, summary = demo
    assert (summary.built, summary.networks, summary.unmatched) == (True, 10, [])
    assert summary.memberships == 10 + 2 + 42  # the earlier U.R. Impact list, its two new partners, the rest
    with ws.database.reader() as session:
        listed = {n.slug: n for n in networks.list_networks(session)}
        assert {s for s, n in listed.items() if n.programme == "urbact-iv"} == {
            "one-health-4-cities", "u-r-impact", "nextgen-youthwork", "cities-heart"
        }  # fmt: skip
        for slug, cities in TANDEMS.items():
            assert listed[slug].kind == "tandem"
            members = networks.members_on(session, slug, date(2023, 1, 1))
            assert {m.city for m in members} == cities, slug
        assert len(networks.tandem_links(session, "vernetztineuropa")) == 5 + 3
        assert listed["one-health-4-cities"].lead_partner == "Lyon"
        assert listed["cities-heart"].lead_partner == "Métropole du Grand Paris"


def test_the_u_r_impact_change_is_in_the_history(demo: tuple[Workspace, DemoNetworksSummary]) -> None:
    ws, _ = demo
    with ws.database.reader() as session:
        now = {m.member for m in networks.members_on(session, "u-r-impact", date(2024, 3, 1))}
        history = networks.history(session, "u-r-impact")
    assert {"Bielsko-Biała", "Bovec"} <= now and not {"Szabolcs 05", "Bucharest 6th district"} & now
    assert len(now) == 10
    withdrawn = [m for m in history if m.status == "withdrawn"]
    assert {m.member for m in withdrawn} == {"Szabolcs 05", "Bucharest 6th district"}
    for m in withdrawn:
        assert (m.end, m.reason, m.superseded_at) == (None, CHANGE_REASON, None)  # no date invented
        earlier = next(h for h in history if h.superseded_by_id == m.id)
        assert (earlier.status, earlier.end) == ("active", date(2025, 12, 31))
    district = withdrawn[0] if withdrawn[0].organisation_kind == "district" else withdrawn[1]
    assert (district.organisation_kind, district.city) == ("district", "bucuresti")


def test_a_second_run_adds_nothing(demo: tuple[Workspace, DemoNetworksSummary]) -> None:
    ws, _ = demo
    assert load_networks(ws).built is False
