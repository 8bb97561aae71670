"""The audit log on SQLite and PostgreSQL: every write leaves an entry, entries cannot be changed."""

from __future__ import annotations

import csv
import io
import json
import threading
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.areas.schemas import CitySpec
from bettercities.audit import Actor, AuditEntryOut, acting_as, current_actor, queries, service
from bettercities.audit.models import AuditEntry
from bettercities.audit.recording import GENERIC
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.indicators.models import ImportBatch, Indicator, Period
from bettercities.ingest import revisions
from bettercities.ingest.schemas import ObservationImportOptions
from bettercities.ingest.service import import_observations
from bettercities.storage import versioning
from bettercities.storage.workspace import Workspace
from tests.ingest.conftest import CITY, LEVEL, build_city

ANNA = Actor("anna", 7, "web", "req-1")


def log(ws: Workspace, **where: Any) -> list[AuditEntryOut]:
    """The entries (oldest first) whose columns have the values ``where`` names."""
    with ws.database.reader() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        for name, value in where.items():
            query = query.where(getattr(AuditEntry, name) == value)
        return [AuditEntryOut.model_validate(row) for row in session.scalars(query)]


def test_insert_update_delete_leave_entries_with_before_and_after(workspace: Workspace) -> None:
    with acting_as(ANNA), workspace.database.session() as session:
        city = areas.create_city(session, CitySpec(slug="ulm", name="Ulm", country="DE"))
    with acting_as(ANNA), workspace.database.session() as session:
        session.get_one(City, city.id).name = "Ulm an der Donau"
    with workspace.database.session() as session:
        session.delete(session.get_one(City, city.id))

    inserted, updated, deleted = log(workspace, entity="city")
    assert (inserted.action, inserted.entity_key, inserted.before) == ("insert", str(city.id), None)
    assert inserted.after is not None
    assert {k: inserted.after[k] for k in ("slug", "name", "country")} == {
        "slug": "ulm",
        "name": "Ulm",
        "country": "DE",
    }
    assert (inserted.actor, inserted.actor_user_id, inserted.via, inserted.request_id) == (
        "anna",
        7,
        "web",
        "req-1",
    )
    assert (updated.action, updated.before, updated.after) == (
        "update",
        {"name": "Ulm"},
        {"name": "Ulm an der Donau"},
    )
    assert updated.summary == f"update city {city.id}: name"
    assert deleted.action == "delete" and deleted.after is None
    assert deleted.before is not None and deleted.before["name"] == "Ulm an der Donau"
    # the default actor outside any context; the city (id and slug) stays on the entries after the delete
    assert (deleted.actor, deleted.actor_user_id, deleted.via) == ("library", None, "library")
    assert {(e.city_id, e.city) for e in (inserted, updated, deleted)} == {(city.id, "ulm")}
    assert inserted.at.tzinfo is not None or workspace.database.is_sqlite


def test_rolled_back_write_leaves_no_entry(workspace: Workspace) -> None:
    with pytest.raises(RuntimeError), workspace.database.session() as session:
        areas.create_city(session, CitySpec(slug="ulm", name="Ulm", country="DE"))
        session.flush()
        raise RuntimeError("abandon")
    assert log(workspace) == []
    with workspace.database.session() as session:
        areas.create_city(session, CitySpec(slug="ulm", name="Ulm", country="DE"))
    assert [e.action for e in log(workspace)] == ["insert"]


