"""Tables of the accounts domain: users, their roles per city and network, sign-in sessions, API tokens
and the failed sign-in counter.

Sessions, tokens and the failure counter are bookkeeping: writing them (a sign-in, a request that
refreshes ``last_seen_at``) does not bump the data version, so it does not invalidate cached results.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bettercities.networks import models as _networks  # noqa: F401  (network_membership refers to network)
from bettercities.storage.base import Base, utcnow
from bettercities.storage.versioning import BOOKKEEPING_TABLES


class User(Base):
    """A person who signs in; the user name is stored lower-case and is unique."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(300))
    password_hash: Mapped[str] = mapped_column(String(300), doc="argon2id hash (PHC string).")
    platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CityMembership(Base):
    """A user's role in one city."""

    __tablename__ = "city_membership"
    __table_args__ = (UniqueConstraint("user_id", "city_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))


class NetworkMembership(Base):
    """A user's role in a city network (member or coordinator)."""

    __tablename__ = "network_membership"
    __table_args__ = (UniqueConstraint("user_id", "network_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))


class MunicipalContact(Base):
    """A user account that speaks for one municipality (a ``city`` row) in calls and surveys (issue 16)."""

    __tablename__ = "municipal_contact"
    __table_args__ = (UniqueConstraint("user_id", "city_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    added_by: Mapped[str] = mapped_column(String(200))


class MunicipalContactInvitation(Base):
    """An invitation to become a municipality's contact; only the SHA-256 of its token is stored."""

    __tablename__ = "municipal_contact_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True
    )
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginSession(Base):
    """A sign-in session; only the SHA-256 of its secret is stored."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), doc="Absolute end.")
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """An API token of a user; only the SHA-256 of its secret is stored (and its first characters)."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(8), doc="First characters of the token, to recognise it.")
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    write: Mapped[bool] = mapped_column(Boolean, default=False)
    all_cities: Mapped[bool] = mapped_column(Boolean, default=True, doc="False: only api_token_city.")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiTokenCity(Base):
    """A city an API token is limited to."""

    __tablename__ = "api_token_city"

    token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id", ondelete="CASCADE"), primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), primary_key=True)


class LoginThrottle(Base):
    """Failed sign-ins in a row per user name (known or not, so a lock-out does not reveal which names
    exist) and the time until which the name is locked."""

    __tablename__ = "login_throttle"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


BOOKKEEPING_TABLES.update({"login_session", "api_token", "api_token_city", "login_throttle"})
