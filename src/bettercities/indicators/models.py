"""Tables of the indicators domain: indicators, periods, observations and the imports they come from."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bettercities.storage.base import Base, utcnow


class Indicator(Base):
    """A registered indicator: what is measured, how, and which direction is better."""

    __tablename__ = "indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name_de: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    description_de: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(60), default="")
    polarity: Mapped[str] = mapped_column(String(20), default="neutral")
    kind: Mapped[str] = mapped_column(String(20), default="value", doc="count, share, ratio or value")
    numerator_code: Mapped[str | None] = mapped_column(String(80))
    denominator_code: Mapped[str | None] = mapped_column(String(80))
    factor: Mapped[float] = mapped_column(Float, default=1.0)
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    aggregation: Mapped[str] = mapped_column(String(20), default="weighted_mean")
    weight_code: Mapped[str | None] = mapped_column(
        String(80), doc="Indicator whose values weight shares when aggregating (default: inhabitants)."
    )
    theme: Mapped[str | None] = mapped_column(String(80))
    source_dataset: Mapped[str | None] = mapped_column(String(300))
    decimals: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Period(Base):
    """A reference period: year, half-year, quarter, month or reference date."""

    __tablename__ = "period"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(
        String(20), unique=True, doc="2020, 2020-H1, 2020-Q3, 2020-07, 2020-12-31"
    )
    kind: Mapped[str] = mapped_column(String(12))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date, doc="Last day of the period (inclusive).")


class ImportBatch(Base):
    """Provenance of one import: which file, by whom, when, with what result."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int | None] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), doc="areas or observations")
    file_name: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64))
    user: Mapped[str | None] = mapped_column(String(200))
    options: Mapped[str | None] = mapped_column(Text, doc="JSON of the column mapping and options used.")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    revised: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Observation(Base):
    """One value of an indicator for an area and period, in one revision."""

    __tablename__ = "observation"
    __table_args__ = (
        # (indicator, period) first: the key also serves reads of an indicator's values in one period
        UniqueConstraint(
            "indicator_id", "period_id", "area_id", "revision", name="uq_observation_key_revision"
        ),
        # an area's values (all indicators) and one indicator's series of given areas (is_current is
        # filtered from the rows: an area holds few of them)
        Index("ix_observation_area", "area_id", "indicator_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"))
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id", ondelete="CASCADE"))
    value: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    # no index: nothing looks observations up by their batch but the diff of two imports, which reads its
    # whole scope anyway (migration 0012)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))
    source_row: Mapped[int | None] = mapped_column(Integer, doc="Row of the source file (header = 1).")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    indicator: Mapped[Indicator] = relationship()
    period: Mapped[Period] = relationship()
