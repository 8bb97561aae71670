"""``bettercities registry``: the city registry for Europe (load the shipped registry, import the original
source files, list and show cities, rebuild the shipped files) and ``bettercities benchmark``
(docs/registry.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bettercities.cli.common import DatabaseUrlOption, WorkspaceOption, console, fail, session_of

app = typer.Typer(
    help="The city registry for Europe: Urban Audit cities and GeoNames towns.", no_args_is_help=True
)
import_app = typer.Typer(help="Import an original source file into the registry.", no_args_is_help=True)
app.add_typer(import_app, name="import")

FileArgument = Annotated[
    Path, typer.Argument(help="The source file.", exists=True, dir_okay=False, readable=True)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _print_summary(summary: object, as_json: bool) -> None:
    from bettercities.registry.schemas import RegistryImportSummary

    assert isinstance(summary, RegistryImportSummary)
    if as_json:
        console.print_json(summary.model_dump_json())
        return
    console.print(
        f"{summary.source}: read {summary.read}, created {summary.created}, merged {summary.merged}, "
        f"updated {summary.updated}, skipped {summary.skipped}, flagged {summary.flagged}, aliases "
        f"{summary.aliases} ({summary.seconds:.2f} s)",
        highlight=False,
        soft_wrap=True,
    )


def _import(kind: str, path: Path, workspace: Path | None, database_url: str | None, as_json: bool) -> None:
    from bettercities.registry import service

    functions = {
        "urban-audit": service.import_urban_audit,
        "geonames": service.import_geonames,
        "regions": service.import_regions,
        "indicators": service.import_indicators,
    }
    with session_of(workspace, database_url, write=True) as session:
        summary = functions[kind](session, path)
    _print_summary(summary, as_json)


@import_app.command("urban-audit")
def import_urban_audit(
    path: FileArgument,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Urban Audit cities (eu_urban_audit_cities_2021.csv)."""
    _import("urban-audit", path, workspace, database_url, as_json)


