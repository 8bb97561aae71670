"""JSON API of the registry: ``/api/registry/cities``, ``/api/registry/cities/{slug}``, ``/api/benchmark``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["registry"])
