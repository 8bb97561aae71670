"""``/api/cities/{slug}/spatial`` (Moran's I, LISA, Gi*) and ``…/typology`` (JSON)."""

from __future__ import annotations

from fastapi import APIRouter

from bettercities.analysis.spatial.schemas import SpatialAnalysis
from bettercities.analysis.spatial.typology import TypologyResult
from bettercities.web.deps import ReaderDep, SpatialQueryDep, TypologyQueryDep
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api", tags=["analysis"], responses=PROBLEM_RESPONSES)


@router.get(
    "/cities/{slug}/spatial",
    response_model=SpatialAnalysis,
    summary="Moran's I, LISA clusters and Gi* hot spots of an indicator",
    description=(
        "Published values of the areas of a level in a period, spatial weights from their stored geometries "
        "(queen, rook, knn, distance band in metres), seeded permutation inference."
    ),
)
def spatial_statistics(slug: str, reader: ReaderDep, query: SpatialQueryDep) -> SpatialAnalysis:
    return query.run(reader, slug)


@router.get(
    "/cities/{slug}/typology",
    response_model=TypologyResult,
    summary="Types of areas by their standardised indicator profile",
    description="k-means or Ward clustering of the z-standardised published values of the chosen indicators.",
)
def area_typology(slug: str, reader: ReaderDep, query: TypologyQueryDep) -> TypologyResult:
    return query.run(reader, slug)
