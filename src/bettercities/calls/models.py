"""Tables of the calls domain: calls for participation of a programme, applications of municipalities with
their status history, and the panel's scores (issue 16). The contacts who speak for a municipality are the
accounts domain's tables (``municipal_contact``), created by the same migration 0141.

Lists (themes, eligible countries …), the application form and the scoring criteria are JSON text: they are
read and written whole with their call.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bettercities.access import models as _access  # noqa: F401  (municipal_contact, app_user)
from bettercities.networks import models as _networks  # noqa: F401  (call refers to programme)
from bettercities.storage.base import Base, utcnow


class Call(Base):
    """A call for participation of a programme: themes, window (aware, with its IANA time zone),
    eligibility rules, application form, scoring criteria and how reviewers' scores are combined."""

    __tablename__ = "call"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    title_de: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    themes: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list of theme names.")
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), doc="Stored as UTC.")
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), doc="Stored as UTC; exclusive.")
    time_zone: Mapped[str] = mapped_column(String(64), doc="IANA name the window was given in.")
    countries: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list; empty: any country.")
    size_classes: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list; empty: any size.")
    body_types: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list; empty: any body.")
    form: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list of the application form's fields.")
    criteria: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list of scoring criteria.")
    combination: Mapped[str] = mapped_column(String(20), default="mean", doc="mean or median")
    state: Mapped[str] = mapped_column(String(20), default="draft", doc="draft, open or closed")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Application(Base):
    """A municipality's application to a call (one per city and call); ``status`` is its latest
    :class:`ApplicationStatus`."""

    __tablename__ = "call_application"
    __table_args__ = (UniqueConstraint("call_id", "city_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    body_type: Mapped[str] = mapped_column(String(40))
    theme: Mapped[str | None] = mapped_column(String(200))
    answers: Mapped[str] = mapped_column(Text, default="{}", doc="JSON object: form field code -> answer.")
    status: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApplicationStatus(Base):
    """One status of an application, from when, set by whom and why (the audited history)."""

    __tablename__ = "call_application_status"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("call_application.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)


class Score(Base):
    """A reviewer's score of one criterion of an application (never public)."""

    __tablename__ = "call_score"
    __table_args__ = (UniqueConstraint("application_id", "reviewer", "criterion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("call_application.id", ondelete="CASCADE"), index=True
    )
    reviewer: Mapped[str] = mapped_column(String(200))
    criterion: Mapped[str] = mapped_column(String(60))
    value: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
