"""The spatial analyses that the JSON API, the pages, their JSON twins and the CLI share: one typed query
each (its permalink parameters and its run), judged on what the viewer may see.

The limits anyone may ask of the server (permutations, neighbours, number of types) are the web's, set where
its parameters are read; the CLI runs a query as its operator asks.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from bettercities.analysis.spatial import budget, service
from bettercities.analysis.spatial.schemas import (
    Code,
    Seed,
    SpatialAnalysis,
    WeightsKind,
    WeightsSpec,
)
from bettercities.analysis.spatial.typology import ClusterMethod, TypologyResult, typology
from bettercities.areas import service as areas
from bettercities.publication.viewer import Viewer

__all__ = ["SpatialQuery", "TypologyQuery"]


class SpatialQuery(BaseModel):
    """Moran's I, LISA clusters and Gi* of one indicator over a city level in one period."""

    model_config = {"extra": "forbid", "frozen": True}

    indicator: Code = Field(description="Indicator code.")
    period: Code | None = Field(default=None, description="Period code; default: the latest.")
    level: Code | None = Field(default=None, description="Level code; default: the finest.")
    weights: WeightsSpec = Field(default_factory=WeightsSpec)
    permutations: int = Field(default=999, description="Random permutations.")
    seed: Seed = Field(default=1, description="Random seed (reproducible p-values).")
    alpha: float = Field(default=0.05, description="Significance level.")

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

    def run(self, viewer: Viewer, slug: str) -> SpatialAnalysis:
        """The analysis of the values the viewer may see, memoised per parameters and audience until the
        data change (999 permutations take a while)."""
        city = areas.get_city(viewer.session, slug)
        city_id = city.id
        if viewer.budget is not None:
            budget.check(
                draws=budget.DRAWS_PER_PERMUTATION * self.permutations,
                areas_count=budget.level_size(viewer.session, city, self.level),
                budget=viewer.budget,
                what=f"This analysis ({self.permutations:,} permutations)",
            )
        key = ("spatial", slug, self.weights.model_dump_json(), *sorted(self.params().items(), key=str))
        return viewer.memo(key, lambda: self._compute(viewer, slug, city_id), city_id=city_id)

    def _compute(self, viewer: Viewer, slug: str, city_id: int) -> SpatialAnalysis:
        return service.analyse(
            viewer.session,
            slug,
            self.indicator,
            period=self.period,
            level=self.level,
            weights=self.weights,
            permutations=self.permutations,
            seed=self.seed,
            alpha=self.alpha,
            audience=viewer.audience(city_id),
            networks=viewer.networks(city_id),
        )


class TypologyQuery(BaseModel):
    """Types of the areas of a city level by their standardised profile of some indicators."""

    model_config = {"extra": "forbid", "frozen": True}

    indicators: list[Code] = Field(description="Indicator codes.")
    period: Code | None = Field(default=None, description="Period code; default: the latest.")
    level: Code | None = Field(default=None, description="Level code; default: the finest.")
    k: int = Field(default=4, description="Number of types.")
    method: ClusterMethod = Field(default=ClusterMethod.KMEANS, description="kmeans or hierarchical (Ward).")
    seed: Seed = Field(default=1, description="Random seed of k-means.")

    def params(self) -> dict[str, object]:
        """The permalink parameters (defaults left out)."""
        return {
            "indicator": self.indicators,
            "period": self.period,
            "level": self.level,
            "k": None if self.k == 4 else self.k,
            "method": None if self.method == ClusterMethod.KMEANS else self.method.value,
            "seed": None if self.seed == 1 else self.seed,
        }

    def run(self, viewer: Viewer, slug: str) -> TypologyResult:
        """The typology of the values the viewer may see."""
        city_id = areas.get_city(viewer.session, slug).id
        return typology(
            viewer.session, slug, self.indicators, period=self.period, level=self.level, k=self.k,
            method=self.method, seed=self.seed, audience=viewer.audience(city_id),
            networks=viewer.networks(city_id),
        )  # fmt: skip
