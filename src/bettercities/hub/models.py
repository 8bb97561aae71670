"""Tables of the hub: practices with their linked indicators and goals, and events. The full-text index
(``hub_search``) is no model: the migration creates it per backend (an FTS5 table on SQLite, a tsvector table
on PostgreSQL) with triggers that keep it in step with these tables (:mod:`bettercities.hub.search`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bettercities.storage.base import Base, utcnow
from bettercities.storage.versioning import BOOKKEEPING_TABLES, DERIVED_TABLES

#: The full-text index and, on SQLite, FTS5's shadow tables: derived from the practices and events by the
#: database's triggers (their writes are the audited writes of those rows), never written by the application.
SEARCH_TABLES = frozenset(
    {"hub_search", *(f"hub_search_{part}" for part in ("data", "idx", "content", "docsize", "config"))}
)
BOOKKEEPING_TABLES.update(SEARCH_TABLES)
DERIVED_TABLES.update(SEARCH_TABLES)


class Practice(Base):
    """A practice of a city (in a network or programme): what was done and what came of it."""

    __tablename__ = "hub_practice"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2), doc="de or en: the language of the texts (search).")
    city_id: Mapped[int | None] = mapped_column(ForeignKey("city.id", ondelete="SET NULL"), index=True)
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id", ondelete="SET NULL"), index=True)
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme.id", ondelete="SET NULL"), index=True
    )
    theme: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, doc="What was done.")
    results: Mapped[str | None] = mapped_column(Text)
    documents: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list of {title, url}.")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PracticeIndicator(Base):
    """An indicator a practice is linked to (what it moved or watched)."""

    __tablename__ = "hub_practice_indicator"
    __table_args__ = (UniqueConstraint("practice_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("hub_practice.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"), index=True)


class PracticeGoal(Base):
    """A goal of the practice's city that the practice serves."""

    __tablename__ = "hub_practice_goal"
    __table_args__ = (UniqueConstraint("practice_id", "goal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("hub_practice.id", ondelete="CASCADE"), index=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"), index=True)


class Event(Base):
    """An event of a programme or network (a webinar, a workshop): topic, speakers, recording, outcomes and
    recommendations."""

    __tablename__ = "hub_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), doc="webinar, workshop, conference or visit")
    language: Mapped[str] = mapped_column(String(2))
    held_on: Mapped[date] = mapped_column(Date)
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id", ondelete="SET NULL"), index=True)
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme.id", ondelete="SET NULL"), index=True
    )
    theme: Mapped[str | None] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(Text)
    speakers: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list of speakers (names or roles).")
    recording_url: Mapped[str | None] = mapped_column(String(500))
    outcomes: Mapped[str | None] = mapped_column(Text)
    recommendations: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list of recommendations.")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
