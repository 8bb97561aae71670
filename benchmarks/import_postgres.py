"""Observation import into PostgreSQL: bettercities' validating import against pandas ``to_sql`` with COPY.

    .venv/bin/python benchmarks/import_postgres.py              # 1,000,000 rows, 3 rounds
    .venv/bin/python benchmarks/import_postgres.py --rows 200000 --repeat 2

The PostgreSQL sibling of ``import_observations.py`` (same CSV, same workspace content). A private
server is started on loopback the way the test session starts one (``tests/support/postgres.py``:
Debian's server binaries, fsync off); every run gets a fresh database on it, owned by the login role
``bench``, which is **not a superuser** (printed with every round): the contenders connect as ``bench``.
Each contender runs in its own Python process:

* ``bettercities``: :func:`bettercities.ingest.service.import_observations` into a workspace on the
  server (validation, rules, revision comparison, ``COPY`` with provenance, one transaction;
  ``screen_outliers=False``). A million rows take the path of
  :mod:`bettercities.storage.bulk_load` (the four foreign keys checked in one query, not per row; the
  indexes of the empty table built after the insert).
* ``bettercities-per-row``: the same import with the server's per-row foreign key checks and index
  insertions (the path below
  :data:`~bettercities.storage.bulk_load.SET_WISE_FROM` rows, and the only one before issue 17).
* ``pandas``: ``pandas.read_csv`` + ``DataFrame.to_sql`` through SQLAlchemy (psycopg 3) into a fresh
  database on the same server (``if_exists="append"``) with ``method=`` the ``COPY`` function of pandas'
  documentation (``psql_insert_copy``, "Insertion method" in pandas' SQL guide, written for psycopg 3):
  no validation at all, no foreign keys.

Wall time is measured around the import call. The contenders run in alternating rounds (one of each
per round, the order turned every round) so that both see the same load of a shared machine; every round
is printed with its ratio, and the verdict uses the median of the rounds' ratios (throughput ours /
pandas; >= 1 means ours is at least as fast).
"""

from __future__ import annotations

import argparse
import json
import statistics
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


def _role(session_or_engine: Any) -> dict[str, Any]:
    from sqlalchemy import text

    sql = text("SELECT current_user, usesuper FROM pg_user WHERE usename = current_user")
    with session_or_engine.connect() as connection:
        user, superuser = connection.execute(sql).one()
    return {"role": user, "superuser": bool(superuser)}


def _bettercities(csv: Path, target: str, *, per_row: bool) -> dict[str, Any]:
    """Validated import into the workspace folder ``target`` (whose database is on the server)."""
    from bettercities.ingest.schemas import ObservationImportOptions
    from bettercities.ingest.service import import_observations
    from bettercities.storage import bulk_load
    from bettercities.storage.workspace import Workspace

    if per_row:
        bulk_load.SET_WISE_FROM = 10**15
    folder, url = target.split("|", 1)
    ws = Workspace.open(Path(folder), database_url=url)
    role = _role(ws.database.engine)
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
    return {"seconds": seconds, "rows": result.inserted, **role}


def contender_bettercities(csv: Path, target: str) -> dict[str, Any]:
    return _bettercities(csv, target, per_row=False)


def contender_bettercities_per_row(csv: Path, target: str) -> dict[str, Any]:
    return _bettercities(csv, target, per_row=True)


def psql_insert_copy(table: Any, conn: Any, keys: list[str], data_iter: Any) -> int:
    """pandas' documented ``COPY`` insertion method (pandas user guide, "Insertion method"), psycopg 3."""
    import csv as csvlib
    from io import StringIO

    dbapi_conn = conn.connection
    with dbapi_conn.cursor() as cur:
        s_buf = StringIO()
        writer = csvlib.writer(s_buf)
        writer.writerows(data_iter)
        s_buf.seek(0)
        columns = ", ".join(f'"{k}"' for k in keys)
        table_name = f"{table.schema}.{table.name}" if table.schema else table.name
        with cur.copy(f"COPY {table_name} ({columns}) FROM STDIN WITH CSV") as copy:
            copy.write(s_buf.getvalue())
        return int(cur.rowcount)


def contender_pandas(csv: Path, target: str) -> dict[str, Any]:
    """The baseline: ``read_csv`` and ``to_sql`` through an SQLAlchemy engine (psycopg 3) with COPY."""
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(target)
    role = _role(engine)
    start = time.perf_counter()
    frame = pd.read_csv(csv)
    frame.to_sql("observation", engine, if_exists="append", method=psql_insert_copy)
    seconds = time.perf_counter() - start
    engine.dispose()
    return {"seconds": seconds, "rows": len(frame), **role}


