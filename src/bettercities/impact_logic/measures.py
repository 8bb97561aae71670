"""The fixed table of automatic measures: each one a count computed from the stored data of a programme as of
a day, through the public count functions of the domains that hold the data (calls, tandems, surveys) and
the networks' memberships.

A measure whose domain is not installed here (its package cannot be imported) is *not available*: it has no
value, and says why (:class:`MeasureUnavailable`); it is never given a stand-in number. Each computation
answers "how many by the end of day ``until``": a tandem counts from its start, a membership from its start
(one without a start from its recording), an application once it is submitted, a survey response once it is
submitted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import import_module
from types import ModuleType

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bettercities.networks.models import Membership, Network, Organisation, Programme
from bettercities.networks.schemas import MemberStatus, NetworkKind

__all__ = [
    "MEASURES",
    "AutoMeasure",
    "MeasureUnavailable",
    "applicant_city_ids",
    "compute",
    "end_of_day",
    "member_city_ids",
    "respondent_city_ids",
    "unavailable_reason",
]


class MeasureUnavailable(Exception):
    """The data a measure is computed from are not available in this installation (the reason says which)."""


def end_of_day(day: date) -> datetime:
    """The first instant after day ``day`` (UTC): recorded before it means recorded by the end of the day."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def _module(name: str, *, measure: str) -> ModuleType:
    """The service module ``bettercities.<name>.service``; :class:`MeasureUnavailable` when it cannot be
    imported or lacks what the measure calls."""
    try:
        return import_module(f"bettercities.{name}.service")
    except ImportError as error:
        raise MeasureUnavailable(
            f"{measure} is computed from the {name} domain, which is not available here ({error})"
        ) from None


def _function(name: str, function: str, *, measure: str) -> Callable[..., int]:
    found = getattr(_module(name, measure=measure), function, None)
    if not callable(found):
        raise MeasureUnavailable(
            f"{measure} is computed by bettercities.{name}.service.{function}, which is not available here"
        )
    return found


# -- the computations --------------------------------------------------------------------------------------


def tandems_formed(session: Session, programme: Programme, until: date) -> int:
    """Networks of kind ``tandem`` in the programme that started by ``until`` (one without a start date counts
    from the day it was recorded)."""
    rows = session.execute(
        select(Network.start, Network.created_at).where(
            Network.programme_id == programme.id, Network.kind == NetworkKind.TANDEM.value
        )
    ).all()
    return sum(1 for start, created in rows if (start or created.date()) <= until)


def member_city_ids(session: Session, programme: Programme, until: date) -> set[int]:
    """Municipalities that were members of a network of the programme (also through an organisation linked to
    them) on some day up to ``until``: active memberships as recorded now that started by then."""
    started = or_(
        Membership.start <= until,
        and_(Membership.start.is_(None), Membership.recorded_at < end_of_day(until)),
    )
    rows = session.execute(
        select(Membership.city_id, Organisation.city_id)
        .join(Network, Network.id == Membership.network_id)
        .outerjoin(Organisation, Organisation.id == Membership.organisation_id)
        .where(
            Network.programme_id == programme.id,
            Membership.superseded_at.is_(None),
            Membership.status == MemberStatus.ACTIVE.value,
            started,
        )
    ).all()
    found = (city or org_city for city, org_city in rows)
    return {city for city in found if city is not None}


