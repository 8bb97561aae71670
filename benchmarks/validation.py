"""Validating an observation file: bettercities against ``frictionless validate`` with an equivalent schema.

    .venv/bin/python benchmarks/validation.py                 # 1,000,000 rows
    .venv/bin/python benchmarks/validation.py --rows 100000

The long CSV of ``import_observations.py`` (area, indicator, period, value; 2,000 areas x 25 indicators
x 20 periods for a million rows, 34 MB) is validated by two contenders, each in its own Python process:

* ``bettercities``: :func:`bettercities.ingest.service.import_observations` with ``dry_run=True`` on a
  workspace that holds the areas and indicators (SQLite): reads every cell as text, checks types,
  required cells, area and indicator codes, periods, duplicate keys and ranges, runs the city's rules,
  compares with the stored revisions and writes nothing.
* ``frictionless``: the command ``frictionless validate resource.json`` on the same file with a Table
  Schema that asks the same: ``area``, ``indicator``, ``period`` strings, required, each an ``enum`` of
  the registered codes (periods: the 20 years), ``value`` a required number with ``minimum`` 0 and
  ``maximum`` 100, primary key (area, indicator, period) — i.e. types, required, unique primary key,
  enums and range constraints.

Wall time: bettercities around the call (best of ``repeat``); frictionless around the whole command
(its interpreter start-up, ~1 s, is included, which favours us slightly; it is also reported).
Target: bettercities at least 20 times faster.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import import_observations as base  # the same generated file and workspace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory import peak_rss_mb

TARGET = 20.0


def resource_descriptor(csv: Path, rows: int) -> Path:
    """A Frictionless tabular resource with the schema equivalent to bettercities' checks."""
    areas, indicators, periods = base.shape(rows)
    schema = {
        "fields": [
            {
                "name": "area",
                "type": "string",
                "constraints": {"required": True, "enum": [f"{n:08d}" for n in range(1, areas + 1)]},
            },
            {
                "name": "indicator",
                "type": "string",
                "constraints": {"required": True, "enum": [f"indicator_{n:02d}" for n in range(indicators)]},
            },
            {
                "name": "period",
                "type": "string",
                "constraints": {"required": True, "enum": [str(2000 + n) for n in range(periods)]},
            },
            {
                "name": "value",
                "type": "number",
                "constraints": {"required": True, "minimum": 0, "maximum": 100},
            },
        ],
        "primaryKey": ["area", "indicator", "period"],
    }
    descriptor = {
        "name": "observations",
        "path": csv.name,
        "profile": "tabular-data-resource",
        "format": "csv",
        "encoding": "utf-8",
        "schema": schema,
    }
    path = csv.with_name("resource.json")
    path.write_text(json.dumps(descriptor), "utf-8")
    return path


def contender_bettercities(csv: Path, target: Path) -> dict[str, Any]:
    from bettercities.ingest.schemas import ObservationImportOptions
    from bettercities.ingest.service import import_observations
    from bettercities.storage.workspace import Workspace

    ws = Workspace.open(target)
    start = time.perf_counter()
    result = import_observations(
        ws.database,
        base.CITY,
        csv,
        ObservationImportOptions(level=base.LEVEL, layout="long", id_column="area"),
        dry_run=True,
    )
    seconds = time.perf_counter() - start
    ws.close()
    assert result.report.ok and result.inserted == result.observations, result.report.summary()
    return {"seconds": seconds, "rows": result.observations, "valid": result.report.ok}


