"""Who may see and do what in a survey, shared by the API, the pages and the demo.

A municipality's answers are seen by those who speak for it (its contacts, its city admins) and by the
survey's coordinators (coordinators of a network of the survey's programme; platform admins); the public sees
the results, with small groups withheld. A response is given by those who speak for the municipality
(:func:`bettercities.access.policy.can_speak_for`); a survey is opened and closed by its coordinators.
"""

from __future__ import annotations

from bettercities.access.policy import (
    Principal,
    Role,
    can_administer_platform,
    can_coordinate_programme,
    can_speak_for,
)
from bettercities.core.errors import Forbidden
from bettercities.surveys.models import Survey

__all__ = [
    "can_answer",
    "can_manage",
    "can_see_response",
    "require_manager",
    "require_respondent",
    "require_viewer",
]


def can_manage(principal: Principal, survey: Survey) -> bool:
    """Opening and closing the survey, reading every response: its programme's coordinators, platform
    admins."""
    if survey.programme_id is not None:
        return can_coordinate_programme(principal, survey.programme_id)
    return can_administer_platform(principal)


def can_see_response(principal: Principal, survey: Survey, city_id: int) -> bool:
    """Reading a municipality's answers: those who speak for it (also through a read-only token) and the
    survey's coordinators."""
    if principal.platform_admin or city_id in principal.contact_cities:
        return True
    if principal.city_roles.get(city_id) == Role.CITY_ADMIN:
        return True
    return survey.programme_id is not None and survey.programme_id in principal.coordinated_programmes


def _refuse(principal: Principal, what: str) -> Forbidden:
    if principal.anonymous:
        return Forbidden(f"sign in to {what}", anonymous=True)
    return Forbidden(f"{principal.name} may not {what}")


def require_viewer(principal: Principal, survey: Survey, city_id: int) -> None:
    if not can_see_response(principal, survey, city_id):
        raise _refuse(principal, "see this municipality's answers")


def can_answer(principal: Principal, city_id: int) -> bool:
    """Giving or changing the municipality's response: those who speak for it."""
    return can_speak_for(principal, city_id)


def require_respondent(principal: Principal, city_id: int) -> None:
    if not can_answer(principal, city_id):
        raise _refuse(principal, "answer for this municipality (needs to be one of its contacts)")


def require_manager(principal: Principal, survey: Survey) -> None:
    if not can_manage(principal, survey):
        raise _refuse(principal, "manage this survey (needs to coordinate a network of its programme)")
