"""Migration 0003a: runs stored before it kept English notes for unscored areas ("fewer than 300 inhabitants
(38)", "withheld (a suppressed input value)"); after it they hold the codes the pages translate, in the note
column, the area's detail and the run's public result (SQLite)."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import MetaData, insert, select

from bettercities.storage.database import Database, sqlite_url

MIGRATION = importlib.import_module("bettercities.analysis.index.migrations.0003a_index_note_codes")
FEW = "fewer than 300 inhabitants (38)"
WITHHELD = "withheld (a suppressed input value)"
EXCLUDED = "excluded by configuration (special area)"


def test_an_old_run_s_english_notes_become_codes(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path / "old.sqlite"))
    try:
        db.migrate("0003")  # the index tables as they were before
        tables = MetaData()
        tables.reflect(db.engine)
        now = datetime(2024, 1, 1, tzinfo=UTC)
        config = {"method": "composite", "name": "old", "min_population": 300,
                  "indicators": [{"column": "x"}], "classes": {"scheme": "quantiles", "k": 2}}  # fmt: skip
        public = {"areas": [{"area_id": "B", "scored": False, "note": WITHHELD}], "class_counts": {},
                  "breaks": {}, "report": {"problems": []}}  # fmt: skip
        with db.engine.begin() as conn:
            city = conn.execute(
                insert(tables.tables["city"]).values(slug="old", name="Old", country="DE", created_at=now)
            ).inserted_primary_key[0]
            run = conn.execute(
                insert(tables.tables["index_run"]).values(
                    city_id=city,
                    name="old run",
                    method="composite",
                    config=json.dumps(config),
                    level_code="district",
                    period_code="2020",
                    inputs="{}",
                    version="0.1",
                    summary=json.dumps({"public": public}),
                    areas=3,
                    scored=0,
                    computed_at=now,
                )
            ).inserted_primary_key[0]
            for code, note, population in (
                ("A", FEW, 38.0),
                ("B", WITHHELD, 900.0),
                ("C", f"{EXCLUDED}; {FEW}", 38.0),
            ):
                detail = {"area_id": code, "population": population, "scored": False, "note": note}
                conn.execute(
                    insert(tables.tables["index_run_area"]).values(
                        run_id=run,
                        area_code=code,
                        scored=False,
                        note=note,
                        population=population,
                        detail=json.dumps(detail),
                    )
                )
        db.migrate()  # every head: no other branch may lose the run (0131 once did on SQLite)
        area = tables.tables["index_run_area"]
        with db.engine.connect() as conn:
            rows = {r.area_code: r for r in conn.execute(select(area))}
            summary = json.loads(conn.execute(select(tables.tables["index_run"].c.summary)).scalar_one())
        assert {code: row.note for code, row in rows.items()} == {
            "A": "few-inhabitants", "B": "withheld", "C": f"{EXCLUDED}; few-inhabitants",
        }  # fmt: skip
        assert {code: json.loads(row.detail)["note"] for code, row in rows.items()} == {
            code: row.note for code, row in rows.items()
        }
        assert summary["public"]["areas"][0]["note"] == "withheld"
    finally:
        db.dispose()


def test_the_downgrade_writes_the_english_back() -> None:
    for note, population in ((FEW, 38.0), (WITHHELD, None), (f"{EXCLUDED}; {FEW}", 38.0), (EXCLUDED, 5.0)):
        codes = MIGRATION.to_codes(note)
        assert MIGRATION.to_words(codes, population, 300) == note
    assert MIGRATION.to_codes("fewer than 1,000 inhabitants (1,234.5)") == "few-inhabitants"
    assert MIGRATION.to_words("few-inhabitants", 1234.5, 1000.0) == "fewer than 1000 inhabitants (1,234.5)"
