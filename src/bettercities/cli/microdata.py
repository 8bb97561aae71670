"""``bettercities microdata``: indicators from register microdata (aggregate); a synthetic register
(generate)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    console,
    err_console,
    open_workspace,
    refusals,
)

app = typer.Typer(help="Indicators from register microdata (DuckDB or Spark); a synthetic register.")

CityOption = Annotated[str, typer.Option("--city", help="City slug, e.g. auenstedt.")]
PeriodOption = Annotated[
    str, typer.Option("--period", help="Period of the records, e.g. 2024 or 2024-12-31.")
]


def _progress(started: float) -> Callable[[str, int, int], None]:
    """Progress lines on stderr, with the seconds since ``started``."""

    def report(message: str, done: int, total: int) -> None:
        err_console.print(f"[{time.monotonic() - started:7.1f} s] {message}", highlight=False, soft_wrap=True)

    return report


@app.command("aggregate")
def aggregate(
    spec: Annotated[
        Path, typer.Option("--spec", help="The aggregation spec (YAML).", exists=True, dir_okay=False)
    ],
    data: Annotated[Path, typer.Option("--data", help="The records: a Parquet or CSV file.")],
    city: CityOption,
    period: PeriodOption,
    engine: Annotated[str, typer.Option(help="duckdb (embedded) or spark.")] = "duckdb",
    spark_master: Annotated[
        str | None,
        typer.Option(
            help="Spark master URL (local[4], spark://host:7077, yarn …); default: Spark's settings."
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Compute and validate; import nothing.")] = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Compute every indicator of SPEC at every level from the records and import them (validated).

    The records never enter the database; the import batches record spec, checksums and engine.
    """
    from bettercities.microdata.service import aggregate as run

    ws = open_workspace(workspace, database_url)
    with refusals(ws):
        result = run(
            ws.database,
            city,
            spec,
            data,
            period,
            engine=engine,
            spark_master=spark_master,
            dry_run=dry_run,
            progress=_progress(time.monotonic()),
        )
    for problem in result.report.warnings[:20]:
        err_console.print(str(problem), style="yellow", highlight=False, soft_wrap=True)
    levels = ", ".join(f"{lv.level} {lv.areas} areas ({lv.suppressed} suppressed)" for lv in result.levels)
    console.print(
        f"{result.data}: {result.records} records, {len(result.indicators)} indicators on {result.engine}; "
        f"{levels}; means/medians of fewer records withheld: "
        f"{', '.join(f'{k} < {v}' for k, v in result.thresholds.items()) or '-'}.",
        highlight=False,
        soft_wrap=True,
    )
    counts = f"{result.inserted} new, {result.revised} revised, {result.unchanged} unchanged"
    if result.dry_run:
        console.print(f"Dry run, nothing written: {counts}.", highlight=False, soft_wrap=True)
    else:
        batches = ", ".join(str(b) for b in result.batch_ids) or "none"
        console.print(f"Imported (batches {batches}): {counts}.", highlight=False, soft_wrap=True)


@app.command("generate")
def generate(
    city: CityOption,
    out: Annotated[Path, typer.Option("--out", help="The register to write (.parquet).", dir_okay=False)],
    period: Annotated[
        str | None,
        typer.Option("--period", help="Size areas by the inhabitants of this period (else latest)."),
    ] = None,
    level: Annotated[str, typer.Option(help="Level of the areas the persons live in.")] = "planning_area",
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same file.")] = 0,
    persons: Annotated[int, typer.Option(help="Persons per area without stored inhabitants.", min=0)] = 1000,
    blocks: Annotated[
        Path | None, typer.Option(help="Also write the block -> area lookup (CSV) for specs with a lookup.")
    ] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Write a synthetic person register of the city's areas (invented people) as Parquet."""
    from bettercities.areas import service as areas
    from bettercities.microdata.generator import block_table, city_sizes, generate_register

    started = time.monotonic()
    ws = open_workspace(workspace, database_url)
    with refusals(ws):
        with ws.database.reader() as session:
            sizes = city_sizes(session, areas.get_city(session, city), level, period, default=persons)
        written = generate_register(sizes, out, seed=seed)
        if blocks is not None:
            import pyarrow.csv as pacsv

            pacsv.write_csv(block_table(list(sizes)), blocks)
    console.print(
        f"{out}: {written} persons in {len(sizes)} areas of {level} (seed {seed}), "
        f"{time.monotonic() - started:.1f} s.",
        highlight=False,
        soft_wrap=True,
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="microdata")
