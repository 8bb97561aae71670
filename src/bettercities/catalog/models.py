"""Tables of the catalog domain: datasets with DCAT-AP.de metadata, their indicators, distributions, the
audit trail of the approval workflow and the catalogue's settings per city (four-eyes approval)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bettercities.storage.base import Base, utcnow


class Dataset(Base):
    """A catalogued dataset of a city: what it holds, who delivers it, when, and its approval state."""

    __tablename__ = "catalog_dataset"
    __table_args__ = (UniqueConstraint("city_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(80))
    title_de: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    description_de: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    keywords: Mapped[str | None] = mapped_column(Text, doc="Comma-separated keywords.")
    publisher: Mapped[str] = mapped_column(String(300))
    publisher_uri: Mapped[str | None] = mapped_column(String(500))
    contact_name: Mapped[str | None] = mapped_column(String(300))
    contact_email: Mapped[str | None] = mapped_column(String(300))
    theme: Mapped[str] = mapped_column(String(10), doc="EU data theme code, e.g. SOCI.")
    spatial_level: Mapped[str | None] = mapped_column(String(60), doc="Finest spatial level held.")
    temporal_start: Mapped[date | None] = mapped_column(Date)
    temporal_end: Mapped[date | None] = mapped_column(Date)
    frequency: Mapped[str] = mapped_column(String(20), doc="EU frequency code, e.g. ANNUAL.")
    licence: Mapped[str] = mapped_column(String(40), doc="dcat-ap.de licence key, e.g. dl-by-de/2.0.")
    access_rights: Mapped[str] = mapped_column(String(20), default="PUBLIC")
    legal_basis: Mapped[str | None] = mapped_column(Text)
    originator: Mapped[str | None] = mapped_column(String(300))
    method_notes: Mapped[str | None] = mapped_column(Text)
    owner_unit: Mapped[str | None] = mapped_column(String(300))
    steward: Mapped[str | None] = mapped_column(String(300))
    steward_email: Mapped[str | None] = mapped_column(String(300))
    last_updated: Mapped[date | None] = mapped_column(Date)
    next_due: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    distributions: Mapped[list[Distribution]] = relationship(
        back_populates="dataset", cascade="all, delete-orphan", order_by="Distribution.id"
    )


class Distribution(Base):
    """One way to get a dataset (a file format or an API)."""

    __tablename__ = "catalog_distribution"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("catalog_dataset.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    format: Mapped[str] = mapped_column(String(20), doc="EU file type code, e.g. CSV, JSON, XLSX.")
    access_url: Mapped[str] = mapped_column(String(500), doc="Absolute, or a path under the app's root.")
    media_type: Mapped[str | None] = mapped_column(String(100))

    dataset: Mapped[Dataset] = relationship(back_populates="distributions")


class DatasetIndicator(Base):
    """Link: an indicator whose observations belong to a dataset."""

    __tablename__ = "catalog_dataset_indicator"

    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_dataset.id", ondelete="CASCADE"), primary_key=True
    )
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("indicator.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ApprovalEvent(Base):
    """One step of a dataset's approval workflow: who moved it from which state to which, when and why."""

    __tablename__ = "catalog_approval_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("catalog_dataset.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    user: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    four_eyes: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), doc="The four-eyes rule was in force for this step."
    )
    open_flags: Mapped[int | None] = mapped_column(
        Integer, doc="Approval only: open outlier flags on the dataset's indicators (a warning)."
    )
    flagged_indicators: Mapped[str | None] = mapped_column(
        Text, doc="Approval only: comma-separated codes of the indicators with open outlier flags."
    )


class CitySetting(Base):
    """The catalogue's settings of one city: whether approving a dataset needs a second person."""

    __tablename__ = "catalog_city_setting"

    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), primary_key=True)
    four_eyes: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_by: Mapped[str | None] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
