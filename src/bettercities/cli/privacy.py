"""``bettercities privacy``: protection rules, declared relations between quantities, the protection report
and the published p-tables (statistical disclosure control, docs/privacy.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from pydantic import ValidationError

from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    console,
    fail,
    session_of,
    validation_messages,
)

app = typer.Typer(
    help="Statistical disclosure control: protection rules, relations, the report, p-tables.",
    no_args_is_help=True,
)
relation_app = typer.Typer(help="Declared relations between quantities (total = sum of parts).")
app.add_typer(relation_app, name="relation", no_args_is_help=True)

CityOption = Annotated[str, typer.Option("--city", help="City slug.")]
IndicatorOption = Annotated[str | None, typer.Option("--indicator", help="The rule of this indicator.")]
DatasetOption = Annotated[
    str | None, typer.Option("--dataset", help="The rule of this catalogue dataset's indicators.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


class MethodChoice(StrEnum):
    """The methods as the CLI spells them."""

    SUPPRESSION = "suppression"
    CELL_KEY = "cell-key"
    NONE = "none"


def _describe(rule: object) -> str:
    from bettercities.privacy.schemas import Method, RuleOut

    assert isinstance(rule, RuleOut)
    stored = "" if rule.id is not None else "  (built-in default)"
    if rule.method == Method.CELL_KEY:
        detail = f"max deviation {rule.max_deviation}, variance {rule.variance:g}, js {rule.js}"
    elif rule.method == Method.SUPPRESSION:
        parts = [f"threshold {rule.threshold}", "zeros sensitive" if rule.zeros else "zeros published"]
        if rule.interval_percent:
            parts.append(f"interval {rule.interval_percent:g} %")
        if rule.dominance_n is not None:
            parts.append(f"dominance ({rule.dominance_n}, {rule.dominance_k:g})")
        if rule.p_percent is not None:
            parts.append(f"p% {rule.p_percent:g}")
        detail = ", ".join(parts)
    else:
        detail = "published as stored"
    return f"{rule.scope}: {rule.method.value} ({detail}){stored}"


@app.command("rules")
def rules_command(
    city: Annotated[
        str | None, typer.Option("--city", help="City slug (default: every city using bettercities).")
    ] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List the protection rules of a city (or of every city), the default first."""
    from bettercities.areas import service as areas
    from bettercities.privacy import service

    with session_of(workspace, database_url) as session:
        slugs = [city] if city else [c.slug for c in areas.using_cities(session)]
        found = {slug: service.list_rules(session, areas.get_city(session, slug)) for slug in slugs}
    if as_json:
        console.print_json(
            data={slug: [r.model_dump(mode="json") for r in rules] for slug, rules in found.items()}
        )
        return
    for slug, rules in found.items():
        console.print(slug, highlight=False)
        for rule in rules:
            console.print(f"  {_describe(rule)}", highlight=False, soft_wrap=True)
    if not found:
        console.print("No cities.", highlight=False)


