"""``/api/cities/{slug}/spatial`` (Moran's I, LISA, Gi*), ``…/typology``, ``…/priority`` and
``…/priority-sets`` (JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, Field, ValidationError

from bettercities.access.policy import Permission, Principal, audience_for
from bettercities.analysis.priority import service as priority
from bettercities.analysis.priority.evaluation import evaluate
from bettercities.analysis.priority.schemas import PRESETS, PriorityResult, PriorityRule, PrioritySetOut
from bettercities.analysis.spatial import service as spatial_service
from bettercities.analysis.spatial.schemas import SpatialAnalysis, WeightsKind, WeightsSpec
from bettercities.analysis.spatial.typology import MAX_TYPES, ClusterMethod, TypologyResult, typology
from bettercities.areas import service as areas
from bettercities.core.errors import Forbidden, InvalidInput, NotFound
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace
from bettercities.views.service import Reader
from bettercities.web.deps import PrincipalDep, ReaderDep, city_with, get_workspace, requires
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
            if self.rule not in PRESETS:
                raise NotFound("priority rule", self.rule)
            rule = PRESETS[self.rule]
        city_id = areas.get_city(reader.session, slug).id
        return evaluate(
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


class PrioritySetRequest(BaseModel):
    """A rule to evaluate and keep, with its areas, as a named set of the city."""

    model_config = {"extra": "forbid"}

    name: str = Field(min_length=1, max_length=200, description="Name of the set, unique in the city.")
    description: str | None = None
    rule: str | PriorityRule = Field(
        default="mss-low-status-negative-dynamics", description="A preset rule name, or a rule."
    )
    level: str | None = Field(default=None, description="Level code; default: the rule's or its run's.")
    period: str | None = Field(default=None, description="Period code; default: the rule's or its run's.")
    audience: Audience | None = Field(
        default=None,
        description=(
            "Who may see the set (public, member, internal): the rule is evaluated on what that audience "
            "sees. Default: the caller's own view of the city (for an analyst: internal, the data team's)."
        ),
    )

    def preset_or_rule(self) -> PriorityRule:
        if isinstance(self.rule, PriorityRule):
            return self.rule
        if self.rule not in PRESETS:
            known = ", ".join(PRESETS)
            raise InvalidInput(f"unknown preset rule {self.rule!r} (presets: {known})")
        return PRESETS[self.rule]


def save_priority_set(
    workspace: Workspace, principal: Principal, slug: str, request: PrioritySetRequest
) -> PrioritySetOut:
    """Evaluate the request's rule for its audience and keep the areas as a named set, in one unit of work
    (shared by the API and the page's form). Needs ``analyse`` in the city; the audience may not be wider
    than the principal's own (who sees only public data cannot store a set for the data team)."""
    with workspace.database.session() as session:
        city = city_with(session, principal, slug, Permission.ANALYSE)
        own = audience_for(principal, city.id)
        audience = request.audience or own
        if not priority.visible_to(audience, own):
            raise Forbidden(
                f"{principal.name} may not evaluate a rule for the audience {audience.value!r} here"
            )
        # evaluated without network-shared data: a set is shown to everyone of its audience
        result = evaluate(
            session, slug, request.preset_or_rule(), level=request.level, period=request.period,
            audience=audience,
        )  # fmt: skip
        return priority.save_set(
            session, result, request.name, description=request.description or None, user=principal.name
        )


@router.post(
    "/cities/{slug}/priority-sets",
    response_model=PrioritySetOut,
    status_code=201,
    summary="Evaluate a rule and keep its areas as a named set",
    description=(
        "Needs the permission `analyse` in the city. The set stores the rule, level, period, the index "
        "runs read, who and when, and the audience it was evaluated for; only principals who may see that "
        "audience see the set. An existing name answers 409."
    ),
    dependencies=[Depends(requires(Permission.ANALYSE))],
)
def create_priority_set(
    slug: str,
    body: PrioritySetRequest,
    workspace: Annotated[Workspace, Depends(get_workspace)],
    principal: PrincipalDep,
) -> PrioritySetOut:
    return save_priority_set(workspace, principal, slug, body)


def visible_sets(reader: Reader, slug: str) -> list[PrioritySetOut]:
    """The city's named sets the reader's principal may see (evaluated for their audience or a narrower)."""
    city_id = areas.get_city(reader.session, slug).id
    return priority.list_sets(reader.session, slug, audience=reader.audience(city_id))


def visible_set(reader: Reader, slug: str, name: str) -> PrioritySetOut:
    """One named set with its areas; 404 for a set the reader's principal may not see."""
    city_id = areas.get_city(reader.session, slug).id
    return priority.get_set(reader.session, slug, name, audience=reader.audience(city_id))


@router.get(
    "/cities/{slug}/priority-sets",
    response_model=list[PrioritySetOut],
    summary="Named sets of priority areas",
    description="Only the sets evaluated for the caller's audience in the city, or a narrower one.",
)
def priority_sets(slug: str, reader: ReaderDep) -> list[PrioritySetOut]:
    return visible_sets(reader, slug)


@router.get(
    "/cities/{slug}/priority-sets/{name}",
    response_model=PrioritySetOut,
    summary="One named set with its areas",
    description="404 also for a set evaluated for an audience the caller does not belong to.",
)
def priority_set(slug: str, name: str, reader: ReaderDep) -> PrioritySetOut:
    return visible_set(reader, slug, name)
