"""Tables of the tandems domain, keyed by the tandem's ``network`` row: where it came from (the selected
applications), its stages, activities, documents, outputs and links to its cities' goals."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bettercities.calls import models as _calls  # noqa: F401  (tandem_application refers to call_application)
from bettercities.goals import models as _goals  # noqa: F401  (tandem_goal_link refers to goal)
from bettercities.storage.base import Base, utcnow


class TandemApplication(Base):
    """A selected application a tandem was formed from."""

    __tablename__ = "tandem_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("call_application.id", ondelete="CASCADE"), unique=True
    )


class TandemStage(Base):
    """A stage of a tandem's lifecycle, from the day it began (the latest begun is the current one)."""

    __tablename__ = "tandem_stage"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    started_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TandemActivity(Base):
    """An activity of a tandem (kick-off, visit, workshop …) with its dates and participants."""

    __tablename__ = "tandem_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(200))
    participants: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list of who took part.")
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TandemDocument(Base):
    """A document of a tandem: a title and a link or the reference of an uploaded file."""

    __tablename__ = "tandem_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    file_ref: Mapped[str | None] = mapped_column(String(500))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TandemOutput(Base):
    """An output of a tandem (an action plan …) with its status and the days it was drafted and adopted."""

    __tablename__ = "tandem_output"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    city_id: Mapped[int | None] = mapped_column(ForeignKey("city.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    drafted_on: Mapped[date] = mapped_column(Date)
    adopted_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TandemGoalLink(Base):
    """A goal of a member city that the tandem's work serves (an output's, when named)."""

    __tablename__ = "tandem_goal_link"
    __table_args__ = (UniqueConstraint("network_id", "goal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"), index=True)
    output_id: Mapped[int | None] = mapped_column(ForeignKey("tandem_output.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
