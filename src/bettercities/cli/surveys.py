"""``bettercities survey``: questionnaires written as XLSForm, their versions, opening and closing, results
per group with small groups withheld, and a municipality's gaps (docs/surveys.md)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bettercities.cli.common import DatabaseUrlOption, WorkspaceOption, console, session_of

app = typer.Typer(
    help="Surveys of municipalities: XLSForm questionnaires, results, gaps.", no_args_is_help=True
)

SurveyArgument = Annotated[str, typer.Argument(help="The survey's slug.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Group by country, size_class, network, programme or network:<slug>."),
]
NetworkOption = Annotated[str | None, typer.Option("--network", help="Only the members of this network.")]


@app.command("load")
def load(
    form: Annotated[Path, typer.Argument(help="The XLSForm (.xlsx).", exists=True, dir_okay=False)],
    survey: Annotated[
        str | None, typer.Option("--survey", help="Slug (default: the form's form_id).")
    ] = None,
    programme: Annotated[str | None, typer.Option("--programme", help="The programme's slug.")] = None,
    min_group_size: Annotated[
        int | None, typer.Option("--min-group-size", help="Smaller groups are withheld (default 3).")
    ] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Load an XLSForm: a new survey, or a new version when the slug exists and the form changed."""
    from bettercities.audit.context import current_actor
    from bettercities.surveys import service

    with session_of(workspace, database_url, write=True) as session:
        loaded = service.load_survey(
            session,
            form,
            slug=survey,
            programme_slug=programme,
            by=current_actor().name,
            min_group_size=min_group_size,
        )
    state = "new version" if loaded.new_version else "unchanged"
    console.print(f"survey {loaded.survey.slug}: version {loaded.version} ({state})", highlight=False)


@app.command("list")
def list_(
    json_output: JsonOption = False, workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None
) -> None:
    """The surveys with their status and respondents."""
    from bettercities.surveys import service

    with session_of(workspace, database_url) as session:
        surveys = service.list_surveys(session)
    if json_output:
        console.print_json(json.dumps([s.model_dump(mode="json") for s in surveys]))
        return
    table = Table("survey", "title", "programme", "status", "version", "respondents")
    for s in surveys:
        title = s.title.get("en") or next(iter(s.title.values()), "")
        table.add_row(
            s.slug, title, s.programme or "", s.status.value, str(s.current_version), str(s.respondents)
        )
    console.print(table)


@app.command("show")
def show(
    survey: SurveyArgument,
    json_output: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """A survey with its versions and its questions."""
    from bettercities.surveys import service

    with session_of(workspace, database_url) as session:
        out = service.get_survey(session, survey)
        form = service.definition(session, survey)
    if json_output:
        console.print_json(
            json.dumps({"survey": out.model_dump(mode="json"), "form": form.model_dump(mode="json")})
        )
        return
    console.print(
        f"{out.slug}: {out.title.get('en', '')} · {out.status.value} · {out.respondents} respondents",
        highlight=False,
    )
    for v in out.versions:
        console.print(
            f"  version {v.number} ({v.filename}, {v.questions} questions, {v.responses} responses)",
            highlight=False,
        )
    for q in form.questions():
        console.print(
            f"  row {q.row}: {q.name} ({q.kind}) {q.label_in('en', form.default_language)}", highlight=False
        )


def _status(survey: str, status: str, workspace: Path | None, database_url: str | None) -> None:
    from bettercities.surveys import service
    from bettercities.surveys.schemas import SurveyStatus

    with session_of(workspace, database_url, write=True) as session:
        out = service.set_status(session, survey, SurveyStatus(status))
    console.print(f"survey {out.slug}: {out.status.value}", highlight=False)


@app.command("open")
def open_(
    survey: SurveyArgument, workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None
) -> None:
    """Open a survey for responses."""
    _status(survey, "open", workspace, database_url)


@app.command("close")
def close(
    survey: SurveyArgument, workspace: WorkspaceOption = None, database_url: DatabaseUrlOption = None
) -> None:
    """Close a survey: responses can no longer be given or changed."""
    _status(survey, "closed", workspace, database_url)


@app.command("results")
def results(
    survey: SurveyArgument,
    by: ByOption = None,
    network: NetworkOption = None,
    lang: Annotated[str, typer.Option("--lang", help="de or en.")] = "en",
    json_output: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Counts and shares per answer per group; groups below the minimum size are withheld."""
    from bettercities.surveys import service

    with session_of(workspace, database_url) as session:
        out = service.results(session, survey, group_by=by, network=network, lang=lang)
    if json_output:
        console.print_json(out.model_dump_json())
        return
    console.print(
        f"{out.title}: {out.respondents if out.respondents is not None else 'withheld'} respondents; "
        f"groups under {out.min_group_size} withheld",
        highlight=False,
    )
    for question in out.questions:
        table = Table("group", "answer", "count", "share", title=f"{question.name}: {question.label}")
        for group in question.groups:
            if group.withheld:
                table.add_row(group.label, f"withheld ({group.reason})", "", "")
                continue
            if group.mean is not None:
                table.add_row(group.label, "mean", f"{group.mean:.3g}", "")
            for answer in group.answers:
                table.add_row(group.label, answer.label, str(answer.count), f"{answer.share:.0%}")
        console.print(table)


@app.command("gaps")
def gaps(
    survey: SurveyArgument,
    city: Annotated[str, typer.Argument(help="The municipality's slug.")],
    json_output: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """What a municipality says it collects and needs against what it holds in bettercities."""
    from bettercities.publication import Audience
    from bettercities.surveys import service

    with session_of(workspace, database_url) as session:
        out = service.gaps(session, survey, city, audience=Audience.INTERNAL)
    if json_output:
        console.print_json(out.model_dump_json())
        return
    if not out.uses_bettercities:
        console.print(
            f"{out.city_name} does not use bettercities: what it holds is not known here.", highlight=False
        )
    table = Table("topic", "says it collects", "says it needs", "held", "finding")
    for row in out.rows:
        held = "" if row.held is None else f"{row.held} of {row.total}"
        table.add_row(
            row.label, "yes" if row.says_collects else "", "yes" if row.says_needs else "", held, row.finding
        )
    console.print(table)


@app.command("export")
def export(
    survey: SurveyArgument,
    out: Annotated[Path, typer.Option("--out", help="The CSV file to write.")],
    by: ByOption = None,
    network: NetworkOption = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """The results as CSV (one row per question, group and answer; withheld groups without counts)."""
    from bettercities.surveys import service
    from bettercities.surveys.schemas import AnswerCount

    with session_of(workspace, database_url) as session:
        found = service.results(session, survey, group_by=by, network=network)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question", "group", "withheld", "respondents", "answer", "count", "share", "mean"])
        for question in found.questions:
            for group in question.groups:
                if group.withheld:
                    writer.writerow([question.name, group.group, group.reason, "", "", "", "", ""])
                    continue
                mean = "" if group.mean is None else f"{group.mean:.6g}"
                rows: list[AnswerCount | None] = list(group.answers) or [None]
                for answer in rows:
                    writer.writerow(
                        [
                            question.name,
                            group.group,
                            "",
                            group.respondents,
                            answer.answer if answer else "",
                            answer.count if answer else "",
                            f"{answer.share:.6g}" if answer else "",
                            mean,
                        ]
                    )
    console.print(f"wrote {out}", highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="survey")
