"""Pages of the registry: ``/benchmark`` and its JSON twin (its city pages are areas' ``/cities``)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
