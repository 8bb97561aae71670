"""``bettercities impact-logic``: a programme's impact logic (Wirkungslogik) — its boxes from inputs to
impact, the links between them, the measures each box holds with their current values and trend, and the
values entered for manual measures."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, TypeVar

import typer
from pydantic import BaseModel
from rich.table import Table

from bettercities.cli.common import DatabaseUrlOption, WorkspaceOption, console, session_of

M = TypeVar("M", bound=BaseModel)
app = typer.Typer(help="A programme's impact logic: boxes from inputs to impact, their measures and trend.")
box_app = typer.Typer(help="Boxes of the impact logic (inputs, activities, outputs, outcomes, impact).")
measure_app = typer.Typer(
    help="Measures of the boxes: computed from the data (automatic) or entered (manual)."
)

ProgrammeArgument = Annotated[str, typer.Argument(help="Programme slug.")]
KeyArgument = Annotated[str, typer.Argument(help="Key of the box or measure (a-z, digits, '-').")]
DayOption = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Date (YYYY-MM-DD).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _checked(model: type[M], **fields: object) -> M:
    """``model(**fields)``, refused input as :class:`InvalidInput` (exit code 2 with the messages)."""
    from pydantic import ValidationError

    from bettercities.cli.common import validation_messages
    from bettercities.core.errors import InvalidInput

    try:
        return model.model_validate(fields)
    except ValidationError as error:
        raise InvalidInput(validation_messages(error)) from None


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


@app.command("show")
def show(
    programme: ProgrammeArgument,
    on: Annotated[
        datetime | None,
        typer.Option(
            "--on",
            formats=["%Y-%m-%d"],
            help="Values as of this day (default: today, or the programme's end).",
        ),
    ] = None,
    quarters: Annotated[
        int | None,
        typer.Option(
            "--quarters", min=0, max=40, help="Quarter ends in the trend (default: since the start)."
        ),
    ] = None,
    json_: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """The impact logic: every box with its measures, current values, trend and targets."""
    from bettercities.impact_logic import service

    with session_of(workspace, database_url) as session:
        result = service.logic(session, programme, on=_day(on), quarters=quarters)
    if json_:
        console.print_json(result.model_dump_json())
        return
    console.print(f"Impact logic of {result.programme_name}, as of {result.on}", highlight=False)
    table = Table("stage", "box", "measure", "value", "trend (quarter ends)", "target", "leads to")
    for box in result.boxes:
        if not box.measures:
            table.add_row(box.stage.value, box.title_en, "", "", "", "", ", ".join(box.leads_to))
        for i, m in enumerate(box.measures):
            value = _number(m.current) if m.available else "not available"
            trend = " ".join(_number(p.value) for p in m.trend)
            target = f"{_number(m.target)} by {m.target_date}" if m.target_date else _number(m.target)
            table.add_row(
                box.stage.value if i == 0 else "", box.title_en if i == 0 else "",
                f"{m.label_en} ({m.code or 'manual'})", value, trend, target,
                ", ".join(box.leads_to) if i == 0 else "",
            )  # fmt: skip
    console.print(table)
    for box in result.boxes:
        for m in box.measures:
            if not m.available:
                console.print(f"{m.key}: {m.unavailable_reason}", highlight=False, soft_wrap=True)


@box_app.command("add")
def box_add(
    programme: ProgrammeArgument,
    key: KeyArgument,
    stage: Annotated[str, typer.Option("--stage", help="inputs, activities, outputs, outcomes or impact.")],
    title_de: Annotated[str, typer.Option("--title-de", help="German title.")],
    title_en: Annotated[str, typer.Option("--title-en", help="English title.")],
    text_de: Annotated[str | None, typer.Option("--text-de", help="German text.")] = None,
    text_en: Annotated[str | None, typer.Option("--text-en", help="English text.")] = None,
    position: Annotated[int | None, typer.Option("--position", help="Order in its column.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Add a box to the programme's impact logic."""
    from bettercities.impact_logic import service
    from bettercities.impact_logic.schemas import BoxIn

    with session_of(workspace, database_url, write=True) as session:
        spec = _checked(
            BoxIn, key=key, stage=stage, title_de=title_de, title_en=title_en, text_de=text_de,
            text_en=text_en, position=position,
        )  # fmt: skip
        box = service.add_box(session, programme, spec)
    console.print(f"box '{box.key}' added to {box.stage.value}.", highlight=False)


