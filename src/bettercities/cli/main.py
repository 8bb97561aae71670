"""The ``bettercities`` command: one module per domain, as the manifest (:mod:`bettercities.domains`) says."""

from __future__ import annotations

import logging
from importlib import import_module

import typer

from bettercities import domains
from bettercities.audit.context import acting_as, cli_actor

app = typer.Typer(
    name="bettercities",
    help="bettercities — from social data to better cities.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

# Each domain's commands (cli/<domain>.py) and the commands that are no domain, as the manifest names them.
for _module in domains.cli_modules():
    import_module(_module).register(app)


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
