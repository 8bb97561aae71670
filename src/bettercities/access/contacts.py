"""Contacts of a municipality: user accounts that speak for one municipality (a ``city`` row, from the
registry or a city using bettercities) in calls for participation and surveys (issue 16).

A contact is added by name (:func:`add_contact`) or invited (:func:`invite_contact`): the invitation's token
is returned once and stored only as its SHA-256; an existing account accepts it (:func:`accept_invitation`)
before it expires. Every function takes a session; the caller commits. Adding, inviting, accepting and
removing are recorded as the named audit events ``contact-added``, ``contact-invited``,
``contact-invitation-accepted`` and ``contact-removed`` whichever face calls them.
:func:`bettercities.access.policy.can_speak_for` decides with the cities :func:`contact_cities` returns.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.access.keys import digest, moment, new_key
from bettercities.access.models import MunicipalContact, MunicipalContactInvitation, User
from bettercities.access.users import get_user
from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.audit.service import record_event
from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.core.timestamps import as_utc

INVITATION_PREFIX = "bci_"
MAX_INVITATION_DAYS = 365


class ContactOut(BaseModel):
    """A user who speaks for a municipality."""

    username: str
    city: str  # slug
    city_name: str
    added_at: datetime
    added_by: str


class InvitationOut(BaseModel):
    """An invitation to become a municipality's contact (never its token, which is shown once)."""

    id: int
    city: str  # slug
    label: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    accepted_by: str | None = None
    accepted_at: datetime | None = None


def _contact_out(contact: MunicipalContact, user: User, city: City) -> ContactOut:
    return ContactOut(
        username=user.username,
        city=city.slug,
        city_name=city.name,
        added_at=as_utc(contact.added_at),
        added_by=contact.added_by,
    )


def _invitation_out(session: Session, invitation: MunicipalContactInvitation, city: City) -> InvitationOut:
    accepted_by = None
    if invitation.accepted_by_user_id is not None:
        accepted_by = session.scalar(select(User.username).where(User.id == invitation.accepted_by_user_id))
    return InvitationOut(
        id=invitation.id,
        city=city.slug,
        label=invitation.label,
        created_by=invitation.created_by,
        created_at=as_utc(invitation.created_at),
        expires_at=as_utc(invitation.expires_at),
        accepted_by=accepted_by,
        accepted_at=as_utc(invitation.accepted_at) if invitation.accepted_at else None,
    )


def _add(session: Session, user: User, city: City, *, by: str, now: datetime) -> ContactOut:
    if user.disabled:
        raise Conflict(f"user '{user.username}' is disabled: enable it before making it a contact")
    existing = session.scalar(
        select(MunicipalContact).where(
            MunicipalContact.user_id == user.id, MunicipalContact.city_id == city.id
        )
    )
    if existing is not None:
        return _contact_out(existing, user, city)
    contact = MunicipalContact(user_id=user.id, city_id=city.id, added_at=now, added_by=by)
    session.add(contact)
    session.flush()
    record_event(
        session,
        "contact-added",
        summary=f"{user.username} speaks for {city.slug} (added by {by})",
        city_id=city.id,
        entity="municipal_contact",
        entity_key=f"{user.username}/{city.slug}",
        after={"added_by": by},
    )
    return _contact_out(contact, user, city)


def add_contact(
    session: Session, username: str, city_slug: str, *, by: str, now: datetime | None = None
) -> ContactOut:
    """Make ``username`` a contact of the municipality ``city_slug``; adding it again changes nothing."""
    user = get_user(session, username)
    city = areas.get_city(session, city_slug)
    return _add(session, user, city, by=by, now=moment(now))


def remove_contact(session: Session, username: str, city_slug: str, *, by: str) -> None:
    """``username`` no longer speaks for ``city_slug``; :class:`NotFound` when it did not."""
    user = get_user(session, username)
    city = areas.get_city(session, city_slug)
    contact = session.scalar(
        select(MunicipalContact).where(
            MunicipalContact.user_id == user.id, MunicipalContact.city_id == city.id
        )
    )
    if contact is None:
        raise NotFound("contact", f"{user.username} for {city.slug}")
    session.delete(contact)
    session.flush()
    record_event(
        session,
        "contact-removed",
        summary=f"{user.username} no longer speaks for {city.slug} (removed by {by})",
        city_id=city.id,
        entity="municipal_contact",
        entity_key=f"{user.username}/{city.slug}",
        before={"added_by": contact.added_by},
    )


