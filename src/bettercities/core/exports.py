"""One registry of export formats, keyed by what is exported and the format.

Each domain registers its writers under ``<what>/<format>`` (``observations/csv``, ``index-run/geojson``,
``catalog/ttl``, ``exchange/sdmx-ml`` …), as a plugin would (STYLE 7); ``bettercities export`` and the
domains' own export commands look them up with :func:`export` instead of branching. Every registered
writer passes what it writes through the publication step.

>>> request = ExportRequest(what="observations", out=Path("values.JSON"))
>>> key(request.what, chosen_format(request))
'observations/geojson'
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from bettercities import domains
from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report
from bettercities.core.registry import Registry

#: Other names of a format, as file suffixes say them.
ALIASES = {"json": "geojson"}


class ExportRequest(BaseModel):
    """What to export, with every filter a writer may use; a writer refuses what it needs and lacks."""

    what: str = Field(default="observations", description="observations, index-run, catalog or exchange.")
    format: str | None = Field(default=None, description="Default: from the suffix of ``out``.")
    out: Path | None = Field(default=None, description="File (or folder) to write; some formats return text.")
    city: str | None = None
    indicator: str | None = None
    period: str | None = None
    level: str | None = None
    audience: str = Field(default="public", pattern="^(public|member|internal)$")  # publication.Audience
    networks: frozenset[int] = Field(
        default=frozenset(), description="Networks of the viewer: their shared data is not withheld."
    )
    run: int | None = Field(default=None, description="index-run: the stored run.")
    dataset: str | None = Field(default=None, description="catalog: only this dataset.")
    base_url: str | None = Field(default=None, description="catalog: public address of the app (IRIs).")

    def target(self) -> Path:
        """``out``, which file formats need."""
        if self.out is None:
            raise InvalidInput(
                f"{self.what} {self.format}: no file to write",
                Report(problems=[Problem(code="missing-option", message="give the file to write (--out)")]),
            )
        return self.out


class ExportResult(BaseModel):
    """What an export wrote."""

    what: str = "observations"
    path: str | None = Field(default=None, description="The file written (None: returned as text).")
    format: str
    rows: int | None = Field(default=None, description="Table rows or GeoJSON features written.")
    text: str | None = Field(default=None, description="The export itself, for formats written as text.")


Exporter = Callable[[Any, ExportRequest], ExportResult]

#: Every export format: ``"<what>/<format>"`` -> ``exporter(session, request)``.
EXPORTS: Registry[Exporter] = Registry("export format")

_extensions = domains.Extensions(domains.export_modules)


def load() -> None:
    """Import the modules the manifest names (:func:`bettercities.domains.export_modules`), which register
    their formats; once, on the first lookup, as some of them are heavy (rdflib, sdmx1, frictionless)."""
    _extensions.load()


def key(what: str, format: str) -> str:
    return f"{what}/{format}"


def formats(what: str) -> list[str]:
    """The registered formats of ``what``."""
    load()
    return [name.partition("/")[2] for name in EXPORTS.names() if name.startswith(f"{what}/")]


def chosen_format(request: ExportRequest) -> str:
    """The request's format, else its file's suffix (lower case, aliases resolved)."""
    suffix = request.out.suffix if request.out is not None else ""
    chosen = (request.format or suffix.lstrip(".")).lower()
    return ALIASES.get(chosen, chosen)


def export(session: Any, request: ExportRequest) -> ExportResult:
    """Write ``request`` with the exporter registered for its kind and format."""
    load()
    chosen = chosen_format(request)
    exporter = EXPORTS.find(key(request.what, chosen))
    if exporter is None:
        known = formats(request.what)
        problem = Problem(
            code="unsupported-format",
            message=f"cannot export {chosen!r}; use {', '.join(known)}"
            if known
            else f"nothing to export as {request.what!r}; choose one of {', '.join(kinds())}",
        )
        raise InvalidInput(f"unsupported export format {chosen!r}", Report(problems=[problem]))
    return exporter(session, request.model_copy(update={"format": chosen}))


def kinds() -> list[str]:
    """What can be exported (the first part of the registered keys)."""
    load()
    return sorted({name.partition("/")[0] for name in EXPORTS.names()})
