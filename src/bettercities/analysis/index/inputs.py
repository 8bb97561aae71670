"""The input of an index from the store: one row per area, one column per indicator plus population.

The frame has the same shape ``bettercities index compute`` reads from a CSV file (an ``area_id``
column, text ids, one numeric column per indicator code), so stored data and files run through the
same :func:`~bettercities.analysis.index.service.compute_index`. Values come from
:func:`bettercities.indicators.service.level_values` (stored, or aggregated from a finer level),
and every observation's revision and import batch are kept as provenance of the result.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import Area
from bettercities.indicators import service as indicator_service
from bettercities.indicators.models import Observation
from bettercities.publication import Audience

ID_COLUMN = "area_id"


class IndicatorInput(BaseModel):
    """Provenance of one indicator column: how many values, which revisions and import batches."""

    code: str
    values: int = Field(description="Areas with a value.")
    missing: int = Field(description="Areas of the level without a value.")
    derived: bool = Field(description="Values aggregated from a finer level, not stored at this level.")
    revisions: list[int] = Field(default_factory=list, description="Distinct revisions of the values used.")
    import_ids: list[int] = Field(default_factory=list, description="Import batches of the values used.")
    suppressed: int = 0


class InputProvenance(BaseModel):
    """Where an index input came from: city, level, period and each indicator's revisions."""

    city: str
    level: str
    period: str
    population_indicator: str | None
    indicators: list[IndicatorInput]
    areas: int = Field(description="Areas in the input frame.")
    areas_without_data: list[str] = Field(
        default_factory=list, description="Areas of the level with no value for any indicator (left out)."
    )
    suppressed_areas: list[str] = Field(
        default_factory=list,
        description="Areas with an input value withheld from the public by disclosure control (their results "
        "are withheld, and the run's public result is computed without them).",
    )


class IndexInput(BaseModel):
    """A wide per-area input frame (``area_id`` + indicator columns) with its provenance."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    frame: pd.DataFrame
    names: dict[str, str | None] = Field(default_factory=dict, description="Area name by id.")
    provenance: InputProvenance
    id_column: str = ID_COLUMN
    population_column: str | None = None


def _sources(
    session: Session, indicator_id: int, period_id: int, level_id: int
) -> tuple[list[int], list[int]]:
    rows = session.execute(
        select(Observation.revision, Observation.import_id)
        .join(Area, Area.id == Observation.area_id)
        .where(
            Observation.indicator_id == indicator_id,
            Observation.period_id == period_id,
            Observation.is_current.is_(True),
            Area.level_id == level_id,
        )
        .distinct()
    ).all()
    revisions = sorted({int(r.revision) for r in rows})
    imports = sorted({int(r.import_id) for r in rows if r.import_id is not None})
    return revisions, imports


def index_input(
    session: Session,
    city: str,
    *,
    level: str,
    period: str,
    indicators: Sequence[str],
    population_indicator: str | None = "inhabitants",
    audience: Audience = Audience.INTERNAL,
) -> IndexInput:
    """Assemble the input of an index for ``city``, ``level`` and ``period`` from the store.

    One row per area of the level valid at the period's end (or holding values for it); one
    column per indicator code in ``indicators`` and the population indicator. Areas without a
    value for *any* of the columns are left out and listed in the provenance; an area with some
    values missing stays in, so the index computation reports the empty cells as problems.

    The default audience is the city's data team: indices are computed on the full values and the
    publication step applies to the outputs (pages, exports). Raises :class:`NotFound` for an
    unknown city, level, period or indicator.
    """
    codes = list(dict.fromkeys(indicators))
    if population_indicator and population_indicator not in codes:
        codes.append(population_indicator)
    city_row = areas.get_city(session, city)
    level_row = areas.get_level(session, city_row, level)
    period_row = indicator_service.get_period(session, period)
    columns: dict[str, dict[str, float | None]] = {}
    names: dict[str, str | None] = {}
    inputs: list[IndicatorInput] = []
    suppressed: set[str] = set()
    for code in codes:
        indicator = indicator_service.get_indicator(session, code)
        values, derived = indicator_service.level_values(
            session, indicator, period_row, level_row, audience=audience
        )
        columns[code] = {v.area_code: v.value for v in values}
        for v in values:
            names.setdefault(v.area_code, v.area_name)
            if v.suppressed:
                suppressed.add(v.area_code)
        if audience == Audience.INTERNAL:
            # What the city's members (and so the public) see withheld: disclosure control withholds cells
            # the data team sees with their values (secondary suppression, weighted means of withheld
            # inputs); the run's public result leaves those areas out.
            published, _ = indicator_service.level_values(
                session, indicator, period_row, level_row, audience=Audience.MEMBER
            )
            suppressed.update(v.area_code for v in published if v.suppressed)
        revisions, imports = (
            ([], []) if derived else _sources(session, indicator.id, period_row.id, level_row.id)
        )
        present = sum(v.value is not None for v in values)
        inputs.append(
            IndicatorInput(
                code=code,
                values=present,
                missing=len(values) - present,
                derived=derived,
                revisions=revisions,
                import_ids=imports,
                suppressed=sum(bool(v.suppressed) for v in values),
            )
        )
    frame = pd.DataFrame(columns, dtype=float)
    frame.index = frame.index.astype(str)
    frame = frame.sort_index()
    empty = frame.isna().all(axis=1)
    without = sorted(frame.index[empty].tolist())
    frame = frame.loc[~empty].rename_axis(ID_COLUMN).reset_index()
    return IndexInput(
        frame=frame,
        names={k: names.get(k) for k in frame[ID_COLUMN]},
        provenance=InputProvenance(
            city=city_row.slug,
            level=level_row.code,
            period=period_row.code,
            population_indicator=population_indicator,
            indicators=inputs,
            areas=len(frame),
            areas_without_data=without,
            suppressed_areas=sorted(suppressed),
        ),
        population_column=population_indicator,
    )
