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
    planning_areas: Annotated[
        int,
        typer.Option(min=60, max=2000, help="Number of planning areas, at least 60 (fewer build faster)."),
    ] = 450,
    first_year: Annotated[int, typer.Option(min=2000, max=2100, help="First year of data.")] = 2013,
    last_year: Annotated[int, typer.Option(min=2000, max=2100, help="Last year of data.")] = 2024,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the web app afterwards.")] = True,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default 8000).")] = None,
) -> None:
    """Build a realistic synthetic city (by default 450 planning areas, 12 years, 15 indicators) and serve it.

    A second run on the same workspace builds nothing and only reports what is there.
    """
    from bettercities.demo.calls import load_calls
    from bettercities.demo.hub import load_hub
    from bettercities.demo.impact_logic import load_impact_logic
    from bettercities.demo.networks import load_networks
    from bettercities.demo.registry import load_registry
    from bettercities.demo.service import build_demo
    from bettercities.demo.surveys import load_surveys

    if first_year > last_year:
        fail(f"--first-year {first_year} is after --last-year {last_year}")
    path, url = resolve(workspace, database_url)
    try:
        ws = Workspace.init(path, database_url=url)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("Demo city", total=4)

            def progress(label: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total, description=f"Demo city: {label}")

            summary = build_demo(
                ws,
                seed=seed,
                n_planning_areas=planning_areas,
                first_year=first_year,
                last_year=last_year,
                progress=progress,
            )
            bar.update(task, description="City registry for Europe")
            loaded = load_registry(ws)
            bar.update(task, description="City networks")
            networked = load_networks(ws)
            bar.update(task, description="Call for participation and tandems")
            called = load_calls(ws)
            bar.update(task, description="Practice survey")
            surveyed = load_surveys(ws)
            bar.update(task, description="Knowledge hub and guide")
            hub = load_hub(ws, summary.city)
            bar.update(task, description="Impact logic")
            logic = load_impact_logic(ws)
    except BettercitiesError as error:
        fail(str(error))
    verb = "Built" if summary.built else "Found"
    console.print(
        f"{verb} demo city {summary.city!r}: {summary.areas} areas, {summary.indicators} indicators, "
        f"{summary.periods} periods, {summary.observations} observations in {ws.path}",
        highlight=False,
    )
    console.print(
        f"City registry for Europe: {loaded.created} cities added, {loaded.merged} already there "
        f"({loaded.seconds:.1f} s)",
        highlight=False,
    )
    if networked.built:
        console.print(
            f"City networks: {networked.programmes} programmes, {networked.networks} networks and tandems, "
            f"{networked.memberships} memberships",
            highlight=False,
        )
    if called.built:
        console.print(
            f"Call '{called.call}': {called.applications} applications; {called.tandems} tandems with "
            f"{called.activities} activities",
            highlight=False,
        )
    if surveyed.built:
        console.print(
            f"Practice survey '{surveyed.survey}' of #vernetztinEuropa: {surveyed.respondents} responses "
            f"(/surveys/{surveyed.survey}/results)",
            highlight=False,
        )
    if hub.built:
        console.print(
            f"Knowledge hub: {hub.practices} practices, {hub.events} events; guide '{hub.guide}' "
            "(bettercities guide build --programme urbact-iv --out guide.pdf)",
            highlight=False,
        )
    if logic.built:
        console.print(
            f"Impact logic of #vernetztinEuropa: {logic.boxes} boxes, {logic.links} links, "
            f"{logic.measures} measures",
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
