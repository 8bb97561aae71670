"""``bettercities serve``: the web app (pages and JSON API) on a workspace, with uvicorn.

One process by default. ``--workers N`` starts N uvicorn worker processes on one socket (uvicorn's own
process manager: it restarts a worker that dies and stops them all gracefully on SIGTERM or Ctrl+C). Each
worker builds its own app, with its own database connections (on PostgreSQL a pool per worker) and its own
caches, all keyed on the data version, so a write through one worker is seen by the others on their next
request. SQLite in WAL mode lets them all read while one of them writes. See ``docs/web.md#production``.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from bettercities.cli.common import DatabaseUrlOption, WorkspaceOption, console, open_workspace
from bettercities.core.settings import get_settings
from bettercities.storage.workspace import Workspace

#: Seconds a stopping server waits for the requests in flight before it cancels them.
GRACEFUL_SHUTDOWN_SECONDS = 30
#: Seconds a worker may take to answer the process manager's health check before it is replaced. A new
#: worker imports the whole app first (several seconds on a loaded machine); uvicorn's default of 5 s
#: killed workers on a busy 2-core machine before they had started.
WORKER_HEALTHCHECK_SECONDS = 60


def serve_workspace(ws: Workspace, host: str, port: int, *, warm: bool = True, workers: int = 1) -> None:
    """Serve the web app on ``ws`` at ``http://host:port`` until interrupted (also used by ``demo``)."""
    import uvicorn

    from bettercities.web import auth
    from bettercities.web.app import create_app

    console.print(
        f"Serving {ws.path} at http://{host}:{port}/ (API docs: /api/docs) with {workers} "
        f"worker{'s' if workers > 1 else ''}; Ctrl+C stops."
    )
    if workers <= 1:
        uvicorn.run(
            create_app(ws, settings=get_settings(), warm=warm),
            host=host,
            port=port,
            log_level="info",
            proxy_headers=True,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
        return
    # The workers are new processes that read the workspace from the settings (the environment); the
    # secret that signs CSRF tokens is made here once, as they would race to create it.
    auth.server_secret(get_settings(), ws)
    os.environ["BETTERCITIES_WORKSPACE"] = str(ws.path.resolve())
    if ws.database_url:
        os.environ["BETTERCITIES_DATABASE_URL"] = ws.database_url
    uvicorn.run(
        "bettercities.web.app:serving_app" if warm else "bettercities.web.app:create_app",
        factory=True,
        workers=workers,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=True,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def serve(
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default: setting host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default: setting port).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Server processes sharing the socket (default: setting workers)."),
    ] = None,
) -> None:
    """Serve the web pages and the JSON API of a workspace."""
    settings = get_settings()
    ws = open_workspace(workspace, database_url)
    serve_workspace(
        ws, host=host or settings.host, port=port or settings.port, workers=workers or settings.workers
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
