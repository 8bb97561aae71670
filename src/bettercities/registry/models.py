"""Tables of the registry. A municipality of the registry is a row of ``city`` (areas.models); these tables
hold what the registry knows beside it: NUTS-3 regions with their urban-rural type, a city's other names and
its Urban Audit statistics."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bettercities.storage.base import Base, utcnow


class RegistryRegion(Base):
    """A NUTS-3 region (2021) with Eurostat's urban-rural typology (URBN_TYPE)."""

    __tablename__ = "registry_region"

    id: Mapped[int] = mapped_column(primary_key=True)
    nuts3_code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), doc="Eurostat country code (EL, UK).")
    urban_rural: Mapped[str] = mapped_column(
        String(1), doc='"1" predominantly urban, "2" intermediate, "3" predominantly rural.'
    )
    population: Mapped[int | None] = mapped_column(Integer)
    area_km2: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(200))


class RegistryAlias(Base):
    """Another name of a city: local, English, GeoNames', a former name or a merged member municipality."""

    __tablename__ = "registry_alias"
    __table_args__ = (UniqueConstraint("city_id", "key", name="uq_registry_alias_city_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(
        String(200), index=True, doc="Normalised name (see registry.names.name_key)."
    )
    kind: Mapped[str] = mapped_column(String(20), doc="local, english, geonames, former or member")
    source: Mapped[str] = mapped_column(String(200))


class CityStatistic(Base):
    """One city-wide value of an indicator (Urban Audit) in one year, from one source."""

    __tablename__ = "city_statistic"
    __table_args__ = (
        UniqueConstraint("city_id", "code", "year", "source", name="uq_city_statistic_city_code_year_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(60), index=True, doc='e.g. "unemploymentPct"')
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
