"""Tables of the guide builder: a stored guide (what to compile for a programme) and the practices and events
it selects, each in one of the four chapters. The tables are created by the hub's migration 0143."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bettercities.storage.base import Base, utcnow


class Guide(Base):
    """A guide of a programme: its title, the chapters' introductions and the survey it reports."""

    __tablename__ = "guide"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    title_de: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    intros: Mapped[str] = mapped_column(Text, default="{}", doc="JSON {chapter: {de: text, en: text}}.")
    survey_slug: Mapped[str | None] = mapped_column(String(80), doc="The survey whose results it reports.")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class GuidePractice(Base):
    """A practice selected for a chapter of a guide, in order."""

    __tablename__ = "guide_practice"
    __table_args__ = (UniqueConstraint("guide_id", "practice_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guide_id: Mapped[int] = mapped_column(ForeignKey("guide.id", ondelete="CASCADE"), index=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("hub_practice.id", ondelete="CASCADE"), index=True)
    chapter: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)


class GuideEvent(Base):
    """An event whose recommendations a chapter of a guide carries, in order."""

    __tablename__ = "guide_event"
    __table_args__ = (UniqueConstraint("guide_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guide_id: Mapped[int] = mapped_column(ForeignKey("guide.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("hub_event.id", ondelete="CASCADE"), index=True)
    chapter: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)
