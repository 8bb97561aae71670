"""Tables of data quality: validation rules, outlier flags and their follow-up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bettercities.storage.base import Base, utcnow


class QualityRule(Base):
    """A declarative validation rule of a city: ``left operator right`` with a missing-value strategy."""

    __tablename__ = "quality_rule"
    __table_args__ = (UniqueConstraint("city_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(300), default="")
    left: Mapped[str] = mapped_column(Text)
    operator: Mapped[str] = mapped_column(String(12))
    right: Mapped[str] = mapped_column(Text)
    missing: Mapped[str] = mapped_column(String(12), default="skip", doc="skip, zero or fail")
    severity: Mapped[str] = mapped_column(String(12), default="warning")
    level: Mapped[str | None] = mapped_column(
        String(60), doc="Spatial level the rule applies to (all if empty)."
    )
    tolerance: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutlierFlag(Base):
    """One implausible value found by a screening method, waiting for a steward's follow-up."""

    __tablename__ = "outlier_flag"
    __table_args__ = (
        UniqueConstraint("observation_id", "method"),
        Index("ix_outlier_flag_city_status", "city_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"))
    observation_id: Mapped[int] = mapped_column(ForeignKey("observation.id", ondelete="CASCADE"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"))
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(20), doc="zscore, robust, band or jump")
    value: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float, doc="z, robust z, distance from the band or relative jump")
    lower: Mapped[float | None] = mapped_column(Float)
    upper: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text, default="")
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))
    source_row: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="open", doc="open, accepted, corrected")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(200))


class FlagEvent(Base):
    """A steward's action on a flag (accept, correct, comment), kept as an audit trail."""

    __tablename__ = "outlier_flag_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("outlier_flag.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(12))
    user: Mapped[str | None] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(Text, default="")
    old_value: Mapped[float | None] = mapped_column(Float)
    new_value: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
