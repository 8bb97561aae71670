"""Run every benchmark in one go and print the figures with their ratios against the baselines.

    .venv/bin/python benchmarks/run.py            # all
    .venv/bin/python benchmarks/run.py pages      # only the page timings
    .venv/bin/python benchmarks/run.py scorecard  # the scorecard page: 200 goals over 500 areas
    .venv/bin/python benchmarks/run.py import --rows 200000
    .venv/bin/python benchmarks/run.py import-postgres  # into a loopback PostgreSQL (not by default)
    .venv/bin/python benchmarks/run.py microdata --records 10000000  # register -> indicators (not by default)
    .venv/bin/python benchmarks/run.py peers      # top-10 peer matching among 20,000 municipalities
    .venv/bin/python benchmarks/run.py routes     # every demo page and API list, 4 concurrent clients
    .venv/bin/python benchmarks/run.py read-api --datasette /tmp/dsvenv/bin/datasette  # (not by default)

Targets (foundation issue): observation import at least as fast as pandas read_csv + to_sql on the
same file, while validating; every page p95 < 100 ms server time on the demo city; the scorecard of 200 goals
over 500 areas p95 < 100 ms (issue 13); top-10 peer matching among 20,000 municipalities p95 < 50 ms
(issue 15).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "which",
        nargs="*",
        choices=[
            "import",
            "import-postgres",
            "pages",
            "scorecard",
            "analysis",
            "validation",
            "microdata",
            "peers",
            "routes",
            "read-api",
        ],
        default=["import", "pages", "scorecard", "analysis", "validation", "peers"],
    )
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="observation rows for the import benchmark"
    )
    parser.add_argument("--requests", type=int, default=100, help="requests per page for the page benchmark")
    parser.add_argument(
        "--records", type=int, default=100_000_000, help="register records for the microdata benchmark"
    )
    parser.add_argument("--datasette", help="the datasette executable for read-api (see read_api.py)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args()
    results: dict[str, object] = {}
    failed = False
    if "import" in args.which:
        import import_observations

        outcome = import_observations.run(rows=args.rows)
        results["import"] = outcome
        failed |= not outcome.get("target_met", False)
    if "import-postgres" in args.which:
        import import_postgres

        outcome = import_postgres.run(rows=args.rows)
        results["import-postgres"] = outcome
        failed |= not outcome.get("target_met", False)
    if "pages" in args.which:
        import pages

        outcome = pages.run(requests=args.requests)
        results["pages"] = outcome
        failed |= not outcome.get("target_met", False)
    if "scorecard" in args.which:
        import scorecard

        outcome = scorecard.run(requests=args.requests)
        results["scorecard"] = outcome
        failed |= not outcome.get("target_met", False)
    if "analysis" in args.which:
        import analysis

        outcome = analysis.run()
        results["analysis"] = outcome
        failed |= not outcome.get("target_met", False)
    if "validation" in args.which:
        import validation

        outcome = validation.run(rows=args.rows)
        results["validation"] = outcome
        failed |= not outcome.get("target_met", False)
    if "microdata" in args.which:
        import microdata

        outcome = microdata.run(records=args.records)
        results["microdata"] = outcome
        failed |= not outcome.get("target_met", False)
    if "peers" in args.which:
        import peers

        outcome = peers.run()
        results["peers"] = outcome
        failed |= not outcome.get("target_met", False)
    if "routes" in args.which:
        import routes

        outcome = routes.run()
        results["routes"] = outcome
        failed |= not outcome.get("target_met", False)
    if "read-api" in args.which:
        import read_api

        outcome = read_api.run(datasette=args.datasette)
        results["read-api"] = outcome
        failed |= not outcome.get("target_met", False)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print("\nall targets met" if not failed else "\nSOME TARGETS MISSED (see above)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
