"""Tables of a programme's impact logic: its boxes (inputs, activities, outputs, outcomes, impact), the links
between boxes, the measures each box holds and the values entered for manual measures. Values of automatic
measures are never stored: they are computed from the data as of a date."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bettercities.storage.base import Base, utcnow


class LogicBox(Base):
    """One box of a programme's impact logic, in one of the five stages, with its text in German and
    English."""

    __tablename__ = "impact_logic_box"
    __table_args__ = (UniqueConstraint("programme_id", "key", name="uq_impact_logic_box_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    stage: Mapped[str] = mapped_column(String(20), doc="inputs, activities, outputs, outcomes or impact")
    position: Mapped[int] = mapped_column(Integer, default=0)
    title_de: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    text_de: Mapped[str | None] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LogicLink(Base):
    """An arrow from one box to a box of a later stage of the same programme's logic."""

    __tablename__ = "impact_logic_link"
    __table_args__ = (UniqueConstraint("from_box_id", "to_box_id", name="uq_impact_logic_link"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_box_id: Mapped[int] = mapped_column(
        ForeignKey("impact_logic_box.id", ondelete="CASCADE"), index=True
    )
    to_box_id: Mapped[int] = mapped_column(ForeignKey("impact_logic_box.id", ondelete="CASCADE"), index=True)


class LogicMeasure(Base):
    """A measure of a box: automatic (``code`` names a computation of
    :mod:`bettercities.impact_logic.measures`) or manual (``code`` empty; its values are entered)."""

    __tablename__ = "impact_logic_measure"
    __table_args__ = (UniqueConstraint("programme_id", "key", name="uq_impact_logic_measure_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    box_id: Mapped[int] = mapped_column(ForeignKey("impact_logic_box.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    code: Mapped[str | None] = mapped_column(String(80), doc="An automatic measure's code; empty: manual.")
    position: Mapped[int] = mapped_column(Integer, default=0)
    label_de: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))
    unit_de: Mapped[str | None] = mapped_column(String(60))
    unit_en: Mapped[str | None] = mapped_column(String(60))
    target: Mapped[float | None] = mapped_column(Float)
    target_date: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LogicValue(Base):
    """A value of a manual measure on a day, with its source, as someone entered it."""

    __tablename__ = "impact_logic_value"
    __table_args__ = (UniqueConstraint("measure_id", "day", name="uq_impact_logic_value_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(
        ForeignKey("impact_logic_measure.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(500))
    recorded_by: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
