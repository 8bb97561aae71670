"""Reading and exporting the audit log: one page of entries (newest first), every entry (oldest first), and
the export formats (CSV, JSON Lines) behind a registry. Page, API and CLI read the log through these."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from bettercities.audit.models import AuditEntry
from bettercities.audit.schemas import AuditEntryOut, AuditFilter, AuditPage
from bettercities.core.errors import InvalidInput
from bettercities.core.registry import Registry

#: Columns of the CSV export, in order; ``before`` and ``after`` are JSON text.
COLUMNS = tuple(AuditEntryOut.model_fields)

Exporter = Callable[[Iterable[AuditEntryOut]], str]
_EXPORTERS: Registry[Exporter] = Registry("audit export format")


def _query(filters: AuditFilter) -> Select[Any]:
    query = select(AuditEntry)
    if filters.without_city:
        if filters.city_id is not None or filters.city:
            raise InvalidInput("choose either a city or the entries without a city, not both")
        query = query.where(AuditEntry.city_id.is_(None), AuditEntry.city.is_(None))
    if filters.city_id is not None:
        query = query.where(AuditEntry.city_id == filters.city_id)
    if filters.city:
        query = query.where(AuditEntry.city == filters.city)
    if filters.actor:
        query = query.where(AuditEntry.actor == filters.actor)
    if filters.entity:
        query = query.where(AuditEntry.entity == filters.entity)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.since is not None:
        query = query.where(AuditEntry.at >= _utc(filters.since))
    if filters.until is not None:
        query = query.where(AuditEntry.at < _utc(filters.until))
    return query


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _filters(filters: AuditFilter | None, **given: Any) -> AuditFilter:
    if filters is not None:
        return filters.model_copy(update={k: v for k, v in given.items() if v is not None})
    return AuditFilter(**given)


def list_entries(
    session: Session,
    *,
    city_id: int | None = None,
    city: str | None = None,
    actor: str | None = None,
    entity: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    filters: AuditFilter | None = None,
    page: int = 1,
    page_size: int = 50,
) -> AuditPage:
    """One page of entries that pass the filter (``filters`` and the keywords combine), newest first."""
    if page < 1 or page_size < 1:
        raise InvalidInput(f"page and page size start at 1 (got page {page}, page size {page_size})")
    wanted = _filters(
        filters,
        city_id=city_id,
        city=city,
        actor=actor,
        entity=entity,
        action=action,
        since=since,
        until=until,
    )
    query = _query(wanted)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return AuditPage(
        items=[AuditEntryOut.model_validate(row) for row in rows], page=page, page_size=page_size, total=total
    )


def entries(session: Session, filters: AuditFilter | None = None) -> Iterator[AuditEntryOut]:
    """Every entry that passes ``filters``, oldest first, read in batches."""
    query = _query(filters or AuditFilter()).order_by(AuditEntry.at, AuditEntry.id)
    for row in session.scalars(query.execution_options(yield_per=1000)):
        yield AuditEntryOut.model_validate(row)


def export(
    session: Session,
    *,
    city_id: int | None = None,
    city: str | None = None,
    actor: str | None = None,
    entity: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    filters: AuditFilter | None = None,
    fmt: str = "csv",
) -> str:
    """The entries that pass the filter, oldest first, as CSV (one header row) or JSON Lines."""
    exporter = _EXPORTERS.get(fmt)
    wanted = _filters(
        filters,
        city_id=city_id,
        city=city,
        actor=actor,
        entity=entity,
        action=action,
        since=since,
        until=until,
    )
    return exporter(entries(session, wanted))


def formats() -> list[str]:
    return _EXPORTERS.names()


@_EXPORTERS.register("csv")
def to_csv(rows: Iterable[AuditEntryOut]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        data = row.model_dump(mode="json")
        writer.writerow(_csv_cell(column, data[column]) for column in COLUMNS)
    return out.getvalue()


#: A text cell starting with one of these is a formula to a spreadsheet (CWE-1236): anyone can put text
#: into the log (the user name of a failed sign-in), so such cells are exported behind an apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(column: str, value: Any) -> Any:
    if column in ("before", "after"):
        return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


@_EXPORTERS.register("jsonl")
def to_jsonl(rows: Iterable[AuditEntryOut]) -> str:
    return "".join(row.model_dump_json() + "\n" for row in rows)


__all__ = ["COLUMNS", "entries", "export", "formats", "list_entries"]
