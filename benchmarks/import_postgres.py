"""Observation import into PostgreSQL: bettercities' validating import against pandas ``to_sql``.

    .venv/bin/python benchmarks/import_postgres.py              # 1,000,000 rows, best of 3
    .venv/bin/python benchmarks/import_postgres.py --rows 200000 --repeat 2

The PostgreSQL sibling of ``import_observations.py`` (same CSV, same workspace content). A private
server is started on loopback the way the test session starts one (``tests/support/postgres.py``:
Debian's server binaries, fsync off); every run gets a fresh database on it. Each contender runs in
its own Python process:

* ``bettercities``: :func:`bettercities.ingest.service.import_observations` into a workspace on the
  server (validation, rules, revision comparison, ``COPY`` with provenance, one transaction;
  ``screen_outliers=False``).
* ``pandas``: ``pandas.read_csv`` + ``DataFrame.to_sql`` through SQLAlchemy (psycopg 3) into a fresh
  database on the same server (``if_exists="append"``, default ``method``): no validation at all.

Wall time is measured around the import call. Prints best and median seconds and the ratio of the
throughputs (ours / pandas; >= 1 means ours is at least as fast).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
from import_observations import CITY, LEVEL, generate, prepare_workspace, summarise  # noqa: E402
from import_observations import measure as measure_in  # noqa: E402
from memory import peak_rss_mb  # noqa: E402

# -- contenders (each runs in a child process) ---------------------------------------------------------------


def contender_bettercities(csv: Path, target: str) -> dict[str, Any]:
    """Validated import into the workspace folder ``target`` (whose database is on the server)."""
    from bettercities.ingest.schemas import ObservationImportOptions
    from bettercities.ingest.service import import_observations
    from bettercities.storage.workspace import Workspace

    folder, url = target.split("|", 1)
    ws = Workspace.open(Path(folder), database_url=url)
    start = time.perf_counter()
    result = import_observations(
        ws.database,
        CITY,
        csv,
        ObservationImportOptions(level=LEVEL, layout="long", id_column="area"),
        screen_outliers=False,
    )
    seconds = time.perf_counter() - start
    ws.close()
    assert result.report.ok, result.report.summary()
    return {"seconds": seconds, "rows": result.inserted}


def contender_pandas(csv: Path, target: str) -> dict[str, Any]:
    """The baseline: pandas' documented path, ``to_sql`` through an SQLAlchemy engine (psycopg 3)."""
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(target)
    start = time.perf_counter()
    frame = pd.read_csv(csv)
    frame.to_sql("observation", engine, if_exists="append")
    seconds = time.perf_counter() - start
    engine.dispose()
    return {"seconds": seconds, "rows": len(frame)}


CONTENDERS = {"bettercities": contender_bettercities, "pandas": contender_pandas}
LABELS = {
    "bettercities": "bettercities validated import (COPY)",
    "pandas": "pandas read_csv + to_sql (SQLAlchemy)",
}


def _child(name: str, csv: Path, target: str) -> None:
    outcome = CONTENDERS[name](csv, target)
    outcome["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(outcome))


def run(rows: int = 1_000_000, *, repeat: int = 3) -> dict[str, Any]:
    """Start a server, generate the data, measure each contender ``repeat`` times (interleaved)."""
    from tests.support.postgres import PostgresServer

    results: dict[str, list[dict[str, Any]]] = {name: [] for name in CONTENDERS}
    with tempfile.TemporaryDirectory(prefix="bc-bench-pg-") as tmp, PostgresServer() as server:
        folder = Path(tmp)
        csv = generate(folder, rows)
        size_mb = csv.stat().st_size / 1e6
        for attempt in range(repeat):
            for name in CONTENDERS:
                database = f"bench_{name}_{attempt}"
                url = server.create_database(database)
                if name == "bettercities":
                    target = f"{prepare_workspace(folder / database, rows, url)}|{url}"
                else:
                    target = url
                results[name].append(measure_in(name, csv, target, script=__file__))
                server.drop_database(database)
    figures = {name: summarise(runs) for name, runs in results.items()}
    ratio = figures["bettercities"]["rows_per_second"] / figures["pandas"]["rows_per_second"]
    print(
        f"\nObservation import, {rows:,} rows ({size_mb:.1f} MB CSV, long layout), PostgreSQL on loopback, "
        f"best of {repeat}"
    )
    print(f"{'contender':<40}{'best s':>8}{'median s':>10}{'rows/s':>12}{'peak RSS MB':>13}  all s")
    for name, label in LABELS.items():
        f = figures[name]
        print(
            f"{label:<40}{f['seconds']:>8.2f}{f['median_seconds']:>10.2f}"
            f"{f['rows_per_second']:>12,.0f}{f['peak_rss_mb']:>13.0f}  {f['all_seconds']}"
        )
    verdict = "met" if ratio >= 1 else "MISSED"
    print(f"ratio ours / baseline (SQLAlchemy) throughput: {ratio:.2f}  target >= 1: {verdict}")
    return {"rows": rows, "csv_mb": round(size_mb, 1), **figures, "ratio": ratio, "target_met": ratio >= 1.0}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender (best is reported)")
    parser.add_argument("--child", choices=sorted(CONTENDERS), help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.csv, args.target)
        return
    run(rows=args.rows, repeat=args.repeat)


if __name__ == "__main__":
    main()