@box_app.command("change")
def box_change(
    programme: ProgrammeArgument,
    key: KeyArgument,
    stage: Annotated[str | None, typer.Option("--stage", help="Move it to this stage.")] = None,
    title_de: Annotated[str | None, typer.Option("--title-de", help="German title.")] = None,
    title_en: Annotated[str | None, typer.Option("--title-en", help="English title.")] = None,
    text_de: Annotated[str | None, typer.Option("--text-de", help="German text.")] = None,
    text_en: Annotated[str | None, typer.Option("--text-en", help="English text.")] = None,
    position: Annotated[int | None, typer.Option("--position", help="Order in its column.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Change a box's stage, titles, texts or position."""
    from bettercities.impact_logic import service
    from bettercities.impact_logic.schemas import BoxChange

    with session_of(workspace, database_url, write=True) as session:
        change = _checked(
            BoxChange, stage=stage, title_de=title_de, title_en=title_en, text_de=text_de, text_en=text_en,
            position=position,
        )  # fmt: skip
        box = service.update_box(session, programme, key, change)
    console.print(f"box '{box.key}' changed.", highlight=False)


@box_app.command("remove")
def box_remove(
    programme: ProgrammeArgument,
    key: KeyArgument,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Remove a box with its measures, their entered values and its links."""
    from bettercities.impact_logic import service

    with session_of(workspace, database_url, write=True) as session:
        service.remove_box(session, programme, key)
    console.print(f"box '{key}' removed.", highlight=False)


@box_app.command("link")
def box_link(
    programme: ProgrammeArgument,
    source: Annotated[str, typer.Argument(help="Key of the box the arrow leaves.")],
    target: Annotated[str, typer.Argument(help="Key of the box it leads to (a later stage).")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Draw an arrow from one box to a box of a later stage."""
    from bettercities.impact_logic import service
    from bettercities.impact_logic.schemas import LinkIn

    with session_of(workspace, database_url, write=True) as session:
        service.link_boxes(session, programme, _checked(LinkIn, source=source, target=target))
    console.print(f"'{source}' → '{target}' linked.", highlight=False)


@box_app.command("unlink")
def box_unlink(
    programme: ProgrammeArgument,
    source: Annotated[str, typer.Argument(help="Key of the box the arrow leaves.")],
    target: Annotated[str, typer.Argument(help="Key of the box it leads to.")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Remove the arrow between two boxes."""
    from bettercities.impact_logic import service
    from bettercities.impact_logic.schemas import LinkIn

    with session_of(workspace, database_url, write=True) as session:
        service.unlink_boxes(session, programme, _checked(LinkIn, source=source, target=target))
    console.print(f"'{source}' → '{target}' unlinked.", highlight=False)


@measure_app.command("codes")
def measure_codes(json_: JsonOption = False) -> None:
    """The automatic measures (codes) and whether their data are available here."""
    from bettercities.impact_logic import service

    codes = service.measure_codes()
    if json_:
        console.print_json(json.dumps([c.model_dump(mode="json") for c in codes]))
        return
    table = Table("code", "label", "computed as", "available")
    for c in codes:
        table.add_row(
            c.code, c.label_en, c.description, "yes" if c.available else f"no: {c.unavailable_reason}"
        )
    console.print(table)


@measure_app.command("add")
def measure_add(
    programme: ProgrammeArgument,
    key: KeyArgument,
    box: Annotated[str, typer.Option("--box", help="Key of the box it belongs to.")],
    code: Annotated[
        str | None,
        typer.Option("--code", help="An automatic measure's code (see 'measure codes'); none: manual."),
    ] = None,
    label_de: Annotated[str | None, typer.Option("--label-de", help="German label.")] = None,
    label_en: Annotated[str | None, typer.Option("--label-en", help="English label.")] = None,
    unit_de: Annotated[str | None, typer.Option("--unit-de", help="German unit.")] = None,
    unit_en: Annotated[str | None, typer.Option("--unit-en", help="English unit.")] = None,
    target: Annotated[float | None, typer.Option("--target", help="Target value.")] = None,
    target_date: DayOption = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Add a measure to a box."""
    from bettercities.impact_logic import service
    from bettercities.impact_logic.schemas import MeasureIn

    with session_of(workspace, database_url, write=True) as session:
        spec = _checked(
            MeasureIn, key=key, box=box, code=code, label_de=label_de, label_en=label_en, unit_de=unit_de,
            unit_en=unit_en, target=target, target_date=_day(target_date),
        )  # fmt: skip
        measure = service.add_measure(session, programme, spec)
    kind = f"automatic, {measure.code}" if measure.code else "manual"
    console.print(f"measure '{measure.key}' ({kind}) added to box '{measure.box}'.", highlight=False)


@measure_app.command("target")
def measure_target(
    programme: ProgrammeArgument,
    key: KeyArgument,
    target: Annotated[float | None, typer.Option("--target", help="Target value.")] = None,
    target_date: DayOption = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the target.")] = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Set or remove a measure's target."""
    from bettercities.impact_logic import service

    with session_of(workspace, database_url, write=True) as session:
        service.update_measure(
            session, programme, key, target=target, target_date=_day(target_date), clear_target=clear
        )
    console.print(f"target of '{key}' {'removed' if clear else 'set'}.", highlight=False)


@measure_app.command("record")
def measure_record(
    programme: ProgrammeArgument,
    key: KeyArgument,
    day: Annotated[
        datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="The day the value holds for.")
    ],
    value: Annotated[float, typer.Option("--value", help="The value.")],
    source: Annotated[str, typer.Option("--source", help="Where the value comes from.")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Enter a value of a manual measure (replacing one entered for the same day)."""
    from bettercities.impact_logic import service
    from bettercities.impact_logic.schemas import ValueIn

    with session_of(workspace, database_url, write=True) as session:
        entered = service.record_value(
            session, programme, key, _checked(ValueIn, day=day.date(), value=value, source=source)
        )
    console.print(f"'{key}' on {entered.day}: {_number(entered.value)} recorded.", highlight=False)


@measure_app.command("remove")
def measure_remove(
    programme: ProgrammeArgument,
    key: KeyArgument,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Remove a measure and its entered values."""
    from bettercities.impact_logic import service

    with session_of(workspace, database_url, write=True) as session:
        service.remove_measure(session, programme, key)
    console.print(f"measure '{key}' removed.", highlight=False)


def register(root: typer.Typer) -> None:
    app.add_typer(box_app, name="box")
    app.add_typer(measure_app, name="measure")
    root.add_typer(app, name="impact-logic")
