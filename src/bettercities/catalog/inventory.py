"""Inventory and gaps: what a city holds of the shipped reference set of social indicators.

For each reference indicator, the city *holds* it when a registered indicator of the reference's
``matches`` has current observations in the city. Among the levels with data, the finest counts. A level
is of kind ``city`` when it has a single area, ``district`` when it is the coarsest level with several
areas, else ``small_area``. Status, in this order: ``missing`` (no data), ``too_coarse`` (finest kind
coarser than the reference asks), ``stale`` (the latest period ended more than the cadence plus
:data:`PUBLICATION_LAG_MONTHS` ago), else ``held``.

An audience sees the inventory of what it may see: observations of indicators the publication step withholds
from it (:func:`bettercities.publication.withheld_indicators`: for the public, those of no published public
dataset) do not count, and a row names a dataset only when the audience may see that dataset (the rule of
:mod:`bettercities.catalog.queries`).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import Area, SpatialLevel
from bettercities.catalog.models import Dataset, DatasetIndicator
from bettercities.catalog.queries import visible_filters
from bettercities.catalog.schemas import (
    CADENCE_MONTHS,
    DatasetFilter,
    InventoryRow,
    InventoryStatus,
    InventoryView,
    ReferenceIndicator,
)
from bettercities.catalog.service import add_months, list_datasets
from bettercities.indicators.models import Indicator, Observation, Period
from bettercities.publication import Audience, withheld_indicators

#: Months after a period's end until its data are expected (statistics are published with a lag).
PUBLICATION_LAG_MONTHS = 12
LEVEL_ORDER = {"city": 0, "district": 1, "small_area": 2}


@lru_cache(maxsize=1)
def reference_set() -> tuple[tuple[ReferenceIndicator, ...], dict[str, str]]:
    """The shipped reference indicators and their sources (``catalog/data/reference_indicators.yaml``)."""
    text = (
        resources.files("bettercities.catalog").joinpath("data/reference_indicators.yaml").read_text("utf-8")
    )
    raw: dict[str, Any] = yaml.safe_load(text)
    sources = {str(k): " ".join(str(v).split()) for k, v in raw["sources"].items()}
    refs = tuple(ReferenceIndicator.model_validate(entry) for entry in raw["indicators"])
    return refs, sources


def _level_kinds(session: Session, city_id: int) -> dict[int, tuple[str, str, int]]:
    """Level id -> (code, kind, number of areas)."""
    rows = session.execute(
        select(SpatialLevel.id, SpatialLevel.code, SpatialLevel.rank, func.count(Area.id))
        .join(Area, Area.level_id == SpatialLevel.id, isouter=True)
        .where(SpatialLevel.city_id == city_id)
        .group_by(SpatialLevel.id, SpatialLevel.code, SpatialLevel.rank)
        .order_by(SpatialLevel.rank)
    ).all()
    kinds: dict[int, tuple[str, str, int]] = {}
    district_seen = False
    for level_id, code, _rank, count in rows:
        if count <= 1:
            kind = "city"
        elif not district_seen:
            kind, district_seen = "district", True
        else:
            kind = "small_area"
        kinds[level_id] = (code, kind, int(count))
    return kinds


def inventory(session: Session, slug: str, *, audience: Audience, today: date | None = None) -> InventoryView:
    """The city's standing on every reference indicator, as ``audience`` may see it (see the module's
    docstring for the rules)."""
    today = today or date.today()
    city = areas.get_city(session, slug)
    refs, sources = reference_set()
    withheld = withheld_indicators(session, city.id, audience=audience)
    visible = {d.code for d in list_datasets(session, city, visible_filters(DatasetFilter(), audience))}
    codes = sorted({c for r in refs for c in r.matches})
    kinds = _level_kinds(session, city.id)
    held = session.execute(
        select(
            Indicator.code,
            Area.level_id,
            func.max(Period.end_date),
            func.count(func.distinct(Area.id)),
            func.max(Observation.created_at),
        )
        .join(Observation, Observation.indicator_id == Indicator.id)
        .join(Area, Area.id == Observation.area_id)
        .join(Period, Period.id == Observation.period_id)
        .where(
            Indicator.code.in_(codes),
            Indicator.id.not_in(sorted(withheld)),
            Area.city_id == city.id,
            Observation.is_current.is_(True),
        )
        .group_by(Indicator.code, Area.level_id)
    ).all()
    by_code: dict[str, list[Any]] = {}
    for row in held:
        by_code.setdefault(row[0], []).append(row)
    datasets = dict(
        session.execute(
            select(Indicator.code, Dataset.code)
            .join(DatasetIndicator, DatasetIndicator.indicator_id == Indicator.id)
            .join(Dataset, Dataset.id == DatasetIndicator.dataset_id)
            .where(Dataset.city_id == city.id, Indicator.code.in_(codes), Dataset.code.in_(sorted(visible)))
            .order_by(Dataset.code.desc())
        ).all()
    )
    rows = [_row(ref, by_code, kinds, datasets, today) for ref in refs]
    counts = {status.value: sum(r.status == status for r in rows) for status in InventoryStatus}
    return InventoryView(
        city=city.slug, city_name=city.name, today=today, rows=rows, counts=counts, sources=sources
    )


def _row(
    ref: ReferenceIndicator,
    by_code: dict[str, list[Any]],
    kinds: dict[int, tuple[str, str, int]],
    datasets: dict[str, str],
    today: date,
) -> InventoryRow:
    candidates = [row for code in ref.matches for row in by_code.get(code, [])]
    if not candidates:
        return InventoryRow(reference=ref, status=InventoryStatus.MISSING)
    # the finest level with data; among equals the most recent
    best = max(candidates, key=lambda r: (LEVEL_ORDER[kinds[r[1]][1]], r[2]))
    level_code, kind, total = kinds[best[1]]
    latest = max(r[2] for r in candidates)
    period = max(candidates, key=lambda r: r[2])
    months = CADENCE_MONTHS[ref.frequency]
    stale = months is not None and add_months(latest, months + PUBLICATION_LAG_MONTHS) < today
    if LEVEL_ORDER[kind] < LEVEL_ORDER[ref.spatial_level]:
        status = InventoryStatus.TOO_COARSE
    elif stale:
        status = InventoryStatus.STALE
    else:
        status = InventoryStatus.HELD
    last_update = max(r[4] for r in candidates)
    return InventoryRow(
        reference=ref,
        status=status,
        indicator=best[0],
        dataset=datasets.get(best[0]),
        finest_level=level_code,
        level_kind=kind,
        areas_with_data=int(best[3]),
        areas_total=total,
        latest_period=period[2].isoformat(),
        last_update=last_update.date() if last_update is not None else None,
    )
