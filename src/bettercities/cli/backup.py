"""``bettercities backup`` and ``bettercities restore``: snapshots of a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bettercities.cli.common import (
    DatabaseUrlOption,
    WorkspaceOption,
    console,
    open_workspace,
    refusals,
    resolve,
)
from bettercities.storage.workspace import Workspace


def backup(
    out: Annotated[Path, typer.Option("--out", "-o", help="New (or empty) folder for the snapshot.")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Write a consistent snapshot of the workspace (database, uploads, manifest with checksums)."""
    from bettercities.storage import backup as snapshots

    ws = open_workspace(workspace, database_url)
    with refusals(ws):
        manifest = snapshots.backup(ws, out)
        rows = sum(manifest.row_counts.values())
        console.print(
            f"Snapshot of {ws.database.describe()} written to {out}: {len(manifest.files)} files, "
            f"{len(manifest.row_counts)} tables, {rows} rows",
            highlight=False,
            soft_wrap=True,  # paths stay whole (a hard wrap at 80 columns breaks them in two)
        )


def restore(
    source: Annotated[Path, typer.Option("--from", help="Snapshot folder written by `bettercities backup`.")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite a database that holds data.")] = False,
) -> None:
    """Restore a snapshot into the workspace (checksums verified first). Stop the web app before."""
    from bettercities.storage import backup as snapshots

    # Not open_workspace(): that migrates first, which a half-wiped database (tables dropped, functions
    # left) refuses; restore migrates after bringing the snapshot back.
    path, url = resolve(workspace, database_url)
    ws = Workspace(path=path, database_url=url)
    with refusals(ws):
        notes: list[str] = []
        manifest = snapshots.restore(ws, source, force=force, inform=notes.append)
        console.print(
            f"Restored {source} (taken {manifest.created_at:%Y-%m-%d %H:%M:%S} UTC) into "
            f"{ws.database.describe()}: {sum(manifest.row_counts.values())} rows in "
            f"{len(manifest.row_counts)} tables, checksums and row counts verified",
            highlight=False,
            soft_wrap=True,  # paths stay whole (a hard wrap at 80 columns breaks them in two)
        )
        for note in notes:  # what the domains kept of the replaced database (accounts, tokens …)
            console.print(f"Restore {note}.", highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)
