"""Imports of areas and observations: read, validate everything, then write in one transaction.

The CLI, the web upload and tests call these functions; none of them re-implements a step.
Nothing is written when any error is found (:class:`InvalidInput` carries the report), and an
import that changes nothing writes nothing, not even a batch.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import Area, City, SpatialLevel
from bettercities.areas.schemas import LevelSpec
from bettercities.core.arrays import distinct
from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.core.memory import small_pages
from bettercities.core.problems import Problem, Report
from bettercities.indicators import service as indicators
from bettercities.indicators import writes
from bettercities.indicators.models import ImportBatch, Indicator
from bettercities.indicators.periods import PeriodError, PeriodSpec, parse_period
from bettercities.indicators.schemas import AreaValue
from bettercities.ingest import geo, readers, revisions
from bettercities.ingest.checksums import FileChecksum, file_sha256
from bettercities.ingest.features import area_specs, in_file_order, relocate
from bettercities.ingest.layouts import to_long
from bettercities.ingest.schemas import (
    AreaImportOptions,
    AreaImportResult,
    ImportResult,
    Layout,
    ObservationImportOptions,
    ObservationRevision,
)
from bettercities.ingest.validation import IndicatorRule, validate
from bettercities.publication import Audience, publish_values
from bettercities.quality import data as quality_data
from bettercities.quality import outliers
from bettercities.quality import rules as quality
from bettercities.storage import bulk_load
from bettercities.storage.database import Database

Progress = revisions.Progress


def _errors(report: Report) -> str:
    count = len(report.errors) + report.truncated
    return f"{count} error{'' if count == 1 else 's'}"


def current_user() -> str | None:
    """The operating-system user running the import, when the system knows one."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def _batch(
    session: Session, city: City, kind: str, file_name: str, sha256: str, user: str | None, options: Any
) -> ImportBatch:
    batch = ImportBatch(
        city_id=city.id,
        kind=kind,
        file_name=file_name[:500],
        file_sha256=sha256,
        user=user,
        options=options.model_dump_json(exclude_defaults=True),
    )
    session.add(batch)
    session.flush()
    return batch


# -- observations ------------------------------------------------------------------------------------------


def _check_periods(options: ObservationImportOptions, name: str) -> None:
    """Periods given as options (not cells) must parse before a file is read."""
    given = [("--period", options.period)] if options.period else []
    given += [(f"--map {source}", target.partition("@")[2]) for source, target in options.mapping.items()]
    problems = []
    for option, text in given:
        if not text:
            continue
        try:
            parse_period(text)
        except PeriodError as error:
            problems.append(
                Problem(code="invalid-period", message=f"{option}: {error}", file=name, value=text)
            )
    if problems:
        raise InvalidInput(f"{name}: invalid period option", Report(source=name, problems=problems))


def _area_lookup(session: Session, level: SpatialLevel) -> Any:
    """Map a period to ``{area code: id}`` of the level's areas valid at the period's end."""
    rows = session.execute(
        select(Area.code, Area.id, Area.valid_from, Area.valid_to).where(Area.level_id == level.id)
    ).all()
    unbounded = all(r.valid_from is None and r.valid_to is None for r in rows)
    everything = {r.code: r.id for r in rows}

    @cache
    def at(day: date) -> Mapping[str, int]:
        return {r.code: r.id for r in rows if areas.valid_on(r, day)}

    def lookup(spec: PeriodSpec) -> Mapping[str, int]:
        return everything if unbounded else at(spec.end_date)

    return lookup


def _rules(session: Session) -> dict[str, IndicatorRule]:
    return {
        i.code: IndicatorRule(
            id=i.id,
            code=i.code,
            kind=i.kind,
            factor=i.factor,
            min_value=i.min_value,
            max_value=i.max_value,
            decimals=i.decimals,
        )
        for i in session.scalars(select(Indicator)).all()
    }


