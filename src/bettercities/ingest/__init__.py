"""Readers, validation and imports of areas and observations, with provenance and revisions.

The public API is loaded lazily, so that importing the package (e.g. for its tables) does not
import pyarrow and pandas.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bettercities.ingest.schemas import AreaImportResult, ImportResult, Layout, ObservationRevision
    from bettercities.ingest.service import import_areas, import_observations, observation_revisions

_WHERE = {
    "AreaImportResult": "bettercities.ingest.schemas",
    "ImportResult": "bettercities.ingest.schemas",
    "Layout": "bettercities.ingest.schemas",
    "ObservationRevision": "bettercities.ingest.schemas",
    "import_areas": "bettercities.ingest.service",
    "import_observations": "bettercities.ingest.service",
    "observation_revisions": "bettercities.ingest.service",
}

__all__ = [
    "AreaImportResult",
    "ImportResult",
    "Layout",
    "ObservationRevision",
    "import_areas",
    "import_observations",
    "observation_revisions",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'bettercities.ingest' has no attribute {name!r}")
