"""Typer's test runner, without rebuilding the command tree on every call.

``typer.testing.CliRunner.invoke`` turns the Typer app into a Click command (``typer.main.get_command``) on
each call. For ``bettercities`` (some 330 commands and options, with postponed annotations that
``typing.get_type_hints`` evaluates one by one) that costs about 0.45 s, three times what a typical command
itself takes; the suite invokes the CLI several hundred times. :func:`install` makes the runner reuse the
Click command of an app as long as the app's registered commands and groups are the same objects; a
command or group added later builds a new one. The command run is exactly the one ``bettercities`` runs
(the console script also calls ``get_command`` once per process).
"""

from __future__ import annotations

import weakref
from typing import Any

import typer
import typer.main
import typer.testing

__all__ = ["install"]

_built: weakref.WeakKeyDictionary[typer.Typer, tuple[tuple[int, ...], Any]] = weakref.WeakKeyDictionary()
_build = typer.main.get_command


def _fingerprint(app: typer.Typer) -> tuple[int, ...]:
    """Identities of everything registered on ``app`` and, recursively, on its groups."""
    parts: list[int] = [id(c) for c in app.registered_commands]
    for group in app.registered_groups:
        parts.append(id(group))
        if group.typer_instance is not None:
            parts.extend(_fingerprint(group.typer_instance))
    parts.extend(id(c) for c in [app.registered_callback] if c is not None)
    return tuple(parts)


def _command(app: typer.Typer) -> Any:
    fingerprint = _fingerprint(app)
    cached = _built.get(app)
    if cached is None or cached[0] != fingerprint:
        cached = (fingerprint, _build(app))
        _built[app] = cached
    return cached[1]


def install() -> None:
    """Let ``typer.testing.CliRunner`` reuse built commands (idempotent)."""
    typer.testing._get_command = _command  # type: ignore[attr-defined]
