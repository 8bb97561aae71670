"""The public surface (every route's method and path, every CLI command with its parameters) is the snapshot.

``surface.txt`` beside this file is the committed snapshot, one line per route (``ROUTE <method> <path>``) and
per command (``CLI <command path> <parameter names>``). A restructuring keeps it; a deliberate change of the
public surface updates the snapshot in the same commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from fastapi.routing import iter_route_contexts

from bettercities.cli.main import app as cli
from bettercities.storage.workspace import Workspace
from bettercities.web.app import create_app

SNAPSHOT = Path(__file__).with_name("surface.txt")


def routes(workspace: Workspace) -> list[str]:
    app = create_app(workspace)
    rows = {
        f"ROUTE {method} {context.path}"
        for context in iter_route_contexts(app.routes)
        for method in sorted(context.methods or ["MOUNT"])
    }
    return sorted(rows)


def commands(command: Any, path: str) -> Iterator[str]:
    """``command`` and its subcommands (Typer's own click: groups are known by their ``commands``)."""
    yield f"CLI {path} {' '.join(sorted(str(param.name) for param in command.params))}"
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from commands(sub, f"{path} {name}")


def test_the_public_surface_is_the_snapshot(sqlite_workspace: Workspace) -> None:
    surface = [*routes(sqlite_workspace), *commands(typer.main.get_command(cli), "bettercities")]
    expected = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    added = sorted(set(surface) - set(expected))
    removed = sorted(set(expected) - set(surface))
    assert surface == expected, (
        "the route table or the CLI tree differs from tests/architecture/surface.txt "
        f"(added {added}, removed {removed}). Restructuring keeps the public surface; a deliberate change of "
        "it updates the snapshot in the same commit."
    )