def import_observations(
    db: Database,
    city_slug: str,
    path: Path | str,
    options: ObservationImportOptions,
    *,
    user: str | None = None,
    file_name: str | None = None,
    dry_run: bool = False,
    screen_outliers: bool = True,
    progress: Progress | None = None,
) -> ImportResult:
    """Import observations of ``city_slug``'s areas of ``options.level`` from a CSV or Excel file.

    Every cell is validated first; any error raises :class:`InvalidInput` with the full report
    and leaves the database unchanged. Observations identical to the current revision are not
    written; changed ones become a new revision. With ``dry_run`` nothing is written.
    After the write, the imported values are screened for outliers against their stored history and
    new flags join the follow-up queue (``screen_outliers=False`` leaves that to a later
    :func:`bettercities.quality.outliers.screen_and_queue`, e.g. for a bulk load).
    ``progress(done, total)`` is called while rows are written.
    The import is one transaction of its own; :func:`import_observations_in` is the same import in a
    caller's session (several files in one transaction).
    """
    with db.session() as session:
        result = import_observations_in(
            db,
            session,
            city_slug,
            path,
            options,
            user=user,
            file_name=file_name,
            dry_run=dry_run,
            screen_outliers=screen_outliers,
            progress=progress,
        )
        if result.batch_id is None:  # a dry run, or nothing to write
            session.rollback()  # periods created for the comparison are not kept
        return result


@small_pages()  # arrays written once and read once: no huge pages (bettercities.core.memory)
def import_observations_in(
    db: Database,
    session: Session,
    city_slug: str,
    path: Path | str,
    options: ObservationImportOptions,
    *,
    user: str | None = None,
    file_name: str | None = None,
    dry_run: bool = False,
    screen_outliers: bool = True,
    progress: Progress | None = None,
) -> ImportResult:
    """:func:`import_observations` in the caller's ``session``, which it neither commits nor rolls back.

    The caller owns the transaction: on :class:`InvalidInput` (raised before anything but the periods of
    the file is written) it must roll back; after a dry run, or an import with nothing to write
    (``batch_id`` ``None``), the session holds at most the periods created for the comparison, which the
    caller rolls back or keeps. Every file imported in one session is validated against the state the
    earlier ones left.
    """
    path = Path(path)
    name = file_name or path.name
    _check_periods(options, name)
    with FileChecksum(path) as checksum:  # hashed on a spare core while the file is parsed
        table = readers.read_table(path, options, name=name)
        long = to_long(table, options)
        sha256 = checksum.hexdigest()

    city = areas.get_city(session, city_slug)
    spatial_level = areas.get_level(session, city, options.level)
    validated = validate(
        long,
        indicators=_rules(session),
        areas=_area_lookup(session, spatial_level),
        level=options.level,
        na_values=options.na_values,
        pad_ids=options.pad_ids,
    )
    report = validated.report
    if not report.ok:
        hint = f" ({validated.hint})" if validated.hint else ""
        raise InvalidInput(f"{name}: {_errors(report)}{hint}; nothing imported", report)
    writes.check_write(  # locked data, the indicators' rules: the check of every observation write
        session,
        city.id,
        validated.indicator_id,
        validated.value,
        present=~np.isnan(validated.value),  # NaN here: a cell without a value (suppressed)
        source=name,
    )
    period_ids = _period_ids(session, validated.periods)
    at = _at(name, options)
    report.extend(quality.check_import(session, city, spatial_level, validated, period_ids, **at))
    if not report.ok:  # an 'error' rule refuses the import (issue 5)
        raise InvalidInput(f"{name}: {_errors(report)}; nothing imported", report)
    current = revisions.current_frame(
        session,
        spatial_level.id,
        distinct(validated.indicator_id).tolist(),
        np.unique(period_ids).tolist(),
    )
    plan = revisions.plan(validated, period_ids, current)
    result = ImportResult(
        batch_id=None,
        file=name,
        sha256=sha256,
        rows=long.data_rows,
        observations=len(validated),
        inserted=plan.inserted,
        revised=plan.revised,
        unchanged=plan.unchanged,
        empty=validated.empty,
        indicators=validated.indicators,
        periods=sorted(p.code for p in validated.periods),
        dry_run=dry_run,
        report=report,
    )
    if dry_run or not len(plan.positions):
        return result
    # The screening's view after the import: the stored series (read before writing, so nothing
    # just written is read back) with the file's values laid over.
    screened = _screened(validated, period_ids, spatial_level)
    history = (
        quality_data.observations_frame(
            session, city, indicator_ids=screened["indicator_ids"], level_ids=screened["level_ids"]
        )
        if screen_outliers
        else None
    )
    batch = _batch(session, city, "observations", name, sha256, user or current_user(), options)
    try:
        revisions.write(db, session, validated, period_ids, plan, import_id=batch.id, progress=progress)
        batch.rows = long.data_rows
        batch.inserted, batch.revised, batch.unchanged = plan.inserted, plan.revised, plan.unchanged
        batch.finished_at = datetime.now(UTC)
        session.flush()
        if history is not None:
            incoming = quality_data.incoming_frame(session, spatial_level, validated, period_ids, file=name)
            after = quality_data.overlay(history, incoming)
            report.extend(outliers.screen_and_queue(session, city, frame=after, **screened))
    except IntegrityError as error:
        raise Conflict(
            f"{name}: another import changed the same observations at the same time; try again"
        ) from error
    except bulk_load.MissingReferences as missing:  # deleted since they were looked up
        gone = _gone(missing, validated, long, name)
        if not gone.problems:
            raise Conflict(f"{name}: {missing}; try again") from missing
        raise InvalidInput(f"{name}: {_errors(gone)}; nothing imported", gone) from missing
    return result.model_copy(update={"batch_id": batch.id})


