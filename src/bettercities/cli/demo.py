"""``bettercities demo``: build the demo city in a workspace and serve the web app on it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from bettercities.cli.common import DatabaseUrlOption, console, fail, resolve
from bettercities.core.errors import BettercitiesError
from bettercities.core.settings import get_settings
from bettercities.storage.workspace import Workspace


def demo(
    workspace: Annotated[
        Path, typer.Option("--workspace", "-w", help="Workspace folder for the demo city.")
    ] = Path(".workspace/demo"),
    database_url: DatabaseUrlOption = None,
    seed: Annotated[
        int, typer.Option(help="Seed of the generator; the same seed gives the same city.")
    ] = 2026,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the web app afterwards.")] = True,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default 8000).")] = None,
) -> None:
    """Build a realistic synthetic city (450 planning areas, 12 years, 14 indicators) and serve it."""
    from bettercities.demo.service import build_demo

    path, url = resolve(workspace, database_url)
    try:
        ws = Workspace.init(path, database_url=url)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("Demo city", total=4)

            def progress(label: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total, description=f"Demo city: {label}")

            summary = build_demo(ws, seed=seed, progress=progress)
    except BettercitiesError as error:
        fail(str(error))
    verb = "Built" if summary.built else "Found"
    console.print(
        f"{verb} demo city {summary.city!r}: {summary.areas} areas, {summary.indicators} indicators, "
        f"{summary.periods} periods, {summary.observations} observations in {ws.path}",
        highlight=False,
    )
    console.print(
        "Everyone sees the published data; to sign in (restricted data, imports, quality queue, audit log) "
        f"create an account first: bettercities users add NAME --admin --workspace {ws.path}",
        highlight=False,
    )
    if serve:
        from bettercities.cli.serve import serve_workspace

        settings = get_settings()
        serve_workspace(ws, host=host or settings.host, port=port or settings.port)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
