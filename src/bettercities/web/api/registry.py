"""JSON API of the city registry: ``/api/registry/cities`` (search, paged), ``/api/registry/cities/{slug}``
(a city's profile) and ``/api/benchmark`` (an indicator over a set of cities). Reads only; the registry is
written by its CLI (a site admin's imports)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from bettercities.registry import service as registry
from bettercities.registry.schemas import BenchmarkOut, RegistryCityOut, RegistryPage
from bettercities.views import registry as registry_views
from bettercities.web.deps import SessionDep
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(tags=["registry"], responses=PROBLEM_RESPONSES)


@router.get("/api/registry/cities", response_model=RegistryPage, summary="Search the city registry")
def registry_cities(
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100, description="Name or other name (prefix).")] = None,
    country: Annotated[str | None, Query(max_length=2, description="Eurostat country code (EL, UK).")] = None,
    size_class: Annotated[
        str | None, Query(description="small-town, medium-town, city or large-city.", max_length=20)
    ] = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> RegistryPage:
    return registry_views.registry_page(
        session, q=q, country=country, size=size_class, offset=offset, limit=limit
    )


@router.get("/api/registry/cities/{slug}", response_model=RegistryCityOut, summary="A city of the registry")
def registry_city(slug: str, session: SessionDep) -> RegistryCityOut:
    return registry.city_out(session, registry.get_city(session, slug))


@router.get("/api/benchmark", response_model=BenchmarkOut, summary="An indicator over a set of cities")
def benchmark(
    session: SessionDep,
    indicator: Annotated[str, Query(max_length=60, description="Urban Audit indicator code.")],
    set: Annotated[
        str,
        Query(
            max_length=2000,
            description="network:<slug>, programme:<slug>, size:<class> or cities:<slug,slug>.",
        ),
    ],
) -> BenchmarkOut:
    return registry_views.benchmark_view(session, indicator, set)
