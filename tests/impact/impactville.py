"""Impactville: a small city built through the library whose evaluation a test can follow by hand.

One level ``district`` with ten areas D01..D10, years 2016-2023. ``jobless`` (a value, higher is worse,
weighted mean) is, for area i (1..10) and year t::

    jobless = 10 + 0.5 * (10 - i) + 0.2 * (t - 2016) + noise(i, t) - 1.5 * [i <= 3 and t >= 2020]

with ``noise(i, t) = ((7 i + 3 t) mod 5 - 2) / 10``: the measure (neighbourhood management in D01-D03 from
2020) lowers it by 1.5 points. D02's 2021 cell is stored *suppressed* with the raw value 99 (never public: a
public panel leaves D02 out, the data team's keeps it). ``secret`` (same numbers) is in a *restricted*
published dataset: the public may not see it at all.

A priority set ``high`` holds the areas whose 2019 ``jobless`` is at least D03's (D01, D02, D03): an
intervention on it was chosen by its outcome (regression to the mean).
"""

from __future__ import annotations

from sqlalchemy import insert

from bettercities.analysis.priority import service as priority
from bettercities.analysis.priority.evaluation import evaluate
from bettercities.analysis.priority.schemas import PriorityRule
from bettercities.areas import service as areas
from bettercities.areas.schemas import AreaSpec, CitySpec, LevelSpec
from bettercities.catalog import approval
from bettercities.catalog import service as catalog
from bettercities.catalog.schemas import AccessRights, DatasetSpec
from bettercities.indicators import service as indicators
from bettercities.indicators.models import Observation
from bettercities.indicators.periods import parse_period
from bettercities.indicators.schemas import Aggregation, IndicatorKind, IndicatorSpec, Polarity
from bettercities.publication import Audience
from bettercities.storage.workspace import Workspace

SLUG = "impactville"
YEARS = tuple(range(2016, 2024))
AREAS = tuple(f"D{i:02d}" for i in range(1, 11))
TREATED = ("D01", "D02", "D03")
START = 2020
EFFECT = -1.5
SUPPRESSED = ("D02", 2021)
RAW_SUPPRESSED = 99.0
SET = "high"


def jobless(area: str, year: int) -> float:
    i = int(area[1:])
    noise = ((7 * i + 3 * year) % 5 - 2) / 10
    treated = EFFECT if area in TREATED and year >= START else 0.0
    return 10 + 0.5 * (10 - i) + 0.2 * (year - 2016) + noise + treated


def did_by_hand(treated: tuple[str, ...], controls: tuple[str, ...]) -> float:
    """The 2x2 difference in differences of the group means (balanced panel: equals the TWFE estimate)."""

    def mean(codes: tuple[str, ...], years: range) -> float:
        return sum(jobless(a, y) for a in codes for y in years) / (len(codes) * len(years))

    pre, post = range(2016, START), range(START, 2024)
    return (mean(treated, post) - mean(treated, pre)) - (mean(controls, post) - mean(controls, pre))


def _spec(code: str) -> IndicatorSpec:
    kind = IndicatorKind.COUNT if code == "inhabitants" else IndicatorKind.VALUE
    aggregation = Aggregation.SUM if code == "inhabitants" else Aggregation.WEIGHTED_MEAN
    polarity = Polarity.NEUTRAL if code == "inhabitants" else Polarity.HIGHER_IS_WORSE
    names = {"jobless": ("Arbeitslosenquote", "Unemployment rate"), "secret": ("Geheim", "Secret"),
             "inhabitants": ("Einwohner", "Inhabitants")}  # fmt: skip
    return IndicatorSpec(
        code=code, name_de=names[code][0], name_en=names[code][1], unit="%" if code != "inhabitants" else "",
        polarity=polarity, kind=kind, aggregation=aggregation,
    )  # fmt: skip


def build_impactville(ws: Workspace) -> None:
    """Create Impactville with its indicators, observations, the restricted dataset and the priority set."""
    with ws.database.session() as session:
        city = areas.create_city(
            session, CitySpec(slug=SLUG, name="Impactville", country="DE", lat=52.5, lon=13.4)
        )
        level = areas.ensure_level(
            session, city, LevelSpec(code="district", name_de="Bezirk", name_en="district")
        )
        areas.add_areas(session, city, level, [AreaSpec(code=c, name=f"District {c}") for c in AREAS])
        for code in ("inhabitants", "jobless", "secret"):
            indicators.register_indicator(session, _spec(code))
        ids = {i.code: i.id for i in indicators.list_indicators(session)}
        periods = indicators.ensure_periods(session, [parse_period(str(y)) for y in YEARS])
        area_ids = areas.area_codes(session, level)
        rows = []
        for area in AREAS:
            for year in YEARS:
                suppressed = (area, year) == SUPPRESSED
                for code, value in (
                    ("inhabitants", 1000.0),
                    ("jobless", RAW_SUPPRESSED if suppressed else jobless(area, year)),
                    ("secret", jobless(area, year)),
                ):
                    rows.append(
                        {"indicator_id": ids[code], "area_id": area_ids[area],
                         "period_id": periods[str(year)], "value": value,
                         "suppressed": suppressed and code == "jobless"}
                    )  # fmt: skip
        session.execute(insert(Observation), rows)
        catalog.add_dataset(
            session, city,
            DatasetSpec(code="survey", title_de="Umfrage", title_en="Survey", publisher="Stadt",
                        indicators=["secret"], access_rights=AccessRights.RESTRICTED),
        )  # fmt: skip
        for action in (approval.Action.SUBMIT, approval.Action.APPROVE, approval.Action.PUBLISH):
            approval.transition(session, SLUG, "survey", action, user="fixture")
        threshold = jobless("D03", 2019)
        rule = PriorityRule.model_validate(
            {
                "name": SET,
                "conditions": [{"kind": "threshold", "indicator": "jobless", "op": ">=", "value": threshold}],
            }
        )
        result = evaluate(session, SLUG, rule, level="district", period="2019", audience=Audience.PUBLIC)
        priority.save_set(session, result, SET)
