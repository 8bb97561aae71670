"""Every write path of the library leaves *specific* audit entries (not only the safety net's generic one).

One workspace per backend goes through the paths that write: the Berlin MSS 2019 flow through the command
line (city, indicators, areas import, observations import), index runs, priority sets, catalogue edits and
approval steps, the outlier queue, deletions, and backup/restore. After each step the data version must
have moved *and* the step must have left entries naming the tables it wrote; at the end every data table
that holds rows has entries about it and no entry is the generic one. A new write path that bypasses the
hooks fails here.
"""

from __future__ import annotations

import contextlib
import csv
import getpass
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from bettercities.analysis.index.results import delete_run, run_index
from bettercities.analysis.priority import service as priority
from bettercities.analysis.priority.evaluation import evaluate
from bettercities.analysis.priority.schemas import load_rule
from bettercities.areas import service as areas
from bettercities.audit import Actor, AuditEntryOut, acting_as
from bettercities.audit.models import AuditEntry
from bettercities.audit.recording import GENERIC
from bettercities.catalog import approval
from bettercities.catalog import service as catalog
from bettercities.catalog.schemas import DatasetSpec
from bettercities.ingest.schemas import ObservationImportOptions
from bettercities.ingest.service import import_observations
from bettercities.quality import outliers
from bettercities.storage import backup as snapshots
from bettercities.storage.versioning import BOOKKEEPING_TABLES
from bettercities.storage.workspace import Workspace
from tests.ingest.conftest import CITY, build_city
from tests.ingest.conftest import LEVEL as BLOCK
from tests.support.mss_runs import LEVEL, PERIOD, build_berlin_2019, cli

STEWARD = Actor("steward", 3, "api", "req-42")
#: The indicators of the MSS 2019 (status s1, s3, s4; dynamics d1, d3, d4), as the preset and the official
#: method description (Senatsverwaltung für Stadtentwicklung und Wohnen Berlin, MSS 2019) name them
MSS_2019_INDICATORS = [
    "s1_percentage_unemployed",
    "s3_percentage_transfer_payments_recipients",
    "s4_percentage_transfer_payments_recipients_below_15_years",
    "d1_percentage_unemployed",
    "d3_percentage_transfer_payments_recipients",
    "d4_percentage_transfer_payments_recipients_below_15_years",
]


def entries_after(ws: Workspace, last_id: int) -> list[AuditEntryOut]:
    with ws.database.reader() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id))
        return [AuditEntryOut.model_validate(row) for row in rows]


def last_id(ws: Workspace) -> int:
    with ws.database.reader() as session:
        return session.scalar(select(func.max(AuditEntry.id))) or 0


@contextlib.contextmanager
def writes(ws: Workspace, *tables: str, actor: str | None = None) -> Iterator[list[AuditEntryOut]]:
    """The block must change data and leave specific entries about each of ``tables`` (by ``actor``)."""
    version, since = ws.database.data_version(), last_id(ws)
    found: list[AuditEntryOut] = []
    yield found
    found.extend(entries_after(ws, since))
    assert ws.database.data_version() > version, "the step wrote nothing"
    assert found, "a write without audit entries"
    assert [e for e in found if e.action == GENERIC] == [], "only the safety net saw a write"
    assert set(tables) <= {e.entity for e in found}, {e.entity for e in found}
    if actor is not None:
        assert {e.actor for e in found} == {actor}


