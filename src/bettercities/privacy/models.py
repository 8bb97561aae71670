"""Tables of the privacy domain: protection rules, declared relations between quantities, cell-key secrets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bettercities.storage.base import Base, utcnow


class ProtectionRule(Base):
    """How a city protects an indicator, a catalogue dataset's indicators, or (both null) everything else."""

    __tablename__ = "privacy_rule"
    __table_args__ = (
        UniqueConstraint("city_id", "indicator_id", "dataset_id", name="uq_privacy_rule_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_dataset.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(20), doc="suppression, cell_key or none")
    threshold: Mapped[int] = mapped_column(Integer, default=3, doc="Counts 1..threshold-1 are sensitive.")
    zeros: Mapped[bool] = mapped_column(Boolean, default=False, doc="Whether a count of 0 is sensitive.")
    interval_percent: Mapped[float] = mapped_column(Float, default=0.0)
    dominance_n: Mapped[int | None] = mapped_column(Integer)
    dominance_k: Mapped[float | None] = mapped_column(Float)
    p_percent: Mapped[float | None] = mapped_column(Float)
    max_deviation: Mapped[int] = mapped_column(Integer, default=2)
    variance: Mapped[float] = mapped_column(Float, default=1.0)
    js: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QuantityRelation(Base):
    """A declared additive relation in a city: a total quantity is the sum of its parts, area by area."""

    __tablename__ = "privacy_relation"
    __table_args__ = (UniqueConstraint("city_id", "total_code", "parts", name="uq_privacy_relation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    total_code: Mapped[str] = mapped_column(String(80))
    parts: Mapped[str] = mapped_column(
        String(1000), doc="Quantity codes of the parts, sorted, comma-separated."
    )
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProtectionKey(Base):
    """A city's secret for the cell keys of the cell-key method (never shown; the audit log redacts it)."""

    __tablename__ = "privacy_key"

    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
