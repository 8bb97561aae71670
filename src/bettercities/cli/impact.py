"""``bettercities impact``: impact evaluation (docs/impact.md). ``impact estimate`` estimates a design on a
panel file; ``impact intervention``, ``impact plan`` and ``impact run`` keep the city's register of
interventions, their evaluation plans (registered before the results, each change a new locked version) and
evaluation runs stored with their result.

``--areas`` takes what goals take: ``set:NAME`` (a saved priority set), ``level:CODE`` or ``areas:A,B``.
Reads show the data team's view unless ``--public``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bettercities.cli.common import console, err_console, fail

app = typer.Typer(help="Impact evaluation: designs, interventions, plans and runs.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="impact")


__all__ = ["register"]


# -- estimate a design on a panel file (E1) ------------------------------------------------------------


def _columns(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


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
                "covariates": _columns(covariates), "control_group": control_group,
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
