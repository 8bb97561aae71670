"""``bettercities guide``: store a guide of a programme (from a JSON file), list and show guides, and build
one as a tagged PDF (and HTML)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bettercities.cli.common import DatabaseUrlOption, WorkspaceOption, console, fail, session_of

app = typer.Typer(help="Guides compiled from the hub, the survey and the platform's figures (HTML, PDF).")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


@app.command("build")
def build(
    programme: Annotated[str, typer.Option("--programme", help="Programme slug.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the PDF.", dir_okay=False)],
    lang: Annotated[str, typer.Option("--lang", help="de or en.")] = "de",
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the HTML here.", dir_okay=False)
    ] = None,
    guide: Annotated[
        str | None, typer.Option("--guide", help="Guide slug (default: the programme's).")
    ] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Build the programme's guide as a tagged PDF (PDF/UA-1), figures drawn from the data now."""
    from bettercities.guide import document, service
    from bettercities.reports.pdf import PdfUnavailable, render_pdf

    if lang not in ("de", "en"):
        fail(f"--lang {lang!r}: use de or en", code=2)
    with session_of(workspace, database_url) as session:
        slug = guide or service.guide_for_programme(session, programme)
        built = service.build_guide(session, slug, lang=lang)
    if built.programme != programme:
        fail(f"guide '{slug}' is of programme '{built.programme}', not '{programme}'", code=2)
    text = document.standalone(built)
    try:
        pdf = render_pdf(text)
    except PdfUnavailable as error:
        fail(str(error))
    out.write_bytes(pdf)
    if html is not None:
        html.write_text(text, encoding="utf-8")
    console.print(
        f"guide '{slug}' written to {out}" + (f" and {html}" if html else "") + ".", highlight=False
    )


@app.command("save")
def save(
    file: Annotated[
        Path,
        typer.Argument(
            help="JSON file of the guide (slug, programme, titles, selection).", exists=True, dir_okay=False
        ),
    ],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Store a guide (or replace the stored one of the same slug)."""
    from pydantic import ValidationError

    from bettercities.audit.context import current_actor
    from bettercities.cli.common import validation_messages
    from bettercities.guide import service
    from bettercities.guide.schemas import GuideIn

    try:
        spec = GuideIn.model_validate_json(file.read_bytes())
    except ValidationError as error:
        fail(f"{file}: {validation_messages(error)}", code=2)
    with session_of(workspace, database_url, write=True) as session:
        saved = service.save_guide(session, spec, by=current_actor().name)
    console.print(f"guide '{saved.slug}' of programme '{saved.programme}' saved.", highlight=False)


@app.command("list")
def list_(
    programme: Annotated[str | None, typer.Option("--programme", help="Only this programme's.")] = None,
    json_: JsonOption = False,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """The stored guides."""
    import json

    from bettercities.guide import service

    with session_of(workspace, database_url) as session:
        found = service.list_guides(session, programme_slug=programme)
    if json_:
        console.print_json(json.dumps([g.model_dump(mode="json") for g in found]))
        return
    for g in found:
        console.print(f"{g.slug} ({g.programme}): {g.title_en} — {len(g.practices)} practices, "
                      f"{len(g.events)} events", highlight=False)  # fmt: skip


@app.command("show")
def show(
    slug: Annotated[str, typer.Argument(help="Guide slug.")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """A stored guide as JSON (what `guide save` reads)."""
    from bettercities.guide import service

    with session_of(workspace, database_url) as session:
        found = service.get_guide(session, slug)
    console.print_json(found.model_dump_json(exclude={"created_by"}))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="guide")