def test_every_write_path_leaves_specific_entries(
    workspace: Workspace, open_data: Path, tmp_path: Path
) -> None:
    ws = workspace
    cli_user = f"cli:{getpass.getuser()}"

    # command line: city, indicators, areas import, observations import
    with writes(ws, "city", "indicator", "area", "import_batch", "observation", actor=cli_user) as found:
        build_berlin_2019(ws, open_data)
    assert {e.via for e in found} == {"cli"}
    [bulk] = [e for e in found if e.action == "bulk-insert" and e.entity == "observation"]
    assert bulk.city == "berlin" and bulk.reference and bulk.reference.startswith("import_batch ")
    assert bulk.after == {"rows": 447 * 7}
    area_inserts = [e for e in found if e.entity == "area" and e.action == "insert"]
    assert len(area_inserts) == 448 and {e.city for e in area_inserts} == {"berlin"}

    with acting_as(STEWARD):
        # index run and priority set
        with writes(ws, "index_run", actor="steward") as found, ws.database.session() as session:
            run = run_index(session, "berlin", config="berlin-mss-2019", level=LEVEL, period=PERIOD)
        # one entry for the run (issue 12), not one per area row: its id, indicator set and area rows
        with ws.database.reader() as session:
            area_rows = session.scalar(
                text("SELECT count(*) FROM index_run_area WHERE run_id = :r"), {"r": run.id}
            )
        [entry] = found
        assert (entry.action, entry.entity, entry.entity_key) == ("insert", "index_run", str(run.id))
        assert entry.after and entry.after["index_run_area"] == area_rows == 447
        # the input set: the six index indicators and the population (the preset's population_column)
        assert sorted(entry.after["indicators"]) == sorted([*MSS_2019_INDICATORS, "inhabitants"])
        assert entry.summary.startswith(f"index run {run.id} ") and "447 areas" in entry.summary
        with writes(ws, "priority_set", "priority_set_area"), ws.database.session() as session:
            rule = load_rule("mss-low-status-negative-dynamics")
            priority.save_set(session, evaluate(session, "berlin", rule), "focus", user="s")
        with writes(ws, "priority_set"), ws.database.session() as session:
            priority.delete_set(session, "berlin", "focus")
        with writes(ws, "index_run"), ws.database.session() as session:
            delete_run(session, run.id)

        # catalogue edit and approval steps
        spec = DatasetSpec(
            code="mss",
            title_de="MSS",
            title_en="MSS",
            description_de="Monitoring Soziale Stadtentwicklung.",
            description_en="Social urban development monitoring.",
            publisher="Berlin",
            indicators=["s1_percentage_unemployed"],
        )
        with writes(ws, "catalog_dataset", "catalog_dataset_indicator"), ws.database.session() as session:
            catalog.add_dataset(session, areas.get_city(session, "berlin"), spec)
        for action in ("submit", "approve", "publish"):
            with (
                writes(ws, "catalog_dataset", "catalog_approval_event") as found,
                ws.database.session() as session,
            ):
                approval.transition(session, "berlin", "mss", action, user="s")
            [step] = [e for e in found if e.entity == "catalog_dataset"]
            assert step.action == "update" and step.before and step.after and "state" in step.after

        # outlier queue: a jump is flagged on import, then accepted and corrected
        with writes(ws, "city", "area"):
            build_city(ws)
        path = tmp_path / "d.csv"
        path.write_text("id,period,inhabitants\nB1,2019,100\nB2,2019,80\nB1,2020,400\nB2,2020,81\n")
        with writes(ws, "observation", "outlier_flag"):
            import_observations(ws.database, CITY, path, ObservationImportOptions(level=BLOCK), user="loader")
        with ws.database.reader() as session:
            [flag] = outliers.list_flags(session, CITY)
        with writes(ws, "outlier_flag_event"), ws.database.session() as session:
            outliers.resolve_flag(session, CITY, flag.id, action="comment", comment="asked", user="s")
        with writes(ws, "outlier_flag", "observation"), ws.database.session() as session:
            outliers.resolve_flag(session, CITY, flag.id, action="correct", value=104.0, user="s")

    # every data table that holds rows has entries about it; none is the generic one
    with ws.database.engine.connect() as conn:
        names = set(inspect(conn).get_table_names()) - snapshots.EXTENSION_TABLES - {"alembic_version"}
        holding = {
            n
            for n in names - BOOKKEEPING_TABLES
            if conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar()
        }
    with ws.database.reader() as session:
        audited = set(session.scalars(select(AuditEntry.entity).distinct()))
        generic = session.scalar(select(func.count()).where(AuditEntry.action == GENERIC))
    assert holding - audited == set() and generic == 0

    # backup and restore: the restore is recorded, and no entry of the replaced log is lost
    snapshots.backup(ws, tmp_path / "snap")
    with writes(ws, "city"), ws.database.session() as session:  # after the snapshot
        areas.get_city(session, "berlin").name = "Berlin (Land)"
    before = entries_after(ws, 0)
    snapshots.restore(ws, tmp_path / "snap", force=True)
    after = entries_after(ws, 0)
    kept = [(e.at, e.action, e.summary, e.actor) for e in after]
    assert [(e.at, e.action, e.summary, e.actor) for e in before] == kept[: len(before)]
    assert after[-1].action == "restore" and after[-1].after
    assert after[-1].after["audit_entries_carried_over"] == 1
    with ws.database.reader() as session:
        assert areas.get_city(session, "berlin").name == "Berlin"  # the data did go back

    # and the log reads back through the command line
    out = tmp_path / "audit.csv"
    cli(ws, "audit", "export", "--format", "csv", "--out", str(out), "--city", "testcity")
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    assert rows and {r["city"] for r in rows} == {"testcity"}
    assert "outlier_flag" in {r["entity"] for r in rows}


@pytest.mark.parametrize("command", [["audit", "list"], ["audit", "export"]])
def test_audit_commands_have_help(command: list[str]) -> None:
    from typer.testing import CliRunner

    from bettercities.cli.main import app

    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
