"""Options and helpers shared by every CLI module."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from bettercities.core.errors import BettercitiesError, InvalidInput
from bettercities.core.problems import Report
from bettercities.core.settings import get_settings
from bettercities.storage.workspace import Workspace

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# No markup: what the CLI prints quotes file text (cells, ids, rule patterns, names), and "[/]", "[red]0101"
# or "^[a-z]*$" must print as written, not be read as Rich markup (issue 10). Styles are given as Text.
console = Console(markup=False)
err_console = Console(stderr=True, markup=False)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (default: $BETTERCITIES_WORKSPACE or .workspace/default).",
        show_default=False,
    ),
]
DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db (default: $BETTERCITIES_DATABASE_URL, "
        "else the workspace's SQLite file).",
        show_default=False,
    ),
]


def resolve(workspace: Path | None, database_url: str | None) -> tuple[Path, str | None]:
    settings = get_settings()
    return workspace or settings.workspace, database_url or settings.database_url


def open_workspace(workspace: Path | None, database_url: str | None, *, create: bool = False) -> Workspace:
    path, url = resolve(workspace, database_url)
    try:
        return Workspace.open(path, database_url=url, create=create)
    except BettercitiesError as error:
        fail(str(error))


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(Text.assemble(("Error:", "bold red"), " ", message), highlight=False)
    raise typer.Exit(code)


def print_report(report: Report, *, limit: int = 200) -> None:
    """Print every problem (up to ``limit``) with file, row and column."""
    for problem in report.problems[:limit]:
        colour = "red" if problem.severity == "error" else "yellow"
        err_console.print(Text(str(problem), style=colour), highlight=False, soft_wrap=True)
    if len(report.problems) > limit:
        err_console.print(f"… and {len(report.problems) - limit} more problems", highlight=False)
    err_console.print(report.summary(), highlight=False)


@contextlib.contextmanager
def refusals(ws: Workspace | None = None) -> Iterator[None]:
    """Turn refused input into its report and exit code 2, other expected errors into a message and
    exit code 1; close ``ws`` in any case. Faults (bugs) are not caught."""
    try:
        yield
    except InvalidInput as error:
        fail_invalid(error)
    except BettercitiesError as error:
        fail(str(error))
    finally:
        if ws is not None:
            ws.close()


@contextlib.contextmanager
def session_of(workspace: Path | None, database_url: str | None, *, write: bool = False) -> Iterator[Session]:
    """A session of the workspace (a writing one with ``write``, else a read-only one); refused input and
    other expected errors end the command with their message and exit code (:func:`refusals`)."""
    ws = open_workspace(workspace, database_url)
    with refusals(ws), ws.database.session() if write else ws.database.reader() as session:
        yield session


def comma_list(text: str | None) -> list[str]:
    """The items of a comma-separated option (``--covariates a,b``), stripped, empty ones left out."""
    return [item.strip() for item in text.split(",") if item.strip()] if text else []


def validation_messages(error: ValidationError) -> str:
    """The messages of a refused typed input (``field: message; …``), without pydantic's URLs."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" if e["loc"] else str(e["msg"])
        for e in error.errors(include_url=False)
    )


def fail_invalid(error: InvalidInput) -> NoReturn:
    if error.report is not None:
        print_report(error.report)
    fail(str(error), code=2)