@app.command("set")
def set_command(
    city: CityOption,
    method: Annotated[MethodChoice, typer.Option("--method", help="How the cells are protected.")],
    indicator: IndicatorOption = None,
    dataset: DatasetOption = None,
    threshold: Annotated[
        int, typer.Option("--threshold", help="Suppression: counts 1..threshold-1 are sensitive.")
    ] = 3,
    zeros: Annotated[
        bool, typer.Option("--zeros", help="Suppression: a count of 0 is sensitive too.")
    ] = False,
    interval_percent: Annotated[
        float,
        typer.Option("--interval-percent", help="Suppression: protection interval, % of the cell's value."),
    ] = 0.0,
    dominance_n: Annotated[
        int | None, typer.Option("--dominance-n", help="Dominance (n,k): the n largest contributors …")
    ] = None,
    dominance_k: Annotated[
        float | None, typer.Option("--dominance-k", help="… may not hold more than k % of the cell.")
    ] = None,
    p_percent: Annotated[
        float | None, typer.Option("--p-percent", help="p% rule: the p of magnitude cells' contributions.")
    ] = None,
    max_deviation: Annotated[
        int, typer.Option("--max-deviation", help="Cell key: the largest deviation D of the p-table.")
    ] = 2,
    variance: Annotated[
        float, typer.Option("--variance", help="Cell key: the deviations' variance V.")
    ] = 1.0,
    js: Annotated[int, typer.Option("--js", help="Cell key: no perturbed count in 1..js-1.")] = 0,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Set the rule of an indicator, of a dataset's indicators, or (neither given) the city's default."""
    from bettercities.areas import service as areas
    from bettercities.privacy import service
    from bettercities.privacy.schemas import Method, RuleSpec

    try:
        spec = RuleSpec(
            indicator=indicator,
            dataset=dataset,
            method=Method.CELL_KEY if method == MethodChoice.CELL_KEY else Method(method.value),
            threshold=threshold,
            zeros=zeros,
            interval_percent=interval_percent,
            dominance_n=dominance_n,
            dominance_k=dominance_k,
            p_percent=p_percent,
            max_deviation=max_deviation,
            variance=variance,
            js=js,
        )
    except ValidationError as error:
        fail(validation_messages(error), code=2)
    with session_of(workspace, database_url, write=True) as session:
        rule = service.set_rule(session, areas.get_city(session, city), spec)
    console.print(f"{city}: {_describe(rule)}", highlight=False, soft_wrap=True)


@app.command("remove")
def remove_command(
    city: CityOption,
    indicator: IndicatorOption = None,
    dataset: DatasetOption = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Remove the rule of an indicator, of a dataset or (neither given) the city's default; the next broader
    rule applies again."""
    from bettercities.areas import service as areas
    from bettercities.privacy import service

    if indicator is not None and dataset is not None:
        fail("a rule applies to an indicator or to a dataset, not both", code=2)
    with session_of(workspace, database_url, write=True) as session:
        service.remove_rule(session, areas.get_city(session, city), indicator=indicator, dataset=dataset)
    target = f"indicator:{indicator}" if indicator else f"dataset:{dataset}" if dataset else "default"
    console.print(f"{city}: rule {target} removed.", highlight=False)


@app.command("report")
def report_command(
    city: CityOption,
    period: Annotated[str | None, typer.Option("--period", help="Only this period.")] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """What protection withholds and why, per quantity and period (for the data team)."""
    from bettercities.areas import service as areas
    from bettercities.privacy.overview import protection_report

    with session_of(workspace, database_url) as session:
        report = protection_report(session, areas.get_city(session, city), period)
    if as_json:
        console.print_json(report.model_dump_json())
        return
    console.print(
        f"{report.city}: protection at data version {report.data_version[0]} (observations up to id "
        f"{report.data_version[1]}; {report.seconds:.2f} s)",
        highlight=False,
    )
    for q in report.quantities:
        primary = ", ".join(f"{rule} {count}" for rule, count in sorted(q.primary.items())) or "0"
        console.print(
            f"  {q.period}  {q.quantity}  [{q.method.value}]  {q.cells} cells: primary {primary}, "
            f"secondary {q.secondary}, perturbed {q.perturbed}",
            highlight=False,
            soft_wrap=True,
        )
    for p in report.periods:
        console.print(
            f"  period {p.period}: {p.withheld} of {p.cells} cells withheld, solver {p.status} "
            f"({p.iterations} rounds, {p.seconds:.2f} s)",
            highlight=False,
        )


@app.command("ptable")
def ptable_command(
    city: CityOption,
    indicator: Annotated[str, typer.Option("--indicator", help="Indicator code.")],
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """The documented p-table of an indicator protected by the cell-key method (exit 1 when it is not)."""
    from bettercities.privacy.overview import indicator_ptable

    with session_of(workspace, database_url) as session:
        table = indicator_ptable(session, city, indicator)
    if table is None:
        fail(f"{indicator} is not protected by the cell-key method in {city}; it has no p-table")
    if as_json:
        console.print_json(table.model_dump_json())
        return
    console.print(
        f"p-table of {indicator} in {city}: max deviation {table.max_deviation}, "
        f"variance {table.variance:g}, js {table.js}",
        highlight=False,
    )
    for row in table.rows:
        cells = "  ".join(
            f"{d:+d}: {p:.4f}" for d, p in zip(row.deviations, row.probabilities, strict=True) if p > 0
        )
        console.print(f"  {row.original}{'+' if row.and_above else ''}  {cells}", highlight=False)


# -- relations ---------------------------------------------------------------------------------------------


@relation_app.command("add")
def relation_add(
    city: CityOption,
    total: Annotated[str, typer.Argument(help="The total quantity, e.g. inhabitants.")],
    parts: Annotated[list[str], typer.Argument(help="Its parts (two or more quantities).")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Declare that TOTAL is the sum of PARTS in every area (secondary suppression protects across it)."""
    from bettercities.areas import service as areas
    from bettercities.privacy import service
    from bettercities.privacy.schemas import RelationSpec

    try:
        spec = RelationSpec(total=total, parts=parts)
    except ValidationError as error:
        fail(validation_messages(error), code=2)
    with session_of(workspace, database_url, write=True) as session:
        relation = service.add_relation(session, areas.get_city(session, city), spec)
    console.print(
        f"{city}: relation {relation.id}: {relation.total} = {' + '.join(relation.parts)}", highlight=False
    )


@relation_app.command("list")
def relation_list(
    city: CityOption,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List a city's declared relations."""
    from bettercities.areas import service as areas
    from bettercities.privacy import service

    with session_of(workspace, database_url) as session:
        relations = service.list_relations(session, areas.get_city(session, city))
    if as_json:
        console.print_json(data=[r.model_dump(mode="json") for r in relations])
        return
    for r in relations:
        console.print(f"{r.id}  {r.total} = {' + '.join(r.parts)}", highlight=False, soft_wrap=True)
    if not relations:
        console.print(f"No relations declared in {city}.", highlight=False)


@relation_app.command("remove")
def relation_remove(
    city: CityOption,
    relation: Annotated[
        int, typer.Argument(min=1, max=2**63 - 1, help="Relation number (see 'privacy relation list').")
    ],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Remove a declared relation."""
    from bettercities.areas import service as areas
    from bettercities.privacy import service

    with session_of(workspace, database_url, write=True) as session:
        service.remove_relation(session, areas.get_city(session, city), relation)
    console.print(f"{city}: relation {relation} removed.", highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="privacy")