@import_app.command("geonames")
def import_geonames(
    path: FileArgument,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """GeoNames towns >= 5,000 inhabitants (geonames_europe_cities5000.csv); import Urban Audit first."""
    _import("geonames", path, workspace, database_url, as_json)


@import_app.command("regions")
def import_regions(
    path: FileArgument,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """NUTS-3 regions with their urban-rural type (nuts3_2021_population_typologies.geojson)."""
    _import("regions", path, workspace, database_url, as_json)


@import_app.command("indicators")
def import_indicators(
    path: FileArgument,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Urban Audit indicators (eurostat_urban_audit_indicators_latest.csv); implausible values are flagged."""
    _import("indicators", path, workspace, database_url, as_json)


@app.command("load-shipped")
def load_shipped(
    workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None, as_json: JsonOption = False
) -> None:
    """Load the registry shipped with the package (idempotent)."""
    from bettercities.audit.service import record_event
    from bettercities.registry import service

    with session_of(workspace, database_url, write=True) as session:
        summary = service.load_shipped(session)
        # the load itself is recorded, also when it changes nothing (the rows it writes are recorded too)
        record_event(
            session,
            "registry-loaded",
            summary=f"city registry loaded: {summary.created} cities created, {summary.merged} merged, "
            f"{summary.updated} updated",
            entity="registry",
            entity_key=summary.source,
            after={"created": summary.created, "merged": summary.merged, "updated": summary.updated},
        )
    _print_summary(summary, as_json)


@app.command("list")
def list_command(
    q: Annotated[str | None, typer.Option("--q", help="Name (or alias) to search for.")] = None,
    country: Annotated[
        str | None, typer.Option("--country", help="Country code (Eurostat, e.g. DE, EL).")
    ] = None,
    size_class: Annotated[
        str | None, typer.Option("--size-class", help="small-town, medium-town, city, large-city.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cities of the registry (cities using bettercities first, then by population)."""
    from bettercities.registry import service

    if size_class and size_class not in service.SIZE_CLASSES:
        fail(f"unknown size class {size_class!r} (one of {', '.join(service.SIZE_CLASSES)})", code=2)
    with session_of(workspace, database_url) as session:
        page = service.search(session, q=q, country=country, size=size_class, offset=offset, limit=limit)
    if as_json:
        console.print_json(page.model_dump_json())
        return
    table = Table(
        "slug", "name", "country", "population", "size class", "urban-rural", "Urban Audit", "GeoNames"
    )
    for c in page.cities:
        table.add_row(
            c.slug,
            c.name,
            c.country,
            "" if c.population is None else f"{c.population:,}",
            c.size_class or "",
            c.urban_rural or "",
            c.urau_code or "",
            "" if c.geonames_id is None else str(c.geonames_id),
        )
    console.print(table)
    console.print(f"{page.offset + 1}-{page.offset + len(page.cities)} of {page.total}", highlight=False)


@app.command("show")
def show(
    slug: Annotated[str, typer.Argument(help="City slug.")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """A city of the registry: identifiers, population, size class, urban-rural type, aliases, statistics."""
    from bettercities.registry import service

    with session_of(workspace, database_url) as session:
        out = service.city_out(session, service.get_city(session, slug))
    if as_json:
        console.print_json(out.model_dump_json())
        return
    console.print(f"{out.name} ({out.country}) · {out.slug}", highlight=False)
    for label, value in (
        ("Urban Audit", out.urau_code),
        ("NUTS-3", f"{out.nuts3_code or ''} {out.region_name or ''}".strip()),
        ("GeoNames", out.geonames_id),
        (
            "population",
            f"{out.population:,} ({out.population_year or 'GeoNames'})" if out.population else None,
        ),
        ("size class", out.size_class),
        ("urban-rural", out.urban_rural),
        ("aliases", ", ".join(f"{a.name} ({a.kind})" for a in out.aliases)),
    ):
        if value:
            console.print(f"  {label}: {value}", highlight=False)
    if out.statistics:
        table = Table("indicator", "year", "value")
        for s in out.statistics:
            table.add_row(s.code, str(s.year), f"{s.value:g}")
        console.print(table)


@app.command("build")
def build_command(
    source: Annotated[
        Path,
        typer.Argument(help="Folder with the four original files (eu-cities).", exists=True, file_okay=False),
    ],
    target: Annotated[
        Path | None, typer.Option("--target", help="Default: the package's registry/data/.")
    ] = None,
) -> None:
    """Rebuild the shipped registry files from the original source files (a maintainer's step)."""
    from bettercities.registry.build import DATA, build

    result = build(source, target or DATA)
    console.print(json.dumps(result.__dict__), highlight=False)


def benchmark_command(
    indicator: Annotated[
        str, typer.Option("--indicator", help="Urban Audit indicator code, e.g. unemploymentPct.")
    ],
    set_key: Annotated[
        str,
        typer.Option(
            "--set",
            help="network:SLUG, programme:SLUG, size:CLASS or cities:SLUG,SLUG (the cities to compare).",
        ),
    ],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Benchmark an Urban Audit indicator over a set of cities: ranking, median, each city against it."""
    from bettercities.views import registry as registry_views

    with session_of(workspace, database_url) as session:
        result = registry_views.benchmark_view(session, indicator, set_key)
    if as_json:
        console.print_json(result.model_dump_json())
        return
    ended = f" · the network has ended: members on {result.members_on}" if result.members_on else ""
    console.print(
        f"{result.indicator} · {result.set_label}{ended} · median {_num(result.median)}", highlight=False
    )
    table = Table("rank", "city", "country", "value", "year", "vs median")
    for row in result.rows:
        table.add_row(
            "" if row.rank is None else str(row.rank),
            row.name,
            row.country,
            _num(row.value),
            "" if row.year is None else str(row.year),
            "" if row.vs_median is None else f"{row.vs_median:+.4g}",
        )
    console.print(table)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="registry")
    root.command("benchmark")(benchmark_command)


__all__ = ["register"]