#: Problem code and what a missing id of each observation column is, when a set-wise check finds one.
_GONE = {"area_id": ("unknown-area", "area"), "indicator_id": ("unknown-indicator", "indicator")}


def _gone(missing: bulk_load.MissingReferences, validated: Any, long: Any, name: str) -> Report:
    """Row-numbered problems for areas or indicators that no longer exist when the rows are written."""
    report = Report(source=name)
    for column, ids in missing.missing.items():
        if column not in _GONE:
            continue
        code, what = _GONE[column]
        file_column = long.area_column if column == "area_id" else long.indicator_column
        for position in np.flatnonzero(np.isin(getattr(validated, column), ids)):
            report.add(
                Problem(
                    code=code,
                    message=f"the {what} (id {int(getattr(validated, column)[position])}) was deleted "
                    "while the file was imported",
                    file=name,
                    row=int(validated.rows[position]),
                    column=file_column,
                )
            )
    return report


def _at(name: str, options: ObservationImportOptions) -> dict[str, Any]:
    """Where rule problems point: the file and the column an indicator's values came from."""
    sources = {target.partition("@")[0]: source for source, target in options.mapping.items()}
    value_column = options.value_column

    def column_of(code: str) -> str:
        return value_column if options.layout == Layout.LONG else sources.get(code, code)

    return {"file": name, "column_of": column_of}


def _screened(validated: Any, period_ids: np.ndarray, level: SpatialLevel) -> dict[str, Any]:
    """Outlier screening after an import: its indicators and periods on its level (issue 5)."""
    return {
        "indicator_ids": distinct(validated.indicator_id).tolist(),
        "period_ids": np.unique(period_ids).tolist(),
        "level_ids": [level.id],
    }


def _period_ids(session: Session, periods: list[PeriodSpec]) -> np.ndarray:
    ids = indicators.ensure_periods(session, periods)
    return np.array([ids[p.code] for p in periods], dtype=np.int64)


