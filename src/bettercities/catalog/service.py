"""Catalogue operations: add and update datasets from specs, read them back, list them with filters."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import yaml
from pydantic import ValidationError
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.catalog.models import Dataset, DatasetIndicator, Distribution
from bettercities.catalog.schemas import (
    CADENCE_MONTHS,
    LOCKED_STATES,
    DatasetFilter,
    DatasetOut,
    DatasetSpec,
    DistributionSpec,
    State,
)
from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.core.problems import Report
from bettercities.indicators.models import Indicator

_SPEC_FIELDS = tuple(
    f for f in DatasetSpec.model_fields if f not in {"keywords", "indicators", "distributions"}
)


def load_specs(path: Path | str) -> list[DatasetSpec]:
    """Dataset specs from a YAML file: a list of datasets, or a mapping with a ``datasets`` list.

    Every invalid field is reported (:class:`InvalidInput` with a report, file and entry as row).
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InvalidInput(f"{path.name}: cannot read catalogue YAML: {error}") from error
    entries = raw.get("datasets") if isinstance(raw, dict) else raw
    if not isinstance(entries, list):
        raise InvalidInput(f"{path.name}: expected a list of datasets or a 'datasets:' list")
    specs: list[DatasetSpec] = []
    report = Report()
    for number, entry in enumerate(entries, start=1):
        try:
            specs.append(DatasetSpec.model_validate(entry))
        except ValidationError as error:
            invalid = Report.from_validation_error(error, code="invalid-dataset", file=path.name, row=number)
            report.extend(invalid.problems)
    if not report.ok:
        raise InvalidInput(f"{path.name}: {len(report.problems)} invalid fields; nothing added", report)
    return specs


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    last = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return date(year, month, min(day.day, last))


def next_due(spec: DatasetSpec) -> date | None:
    """The given due date, else the last update plus the cadence of the frequency."""
    if spec.next_due is not None:
        return spec.next_due
    months = CADENCE_MONTHS[spec.frequency]
    if spec.last_updated is None or months is None:
        return None
    return add_months(spec.last_updated, months)


def add_dataset(session: Session, city: City, spec: DatasetSpec) -> Dataset:
    """Add ``spec`` to ``city``'s catalogue, or update the dataset of that code (a new draft stays a draft).

    Raises :class:`NotFound` for an unregistered indicator and :class:`Conflict` when the dataset is locked
    (approved or published): unlock it first.
    """
    ids = _indicator_ids(session, spec.indicators)
    dataset = session.scalar(select(Dataset).where(Dataset.city_id == city.id, Dataset.code == spec.code))
    if dataset is None:
        dataset = Dataset(city_id=city.id, code=spec.code, state=State.DRAFT.value)
        session.add(dataset)
    elif dataset.state in LOCKED_STATES:
        raise Conflict(
            f"dataset '{spec.code}' is {dataset.state}: its metadata and data are locked; unlock it first"
        )
    for name in _SPEC_FIELDS:
        value = getattr(spec, name)
        setattr(dataset, name, value.value if hasattr(value, "value") else value)
    dataset.keywords = ", ".join(spec.keywords) or None
    dataset.next_due = next_due(spec)
    dataset.modified_at = datetime.now(UTC)
    dataset.distributions = [
        Distribution(title=d.title, format=d.format, access_url=d.access_url, media_type=d.media_type)
        for d in spec.distributions
    ]
    session.flush()
    session.execute(delete(DatasetIndicator).where(DatasetIndicator.dataset_id == dataset.id))
    session.add_all(DatasetIndicator(dataset_id=dataset.id, indicator_id=i) for i in ids)
    session.flush()
    return dataset


def _indicator_ids(session: Session, codes: list[str]) -> list[int]:
    found = dict(session.execute(select(Indicator.code, Indicator.id).where(Indicator.code.in_(codes))).all())
    missing = [c for c in codes if c not in found]
    if missing:
        raise NotFound("indicator", ", ".join(missing))
    return [found[c] for c in dict.fromkeys(codes)]


def get_dataset(session: Session, city: City, code: str) -> Dataset:
    dataset = session.scalar(select(Dataset).where(Dataset.city_id == city.id, Dataset.code == code))
    if dataset is None:
        raise NotFound("dataset", f"{city.slug}/{code}")
    return dataset


def indicator_codes(session: Session, dataset_ids: list[int]) -> dict[int, list[str]]:
    """Codes of the indicators linked to each dataset, sorted."""
    rows = session.execute(
        select(DatasetIndicator.dataset_id, Indicator.code)
        .join(Indicator, Indicator.id == DatasetIndicator.indicator_id)
        .where(DatasetIndicator.dataset_id.in_(dataset_ids))
        .order_by(Indicator.code)
    ).all()
    codes: dict[int, list[str]] = defaultdict(list)
    for dataset_id, code in rows:
        codes[dataset_id].append(code)
    return codes


def dataset_out(
    dataset: Dataset, city: City, indicators: list[str], *, today: date | None = None
) -> DatasetOut:
    today = today or date.today()
    fields = {name: getattr(dataset, name) for name in _SPEC_FIELDS}
    return DatasetOut(
        **fields,
        keywords=[k.strip() for k in (dataset.keywords or "").split(",") if k.strip()],
        indicators=indicators,
        distributions=[
            DistributionSpec(title=d.title, format=d.format, access_url=d.access_url, media_type=d.media_type)
            for d in dataset.distributions
        ],
        city=city.slug,
        state=State(dataset.state),
        locked=dataset.state in LOCKED_STATES,
        overdue=dataset.next_due is not None and dataset.next_due < today,
        created_at=dataset.created_at,
        modified_at=dataset.modified_at,
    )


def list_datasets(
    session: Session, city: City, filters: DatasetFilter | None = None, *, today: date | None = None
) -> list[DatasetOut]:
    """``city``'s datasets that pass ``filters``, by code."""
    filters = filters or DatasetFilter()
    query = select(Dataset).where(Dataset.city_id == city.id).order_by(Dataset.code)
    if filters.q:
        for word in filters.q.split():
            like = f"%{word.lower()}%"
            query = query.where(
                or_(
                    *(
                        getattr(Dataset, c).ilike(like)
                        for c in (
                            "code",
                            "title_de",
                            "title_en",
                            "description_de",
                            "description_en",
                            "keywords",
                        )
                    )
                )
            )
    for name in ("theme", "state", "access_rights", "frequency"):
        value = getattr(filters, name)
        if value is not None:
            query = query.where(getattr(Dataset, name) == value.value)
    if filters.public_only:
        query = query.where(Dataset.state == State.PUBLISHED.value, Dataset.access_rights == "PUBLIC")
    datasets = session.scalars(query).all()
    codes = indicator_codes(session, [d.id for d in datasets])
    return [dataset_out(d, city, codes.get(d.id, []), today=today) for d in datasets]


def show_dataset(session: Session, slug: str, code: str) -> DatasetOut:
    city = areas.get_city(session, slug)
    dataset = get_dataset(session, city, code)
    return dataset_out(dataset, city, indicator_codes(session, [dataset.id]).get(dataset.id, []))
