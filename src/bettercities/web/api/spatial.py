"""``/api/cities/{slug}/spatial`` (Moran's I, LISA, Gi*), ``…/typology`` and ``…/priority`` (JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query
from pydantic import ValidationError

from bettercities.analysis import priority, spatial_service
from bettercities.analysis.priority import PriorityResult, PriorityRule, PrioritySetOut
from bettercities.analysis.schemas import WeightsKind, WeightsSpec
from bettercities.analysis.spatial_schemas import SpatialAnalysis
from bettercities.analysis.typology import MAX_TYPES, ClusterMethod, TypologyResult, typology
from bettercities.areas import service as areas
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.reports.service import Reader
from bettercities.web.deps import ReaderDep, SessionDep
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api", tags=["analysis"], responses=PROBLEM_RESPONSES)


class SpatialQuery:
    """The parameters of a spatial analysis, shared by the API route, the page and its JSON twin."""

    def __init__(
        self,
        indicator: Annotated[str, Query(description="Indicator code.")],
        period: Annotated[str | None, Query(description="Period code; default: the latest.")] = None,
        level: Annotated[str | None, Query(description="Level code; default: the finest.")] = None,
        weights: Annotated[WeightsKind, Query(description="Spatial weights.")] = WeightsKind.QUEEN,
        k: Annotated[int, Query(ge=1, le=50, description="Neighbours (knn).")] = 6,
        threshold: Annotated[
            float | None, Query(gt=0, description="Distance band in metres (distance-band).")
        ] = None,
        permutations: Annotated[int, Query(ge=99, le=9999, description="Random permutations.")] = 999,
        seed: Annotated[int, Query(description="Random seed (reproducible p-values).")] = 1,
        alpha: Annotated[float, Query(gt=0, lt=0.5, description="Significance level.")] = 0.05,
    ) -> None:
        self.indicator, self.period, self.level = indicator, period, level
        self.permutations, self.seed, self.alpha = permutations, seed, alpha
        try:
            self.weights = WeightsSpec(kind=weights, k=k, threshold=threshold)
        except ValidationError as error:
            raise InvalidInput(f"invalid weights: {error.errors()[0]['msg']}") from error

    def params(self) -> dict[str, object]:
        """The permalink parameters (defaults left out)."""
        return {
            "indicator": self.indicator,
            "period": self.period,
            "level": self.level,
            "weights": None if self.weights.kind == WeightsKind.QUEEN else self.weights.kind.value,
            "k": self.weights.k if self.weights.kind == WeightsKind.KNN else None,
            "threshold": self.weights.threshold,
            "permutations": None if self.permutations == 999 else self.permutations,
            "seed": None if self.seed == 1 else self.seed,
            "alpha": None if self.alpha == 0.05 else self.alpha,
        }

    def run(self, reader: Reader, slug: str) -> SpatialAnalysis:
        """The analysis of the values the reader's principal may see, memoised per parameters and audience
        until the data change (999 permutations take a while)."""
        city_id = areas.get_city(reader.session, slug).id
        key = ("spatial", slug, self.weights.model_dump_json(), *sorted(self.params().items(), key=str))
        return reader.memo(key, lambda: self._compute(reader, slug, city_id), city_id=city_id)

    def _compute(self, reader: Reader, slug: str, city_id: int) -> SpatialAnalysis:
        return spatial_service.analyse(
            reader.session,
            slug,
            self.indicator,
            period=self.period,
            level=self.level,
            weights=self.weights,
            permutations=self.permutations,
            seed=self.seed,
            alpha=self.alpha,
            audience=reader.audience(city_id),
            networks=reader.networks(city_id),
        )


SpatialQueryDep = Annotated[SpatialQuery, Depends()]


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


class TypologyQuery:
    """The parameters of a typology, shared by the API route, the page and its JSON twin."""

    def __init__(
        self,
        indicator: Annotated[list[str], Query(description="Indicator codes (repeat the parameter).")],
        period: Annotated[str | None, Query(description="Period code; default: the latest.")] = None,
        level: Annotated[str | None, Query(description="Level code; default: the finest.")] = None,
        k: Annotated[int, Query(ge=2, le=MAX_TYPES, description="Number of types.")] = 4,
        method: Annotated[ClusterMethod, Query(description="kmeans or hierarchical (Ward).")] = (
            ClusterMethod.KMEANS
        ),
        seed: Annotated[int, Query(description="Random seed of k-means.")] = 1,
    ) -> None:
        self.indicators, self.period, self.level = indicator, period, level
        self.k, self.method, self.seed = k, method, seed

    def params(self) -> dict[str, object]:
        return {
            "indicator": self.indicators,
            "period": self.period,
            "level": self.level,
            "k": None if self.k == 4 else self.k,
            "method": None if self.method == ClusterMethod.KMEANS else self.method.value,
            "seed": None if self.seed == 1 else self.seed,
        }

    def run(self, reader: Reader, slug: str) -> TypologyResult:
        """The typology of the values the reader's principal may see."""
        city_id = areas.get_city(reader.session, slug).id
        return typology(
            reader.session, slug, self.indicators, period=self.period, level=self.level, k=self.k,
            method=self.method, seed=self.seed, audience=reader.audience(city_id),
            networks=reader.networks(city_id),
        )  # fmt: skip