CONTENDERS = {
    "bettercities": contender_bettercities,
    "pandas": contender_pandas,
    "bettercities-per-row": contender_bettercities_per_row,
}
LABELS = {
    "bettercities": "bettercities validated import",
    "pandas": "pandas read_csv + to_sql (COPY)",
    "bettercities-per-row": "bettercities, per-row FK checks *",
}
ROLE = "bench"


def _child(name: str, csv: Path, target: str) -> None:
    outcome = CONTENDERS[name](csv, target)
    outcome["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(outcome))


def run(rows: int = 1_000_000, *, repeat: int = 3, per_row: bool = True) -> dict[str, Any]:
    """Start a server, generate the data, measure the contenders in ``repeat`` alternating rounds."""
    from tests.support.postgres import PostgresServer

    names = [n for n in CONTENDERS if per_row or n != "bettercities-per-row"]
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    ratios: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bc-bench-pg-") as tmp, PostgresServer() as server:
        with server.connect() as conn:
            conn.execute(f"CREATE ROLE {ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        folder = Path(tmp)
        csv = generate(folder, rows)
        size_mb = csv.stat().st_size / 1e6
        print(
            f"Observation import, {rows:,} rows ({size_mb:.1f} MB CSV, long layout), PostgreSQL "
            f"{server.bindir.parent.name} on loopback, {repeat} alternating rounds"
        )
        for attempt in range(repeat):
            order = names if attempt % 2 == 0 else [names[1], names[0], *names[2:]]
            for name in order:
                database = f"bench_{name.replace('-', '_')}_{attempt}"
                server.create_database(database)
                with server.connect() as conn:
                    conn.execute(f"ALTER DATABASE {database} OWNER TO {ROLE}")
                url = server.url(database).replace("postgres@", f"{ROLE}@")
                if name.startswith("bettercities"):
                    target = f"{prepare_workspace(folder / database, rows, url)}|{url}"
                else:
                    target = url
                outcome = measure_in(name, csv, target, script=__file__)
                results[name].append(outcome)
                server.drop_database(database)
                print(
                    f"  round {attempt + 1} {LABELS[name]:<36}{outcome['seconds']:>8.2f} s  "
                    f"as role {outcome['role']!r} (superuser: {'yes' if outcome['superuser'] else 'no'})",
                    flush=True,
                )
            ratio = results["pandas"][-1]["seconds"] / results["bettercities"][-1]["seconds"]
            ratios.append(ratio)
            print(f"  round {attempt + 1} ratio ours / pandas throughput: {ratio:.2f}", flush=True)
    figures = {name: summarise(runs) for name, runs in results.items()}
    median = statistics.median(ratios)
    print(f"{'contender':<40}{'best s':>8}{'median s':>10}{'rows/s':>12}{'peak RSS MB':>13}  all s")
    for name in names:
        f = figures[name]
        print(
            f"{LABELS[name]:<40}{f['seconds']:>8.2f}{f['median_seconds']:>10.2f}"
            f"{f['rows_per_second']:>12,.0f}{f['peak_rss_mb']:>13.0f}  {f['all_seconds']}"
        )
    verdict = "met" if median >= 1 else "MISSED"
    print(
        f"ratio ours / pandas (COPY) throughput, median of {repeat} rounds: {median:.2f} "
        f"(rounds {', '.join(f'{r:.2f}' for r in ratios)})  target >= 1: {verdict}"
    )
    if per_row:
        gain = figures["bettercities-per-row"]["median_seconds"] / figures["bettercities"]["median_seconds"]
        print(f"* the same import with per-row foreign key checks: set-wise is {gain:.2f}x faster (medians)")
    return {
        "rows": rows,
        "csv_mb": round(size_mb, 1),
        **figures,
        "ratios": ratios,
        "ratio": median,
        "target_met": median >= 1.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="alternating rounds")
    parser.add_argument("--no-per-row", action="store_true", help="leave out the per-row reference run")
    parser.add_argument("--child", choices=sorted(CONTENDERS), help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.csv, args.target)
        return
    run(rows=args.rows, repeat=args.repeat, per_row=not args.no_per_row)


if __name__ == "__main__":
    main()
