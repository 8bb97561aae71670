"""Goalville: a small city built through the library whose numbers a test can follow by hand.

One level ``district`` with areas A, B and C, years 2019-2024 (each period ends on 31 December):

* ``poverty`` (share = numerator / denominator × 100, aggregated as a ratio, higher is worse); denominators
  A 1000, B 2000, C 1000 every year; numerators below. Group A+B+C = sum of numerators / 4000 × 100:
  22.5, 23.5, 22.625, 23.75, 23.0, 22.0. B's 2024 cell is stored *suppressed* (the public never sees it).
* ``green`` (a value, mean weighted by ``inhabitants``, higher is better); inhabitants A 1000, B 2000,
  C 1000: group 2022 (12·1000 + 6·2000 + 9·1000) / 4000 = 8.25, 2024 (14 + 14 + 9)·1000 / 4000 = 9.25.
* ``drift`` (neutral polarity), only in A: 50, 50, 50, 50, 47, 44.
* ``secret`` (a value, higher is worse) in a *restricted* published catalogue dataset: the public may not see
  it at all; members (viewers and up) may.
"""

from __future__ import annotations

from sqlalchemy import insert

from bettercities.areas import service as areas
from bettercities.areas.schemas import AreaSpec, CitySpec, LevelSpec
from bettercities.catalog import approval
from bettercities.catalog import service as catalog
from bettercities.catalog.schemas import AccessRights, DatasetSpec
from bettercities.indicators import service as indicators
from bettercities.indicators.models import Observation
from bettercities.indicators.periods import parse_period
from bettercities.indicators.schemas import Aggregation, IndicatorKind, IndicatorSpec, Polarity
from bettercities.storage.workspace import Workspace

SLUG = "goalville"
YEARS = (2019, 2020, 2021, 2022, 2023, 2024)
AREAS = ("A", "B", "C")
POVERTY_NUM = {
    "A": (300, 310, 290, 320, 300, 280),
    "B": (500, 520, 510, 530, 500, 470),
    "C": (100, 110, 105, 100, 120, 130),
}
POVERTY_DEN = {"A": 1000.0, "B": 2000.0, "C": 1000.0}
INHABITANTS = {"A": 1000.0, "B": 2000.0, "C": 1000.0}
GREEN = {"A": (10, 11, 12, 12, 13, 14), "B": (5, 5, 6, 6, 6, 7), "C": (8, 8, 8, 9, 9, 9)}
DRIFT = {"A": (50, 50, 50, 50, 47, 44)}
SECRET = {"A": (5.0, 6.0, 7.0, 8.0, 9.0, 10.0)}
#: The suppressed cell: (indicator, area, year).
SUPPRESSED = ("poverty", "B", 2024)
SECRET_DATASET = "survey"


def _spec(
    code: str, polarity: Polarity, kind: IndicatorKind, aggregation: Aggregation, **extra: object
) -> IndicatorSpec:
    return IndicatorSpec(
        code=code,
        name_de=code.title(),
        name_en=code.title(),
        unit="%" if code == "poverty" else "",
        polarity=polarity,
        kind=kind,
        aggregation=aggregation,
        **extra,  # type: ignore[arg-type]
    )


INDICATORS = (
    _spec("inhabitants", Polarity.NEUTRAL, IndicatorKind.COUNT, Aggregation.SUM),
    _spec(
        "poverty",
        Polarity.HIGHER_IS_WORSE,
        IndicatorKind.SHARE,
        Aggregation.RATIO,
        factor=100,
        numerator_code="poor",
        denominator_code="people",
    ),
    _spec("green", Polarity.HIGHER_IS_BETTER, IndicatorKind.VALUE, Aggregation.WEIGHTED_MEAN),
    _spec("drift", Polarity.NEUTRAL, IndicatorKind.VALUE, Aggregation.WEIGHTED_MEAN),
    _spec("secret", Polarity.HIGHER_IS_WORSE, IndicatorKind.VALUE, Aggregation.WEIGHTED_MEAN),
)


def build_goalville(ws: Workspace) -> None:
    """Create Goalville with its indicators, observations and the restricted dataset."""
    with ws.database.session() as session:
        city = areas.create_city(
            session, CitySpec(slug=SLUG, name="Goalville", country="DE", lat=52.5, lon=13.4)
        )
        level = areas.ensure_level(
            session, city, LevelSpec(code="district", name_de="Bezirk", name_en="district")
        )
        areas.add_areas(session, city, level, [AreaSpec(code=c, name=f"District {c}") for c in AREAS])
        for spec in INDICATORS:
            indicators.register_indicator(session, spec)
        ids = {i.code: i.id for i in indicators.list_indicators(session)}
        periods = indicators.ensure_periods(session, [parse_period(str(y)) for y in YEARS])
        area_ids = areas.area_codes(session, level)
        rows = []
        for area in AREAS:
            for index, year in enumerate(YEARS):
                cells: dict[str, tuple[float, float | None, float | None]] = {
                    "inhabitants": (INHABITANTS[area], None, None),
                    "poverty": (
                        100 * POVERTY_NUM[area][index] / POVERTY_DEN[area],
                        float(POVERTY_NUM[area][index]),
                        POVERTY_DEN[area],
                    ),
                    "green": (float(GREEN[area][index]), None, None),
                }
                if area in DRIFT:
                    cells["drift"] = (float(DRIFT[area][index]), None, None)
                if area in SECRET:
                    cells["secret"] = (SECRET[area][index], None, None)
                for code, (value, numerator, denominator) in cells.items():
                    rows.append(
                        {
                            "indicator_id": ids[code],
                            "area_id": area_ids[area],
                            "period_id": periods[str(year)],
                            "value": value,
                            "numerator": numerator,
                            "denominator": denominator,
                            "suppressed": (code, area, year) == SUPPRESSED,
                        }
                    )
        session.execute(insert(Observation), rows)
        catalog.add_dataset(
            session,
            city,
            DatasetSpec(
                code=SECRET_DATASET,
                title_de="Umfrage",
                title_en="Survey",
                publisher="Stadt",
                indicators=["secret"],
                access_rights=AccessRights.RESTRICTED,
            ),
        )
        for action in (approval.Action.SUBMIT, approval.Action.APPROVE, approval.Action.PUBLISH):
            approval.transition(session, SLUG, SECRET_DATASET, action, user="fixture")