TypologyQueryDep = Annotated[TypologyQuery, Depends()]


@router.get(
    "/cities/{slug}/typology",
    response_model=TypologyResult,
    summary="Types of areas by their standardised indicator profile",
    description="k-means or Ward clustering of the z-standardised published values of the chosen indicators.",
)
def area_typology(slug: str, reader: ReaderDep, query: TypologyQueryDep) -> TypologyResult:
    return query.run(reader, slug)


# -- priority areas ----------------------------------------------------------------------------------------


class PriorityQuery:
    """A preset rule (or a rule in the request body) with optional level and period."""

    def __init__(
        self,
        rule: Annotated[str, Query(description="Preset rule name.")] = "mss-low-status-negative-dynamics",
        level: Annotated[
            str | None, Query(description="Level code; default: the rule's or its run's.")
        ] = None,
        period: Annotated[
            str | None, Query(description="Period code; default: the rule's or its run's.")
        ] = None,
    ) -> None:
        self.rule, self.level, self.period = rule, level, period

    def params(self) -> dict[str, object]:
        return {"rule": self.rule, "level": self.level, "period": self.period}

    def run(self, reader: Reader, slug: str, rule: PriorityRule | None = None) -> PriorityResult:
        """The areas meeting the rule, judged on what the reader's principal may see."""
        if rule is None:
            if self.rule not in priority.PRESETS:
                raise NotFound("priority rule", self.rule)
            rule = priority.PRESETS[self.rule]
        city_id = areas.get_city(reader.session, slug).id
        return priority.evaluate(
            reader.session, slug, rule, level=self.level, period=self.period,
            audience=reader.audience(city_id), networks=reader.networks(city_id),
        )  # fmt: skip


PriorityQueryDep = Annotated[PriorityQuery, Depends()]


@router.get(
    "/cities/{slug}/priority", response_model=PriorityResult, summary="Priority areas by a preset rule"
)
def priority_areas(slug: str, reader: ReaderDep, query: PriorityQueryDep) -> PriorityResult:
    return query.run(reader, slug)


@router.post(
    "/cities/{slug}/priority",
    response_model=PriorityResult,
    summary="Priority areas by a rule in the request body",
    description="Conditions: index-class (stored runs), lisa, hotspot, threshold and nested groups.",
)
def priority_by_rule(
    slug: str, reader: ReaderDep, query: PriorityQueryDep, rule: Annotated[PriorityRule, Body()]
) -> PriorityResult:
    return query.run(reader, slug, rule)


@router.get(
    "/cities/{slug}/priority-sets",
    response_model=list[PrioritySetOut],
    summary="Named sets of priority areas",
)
def priority_sets(slug: str, session: SessionDep) -> list[PrioritySetOut]:
    return priority.list_sets(session, slug)


@router.get(
    "/cities/{slug}/priority-sets/{name}",
    response_model=PrioritySetOut,
    summary="One named set with its areas",
)
def priority_set(slug: str, name: str, session: SessionDep) -> PrioritySetOut:
    return priority.get_set(session, slug, name)
