"""Tables of the analysis domain: stored index runs (derived data with provenance) and their areas."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bettercities.storage.base import Base, utcnow


class IndexRun(Base):
    """One computed index of a city, level and period, with its full configuration and input provenance."""

    __tablename__ = "index_run"
    __table_args__ = (Index("ix_index_run_city_period", "city_id", "period_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(60))
    config: Mapped[str] = mapped_column(Text, doc="JSON of the configuration used.")
    level_code: Mapped[str] = mapped_column(String(60))
    period_code: Mapped[str] = mapped_column(String(20))
    inputs: Mapped[str] = mapped_column(Text, doc="JSON of the input provenance (revisions, import batches).")
    summary: Mapped[str] = mapped_column(Text, doc="JSON of class counts, breaks, columns and the report.")
    version: Mapped[str] = mapped_column(String(40), doc="bettercities version that computed the run.")
    user: Mapped[str | None] = mapped_column(String(200))
    areas: Mapped[int] = mapped_column(Integer, default=0)
    scored: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IndexRunArea(Base):
    """The index values and classes of one area in one run (MSS: status + dynamics; composite: one index)."""

    __tablename__ = "index_run_area"
    __table_args__ = (Index("ix_index_run_area_run", "run_id", "area_code", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("index_run.id", ondelete="CASCADE"))
    area_code: Mapped[str] = mapped_column(String(60))
    scored: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    population: Mapped[float | None] = mapped_column(Float)
    index_value: Mapped[float | None] = mapped_column(Float, doc="Status index (MSS) or the index.")
    class_code: Mapped[str | None] = mapped_column(String(20), doc="Status class (MSS) or the class.")
    second_value: Mapped[float | None] = mapped_column(Float, doc="Dynamics index (MSS).")
    second_class: Mapped[str | None] = mapped_column(String(20), doc="Dynamics class (MSS).")
    combined_class: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text, doc="JSON of the full area score (labels, components).")
