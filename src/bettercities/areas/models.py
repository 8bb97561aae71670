"""Tables of the areas domain."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bettercities.storage.base import Base, utcnow


class City(Base):
    """A municipality whose small-area data the platform holds."""

    __tablename__ = "city"
    __table_args__ = (Index("uq_city_geonames_id", "geonames_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), doc="Eurostat country code (EL = Greece).")
    lau_code: Mapped[str | None] = mapped_column(String(20))
    urau_code: Mapped[str | None] = mapped_column(String(20), doc="Urban Audit city code, e.g. DE001C.")
    nuts3_code: Mapped[str | None] = mapped_column(String(10))
    ags: Mapped[str | None] = mapped_column(String(12), doc="German Amtlicher Gemeindeschlüssel.")
    #: GeoNames id (registry); unique through the index ``uq_city_geonames_id`` (an index, not a table
    #: constraint, so that migration 0131 adds it without rebuilding ``city`` on SQLite — a rebuild drops the
    #: old table, and ON DELETE CASCADE would empty every table that references a city)
    geonames_id: Mapped[int | None] = mapped_column(Integer, doc="GeoNames id (registry).")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(Integer)
    population_year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    levels: Mapped[list[SpatialLevel]] = relationship(back_populates="city", order_by="SpatialLevel.rank")


class SpatialLevel(Base):
    """A level of a city's area hierarchy, e.g. district > district region > planning area."""

    __tablename__ = "spatial_level"
    __table_args__ = (UniqueConstraint("city_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    name_de: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    rank: Mapped[int] = mapped_column(Integer, doc="0 = coarsest level; larger = finer.")
    parent_level_id: Mapped[int | None] = mapped_column(ForeignKey("spatial_level.id"))

    city: Mapped[City] = relationship(back_populates="levels")


class Area(Base):
    """One area of a level in one boundary version (valid from/to)."""

    __tablename__ = "area"
    __table_args__ = (
        UniqueConstraint("level_id", "code", "valid_from", name="uq_area_level_code_valid_from"),
        Index("ix_area_city_level", "city_id", "level_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"))
    level_id: Mapped[int] = mapped_column(ForeignKey("spatial_level.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(60), doc="The city's own identifier, e.g. 01100101.")
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("area.id", ondelete="SET NULL"), index=True)
    valid_from: Mapped[date | None] = mapped_column(Date, doc="First day of validity; empty = always.")
    valid_to: Mapped[date | None] = mapped_column(Date, doc="First day no longer valid; empty = still valid.")
    geometry: Mapped[str | None] = mapped_column(Text, doc="GeoJSON geometry, WGS84 (EPSG:4326).")
    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    centroid_lon: Mapped[float | None] = mapped_column(Float)
    centroid_lat: Mapped[float | None] = mapped_column(Float)
    area_km2: Mapped[float | None] = mapped_column(Float)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))

    level: Mapped[SpatialLevel] = relationship()
    parent: Mapped[Area | None] = relationship(remote_side="Area.id")


class Crosswalk(Base):
    """A mapping between two boundary versions, e.g. Berlin LOR 2019 -> LOR 2021."""

    __tablename__ = "crosswalk"
    __table_args__ = (UniqueConstraint("city_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(Text)
    weight_basis: Mapped[str] = mapped_column(
        String(40), default="population", doc="What the weights measure: population, area, households …"
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    entries: Mapped[list[CrosswalkEntry]] = relationship(
        back_populates="crosswalk", cascade="all, delete-orphan"
    )


class CrosswalkEntry(Base):
    """Share ``weight`` of old area ``source`` that lies in new area ``target``."""

    __tablename__ = "crosswalk_entry"
    __table_args__ = (UniqueConstraint("crosswalk_id", "source_area_id", "target_area_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    crosswalk_id: Mapped[int] = mapped_column(ForeignKey("crosswalk.id", ondelete="CASCADE"), index=True)
    source_area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"))
    target_area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"))
    weight: Mapped[float] = mapped_column(Float)

    crosswalk: Mapped[Crosswalk] = relationship(back_populates="entries")
