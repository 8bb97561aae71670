"""Response models that exist only for the API (everything else is the domains' own schemas)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from bettercities.areas.schemas import AreaOut


class AreaDetail(AreaOut):
    """An area with its bounding box, children and (on request) its GeoJSON geometry."""

    # a list, not a 4-tuple: the tuple's schema (``items`` as a list) is no valid OpenAPI 3.1 schema
    bbox: list[float] | None = Field(
        default=None, min_length=4, max_length=4, description="min_lon, min_lat, max_lon, max_lat (WGS84)."
    )
    children: list[str] = Field(default_factory=list, description="Codes of the areas one level finer.")
    geometry: dict[str, Any] | None = Field(
        default=None, description="GeoJSON geometry (WGS84), with ?geometry=true."
    )
