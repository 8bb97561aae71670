"""Readers, validation and imports of areas and observations, with provenance and revisions.

The public API is loaded lazily, so that importing the package (e.g. for its tables) does not
import pyarrow and pandas.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bettercities.ingest.schemas import (
        AreaImportOptions,
        AreaImportResult,
        ImportResult,
        Layout,
        ObservationImportOptions,
        ObservationRevision,
        parse_mapping,
    )
    from bettercities.ingest.service import import_areas, import_observations, observation_revisions

_WHERE = {
    "AreaImportOptions": "bettercities.ingest.schemas",
    "AreaImportResult": "bettercities.ingest.schemas",
    "ImportResult": "bettercities.ingest.schemas",
    "Layout": "bettercities.ingest.schemas",
    "ObservationImportOptions": "bettercities.ingest.schemas",
    "ObservationRevision": "bettercities.ingest.schemas",
    "import_areas": "bettercities.ingest.service",
    "import_observations": "bettercities.ingest.service",
    "observation_revisions": "bettercities.ingest.service",
    "parse_mapping": "bettercities.ingest.schemas",
}

__all__ = [
    "AreaImportOptions",
    "AreaImportResult",
    "ImportResult",
    "Layout",
    "ObservationImportOptions",
    "ObservationRevision",
    "import_areas",
    "import_observations",
    "observation_revisions",
    "parse_mapping",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'bettercities.ingest' has no attribute {name!r}")
