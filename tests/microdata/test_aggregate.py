"""The generated register aggregated with DuckDB equals an independent pandas groupby
(tests/microdata/conftest), for every indicator at every level, before protection; provenance and the
source-side suppression of means."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select

from bettercities.indicators.models import ImportBatch
from bettercities.ingest.service import file_sha256
from bettercities.microdata.service import aggregate
from bettercities.storage.workspace import Workspace
from tests.microdata.conftest import (
    PERIOD,
    ancestors,
    pandas_cells,
    stored,
    write_register,
    write_spec,
)


def compare(workspace: Workspace, register: Path) -> pd.DataFrame:
    """Assert that stored values equal the pandas reference; return the merged frame."""
    expected = pandas_cells(register, ancestors(workspace))
    got = stored(workspace)
    merged = expected.merge(
        got, on=["level", "area", "indicator"], how="outer", suffixes=("", "_got"), indicator=True
    )
    missing = merged[merged["_merge"] != "both"]
    assert missing.empty, missing.head(10)
    assert set(merged["level"]) == {"planning_area", "district_region", "district"}
    assert merged["indicator"].nunique() == 12
    np.testing.assert_allclose(merged["value_got"], merged["value"], rtol=1e-9)
    ratio = merged["numerator"].notna()
    np.testing.assert_array_equal(merged.loc[ratio, "numerator_got"], merged.loc[ratio, "numerator"])
    np.testing.assert_array_equal(merged.loc[ratio, "denominator_got"], merged.loc[ratio, "denominator"])
    return merged


def test_duckdb_equals_pandas_at_every_level(workspace: Workspace, city: str, tmp_path: Path) -> None:
    register = write_register(workspace, tmp_path)
    spec = write_spec(tmp_path)
    messages: list[str] = []
    result = aggregate(
        workspace.database,
        city,
        spec,
        register,
        PERIOD,
        progress=lambda message, done, total: messages.append(message),
    )
    merged = compare(workspace, register)
    # Means and medians of fewer than 3 records are stored, marked suppressed at the source; counts are raw.
    small = merged["records"].notna() & (merged["records"] < 3)
    assert small.sum() >= 2
    assert merged.loc[small, "suppressed"].all()
    assert not merged.loc[~small, "suppressed"].any()
    counts = merged[merged["indicator"] == "inhabitants"]
    assert {1.0, 2.0} <= set(counts["value_got"])  # counts of 1 and 2 imported raw (protected at publication)
    assert result.records == len(pd.read_parquet(register, columns=["age"]))
    assert result.thresholds == {"mean_age": 3, "median_income": 3, "mean_income": 3}
    assert len(result.batch_ids) == 3
    assert any("records" in m for m in messages) and any("level district" in m for m in messages)


def test_provenance_is_recorded_and_a_block_lookup_gives_the_same(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    from bettercities.areas import service as areas
    from bettercities.privacy.schemas import RuleSpec
    from bettercities.privacy.service import set_rule
    from tests.microdata.conftest import build_city

    city = build_city(sqlite_workspace)
    with sqlite_workspace.database.session() as session:  # the privacy domain's rule for one indicator
        set_rule(session, areas.get_city(session, city), RuleSpec(indicator="mean_income", threshold=60))
    register = write_register(sqlite_workspace, tmp_path)
    spec = write_spec(tmp_path)
    result = aggregate(sqlite_workspace.database, city, spec, register, PERIOD)
    assert result.thresholds == {"mean_age": 3, "median_income": 3, "mean_income": 60}
    # the file's checksum reaches the result and every batch
    assert result.data_sha256 == file_sha256(register)
    assert aggregate(sqlite_workspace.database, city, spec, register, PERIOD, dry_run=True).data_sha256 == (
        file_sha256(register)
    )
    with sqlite_workspace.database.reader() as session:
        batches = session.execute(
            select(ImportBatch.options, ImportBatch.file_name).where(ImportBatch.id.in_(result.batch_ids))
        ).all()
    assert len(batches) == 3
    for batch in batches:
        options = json.loads(batch.options)
        assert options["spec_sha256"] == file_sha256(spec)
        assert options["data_sha256"] == file_sha256(register)
        assert options["engine"] == "duckdb" and options["spec_version"] == 1
        assert options["spec"] == str(spec) and options["data_file"] == "register.parquet"
        assert batch.file_name.startswith("register.parquet [spec.yaml, ")
    levels = {json.loads(b.options)["level"] for b in batches}
    assert levels == {"planning_area", "district_region", "district"}
    # Keys mapped through an address-block lookup give the same values: all unchanged, nothing written.
    import pyarrow.csv as pacsv

    from bettercities.microdata.generator import block_table
    from tests.microdata.conftest import area_sizes

    pacsv.write_csv(block_table(list(area_sizes(sqlite_workspace))), tmp_path / "blocks.csv")
    blocks = write_spec(
        tmp_path,
        replace=(
            "  key: area_code          # the register's planning-area code\n",
            "  key: block_id\n  lookup: blocks.csv\n  lookup_key: block_id\n  lookup_area: area_code\n",
        ),
    )
    assert "lookup: blocks.csv" in blocks.read_text()
    mapped = aggregate(sqlite_workspace.database, city, blocks, register, PERIOD)
    assert mapped.inserted == 0 and mapped.revised == 0 and mapped.unchanged == result.inserted
    assert mapped.batch_ids == []
    merged = compare(sqlite_workspace, register)
    income = merged[merged["indicator"] == "mean_income"]
    assert (income["records"] < 60).sum() >= 3 and (income["records"] >= 60).sum() >= 3
    assert (income["suppressed"] == (income["records"] < 60)).all()


def test_the_audit_trail_of_an_aggregation_records_the_files_checksum(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    """Each level's import batch is recorded in the audit log as written: with the data file's checksum in its
    provenance from the start (a checksum filled in later left a placeholder in the insert entries)."""
    from bettercities.audit.models import AuditEntry
    from tests.microdata.conftest import build_city

    city = build_city(sqlite_workspace)
    register = write_register(sqlite_workspace, tmp_path)
    result = aggregate(sqlite_workspace.database, city, write_spec(tmp_path), register, PERIOD)
    with sqlite_workspace.database.reader() as session:
        entries = session.execute(
            select(AuditEntry.action, AuditEntry.entity_key, AuditEntry.after).where(
                AuditEntry.entity == "import_batch"
            )
        ).all()
    ours = {str(i) for i in result.batch_ids}
    inserted = {e.entity_key: e.after for e in entries if e.action == "insert" and e.entity_key in ours}
    assert len(result.batch_ids) == 3 and set(inserted) == ours
    for after in inserted.values():
        assert json.loads(after["options"])["data_sha256"] == file_sha256(register)
    # the options are written once: no later update of a batch touches them
    assert all("options" not in (e.after or {}) for e in entries if e.action != "insert")
    assert {e.action for e in entries} <= {"insert", "update"}