def observation_revisions(
    session: Session,
    city_slug: str,
    area_code: str,
    indicator_code: str,
    period_code: str,
    *,
    level: str | None = None,
    audience: Audience = Audience.INTERNAL,
) -> list[ObservationRevision]:
    """Every stored revision of one observation, newest first, with the file it came from."""
    city = areas.get_city(session, city_slug)
    spatial_level = areas.get_level(session, city, level) if level else None
    area = areas.get_area(session, city, area_code, level=spatial_level)
    indicator = indicators.get_indicator(session, indicator_code)
    period = indicators.get_period(session, period_code)
    history = indicators.observation_history(session, area, indicator, period)
    batch_ids = [o.import_id for o in history if o.import_id is not None]
    files: dict[int, str] = {
        row.id: row.file_name
        for row in session.execute(
            select(ImportBatch.id, ImportBatch.file_name).where(ImportBatch.id.in_(batch_ids))
        )
    }
    # Every output passes the publication step, revisions too.
    published = publish_values(
        [
            AreaValue(
                area_code=area.code,
                area_name=area.name,
                value=o.value,
                numerator=o.numerator,
                denominator=o.denominator,
                provisional=o.provisional,
                estimated=o.estimated,
                suppressed=o.suppressed,
                revision=o.revision,
            )
            for o in history
        ],
        audience=audience,
    )
    return [
        ObservationRevision(
            revision=o.revision,
            is_current=o.is_current,
            value=v.value,
            numerator=v.numerator,
            denominator=v.denominator,
            provisional=o.provisional,
            estimated=o.estimated,
            suppressed=o.suppressed,
            import_id=o.import_id,
            file_name=files.get(o.import_id) if o.import_id is not None else None,
            source_row=o.source_row,
            created_at=o.created_at.isoformat(),
        )
        for o, v in zip(history, published, strict=True)
    ]


def count_observations(db: Database, city_slug: str | None = None, *, current_only: bool = False) -> int:
    """Stored observations (all revisions unless ``current_only``), of one city or all."""
    with db.reader() as session:
        city = areas.get_city(session, city_slug) if city_slug else None
        return indicators.count_observations(session, city, current_only=current_only)


# -- areas -------------------------------------------------------------------------------------------------


def import_areas(
    db: Database,
    city_slug: str,
    path: Path | str,
    options: AreaImportOptions,
    *,
    user: str | None = None,
    file_name: str | None = None,
) -> AreaImportResult:
    """Import the areas of one level from GeoJSON, GeoPackage or Shapefile (reprojected to WGS84).

    The level is created when missing. Every problem (missing or duplicate id, invalid geometry,
    unknown parent …) is reported by feature number and column; on any error nothing is written.
    ``options.id_fixes`` replaces the ids of single features (feature number -> id), for known errors in
    files one cannot correct at the source; each replacement is reported and kept with the batch.
    """
    path = Path(path)
    name = file_name or path.name
    sha256 = file_sha256(path)
    features = geo.read_features(path, layer=options.layer, name=name)
    specs, rows, report = area_specs(features, options)
    with db.session() as session:
        city = areas.get_city(session, city_slug)
        spatial_level = _level(session, city, options)
        batch = _batch(session, city, "areas", name, sha256, user or current_user(), options)
        try:
            created, updated, found = areas.add_areas(
                session, city, spatial_level, specs, import_id=batch.id, source=name
            )
        except InvalidInput as error:
            found = error.report or Report(source=name)
            report.extend(relocate(found.problems, rows, options))
            in_file_order(report)
            raise InvalidInput(f"{name}: {_errors(report)}; nothing imported", report) from None
        report.extend(relocate(found.problems, rows, options))
        in_file_order(report)
        if not report.ok:
            raise InvalidInput(f"{name}: {_errors(report)}; nothing imported", report)
        batch.rows, batch.inserted, batch.revised = len(features), created, updated
        batch.finished_at = datetime.now(UTC)
        return AreaImportResult(
            batch_id=batch.id,
            file=name,
            sha256=sha256,
            level=spatial_level.code,
            features=len(features),
            created=created,
            updated=updated,
            crs=features.crs,
            reprojected=features.reprojected,
            report=report,
        )


def _level(session: Session, city: City, options: AreaImportOptions) -> SpatialLevel:
    try:
        return areas.get_level(session, city, options.level)
    except NotFound:
        label = options.level.replace("_", " ")
        return areas.ensure_level(
            session,
            city,
            LevelSpec(
                code=options.level,
                name_de=options.level_name_de or label,
                name_en=options.level_name_en or label,
                parent=options.parent_level,
            ),
        )


__all__ = [
    "count_observations",
    "current_user",
    "file_sha256",
    "import_areas",
    "import_observations",
    "import_observations_in",
    "observation_revisions",
]
