"""Tables of priority areas: named sets of areas chosen by a rule, kept for later goals and evaluations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bettercities.storage.base import Base, utcnow


class PrioritySet(Base):
    """A named set of priority areas of a city, with the rule that chose them and when."""

    __tablename__ = "priority_set"
    __table_args__ = (UniqueConstraint("city_id", "name", name="uq_priority_set_city_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    rule: Mapped[str] = mapped_column(Text, doc="JSON of the rule that chose the areas.")
    level_code: Mapped[str] = mapped_column(String(60))
    period_code: Mapped[str | None] = mapped_column(String(20))
    user: Mapped[str | None] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(
        String(20),
        default="public",
        server_default="public",
        doc="The publication audience the rule was evaluated for: who may see the set's membership.",
    )
    runs: Mapped[str | None] = mapped_column(Text, doc="JSON list of the stored index runs the rule read.")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PrioritySetArea(Base):
    """One area of a priority set and why it was chosen."""

    __tablename__ = "priority_set_area"
    __table_args__ = (Index("ix_priority_set_area_set", "set_id", "area_code", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("priority_set.id", ondelete="CASCADE"))
    area_code: Mapped[str] = mapped_column(String(60))
    reasons: Mapped[str | None] = mapped_column(Text, doc="JSON list of the conditions the area met.")
