"""The ``bettercities`` command: assembles one module per domain."""

from __future__ import annotations

import logging

import typer

from bettercities.audit.context import acting_as, cli_actor
from bettercities.cli import access as users
from bettercities.cli import (
    analysis,
    audit,
    backup,
    catalog,
    demo,
    exchange,
    export,
    indicators,
    networks,
    quality,
    serve,
    workspace,
)
from bettercities.cli import areas as cities
from bettercities.cli import ingest as imports

app = typer.Typer(
    name="bettercities",
    help="bettercities — from social data to better cities.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

MODULES = (
    workspace,
    cities,
    indicators,
    imports,
    export,
    demo,
    serve,
    analysis,
    catalog,
    quality,
    exchange,
    backup,
    users,
    networks,
    audit,
)

for module in MODULES:
    module.register(app)


@app.callback()
def main(
    ctx: typer.Context, verbose: bool = typer.Option(False, "--verbose", "-v", help="Log more.")
) -> None:
    """bettercities — from social data to better cities."""
    # Every command writes as cli:<os user> in the audit log; reset when the command ends.
    ctx.with_resource(acting_as(cli_actor()))
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )


if __name__ == "__main__":  # pragma: no cover
    app()
