"""Tables of surveys: a survey (of a programme, or on its own) with its status and minimum group size, the
versions of its XLSForm (each a definition as read), and one response per municipality tied to the version it
answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bettercities.storage.base import Base, utcnow


class Survey(Base):
    """A survey of municipalities (the practice survey of a programme …)."""

    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default="draft", doc="draft, open or closed")
    min_group_size: Mapped[int] = mapped_column(Integer, default=3, doc="Smaller groups are withheld.")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(80))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SurveyVersion(Base):
    """One version of a survey's form: the definition read from the XLSForm and the file's hash."""

    __tablename__ = "survey_version"
    __table_args__ = (UniqueConstraint("survey_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    form_version: Mapped[str | None] = mapped_column(String(80), doc="The settings sheet's version.")
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text, doc="The FormDefinition as JSON.")
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    loaded_by: Mapped[str | None] = mapped_column(String(80))


class SurveyResponse(Base):
    """A municipality's response to a survey, tied to the form version it answers."""

    __tablename__ = "survey_response"
    __table_args__ = (UniqueConstraint("survey_id", "city_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id", ondelete="CASCADE"), index=True)
    submitted: Mapped[bool] = mapped_column(Boolean, default=True)
    answers: Mapped[str] = mapped_column(Text, doc="Question name -> answer (text) as JSON.")
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(80))