def test_bulk_import_is_one_entry_with_the_batch_as_reference(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_city(workspace)
    monkeypatch.setattr(revisions, "CHUNK", 2)  # many bulk_insert calls for one import
    path = tmp_path / "d.csv"
    # two indicators: chunks differ in their indicator, so only the batch is the same in every chunk
    path.write_text(
        "id,period,inhabitants,median_age\n"
        + "".join(f"B{n},{y},{100 + n},{40 + n}\n" for n in range(1, 6) for y in (2019, 2020))
    )
    first = import_observations(
        workspace.database, CITY, path, ObservationImportOptions(level=LEVEL), screen_outliers=False
    )
    path.write_text("id,period,inhabitants\n" + "".join(f"B{n},2020,{200 + n}\n" for n in range(1, 6)))
    second = import_observations(
        workspace.database, CITY, path, ObservationImportOptions(level=LEVEL), screen_outliers=False
    )
    assert (first.inserted, second.revised) == (20, 5)

    with workspace.database.reader() as session:
        batches = list(session.scalars(select(ImportBatch.id).order_by(ImportBatch.id)))
        inhabitants = session.scalar(select(Indicator.id).where(Indicator.code == "inhabitants"))
        period = session.scalar(select(Period.id).where(Period.code == "2020"))
        city_id = areas.get_city(session, CITY).id
    inserts = log(workspace, action="bulk-insert", entity="observation")
    assert [(e.reference, e.after) for e in inserts] == [
        (f"import_batch {batches[0]}", {"rows": 20}),
        (f"import_batch {batches[1]}; indicator {inhabitants}; period {period}", {"rows": 5}),
    ]
    assert {(e.city_id, e.city) for e in inserts} == {(city_id, CITY)}
    assert inserts[0].summary == "bulk-insert: 20 rows into observation"
    # the revised rows are marked as no longer current: one entry, with the value set
    [replaced] = log(workspace, action="bulk-update", entity="observation")
    assert replaced.after == {"is_current": False, "rows": 5}
    assert replaced.summary.startswith("bulk-update: 5 rows of observation where observation.id IN")
    # the batch itself is an ordinary row: inserted, then its counts updated
    assert [e.action for e in log(workspace, entity="import_batch")] == ["insert", "update"] * 2
    assert log(workspace, action=GENERIC) == []


def test_chunked_dml_is_one_entry_per_statement_shape(workspace: Workspace) -> None:
    with workspace.database.session() as session:
        for slug in ("a", "b", "c"):
            areas.create_city(session, CitySpec(slug=slug, name=slug.upper(), country="DE"))
    with workspace.database.session() as session:
        for slug in ("a", "b", "c"):
            session.execute(update(City).where(City.slug == slug).values(population=1000))
        session.execute(update(City).where(City.slug == "zzz").values(population=5))
    entries = log(workspace, action="bulk-update")
    assert [(e.after, e.reference) for e in entries] == [
        ({"population": 1000, "rows": 3}, "city.slug = :slug_1"),
        ({"population": 5, "rows": 0}, "city.slug = 'zzz'"),  # one statement: its own values
    ]


def test_entries_cannot_be_changed_or_deleted(workspace: Workspace) -> None:
    with workspace.database.session() as session:
        areas.create_city(session, CitySpec(slug="ulm", name="Ulm", country="DE"))
    statements = ["UPDATE audit_entry SET actor = 'someone else'", "DELETE FROM audit_entry"]
    if workspace.database.is_postgresql:
        statements.append("TRUNCATE audit_entry")
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), workspace.database.engine.begin() as conn:
            conn.execute(text(statement))
    [entry] = log(workspace)
    assert entry.actor == "library"


def test_secrets_are_redacted(workspace: Workspace) -> None:
    with workspace.database.session() as session:
        service.record_event(
            session,
            "token-issued",
            summary="token for anna",
            entity="api_token",
            entity_key="3",
            after={"name": "ci", "token_hash": "abc", "password": "pw", "client_secret": "s", "write": True},
        )
    [entry] = log(workspace)
    assert entry.after == {
        "name": "ci",
        "token_hash": "***",
        "password": "***",
        "client_secret": "***",
        "write": True,
    }


def test_named_events_are_recorded_with_the_actor(workspace: Workspace) -> None:
    with acting_as(Actor("anna", 7, "web", "req-9")), workspace.database.session() as session:
        service.record_event(session, "login", summary="anna signed in", entity="app_user", entity_key="7")
        with pytest.raises(InvalidInput, match="needs a summary"):
            service.record_event(session, "logout", summary=" ")
    [entry] = log(workspace)
    assert (entry.action, entry.actor, entry.via, entry.request_id) == ("login", "anna", "web", "req-9")
    assert workspace.database.data_version() == 0  # an event is not a change of data


