"""Tables of the networks domain: programmes, city networks, organisations that are members, memberships
with their history (valid time and recorded time), and datasets shared with a network."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bettercities.storage.base import Base, utcnow


class Programme(Base):
    """A programme that forms networks (URBACT IV Action Planning Networks, #vernetztinEuropa …)."""

    __tablename__ = "programme"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    start: Mapped[date | None] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Network(Base):
    """A network of cities (of a programme, or on its own such as a regional benchmarking circle)."""

    __tablename__ = "network"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_de: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme.id", ondelete="SET NULL"), index=True
    )
    theme: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(
        String(20), default="network", server_default="network", doc="network or tandem"
    )
    start: Mapped[date | None] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    url: Mapped[str | None] = mapped_column(String(500))


class Organisation(Base):
    """A member that is not a municipality (a district, a metropolitan association, an agency), linked to the
    municipality it belongs to where one is identifiable."""

    __tablename__ = "network_organisation"
    __table_args__ = (UniqueConstraint("name", "country"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(String(40))
    city_id: Mapped[int | None] = mapped_column(ForeignKey("city.id", ondelete="SET NULL"), index=True)
    note: Mapped[str | None] = mapped_column(Text)


class Membership(Base):
    """One recorded version of a member's membership in a network.

    Valid time: ``start`` to ``end`` (both days inclusive; empty: open). Recorded time: ``recorded_at`` (by
    ``recorded_by``, because of ``reason``) until ``superseded_at``; a change never overwrites a row, it
    supersedes it with a new one (``superseded_by_id``). Exactly one of ``city_id`` and ``organisation_id``.
    (The table is ``network_member``: ``network_membership`` holds the users' network roles of access.)
    """

    __tablename__ = "network_member"
    __table_args__ = (CheckConstraint("(city_id IS NULL) <> (organisation_id IS NULL)", name="one_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    city_id: Mapped[int | None] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("network_organisation.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))
    start: Mapped[date | None] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("network_member.id", ondelete="SET NULL"))


class DatasetShare(Base):
    """A dataset of a member city shared with a network: the network's members may see its data."""

    __tablename__ = "network_dataset_share"
    __table_args__ = (UniqueConstraint("dataset_id", "network_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("catalog_dataset.id", ondelete="CASCADE"), index=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    shared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