def _utc(at: datetime) -> datetime:
    """``at`` as an aware UTC instant (SQLite returns the stored UTC instants without their zone)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _models(domain: str, *, measure: str) -> ModuleType:
    try:
        return import_module(f"bettercities.{domain}.models")
    except ImportError as error:
        raise MeasureUnavailable(
            f"{measure} is computed from the {domain} domain, which is not available here ({error})"
        ) from None


def applicant_city_ids(session: Session, programme: Programme, until: date) -> set[int]:
    """Municipalities that submitted an application to a call of the programme by ``until``."""
    calls = _models("calls", measure="municipalities_reached")
    application, call = calls.Application, calls.Call
    rows = session.execute(
        select(application.city_id, application.submitted_at)
        .join(call, call.id == application.call_id)
        .where(call.programme_id == programme.id, application.submitted_at.is_not(None))
    ).all()
    end = end_of_day(until)
    return {city for city, at in rows if _utc(at) < end}


def respondent_city_ids(session: Session, programme: Programme, until: date) -> set[int]:
    """Municipalities with a submitted response to a survey of the programme by ``until``."""
    surveys = _models("surveys", measure="municipalities_reached")
    response, survey = surveys.SurveyResponse, surveys.Survey
    rows = session.execute(
        select(response.city_id, response.submitted_at)
        .join(survey, survey.id == response.survey_id)
        .where(survey.programme_id == programme.id, response.submitted.is_(True))
    ).all()
    end = end_of_day(until)
    return {city for city, at in rows if at is not None and _utc(at) < end}


def municipalities_reached(session: Session, programme: Programme, until: date) -> int:
    """Distinct municipalities among the programme's members, its calls' applicants and its surveys'
    respondents, each by ``until``."""
    cities = member_city_ids(session, programme, until)
    cities |= applicant_city_ids(session, programme, until)
    cities |= respondent_city_ids(session, programme, until)
    return len(cities)


def applications_submitted(session: Session, programme: Programme, until: date) -> int:
    """Applications to the programme's calls that were submitted by ``until`` (whatever became of them
    since; drafts do not count)."""
    count = _function("calls", "count_applications", measure="applications_submitted")
    return count(session, programme.slug, until=until)


def action_plans_adopted(session: Session, programme: Programme, until: date) -> int:
    """Outputs of the programme's tandems of kind ``action_plan`` adopted by ``until``."""
    count = _function("tandems", "count_outputs", measure="action_plans_adopted")
    return count(session, programme.slug, kind="action_plan", status="adopted", until=until)


def activities_held(session: Session, programme: Programme, until: date) -> int:
    """Activities of the programme's tandems (kick-offs, visits, workshops …) held by ``until``."""
    count = _function("tandems", "count_activities", measure="activities_held")
    return count(session, programme.slug, until=until)


def survey_respondents(session: Session, programme: Programme, until: date) -> int:
    """Municipalities with a submitted response to a survey of the programme by ``until``."""
    count = _function("surveys", "count_respondents", measure="survey_respondents")
    return count(session, programme_slug=programme.slug, until=until)


# -- the table ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AutoMeasure:
    """An automatic measure: its code, labels and unit in German and English, and its computation."""

    code: str
    label_de: str
    label_en: str
    unit_de: str
    unit_en: str
    compute: Callable[[Session, Programme, date], int]
    #: the (domain, function) pairs of ``bettercities.<domain>.service`` it calls
    needs: tuple[tuple[str, str], ...] = ()

    @property
    def description(self) -> str:
        doc = self.compute.__doc__ or ""
        return " ".join(doc.split())


MEASURES: dict[str, AutoMeasure] = {
    m.code: m
    for m in (
        AutoMeasure("tandems_formed", "Gebildete Tandems", "Tandems formed", "Tandems", "tandems",
                    tandems_formed),
        AutoMeasure("municipalities_reached", "Erreichte Kommunen", "Municipalities reached", "Kommunen",
                    "municipalities", municipalities_reached,
                    (("calls", "count_applications"), ("surveys", "count_respondents"))),
        AutoMeasure("applications_submitted", "Eingereichte Bewerbungen", "Applications submitted",
                    "Bewerbungen", "applications", applications_submitted,
                    (("calls", "count_applications"),)),
        AutoMeasure("action_plans_adopted", "Beschlossene Aktionspläne", "Action plans adopted",
                    "Aktionspläne", "action plans", action_plans_adopted, (("tandems", "count_outputs"),)),
        AutoMeasure("activities_held", "Durchgeführte Aktivitäten", "Activities held", "Aktivitäten",
                    "activities", activities_held, (("tandems", "count_activities"),)),
        AutoMeasure("survey_respondents", "Teilnehmende Kommunen der Umfrage", "Survey respondents",
                    "Kommunen", "municipalities", survey_respondents, (("surveys", "count_respondents"),)),
    )
}  # fmt: skip


def unavailable_reason(code: str) -> str | None:
    """Why automatic measure ``code`` cannot be computed here (a domain it needs is not available), else
    ``None``; :class:`KeyError` for an unknown code."""
    measure = MEASURES[code]
    for domain, function in measure.needs:
        try:
            _function(domain, function, measure=code)
        except MeasureUnavailable as error:
            return str(error)
    return None


def compute(session: Session, code: str, programme: Programme, until: date) -> int:
    """The value of automatic measure ``code`` for ``programme`` as of the end of day ``until``;
    :class:`MeasureUnavailable` when its data are not available here, :class:`KeyError` for an unknown
    code."""
    return MEASURES[code].compute(session, programme, until)
