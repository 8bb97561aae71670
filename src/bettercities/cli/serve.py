"""``bettercities serve``: the web app (pages and JSON API) on a workspace, with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from bettercities.cli.common import DatabaseUrlOption, WorkspaceOption, console, open_workspace
from bettercities.core.settings import get_settings
from bettercities.storage.workspace import Workspace


def serve_workspace(ws: Workspace, host: str, port: int, *, warm: bool = True) -> None:
    """Serve the web app on ``ws`` at ``http://host:port`` until interrupted (also used by ``demo``)."""
    import uvicorn

    from bettercities.web.app import create_app

    app = create_app(ws, settings=get_settings(), warm=warm)
    console.print(f"Serving {ws.path} at http://{host}:{port}/ (API docs: /api/docs); Ctrl+C stops.")
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)


def serve(
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default: setting host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default: setting port).")] = None,
) -> None:
    """Serve the web pages and the JSON API of a workspace."""
    settings = get_settings()
    ws = open_workspace(workspace, database_url)
    serve_workspace(ws, host=host or settings.host, port=port or settings.port)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
