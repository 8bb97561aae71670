"""``bettercities impact``: impact evaluation (docs/impact.md). ``impact estimate`` estimates a design on a
panel file; ``impact intervention``, ``impact plan`` and ``impact run`` keep the city's register of
interventions, their evaluation plans (registered before the results, each change a new locked version) and
evaluation runs stored with their result.

``--areas`` takes what goals take: ``set:NAME`` (a saved priority set), ``level:CODE`` or ``areas:A,B``.
Reads show the data team's view unless ``--public``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    comma_list,
    console,
    err_console,
    fail,
    session_of,
    validation_messages,
)

app = typer.Typer(help="Impact evaluation: designs, interventions, plans and runs.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="impact")


__all__ = ["register"]


# -- estimate a design on a panel file (E1) ------------------------------------------------------------


@app.command("estimate")
def estimate_command(
    design: Annotated[
        str, typer.Option("--design", help="did, twfe, staggered-did, synthetic-control or its.")
    ],
    data: Annotated[Path, typer.Option("--data", help="The panel: a CSV file, one row per unit and period.")],
    unit: Annotated[str, typer.Option("--unit", help="Column naming the unit (area).")],
    time: Annotated[str, typer.Option("--time", help="Column of the period (whole numbers).")],
    outcome: Annotated[str, typer.Option("--outcome", help="Column of the indicator's value.")],
    out: Annotated[Path, typer.Option("--out", help="Write the result here (RESULT.json).")],
    treatment: Annotated[
        str | None,
        typer.Option("--treatment", help="Column: 1 when the unit has the measure in that period."),
    ] = None,
    cohort: Annotated[
        str | None,
        typer.Option(
            "--cohort", help="Column: the unit's first treated period, 0 or empty = never (staggered)."
        ),
    ] = None,
    treated_unit: Annotated[
        str | None, typer.Option("--treated-unit", help="The treated unit (synthetic-control, its, did).")
    ] = None,
    treatment_start: Annotated[
        int | None, typer.Option("--treatment-start", help="The first period with the measure.")
    ] = None,
    covariates: Annotated[
        str | None, typer.Option("--covariates", help="Columns of covariates, comma-separated.")
    ] = None,
    control_group: Annotated[
        str, typer.Option("--control-group", help="never-treated or not-yet-treated (staggered-did).")
    ] = "never-treated",
    seasonality: Annotated[
        int | None, typer.Option("--seasonality", help="its: periods per cycle (12 monthly, 4 quarterly).")
    ] = None,
    polarity: Annotated[
        str | None,
        typer.Option("--polarity", help="higher_is_better, higher_is_worse or neutral (default: unknown)."),
    ] = None,
    alpha: Annotated[float, typer.Option("--alpha", help="1 - confidence level.")] = 0.05,
    selected_on_outcome: Annotated[
        bool,
        typer.Option("--selected-on-outcome", help="The treated areas were chosen by this indicator."),
    ] = False,
    no_placebos: Annotated[
        bool, typer.Option("--no-placebos", help="synthetic-control: skip the placebo runs.")
    ] = False,
) -> None:
    """Estimate the effect of a measure on a panel file and write the result as JSON (reads no database)."""
    from pydantic import ValidationError

    from bettercities.cli.common import fail_invalid, refusals
    from bettercities.core.errors import InvalidInput
    from bettercities.core.problems import Report
    from bettercities.impact.designs import estimate
    from bettercities.impact.panel import read_panel
    from bettercities.impact.schemas import EstimateSpec

    try:
        spec = EstimateSpec.model_validate(
            {
                "design": design, "unit": unit, "time": time, "outcome": outcome, "treatment": treatment,
                "cohort": cohort, "treated_unit": treated_unit, "treatment_start": treatment_start,
                "covariates": comma_list(covariates), "control_group": control_group,
                "seasonality": seasonality, "alpha": alpha, "polarity": polarity,
                "placebos": not no_placebos, "selected_on_outcome": selected_on_outcome,
            }
        )  # fmt: skip
    except ValidationError as error:
        report = Report.from_validation_error(error, code="impact-invalid-spec", source="options")
        fail_invalid(InvalidInput("the options are invalid", report))
    with refusals():
        frame = read_panel(data)
        result = estimate(frame, spec, source=data.name)
    text = result.model_dump_json(indent=2)
    # written whole or not at all: a temporary file beside the target, then renamed over it
    partial = out.with_name(f".{out.name}.partial")
    try:
        partial.write_text(text + "\n", encoding="utf-8")
        partial.replace(out)
    except OSError as error:
        partial.unlink(missing_ok=True)
        fail(f"cannot write {out}: {error.strerror or error}")
    interval = (
        f" [{result.ci_low:.4g}, {result.ci_high:.4g}]"
        if result.ci_low is not None and result.ci_high is not None
        else ""
    )
    console.print(
        f"{result.design.value}: {result.verdict.value} · estimate {result.estimate:.4g}{interval} · "
        f"evidence {result.evidence_level}/5 · written to {out}",
        highlight=False,
        soft_wrap=True,
    )
    for warning in result.warnings:
        err_console.print(f"  warning: {warning}", highlight=False, soft_wrap=True)


# -- the register (E3): interventions, evaluation plans, evaluation runs -------------------------------------

intervention_app = typer.Typer(help="Interventions: what a city does where and when.", no_args_is_help=True)
plan_app = typer.Typer(
    help="Evaluation plans, registered before the results (each change a new, locked version).",
    no_args_is_help=True,
)
run_app = typer.Typer(
    help="Evaluation runs of an intervention, stored with their result.", no_args_is_help=True
)
app.add_typer(intervention_app, name="intervention")
app.add_typer(plan_app, name="plan")
app.add_typer(run_app, name="run")

CityOption = Annotated[str, typer.Option("--city", help="City slug.")]
InterventionArgument = Annotated[int, typer.Argument(help="The intervention's id.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
PublicOption = Annotated[bool, typer.Option("--public", help="As the public sees the data.")]


def _viewer(session: Any, public: bool) -> Any:
    from bettercities.goals.progress import FixedViewer
    from bettercities.publication import Audience

    return FixedViewer(session, Audience.PUBLIC if public else Audience.INTERNAL)


def _print_intervention(item: Any) -> None:
    budget = "" if item.budget_cents is None else f" · budget {item.budget_cents / 100:,.2f} {item.currency}"
    console.print(f"intervention {item.id}: {item.name} ({item.kind.value})", highlight=False)
    console.print(
        f"  {item.areas.kind.value} {item.areas.value} ({len(item.area_codes)} areas of {item.level}) · "
        f"{item.start_period}–{item.end_period or 'ongoing'} · {item.responsible_unit}{budget}",
        highlight=False,
        soft_wrap=True,
    )
    if item.indicators or item.goals:
        console.print(
            f"  indicators {', '.join(i.code for i in item.indicators) or '–'} · goals "
            f"{', '.join(str(g.id) for g in item.goals) or '–'}",
            highlight=False,
        )
    for plan in item.plans:
        console.print(
            f"  plan v{plan.version}: {plan.indicator} · {plan.design.value} · "
            f"pre {plan.pre_start}–{plan.pre_end} · post {plan.post_start}–{plan.post_end or 'open'} · "
            f"registered {plan.registered_at:%Y-%m-%d %H:%M} by {plan.registered_by or '–'}",
            highlight=False,
            soft_wrap=True,
        )
    for run in item.runs:
        followed = f"followed plan v{run.plan_version}" if run.followed_plan else "did NOT follow the plan"
        console.print(
            f"  run {run.id}: {run.verdict.value} · estimate {run.estimate:.4g} · "
            f"evidence {run.evidence_level}/5 · {run.design.value} · {followed}",
            highlight=False,
        )


@intervention_app.command("add")
def intervention_add_command(
    city: CityOption,
    name: Annotated[str, typer.Option("--name", help="What the intervention is called.")],
    areas: Annotated[
        str,
        typer.Option("--areas", help="set:NAME, level:CODE or areas:A,B (unprefixed: level, set, codes)."),
    ],
    start: Annotated[
        str, typer.Option("--start", help="The first period with the measure (2021, 2021-Q3 …).")
    ],
    unit: Annotated[str, typer.Option("--unit", help="The responsible organisational unit.")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind", help="neighbourhood_management, youth_work, service, infrastructure or other."
        ),
    ] = "other",
    end: Annotated[str | None, typer.Option("--end", help="The last period (default: ongoing).")] = None,
    budget: Annotated[float | None, typer.Option("--budget", help="The budget in currency units.")] = None,
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 code.")] = "EUR",
    description: Annotated[str | None, typer.Option("--description", help="What it does.")] = None,
    indicator: Annotated[
        list[str] | None, typer.Option("--indicator", help="An indicator it means to change (repeatable).")
    ] = None,
    goal: Annotated[
        list[int] | None, typer.Option("--goal", help="A goal it serves, by id (repeatable).")
    ] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Register an intervention (its areas resolved as goals resolve theirs)."""
    from pydantic import ValidationError

    from bettercities.areas import service as areas_service
    from bettercities.audit.context import current_actor
    from bettercities.goals import service as goals_service
    from bettercities.impact import queries, service
    from bettercities.impact.register_schemas import InterventionIn

    with session_of(workspace, database_url, write=True) as session:
        found = areas_service.get_city(session, city)
        selection = goals_service.parse_selection(session, found, areas)
        try:
            item = InterventionIn.model_validate(
                {
                    "name": name, "description": description, "kind": kind, "areas": selection,
                    "start_period": start, "end_period": end,
                    "budget_cents": round(budget * 100) if budget is not None else None, "currency": currency,
                    "responsible_unit": unit, "indicators": indicator or [], "goals": goal or [],
                }
            )  # fmt: skip
        except ValidationError as error:
            fail(validation_messages(error), code=2)
        added = service.add_intervention(session, found, item, actor=current_actor().name)
        out = queries.visible_intervention(_viewer(session, False), city, added)
    if as_json:
        console.print_json(out.model_dump_json())
        return
    _print_intervention(out)


