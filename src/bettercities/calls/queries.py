"""Reads the faces share, for a principal: who sees which applications (an applicant only its own, the
programme's coordinators all), the panel's scores (coordinators only; never public) and the municipalities
a principal may apply for."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.access.policy import (
    Principal,
    Role,
    can_coordinate_programme,
    can_speak_for,
    require_programme_coordinator,
)
from bettercities.areas.models import City
from bettercities.calls import service
from bettercities.calls.models import Application, Call
from bettercities.calls.schemas import ApplicationOut, ApplicationScore, Ranking
from bettercities.core.errors import Forbidden, NotFound

__all__ = [
    "coordinates",
    "require_call_coordinator",
    "speaker_cities",
    "visible_application",
    "visible_applications",
    "visible_ranking",
    "visible_scores",
]


def coordinates(session: Session, principal: Principal, call_slug: str) -> bool:
    """Whether ``principal`` manages the call (coordinates a network of its programme)."""
    return can_coordinate_programme(principal, service.get_call(session, call_slug).programme_id)


def require_call_coordinator(session: Session, principal: Principal, call_slug: str, *, what: str) -> Call:
    """The call, once ``principal`` is checked to manage it (401/403 otherwise)."""
    call = service.get_call(session, call_slug)
    require_programme_coordinator(principal, call.programme_id, what=what)
    return call


def _own_cities(principal: Principal) -> set[int]:
    cities = set(principal.contact_cities)
    cities |= {city for city, role in principal.city_roles.items() if role == Role.CITY_ADMIN}
    return {c for c in cities if can_speak_for(principal, c)}


def speaker_cities(session: Session, principal: Principal) -> list[City]:
    """The municipalities ``principal`` may apply for (its contacts' and city admin's cities), by name."""
    ids = _own_cities(principal)
    if not ids:
        return []
    return list(session.scalars(select(City).where(City.id.in_(ids)).order_by(City.name)))


def visible_applications(session: Session, call_slug: str, principal: Principal) -> list[ApplicationOut]:
    """The call's applications ``principal`` may see: all for the call's coordinators, else only those of
    the municipalities it speaks for; the anonymous visitor must sign in (401)."""
    if principal.anonymous:
        raise Forbidden("sign in to see applications", anonymous=True)
    if coordinates(session, principal, call_slug):
        return service.list_applications(session, call_slug)
    return service.list_applications(session, call_slug, cities=_own_cities(principal))


def visible_application(session: Session, application_id: int, principal: Principal) -> ApplicationOut:
    """One application for its municipality's speakers and the call's coordinators; anyone else is told
    it does not exist (404), so that an applicant learns nothing of others' applications."""
    if principal.anonymous:
        raise Forbidden("sign in to see an application", anonymous=True)
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound("application", application_id)
    call = session.get(Call, application.call_id)
    assert call is not None
    if not (
        can_coordinate_programme(principal, call.programme_id)
        or can_speak_for(principal, application.city_id)
    ):
        raise NotFound("application", application_id)
    return service.application_out(session, application)


def visible_scores(session: Session, application_id: int, principal: Principal) -> ApplicationScore:
    """The panel's scores of an application: the call's coordinators only (403 for its applicant)."""
    application = service.get_application(session, application_id)
    call = session.get(Call, application.call_id)
    assert call is not None
    require_programme_coordinator(principal, call.programme_id, what="see the panel's scores")
    return service.application_score(session, application, call)


def visible_ranking(session: Session, call_slug: str, principal: Principal) -> Ranking:
    """The call's ranking by combined score: the call's coordinators only."""
    require_call_coordinator(session, principal, call_slug, what="see the panel's scores")
    return service.ranking(session, call_slug)
