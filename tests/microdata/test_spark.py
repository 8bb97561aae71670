"""The same spec on Apache Spark (local[2], through Ibis's PySpark backend) gives identical results.

One Spark session serves the module (the engine shares it through getOrCreate); the JVM starts once.
Spark reads the register as CSV (area codes with leading zeros kept as text), DuckDB as Parquet: the
import after DuckDB finds every Spark value unchanged, i.e. equal to the last bit.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bettercities.microdata.service import aggregate
from bettercities.storage.workspace import Workspace
from tests.microdata.conftest import PERIOD, build_city, stored, write_register, write_spec

pytestmark = pytest.mark.slow  # scheduled first (tests/conftest.py)


def test_spark_equals_duckdb(demo_workspace: Workspace, tmp_path: Path) -> None:
    city = build_city(demo_workspace)
    register = write_register(demo_workspace, tmp_path)
    spec = write_spec(tmp_path)
    on_duckdb = aggregate(demo_workspace.database, city, spec, register, PERIOD)
    first = stored(demo_workspace)

    people = pd.read_parquet(register)
    assert people["area_code"].astype(str).str.startswith("0").any()  # leading zeros must survive the CSV
    csv = tmp_path / "register.csv"
    people.to_csv(csv, index=False)
    on_spark = aggregate(
        demo_workspace.database, city, spec, csv, PERIOD, engine="spark", spark_master="local[2]"
    )
    assert on_spark.records == on_duckdb.records
    assert (on_spark.inserted, on_spark.revised) == (0, 0)
    assert on_spark.unchanged == on_duckdb.inserted > 1000
    assert on_spark.batch_ids == []
    pd.testing.assert_frame_equal(stored(demo_workspace), first)