def invite_contact(
    session: Session,
    city_slug: str,
    label: str,
    *,
    by: str,
    days: int = 30,
    now: datetime | None = None,
) -> tuple[InvitationOut, str]:
    """Invite someone (``label``: who it is for, e.g. an office's name) to speak for ``city_slug``. Returns
    the invitation and its token: the token is shown this once and stored only as its SHA-256."""
    city = areas.get_city(session, city_slug)
    label = label.strip()
    if not label or len(label) > 200:
        raise InvalidInput("an invitation needs a label of 1 to 200 characters (whom it is for)")
    if not 1 <= days <= MAX_INVITATION_DAYS:
        raise InvalidInput(f"an invitation lasts 1 to {MAX_INVITATION_DAYS} days, not {days}")
    at = moment(now)
    token = new_key(INVITATION_PREFIX)
    invitation = MunicipalContactInvitation(
        city_id=city.id,
        label=label,
        token_sha256=digest(token),
        created_by=by,
        created_at=at,
        expires_at=at + timedelta(days=days),
    )
    session.add(invitation)
    session.flush()
    record_event(
        session,
        "contact-invited",
        summary=f"{by} invited '{label}' to speak for {city.slug} (until {invitation.expires_at:%Y-%m-%d})",
        city_id=city.id,
        entity="municipal_contact_invitation",
        entity_key=str(invitation.id),
        after={"label": label, "expires_at": invitation.expires_at.isoformat()},
    )
    return _invitation_out(session, invitation, city), token


def accept_invitation(
    session: Session, token: str, username: str, *, now: datetime | None = None
) -> ContactOut:
    """The existing account ``username`` accepts an invitation and becomes the municipality's contact. An
    unknown, used or expired token is refused (:class:`InvalidInput`) without saying which of the three."""
    at = moment(now)
    invitation = session.scalar(
        select(MunicipalContactInvitation).where(
            MunicipalContactInvitation.token_sha256 == digest(token.strip())
        )
    )
    if invitation is None or invitation.accepted_at is not None or as_utc(invitation.expires_at) <= at:
        raise InvalidInput("this invitation is unknown, already used or expired: ask for a new one")
    user = get_user(session, username)
    city = session.get(City, invitation.city_id)
    if city is None:  # pragma: no cover - the invitation's city is deleted with it (CASCADE)
        raise NotFound("city", invitation.city_id)
    out = _add(session, user, city, by=f"invitation {invitation.id} ({invitation.created_by})", now=at)
    invitation.accepted_by_user_id = user.id
    invitation.accepted_at = at
    session.flush()
    record_event(
        session,
        "contact-invitation-accepted",
        summary=f"{user.username} accepted the invitation to speak for {city.slug}",
        city_id=city.id,
        entity="municipal_contact_invitation",
        entity_key=str(invitation.id),
        after={"accepted_by": user.username},
    )
    return out


def contact_cities(session: Session, user_id: int) -> frozenset[int]:
    """The ids of the municipalities ``user_id`` is a contact of."""
    return frozenset(
        session.scalars(select(MunicipalContact.city_id).where(MunicipalContact.user_id == user_id))
    )


def list_contacts(session: Session, city_slug: str | None = None) -> list[ContactOut]:
    """The contacts of ``city_slug`` (every municipality's when ``None``), by city and user name."""
    query = (
        select(MunicipalContact, User, City)
        .join(User, User.id == MunicipalContact.user_id)
        .join(City, City.id == MunicipalContact.city_id)
        .order_by(City.slug, User.username)
    )
    if city_slug is not None:
        query = query.where(City.id == areas.get_city(session, city_slug).id)
    return [_contact_out(contact, user, city) for contact, user, city in session.execute(query)]


def list_invitations(session: Session, city_slug: str) -> list[InvitationOut]:
    """The invitations to speak for ``city_slug``, newest first."""
    city = areas.get_city(session, city_slug)
    rows = session.scalars(
        select(MunicipalContactInvitation)
        .where(MunicipalContactInvitation.city_id == city.id)
        .order_by(MunicipalContactInvitation.created_at.desc(), MunicipalContactInvitation.id.desc())
    )
    return [_invitation_out(session, invitation, city) for invitation in rows]


__all__ = [
    "ContactOut",
    "InvitationOut",
    "accept_invitation",
    "add_contact",
    "contact_cities",
    "invite_contact",
    "list_contacts",
    "list_invitations",
    "remove_contact",
]
