"""The CPU budget of an analysis a caller may start: random permutation draws × areas.

Permutation inference draws ``permutations`` random neighbour sets for every area, once each for global
Moran's I, LISA and Gi* (:data:`DRAWS_PER_PERMUTATION`), so its cost grows with the product: 9,999
permutations over Berlin's 542 planning areas (16.3 million draws) take about 0.6 s of CPU. Anyone may start
an analysis (``GET …/spatial``, ``POST …/priority``); the web gives an anonymous caller a budget of draws
(setting ``analysis_budget_anonymous``, see ``docs/web.md#limits``) and refuses a request above it before
computing anything.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.core.errors import InvalidInput, NotFound

__all__ = ["DRAWS_PER_PERMUTATION", "check", "level_size"]

#: One analysis (:func:`bettercities.analysis.spatial.service.analyse`) permutes for global Moran's I, LISA
#: and Gi*.
DRAWS_PER_PERMUTATION = 3


def level_size(session: Session, city: City, level: str | None) -> int:
    """The number of areas of ``level`` (default: the city's finest) that an analysis would see."""
    if level is None:
        chosen = areas.finest_level(session, city)
        if chosen is None:
            raise NotFound("spatial level", city.slug)
    else:
        chosen = areas.get_level(session, city, level)
    return len(areas.area_codes(session, chosen))


def check(*, draws: int, areas_count: int, budget: int | None, what: str) -> None:
    """Refuse (:class:`InvalidInput`, a 422 on the web) an analysis of ``draws`` permutations per area over
    ``areas_count`` areas when that passes ``budget`` (``None``: no budget)."""
    cost = draws * areas_count
    if budget is None or cost <= budget:
        return
    raise InvalidInput(
        f"{what} would draw {draws:,} random permutations for each of {areas_count:,} areas "
        f"({cost:,} draws); the budget of an anonymous request is {budget:,} draws "
        "(setting analysis_budget_anonymous). Ask for fewer permutations or conditions, or sign in."
    )