def test_safety_net_records_a_write_the_hooks_did_not_see(workspace: Workspace) -> None:
    with workspace.database.session() as session:
        versioning.mark_changed(session)  # what a write past every hook would leave behind
    [entry] = log(workspace)
    assert entry.action == GENERIC and entry.entity is None


def test_actor_context() -> None:
    assert current_actor() == Actor("library", None, "library")
    with acting_as(ANNA):
        assert current_actor() is ANNA
        with acting_as(Actor("cli:ops", None, "cli")):
            assert current_actor().name == "cli:ops"
        assert current_actor() is ANNA
        seen: list[Actor] = []
        other = threading.Thread(target=lambda: seen.append(current_actor()))
        other.start()
        other.join()
        assert seen == [Actor("library", None, "library")]  # a context per thread, not a global
    assert current_actor().name == "library"


def test_list_filters_pages_and_exports(workspace: Workspace) -> None:
    with acting_as(ANNA), workspace.database.session() as session:
        for slug in ("a", "b", "c"):
            areas.create_city(session, CitySpec(slug=slug, name=slug.upper(), country="DE"))
    with workspace.database.session() as session:
        service.record_event(session, "login", summary='bob signed in, "quoted", 2 lines\nsecond')

    with workspace.database.reader() as session:
        page = queries.list_entries(session, page=1, page_size=2)
        assert (page.total, len(page.items), page.has_next) == (4, 2, True)
        assert page.items[0].action == "login"  # newest first
        assert queries.list_entries(session, page=2, page_size=2).has_next is False
        assert queries.list_entries(session, actor="anna").total == 3
        assert [e.city for e in queries.list_entries(session, city="b").items] == ["b"]
        b = session.scalar(select(City.id).where(City.slug == "b"))
        assert queries.list_entries(session, city_id=b, entity="city").total == 1
        now = datetime.now(UTC)
        assert queries.list_entries(session, since=now - timedelta(hours=1)).total == 4
        assert queries.list_entries(session, until=now - timedelta(hours=1)).total == 0
        assert queries.list_entries(session, since=(now + timedelta(hours=1)).replace(tzinfo=None)).total == 0
        with pytest.raises(InvalidInput):
            queries.list_entries(session, page=0)
        exported = queries.export(session, fmt="csv")
        lines = queries.export(session, fmt="jsonl", actor="anna")
        with pytest.raises(NotFound, match="known: csv, jsonl"):
            queries.export(session, fmt="xml")
        total = session.scalar(select(func.count()).select_from(AuditEntry))

    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == total == 4 and list(rows[0]) == list(queries.COLUMNS)
    assert [r["action"] for r in rows] == ["insert", "insert", "insert", "login"]  # oldest first
    assert rows[-1]["summary"] == 'bob signed in, "quoted", 2 lines\nsecond'
    assert json.loads(rows[0]["after"])["slug"] == "a" and rows[-1]["after"] == ""
    parsed = [json.loads(line) for line in lines.splitlines()]
    assert [p["after"]["slug"] for p in parsed] == ["a", "b", "c"]
    assert {p["actor"] for p in parsed} == {"anna"}


def test_migration_matches_the_model(workspace: Workspace) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bettercities.storage.models import metadata

    with workspace.database.engine.connect() as conn, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Did not recognize type 'geometry'")  # PostGIS' column of area
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    ours = [d for d in diff if "audit_entry" in repr(d)]
    assert ours == []


def test_a_row_without_a_city_finds_it_through_its_foreign_keys() -> None:
    """The path each table's rows take to their city (the audit entry names it; docs/audit.md)."""
    import bettercities.storage.models  # noqa: F401  (every domain's tables)
    from bettercities.audit.recording import city_path

    assert city_path("plan_action") == ()  # a city_id of its own
    assert city_path("observation") == (("observation", "area_id", "area", "id"),)  # not via indicator
    assert city_path("consultation_vote") == (
        ("consultation_vote", "ballot_id", "consultation_ballot", "id"),
        ("consultation_ballot", "round_id", "consultation_round", "id"),
    )
    assert city_path("api_token") is None  # never through an account
    assert city_path("network_membership") is None
