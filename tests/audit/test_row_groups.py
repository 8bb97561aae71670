"""One audit entry per index run, not one per stored area row (issue 12: two runs left 900 entries).

The index domain declares its area rows part of their run (:func:`bettercities.audit.recording.group_rows`):
inserted with the run, they are counted in the run's entry; inserted later, they are one bulk entry per run;
a savepoint rolled back takes its rows' counts with it. SQLite and PostgreSQL.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from bettercities.analysis.index import results  # registers the group
from bettercities.analysis.index.models import IndexRun, IndexRunArea
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.audit import AuditEntryOut
from bettercities.audit.models import AuditEntry
from bettercities.storage.workspace import Workspace

INPUTS = {"indicators": [{"code": "unemployment"}, {"code": "transfer"}]}


def _run(city_id: int, name: str) -> IndexRun:
    return IndexRun(city_id=city_id, name=name, method="composite", config="{}", level_code="block",
                    period_code="2024", inputs=json.dumps(INPUTS), summary="{}", version="test", areas=3,
                    scored=3)  # fmt: skip


def _areas(run_id: int, codes: list[str]) -> list[IndexRunArea]:
    return [IndexRunArea(run_id=run_id, area_code=code, scored=True, index_value=0.5) for code in codes]


def _entries(ws: Workspace, after: int) -> list[AuditEntryOut]:
    with ws.database.reader() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id))
        return [AuditEntryOut.model_validate(row) for row in rows]


def test_two_runs_are_two_entries_with_their_id_indicators_and_areas(workspace: Workspace) -> None:
    assert results.audit.RowGroup  # the module that stores runs registered the group on import
    with workspace.database.session() as session:
        city = areas.create_city(session, CitySpec(slug="ulm", name="Ulm", country="DE"))
    start = _entries(workspace, 0)[-1].id
    with workspace.database.session() as session:
        ids = []
        for name, codes in (("first", ["A", "B", "C"]), ("second", ["A", "B", "C", "D"])):
            run = _run(city.id, name)
            session.add(run)
            session.flush()
            session.add_all(_areas(run.id, codes))
            session.flush()
            ids.append(run.id)
    entries = _entries(workspace, start)
    assert [(e.entity, e.entity_key) for e in entries] == [("index_run", str(i)) for i in ids]
    assert [e.after["index_run_area"] for e in entries if e.after] == [3, 4]
    assert [e.after["indicators"] for e in entries if e.after] == [["unemployment", "transfer"]] * 2
    assert entries[0].summary == (
        f"index run {ids[0]} 'first' stored (composite, block, 2024): 3 areas, "
        "indicators unemployment, transfer"
    )
    assert {e.city for e in entries} == {"ulm"}


def test_rows_added_to_a_stored_run_are_one_bulk_entry(workspace: Workspace) -> None:
    with workspace.database.session() as session:
        city = areas.create_city(session, CitySpec(slug="ulm", name="Ulm", country="DE"))
        run = _run(city.id, "late")
        session.add(run)
    start = _entries(workspace, 0)[-1].id
    with workspace.database.session() as session:
        session.add_all(_areas(run.id, ["A", "B"]))
    [entry] = _entries(workspace, start)
    assert (entry.action, entry.entity, entry.after) == ("bulk-insert", "index_run_area", {"rows": 2})
    assert entry.reference == f"index_run {run.id}"


def test_a_rolled_back_savepoint_takes_its_rows_out_of_the_count(workspace: Workspace) -> None:
    with workspace.database.session() as session:
        city = areas.create_city(session, CitySpec(slug="ulm", name="Ulm", country="DE"))
    start = _entries(workspace, 0)[-1].id
    with workspace.database.session() as session:
        run = _run(city.id, "partly")
        session.add(run)
        session.flush()
        session.add_all(_areas(run.id, ["A"]))
        session.flush()
        savepoint = session.begin_nested()
        session.add_all(_areas(run.id, ["B", "C"]))
        session.flush()
        savepoint.rollback()
    [entry] = _entries(workspace, start)
    assert entry.after and entry.after["index_run_area"] == 1
