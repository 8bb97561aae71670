"""Load the generated demo city into a workspace, through the same library calls as real data."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict

import numpy as np
import pandas as pd
from pydantic import BaseModel
from sqlalchemy import select

from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.areas.schemas import AreaSpec, CitySpec, LevelSpec
from bettercities.demo.analyses import store_analyses
from bettercities.demo.boundary import add_boundary_change
from bettercities.demo.catalog import build_catalog, declare_protection
from bettercities.demo.engagement import add_engagement
from bettercities.demo.impact import add_intervention
from bettercities.indicators import service as indicators
from bettercities.indicators import writes
from bettercities.indicators.models import ImportBatch, Observation
from bettercities.indicators.periods import parse_period
from bettercities.indicators.schemas import IndicatorSpec
from bettercities.storage.base import utcnow
from bettercities.storage.workspace import Workspace

Progress = Callable[[str, int, int], None]

_OBSERVATION_COLUMNS = (
    "indicator_id",
    "area_id",
    "period_id",
    "value",
    "numerator",
    "denominator",
    "provisional",
    "estimated",
    "suppressed",
    "revision",
    "is_current",
    "import_id",
    "source_row",
    "created_at",
)


class DemoSummary(BaseModel):
    """What :func:`build_demo` loaded."""

    city: str
    built: bool
    areas: int
    indicators: int
    periods: int
    observations: int


def build_demo(
    workspace: Workspace,
    *,
    seed: int = 2026,
    n_planning_areas: int = 450,
    first_year: int = 2013,
    last_year: int = 2024,
    progress: Progress | None = None,
) -> DemoSummary:
    """Generate the demo city and load it into ``workspace`` (once; a second call only reports).

    Areas, indicators and periods go through the areas and indicators services; observations
    are written in bulk with an :class:`ImportBatch` naming the generator and its seed as
    their provenance.
    """
    from bettercities.demo.generator import generate_demo_city

    def step(label: str, done: int, total: int) -> None:
        if progress is not None:
            progress(label, done, total)

    db = workspace.database
    step("generating", 0, 4)
    demo = generate_demo_city(
        seed=seed, n_planning_areas=n_planning_areas, first_year=first_year, last_year=last_year
    )
    with db.session() as session:
        existing = session.scalar(select(City).where(City.slug == demo.city.slug))
        if existing is not None:
            return DemoSummary(
                city=demo.city.slug,
                built=False,
                areas=areas.city_out(session, existing).area_count,
                indicators=len(indicators.list_indicators(session, existing)),
                periods=len(indicators.list_periods(session, existing)),
                observations=indicators.count_observations(session, existing),
            )
        step("areas", 1, 4)
        info = demo.city
        city = areas.create_city(
            session,
            CitySpec(
                slug=info.slug,
                name=info.name,
                country=info.country,
                lau_code=info.lau_code,
                urau_code=info.urau_code,
                nuts3_code=info.nuts3_code,
                ags=info.ags,
                lat=info.lat,
                lon=info.lon,
                population=info.population,
                population_year=last_year,
            ),
        )
        batch = ImportBatch(
            city_id=city.id,
            kind="demo",
            file_name=f"bettercities demo generator (seed {seed})",
            file_sha256=hashlib.sha256(
                f"demo:{seed}:{n_planning_areas}:{first_year}:{last_year}".encode()
            ).hexdigest(),
            user="bettercities demo",
            options=json.dumps(
                {"seed": seed, "n_planning_areas": n_planning_areas, "years": [first_year, last_year]}
            ),
        )
        session.add(batch)
        session.flush()
        area_ids: dict[str, int] = {}
        for level in demo.levels:
            spatial_level = areas.ensure_level(
                session,
                city,
                LevelSpec(
                    code=level.code, name_de=level.name_de, name_en=level.name_en, parent=level.parent_code
                ),
            )
            specs = [
                AreaSpec(code=a.code, name=a.name, parent_code=a.parent_code, geometry=a.geometry)
                for a in demo.areas
                if a.level_code == level.code
            ]
            areas.add_areas(session, city, spatial_level, specs, import_id=batch.id, source="demo")
            area_ids.update(areas.area_codes(session, spatial_level))

        step("indicators", 2, 4)
        registry: dict[str, int] = {}
        for definition in demo.indicators:
            fields = asdict(definition)
            spec = IndicatorSpec.model_validate(
                {k: v for k, v in fields.items() if k in IndicatorSpec.model_fields}
            )
            spec = spec.model_copy(update={"source_dataset": f"bettercities demo generator (seed {seed})"})
            registry[spec.code] = indicators.register_indicator(session, spec).id
        period_ids = indicators.ensure_periods(session, [parse_period(p) for p in demo.periods])

        step("observations", 3, 4)
        obs = demo.observations
        frame = pd.DataFrame(
            {
                "indicator_id": obs["indicator_code"].map(registry).astype("int64"),
                "area_id": obs["area_code"].map(area_ids).astype("int64"),
                "period_id": obs["period_code"].map(period_ids).astype("int64"),
            }
        )
        now = utcnow()
        value = obs["value"].astype(float).to_numpy()
        numerator = obs["numerator"].astype(float).to_numpy()
        denominator = obs["denominator"].astype(float).to_numpy()
        writes.check_write(  # generated values pass the same check as every write of observations
            session,
            city.id,
            frame["indicator_id"].to_numpy(),
            value,
            present=~np.isnan(value),
            source="demo generator",
        )
        rows = [
            (
                int(i),
                int(a),
                int(p),
                _cell(v),
                _cell(n),
                _cell(d),
                False,
                False,
                False,
                1,
                True,
                batch.id,
                None,
                now,
            )
            for i, a, p, v, n, d in zip(
                frame["indicator_id"],
                frame["area_id"],
                frame["period_id"],
                value,
                numerator,
                denominator,
                strict=True,
            )
        ]
        db.bulk_insert(session, Observation.__table__, _OBSERVATION_COLUMNS, rows)  # type: ignore[arg-type]
        batch.rows = batch.inserted = len(rows)
        batch.finished_at = utcnow()
        area_ids.update(add_boundary_change(session, city, period=demo.periods[-1]))  # before approval locks
        build_catalog(session, city, first_year=first_year, last_year=last_year)
        declare_protection(session, city)
        stored = store_analyses(session, city, period=demo.periods[-1])
        add_engagement(
            session, city, set_name=stored.priority_set, first_year=first_year, last_year=last_year, seed=seed
        )
        add_intervention(
            session, city, set_name=stored.priority_set, first_year=first_year, last_year=last_year
        )
        step("done", 4, 4)
        return DemoSummary(
            city=info.slug,
            built=True,
            areas=len(area_ids),
            indicators=len(registry),
            periods=len(period_ids),
            observations=indicators.count_observations(session, city),  # generated and carried
        )


def _cell(value: float) -> float | None:
    return None if np.isnan(value) else float(value)