@intervention_app.command("list")
def intervention_list_command(
    city: CityOption,
    public: PublicOption = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List a city's interventions with their latest result."""
    from rich.table import Table

    from bettercities.impact import queries

    with session_of(workspace, database_url) as session:
        items = queries.visible_interventions(_viewer(session, public), city)
    if as_json:
        console.print_json(data=[i.model_dump(mode="json") for i in items])
        return
    table = Table("id", "name", "kind", "areas", "start", "end", "unit", "plan", "latest result")
    for item in items:
        latest = item.runs[0] if item.runs else None
        table.add_row(
            str(item.id), item.name, item.kind.value, str(len(item.area_codes)), item.start_period,
            item.end_period or "", item.responsible_unit, f"v{item.plans[-1].version}" if item.plans else "",
            f"{latest.verdict.value} (run {latest.id})" if latest else "",
        )  # fmt: skip
    console.print(table)
    if not items:
        console.print("No interventions.", highlight=False)


@intervention_app.command("show")
def intervention_show_command(
    city: CityOption,
    intervention_id: InterventionArgument,
    public: PublicOption = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Show one intervention with its plan versions and runs."""
    from bettercities.impact import queries

    with session_of(workspace, database_url) as session:
        item = queries.visible_intervention(_viewer(session, public), city, intervention_id)
    if as_json:
        console.print_json(item.model_dump_json())
        return
    _print_intervention(item)


@intervention_app.command("remove")
def intervention_remove_command(
    city: CityOption,
    intervention_id: InterventionArgument,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Remove an intervention with its plan versions and runs."""
    from bettercities.impact import service

    with session_of(workspace, database_url, write=True) as session:
        service.remove_intervention(session, city, intervention_id)
    console.print(f"{city}: intervention {intervention_id} removed.", highlight=False)


@plan_app.command("register")
def plan_register_command(
    city: CityOption,
    intervention_id: InterventionArgument,
    indicator: Annotated[str, typer.Option("--indicator", help="The outcome indicator.")],
    design: Annotated[
        str, typer.Option("--design", help="did, twfe, staggered-did, synthetic-control or its.")
    ],
    comparison: Annotated[
        str | None,
        typer.Option("--comparison", help="Comparison areas / donor pool A,B (default: the others)."),
    ] = None,
    pre_start: Annotated[str | None, typer.Option("--pre-start", help="Default: the first period.")] = None,
    pre_end: Annotated[
        str | None, typer.Option("--pre-end", help="Default: the period before the start.")
    ] = None,
    post_start: Annotated[str | None, typer.Option("--post-start", help="Default: the start.")] = None,
    post_end: Annotated[str | None, typer.Option("--post-end", help="Default: every later period.")] = None,
    control_group: Annotated[
        str, typer.Option("--control-group", help="never-treated or not-yet-treated (staggered-did).")
    ] = "never-treated",
    alpha: Annotated[float, typer.Option("--alpha", help="1 - confidence level.")] = 0.05,
    analysis: Annotated[
        str | None, typer.Option("--analysis", help="The analysis as planned, in words.")
    ] = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Register the next version of an intervention's evaluation plan (a registered version never changes)."""
    from pydantic import ValidationError

    from bettercities.audit.context import current_actor
    from bettercities.impact import service
    from bettercities.impact.register_schemas import PlanIn

    try:
        plan = PlanIn.model_validate(
            {
                "indicator": indicator, "design": design, "comparison": comma_list(comparison),
                "pre_start": pre_start, "pre_end": pre_end, "post_start": post_start, "post_end": post_end,
                "control_group": control_group, "alpha": alpha, "analysis": analysis,
            }
        )  # fmt: skip
    except ValidationError as error:
        fail(validation_messages(error), code=2)
    with session_of(workspace, database_url, write=True) as session:
        out = service.register_plan(session, city, intervention_id, plan, actor=current_actor().name)
    if as_json:
        console.print_json(out.model_dump_json())
        return
    console.print(
        f"{city}: intervention {intervention_id} plan version {out.version} registered ({out.indicator}, "
        f"{out.design.value}, pre {out.pre_start}–{out.pre_end}, "
        f"post {out.post_start}–{out.post_end or 'open'}).",
        highlight=False,
        soft_wrap=True,
    )


def _print_run(run: Any) -> None:
    result = run.result
    console.print(
        f"run {run.id} of intervention {run.intervention_id}: {result.verdict.value}", highlight=False
    )
    interval = (
        f"[{result.ci_low:.4g}, {result.ci_high:.4g}]"
        if result.ci_low is not None and result.ci_high is not None
        else ""
    )
    console.print(
        f"  estimate {result.estimate:.4g} {interval} · evidence {result.evidence_level}/5 · "
        f"{result.design.value}",
        highlight=False,
    )
    if run.followed_plan:
        console.print(f"  followed plan version {run.plan_version}", highlight=False)
    else:
        console.print(
            "  did NOT follow the plan: " + "; ".join(run.differences), highlight=False, soft_wrap=True
        )
    for warning in result.warnings:
        err_console.print(f"  warning: {warning}", highlight=False, soft_wrap=True)
    for note in run.notes:
        err_console.print(f"  note: {note}", highlight=False, soft_wrap=True)


@run_app.command("add")
def run_add_command(
    city: CityOption,
    intervention_id: InterventionArgument,
    indicator: Annotated[
        str | None, typer.Option("--indicator", help="Instead of the plan's outcome.")
    ] = None,
    design: Annotated[str | None, typer.Option("--design", help="Instead of the plan's design.")] = None,
    comparison: Annotated[
        str | None, typer.Option("--comparison", help="Instead of the plan's: A,B.")
    ] = None,
    pre_start: Annotated[str | None, typer.Option("--pre-start")] = None,
    pre_end: Annotated[str | None, typer.Option("--pre-end")] = None,
    post_start: Annotated[str | None, typer.Option("--post-start")] = None,
    post_end: Annotated[str | None, typer.Option("--post-end")] = None,
    internal: Annotated[
        bool, typer.Option("--internal", help="Read the data team's view (the run is then not public).")
    ] = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Run an evaluation by the latest plan version and store it (options depart from the plan: said so)."""
    from pydantic import ValidationError

    from bettercities.audit.context import current_actor
    from bettercities.impact import evaluation, queries
    from bettercities.impact.register_schemas import RunIn
    from bettercities.publication import Audience

    try:
        given = RunIn.model_validate(
            {
                "indicator": indicator, "design": design,
                "comparison": comma_list(comparison) if comparison is not None else None,
                "pre_start": pre_start, "pre_end": pre_end, "post_start": post_start, "post_end": post_end,
            }
        )  # fmt: skip
    except ValidationError as error:
        fail(validation_messages(error), code=2)
    audience = Audience.INTERNAL if internal else Audience.PUBLIC
    with session_of(workspace, database_url, write=True) as session:
        run_id = evaluation.evaluate(
            session, city, intervention_id, given, actor=current_actor().name, audience=audience
        )
        out = queries.visible_run(_viewer(session, False), city, intervention_id, run_id)
    if as_json:
        console.print_json(out.model_dump_json())
        return
    _print_run(out)


@run_app.command("show")
def run_show_command(
    city: CityOption,
    intervention_id: InterventionArgument,
    run_id: Annotated[int, typer.Argument(help="The run's id.")],
    public: PublicOption = False,
    as_json: JsonOption = False,
    panel: Annotated[
        Path | None, typer.Option("--panel", help="Write the panel the run used to this CSV.")
    ] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Show a stored run (its result, whether it followed the plan); --panel writes the data it used."""
    from bettercities.impact import queries

    with session_of(workspace, database_url) as session:
        viewer = _viewer(session, public)
        out = queries.visible_run(viewer, city, intervention_id, run_id)
        if panel is not None:
            panel.write_text(queries.run_csv(viewer, city, intervention_id, run_id), encoding="utf-8")
    if as_json:
        console.print_json(out.model_dump_json())
        return
    _print_run(out)
