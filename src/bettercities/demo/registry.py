"""The demo's city registry: the registry shipped with the package (registry/data/: Urban Audit cities,
GeoNames towns >= 5,000, NUTS-3 urban-rural types, Urban Audit indicators), loaded once into the demo
workspace so that /cities, the profiles of Europe's municipalities and /benchmark have data. Idempotent."""

from __future__ import annotations

from bettercities.registry import service as registry
from bettercities.registry.schemas import RegistryImportSummary
from bettercities.storage.workspace import Workspace

__all__ = ["load_registry"]


def load_registry(workspace: Workspace) -> RegistryImportSummary:
    """Load the shipped registry into ``workspace`` (a second call changes nothing)."""
    with workspace.database.session() as session:
        return registry.load_shipped(session)
