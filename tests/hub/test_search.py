"""The hub's full-text search and filters on both backends (SQLite FTS5, PostgreSQL tsvector): German and
English stems, phrases, 'or', exclusion, filters by theme, network, city, programme and kind, and input that
would be FTS5 syntax taken as words; the index follows updates and removals (triggers)."""

from __future__ import annotations

from datetime import date

import pytest

from bettercities import networks
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.core.errors import Conflict, InvalidInput
from bettercities.hub import queries, service
from bettercities.hub.models import Practice
from bettercities.hub.schemas import DocumentLink, EventIn, PracticeIn
from bettercities.hub.search import fts5_query
from bettercities.networks.schemas import ProgrammeIn
from bettercities.storage.workspace import Workspace


def _world(workspace: Workspace) -> None:
    with workspace.database.session() as session:
        for slug, name, country in (("leipzig", "Leipzig", "DE"), ("lyon", "Lyon", "FR")):
            areas.create_city(session, CitySpec(slug=slug, name=name, country=country))
        networks.create_programme(session, ProgrammeIn(slug="urbact-iv", name="URBACT IV"))
        networks.create_network(session, "social-data", name_de="Sozialdaten", name_en="Social data",
                                programme="urbact-iv")  # fmt: skip
        service.add_practice(
            session,
            PracticeIn(
                slug="leipzig-monitoring", title="Kleinräumiges Sozialmonitoring", language="de",
                city="leipzig", network="social-data", theme="monitoring",
                summary="Die Stadt sammelt Sozialdaten für alle Ortsteile und veröffentlicht sie jährlich.",
                results="Förderprogramme gehen gezielt in benachteiligte Quartiere.",
                documents=[DocumentLink(title="Bericht", url="https://example.org/bericht.pdf")],
            ),
            by="test",
        )  # fmt: skip
        service.add_practice(
            session,
            PracticeIn(
                slug="lyon-priorities", title="Data-led neighbourhood priorities", language="en",
                city="lyon", programme="urbact-iv", theme="priorities",
                summary="The city ranks its neighbourhoods by housing and income indicators"
                " to set priorities.",
            ),
            by="test",
        )  # fmt: skip
        service.add_event(
            session,
            EventIn(
                slug="webinar-1", title="Managing social data", held_on=date(2026, 1, 15),
                network="social-data", theme="monitoring",
                topic="How cities collect and manage their datasets",
                speakers=["URBACT expert"], recommendations=["Name a data steward for every dataset"],
            ),
            by="test",
        )  # fmt: skip


def _slugs(items: list) -> list[str]:
    return [i.slug for i in items]


def test_search_and_filters(workspace: Workspace) -> None:
    _world(workspace)
    with workspace.database.reader() as s:
        # German: 'Sozialdaten' as written; English stems: 'ranking' finds 'ranks', 'managed' finds 'manage'
        assert _slugs(queries.search(s, "Sozialdaten")) == ["leipzig-monitoring"]
        assert _slugs(queries.search(s, "neighbourhood ranking")) == ["lyon-priorities"]
        assert _slugs(queries.search(s, "managed datasets")) == ["webinar-1"]
        assert _slugs(queries.search(s, "steward")) == ["webinar-1"]  # a recommendation is searched
        assert _slugs(queries.search(s, '"housing and income"')) == ["lyon-priorities"]
        assert sorted(_slugs(queries.search(s, "Quartiere or steward"))) == [
            "leipzig-monitoring",
            "webinar-1",
        ]
        assert _slugs(queries.search(s, "datasets -steward")) == []
        assert sorted(_slugs(queries.search(s, "city"))) == ["lyon-priorities", "webinar-1"]  # 'cities'

        # FTS5 syntax in the input is taken as words, never an error
        for text in ('AND "', "NEAR(x y)", "title:foo", "*", "-", '""', "^a"):
            assert isinstance(queries.search(s, text), list)
        # filters
        assert _slugs(queries.search(s, None, theme="monitoring")) == ["webinar-1", "leipzig-monitoring"]
        assert _slugs(queries.search(s, None, network_slug="social-data", kind="practice")) == [
            "leipzig-monitoring"
        ]
        assert _slugs(queries.search(s, None, city_slug="lyon")) == ["lyon-priorities"]
        assert len(queries.search(s, None, programme_slug="urbact-iv")) == 3  # the network's programme
        assert queries.search(s, None, city_slug="nowhere") == []
        assert _slugs(queries.search(s, "data", kind="event")) == ["webinar-1"]
    with workspace.database.session() as s:  # the index follows updates and removals
        practice = s.query(Practice).filter_by(slug="lyon-priorities").one()
        practice.summary = "Die Stadt ordnet ihre Quartiere nach Wohnungsdaten."
        service.remove(s, "event", "webinar-1")
    with workspace.database.reader() as s:
        assert _slugs(queries.search(s, "neighbourhood ranking")) == []
        assert sorted(_slugs(queries.search(s, "Quartiere"))) == ["leipzig-monitoring", "lyon-priorities"]
        assert _slugs(queries.search(s, "steward")) == []


def test_refusals(workspace: Workspace) -> None:
    _world(workspace)
    with workspace.database.session() as s, pytest.raises(InvalidInput) as refused:
        service.add_practice(
            s,
            PracticeIn(slug="bad", title="x\x00", summary=" ", city="atlantis", network="none",
                       indicators=["nope"], goals=[999],
                       documents=[DocumentLink(title="a", url="javascript:alert(1)")]),
            by="test",
        )  # fmt: skip
    codes = sorted({(p.code, p.column) for p in refused.value.report.problems})
    assert codes == [
        ("hub-invalid-text", "summary"), ("hub-invalid-text", "title"),
        ("hub-invalid-url", "documents[1].url"), ("hub-unknown-reference", "city"),
        ("hub-unknown-reference", "goals"), ("hub-unknown-reference", "indicators"),
        ("hub-unknown-reference", "network"),
    ]  # fmt: skip
    with workspace.database.session() as s, pytest.raises(Conflict):
        service.add_event(
            s, EventIn(slug="webinar-1", title="t", held_on=date(2026, 1, 1), topic="t"), by="x"
        )
    with workspace.database.reader() as s:
        assert s.query(Practice).count() == 2  # nothing of the refused practice was written


def test_fts5_query() -> None:
    assert fts5_query("social data") == '("social" AND "data")'
    assert fts5_query('"social data" or steward -x') == '("social data") OR (("steward") NOT ("x"))'
    assert fts5_query('a"b') == '("a") OR ("b")' or fts5_query('a"b') is not None
    assert fts5_query("-only or") is None