def _child(csv: Path, target: Path) -> None:
    outcome = contender_bettercities(csv, target)
    outcome["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(outcome))


def measure_bettercities(csv: Path, target: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", "--csv", str(csv), "--target", str(target)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bettercities failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    outcome: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


def measure_frictionless(descriptor: Path) -> dict[str, Any]:
    """``frictionless validate`` as a command (its own process); wall time and its verdict."""

    command = [sys.executable, "-m", "frictionless", "validate", "--json", str(descriptor)]
    startup = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import frictionless"], check=True)
    startup = time.perf_counter() - startup
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=descriptor.parent)
    seconds = time.perf_counter() - start
    try:
        report = json.loads(done.stdout)
        valid = bool(report.get("valid"))
        rows = sum(task.get("stats", {}).get("rows", 0) or 0 for task in report.get("tasks", []))
    except json.JSONDecodeError:
        valid, rows = False, 0
    if not valid:
        raise RuntimeError(f"frictionless did not accept the file:\n{(done.stdout + done.stderr)[-4000:]}")
    return {
        "seconds": seconds,
        "startup_seconds": startup,
        "rows": rows,
        "valid": valid,
        "peak_rss_mb": _peak_rss_of(command, descriptor.parent),
    }


def _peak_rss_of(command: list[str], cwd: Path) -> float:
    """Peak RSS (MB) of ``command`` alone, run once more under a fresh wrapper process.

    ``RUSAGE_CHILDREN`` reports the largest of *all* children a process has waited for, so measured
    here it would repeat the peak of the earlier bettercities child; the wrapper's only child is
    ``command``.
    """
    wrapper = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    done = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True, text=True, cwd=cwd)
    return float(done.stdout.strip().splitlines()[-1])


def run(rows: int = 1_000_000, *, repeat: int = 3, frictionless_repeat: int = 1) -> dict[str, Any]:
    """Generate the file, validate it with both contenders, print the times and the ratio."""
    with tempfile.TemporaryDirectory(prefix="bc-bench-validation-") as tmp:
        folder = Path(tmp)
        csv = base.generate(folder, rows)
        template = base.prepare_workspace(folder, rows)
        descriptor = resource_descriptor(csv, rows)
        size_mb = csv.stat().st_size / 1e6
        # frictionless first: its peak RSS is then the largest of this process's children so far
        theirs = [measure_frictionless(descriptor) for _ in range(frictionless_repeat)]
        ours = []
        for attempt in range(repeat):
            target = folder / f"ws-{attempt}"
            shutil.copytree(template, target)
            ours.append(measure_bettercities(csv, target))
            shutil.rmtree(target)
    best = min(ours, key=lambda r: r["seconds"])
    other = min(theirs, key=lambda r: r["seconds"])
    ratio = other["seconds"] / best["seconds"]
    ratio_without_startup = (other["seconds"] - other["startup_seconds"]) / best["seconds"]
    print(f"\nValidation of {rows:,} observation rows ({size_mb:.1f} MB CSV, long layout)")
    print(f"{'contender':<52}{'best s':>9}{'rows/s':>12}{'peak RSS MB':>13}")
    print(
        f"{'bettercities import_observations(dry_run=True)':<52}{best['seconds']:>9.2f}"
        f"{best['rows'] / best['seconds']:>12,.0f}{best['peak_rss_mb']:>13.0f}"
    )
    print(
        f"{'frictionless validate (CLI, equivalent schema)':<52}{other['seconds']:>9.2f}"
        f"{other['rows'] / other['seconds']:>12,.0f}{other['peak_rss_mb']:>13.0f}"
    )
    verdict = "met" if ratio >= TARGET else "MISSED"
    print(
        f"ratio frictionless / bettercities: {ratio:.1f}x (without frictionless' start-up of "
        f"{other['startup_seconds']:.1f} s: {ratio_without_startup:.1f}x)  target >= {TARGET:g}x: {verdict}"
    )
    return {
        "rows": rows,
        "csv_mb": round(size_mb, 1),
        "bettercities": {**best, "runs": len(ours), "all_seconds": [r["seconds"] for r in ours]},
        "frictionless": {**other, "runs": len(theirs)},
        "ratio": ratio,
        "ratio_without_startup": ratio_without_startup,
        "target_met": ratio >= TARGET,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="bettercities runs (best is reported)")
    parser.add_argument("--frictionless-repeat", type=int, default=1, help="frictionless runs (slow)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--target", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.csv, args.target)
        return
    run(rows=args.rows, repeat=args.repeat, frictionless_repeat=args.frictionless_repeat)


if __name__ == "__main__":
    main()
