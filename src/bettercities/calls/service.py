"""Calls for participation: create, open and close a call; apply, submit, move an application through its
statuses (every change a row of ``call_application_status``), score it and rank the call's applications.

Every function takes a session; the caller commits. The faces check who may do what
(:func:`bettercities.access.policy.require_programme_coordinator` for the coordinators' steps,
:func:`~bettercities.access.policy.require_speaker` for an applicant's); the writes are recorded in the
audit log by storage's session recording, and each status change also as the named event
``application-status``.

Deadlines: a call's window is ``[opens_at, closes_at)`` as aware datetimes, stored as UTC, given in the
call's IANA time zone. An application is on time while the server's now (UTC) is before ``closes_at``; a
late one is refused with :class:`LateApplication`, whose message names the deadline in the call's zone, the
applicant's (when known) and UTC.

Scores: each reviewer scores every criterion on its scale (0 to ``scale_max``); a reviewer's weighted sum is
``sum(weight × value)``; the combined score is the mean (default) or the median of the reviewers' weighted
sums, over the reviewers who scored every criterion.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.audit.service import record_event
from bettercities.calls.models import Application, ApplicationStatus, Call, Score
from bettercities.calls.schemas import (
    TRANSITIONS,
    ApplicationIn,
    ApplicationOut,
    ApplicationScore,
    ApplicationState,
    CallIn,
    CallOut,
    CallState,
    Combination,
    Criterion,
    FormField,
    Ranking,
    ReviewerScore,
    StatusOut,
)
from bettercities.core.errors import Conflict, InvalidInput, NotFound
from bettercities.core.problems import Problem, Report
from bettercities.core.timestamps import as_utc
from bettercities.networks.history import get_programme
from bettercities.networks.models import Programme
from bettercities.registry.service import SIZE_CLASSES, size_class

SOURCE = "call"

__all__ = [
    "LateApplication",
    "application_out",
    "apply",
    "call_of",
    "close_call",
    "count_applications",
    "create_call",
    "deadline_text",
    "get_application",
    "get_call",
    "ineligibility",
    "list_applications",
    "list_calls",
    "open_call",
    "ranking",
    "score",
    "set_status",
    "submit",
    "zone",
]


class LateApplication(Conflict):
    """An application (or its submission) after the call's deadline; names the deadline in the call's zone,
    the applicant's zone (when known) and UTC."""

    def __init__(self, call: Call, applicant_zone: str | None) -> None:
        self.closes_at = as_utc(call.closes_at)
        self.call_zone = call.time_zone
        self.applicant_zone = applicant_zone
        parts = [deadline_text(self.closes_at, call.time_zone)]
        if applicant_zone and applicant_zone != call.time_zone:
            parts.append(f"{deadline_text(self.closes_at, applicant_zone)} in your time zone")
        parts.append(deadline_text(self.closes_at, "UTC"))
        message = (
            f"the call '{call.slug}' closed for applications at {parts[0]}"
            + "".join(f" = {p}" for p in parts[1:])
            + ": applications after the deadline are refused"
        )
        problem = Problem(code="call-late", message=message, file=SOURCE, value=self.closes_at.isoformat())
        super().__init__(message, Report(source=SOURCE, problems=[problem]))


def _refuse(code: str, message: str, *, column: str | None = None, conflict: bool = False) -> None:
    report = Report(source=SOURCE, problems=[Problem(code=code, message=message, file=SOURCE, column=column)])
    if conflict:
        raise Conflict(message, report)
    raise InvalidInput(message, report)


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; :class:`InvalidInput` (``call-invalid``) when unknown."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        _refuse("call-invalid", f"unknown time zone '{name}': give an IANA name such as Europe/Berlin")
        raise  # pragma: no cover - _refuse raises


def deadline_text(moment: datetime, zone_name: str) -> str:
    """``moment`` in ``zone_name``: ``2022-02-26 00:00 CET (Europe/Berlin)``."""
    local = as_utc(moment).astimezone(zone(zone_name))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({zone_name})"


def _now(now: datetime | None) -> datetime:
    return as_utc(now) if now is not None else datetime.now(UTC)


def _aware(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def _list(text: str) -> list[Any]:
    value = json.loads(text or "[]")
    return value if isinstance(value, list) else []


# -- calls ---------------------------------------------------------------------------------------------------


def get_call(session: Session, slug: str) -> Call:
    call = session.scalar(select(Call).where(Call.slug == slug))
    if call is None:
        raise NotFound("call", slug)
    return call


def accepting(call: Call, now: datetime | None = None) -> bool:
    """Whether ``call`` takes applications at ``now``: open and within its window."""
    at = _now(now)
    return call.state == CallState.OPEN.value and as_utc(call.opens_at) <= at < as_utc(call.closes_at)


def call_out(session: Session, call: Call, *, now: datetime | None = None) -> CallOut:
    tz = zone(call.time_zone)
    programme = session.get(Programme, call.programme_id)
    assert programme is not None  # the call is deleted with its programme
    submitted = session.scalar(
        select(func.count(Application.id)).where(
            Application.call_id == call.id, Application.status != ApplicationState.DRAFT.value
        )
    )
    return CallOut(
        slug=call.slug,
        programme=programme.slug,
        programme_name=programme.name,
        title_de=call.title_de,
        title_en=call.title_en,
        description=call.description,
        themes=_list(call.themes),
        opens_at=as_utc(call.opens_at).astimezone(tz),
        closes_at=as_utc(call.closes_at).astimezone(tz),
        time_zone=call.time_zone,
        countries=_list(call.countries),
        size_classes=_list(call.size_classes),
        body_types=_list(call.body_types),
        form=[FormField.model_validate(f) for f in _list(call.form)],
        criteria=[Criterion.model_validate(c) for c in _list(call.criteria)],
        combination=Combination(call.combination),
        state=CallState(call.state),
        accepting=accepting(call, now),
        applications=submitted or 0,
    )


def create_call(session: Session, spec: CallIn, *, by: str) -> CallOut:
    """Create a call (state ``draft``) of programme ``spec.programme``; :class:`InvalidInput`
    (``call-invalid``) for an unknown time zone, size class or country code, a window that does not end
    after it opens, or duplicate field or criterion codes; :class:`Conflict` when the slug is taken."""
    tz = zone(spec.time_zone)
    opens, closes = _aware(spec.opens_at, tz), _aware(spec.closes_at, tz)
    if closes <= opens:
        _refuse(
            "call-invalid",
            f"the call's window must end after it opens ({opens} – {closes})",
            column="closes_at",
        )
    unknown = sorted(set(spec.size_classes) - set(SIZE_CLASSES))
    if unknown:
        _refuse(
            "call-invalid",
            f"unknown size class {', '.join(unknown)}: use {', '.join(SIZE_CLASSES)}",
            column="size_classes",
        )
    bad = [c for c in spec.countries if len(c) != 2 or not c.isalpha() or not c.isupper()]
    if bad:
        _refuse(
            "call-invalid",
            f"country codes are two capital letters (DE, EL …), not {bad[0]!r}",
            column="countries",
        )
    for name, items in (("form", spec.form), ("criteria", spec.criteria)):
        codes = [item.code for item in items]
        if len(codes) != len(set(codes)):
            _refuse("call-invalid", f"the {name} has duplicate codes", column=name)
    programme = get_programme(session, spec.programme)
    if session.scalar(select(Call.id).where(Call.slug == spec.slug)) is not None:
        _refuse("call-invalid", f"call '{spec.slug}' exists already", conflict=True)
    call = Call(
        slug=spec.slug,
        programme_id=programme.id,
        title_de=spec.title_de.strip(),
        title_en=spec.title_en.strip(),
        description=spec.description or None,
        themes=json.dumps([t.strip() for t in spec.themes if t.strip()], ensure_ascii=False),
        opens_at=opens.astimezone(UTC),
        closes_at=closes.astimezone(UTC),
        time_zone=spec.time_zone.strip(),
        countries=json.dumps(spec.countries),
        size_classes=json.dumps(spec.size_classes),
        body_types=json.dumps([b.value for b in spec.body_types]),
        form=json.dumps([f.model_dump() for f in spec.form], ensure_ascii=False),
        criteria=json.dumps([c.model_dump() for c in spec.criteria], ensure_ascii=False),
        combination=spec.combination.value,
        state=CallState.DRAFT.value,
        created_by=by,
    )
    session.add(call)
    session.flush()
    return call_out(session, call)


def _set_state(session: Session, slug: str, state: CallState, *, by: str) -> CallOut:
    call = get_call(session, slug)
    before = call.state
    call.state = state.value
    session.flush()
    record_event(
        session,
        f"call-{state.value}",
        summary=f"{by} set call {slug} {state.value} (was {before})",
        entity="call",
        entity_key=slug,
        before={"state": before},
        after={"state": state.value},
    )
    return call_out(session, call)


def open_call(session: Session, slug: str, *, by: str) -> CallOut:
    """Open a call: it takes applications within its window."""
    return _set_state(session, slug, CallState.OPEN, by=by)


def close_call(session: Session, slug: str, *, by: str) -> CallOut:
    """Close a call: it takes no applications any more, whatever its window says."""
    return _set_state(session, slug, CallState.CLOSED, by=by)


def list_calls(
    session: Session, programme: str | None = None, *, now: datetime | None = None
) -> list[CallOut]:
    query = select(Call).order_by(Call.opens_at.desc(), Call.slug)
    if programme is not None:
        query = query.where(Call.programme_id == get_programme(session, programme).id)
    return [call_out(session, call, now=now) for call in session.scalars(query)]


# -- applications -------------------------------------------------------------------------------------------


def get_application(session: Session, application_id: int) -> Application:
    found = session.get(Application, application_id)
    if found is None:
        raise NotFound("application", application_id)
    return found


def call_of(session: Session, application: Application) -> Call:
    """The call ``application`` was made to."""
    call = session.get(Call, application.call_id)
    assert call is not None  # deleted with it
    return call


def ineligibility(call: Call, city: City, body_type: str, theme: str | None) -> list[str]:
    """Why an application of ``city`` breaks the call's eligibility rules (empty: it meets them)."""
    reasons = []
    countries = _list(call.countries)
    if countries and city.country not in countries:
        reasons.append(f"country {city.country} is not among {', '.join(countries)}")
    classes = _list(call.size_classes)
    if classes:
        found = size_class(city.population)
        if found is None:
            reasons.append("the municipality's population is not known, so its size class is not either")
        elif found not in classes:
            reasons.append(f"size class {found} is not among {', '.join(classes)}")
    bodies = _list(call.body_types)
    if bodies and body_type not in bodies:
        reasons.append(f"body type {body_type} is not among {', '.join(bodies)}")
    themes = _list(call.themes)
    if themes and theme not in themes:
        reasons.append(f"theme {theme or '(none)'} is not among the call's themes")
    return reasons


def application_out(session: Session, application: Application) -> ApplicationOut:
    call = session.get(Call, application.call_id)
    city = session.get(City, application.city_id)
    assert call is not None and city is not None  # deleted with them
    history = session.scalars(
        select(ApplicationStatus)
        .where(ApplicationStatus.application_id == application.id)
        .order_by(ApplicationStatus.at, ApplicationStatus.id)
    )
    answers = json.loads(application.answers or "{}")
    return ApplicationOut(
        id=application.id,
        call=call.slug,
        city=city.slug,
        city_name=city.name,
        country=city.country,
        body_type=application.body_type,
        theme=application.theme,
        answers=answers if isinstance(answers, dict) else {},
        status=ApplicationState(application.status),
        created_at=application.created_at,
        submitted_at=application.submitted_at,
        history=[
            StatusOut(status=ApplicationState(h.status), at=h.at, by=h.by, reason=h.reason) for h in history
        ],
        ineligible=ineligibility(call, city, application.body_type, application.theme),
    )


def _check_answers(call: Call, spec: ApplicationIn, *, complete: bool) -> dict[str, str]:
    fields = {f.code: f for f in (FormField.model_validate(x) for x in _list(call.form))}
    unknown = sorted(set(spec.answers) - set(fields))
    if unknown:
        _refuse(
            "call-invalid-answers", f"the call's form has no field {', '.join(unknown)}", column=unknown[0]
        )
    answers = {code: text.strip() for code, text in spec.answers.items()}
    for code, field in fields.items():
        text = answers.get(code, "")
        if len(text) > field.max_length:
            _refuse(
                "call-invalid-answers",
                f"the answer to {code} is longer than {field.max_length} characters",
                column=code,
            )
        if complete and field.required and not text:
            _refuse(
                "call-invalid-answers", f"the field {code} ({field.label_en}) needs an answer", column=code
            )
    themes = _list(call.themes)
    if complete and themes and spec.theme not in themes:
        _refuse(
            "call-invalid-answers", f"choose one of the call's themes: {', '.join(themes)}", column="theme"
        )
    return answers


def _history(
    session: Session,
    application: Application,
    status: ApplicationState,
    *,
    by: str,
    at: datetime,
    reason: str | None,
) -> None:
    before = application.status if application.id is not None else None
    application.status = status.value
    session.flush()
    session.add(
        ApplicationStatus(application_id=application.id, status=status.value, at=at, by=by, reason=reason)
    )
    session.flush()
    record_event(
        session,
        "application-status",
        summary=f"application {application.id} is {status.value} (was {before or 'new'}), by {by}",
        city_id=application.city_id,
        entity="call_application",
        entity_key=str(application.id),
        before={"status": before} if before else None,
        after={"status": status.value, "reason": reason},
    )


def _check_window(call: Call, at: datetime, applicant_zone: str | None) -> None:
    if applicant_zone:
        zone(applicant_zone)
    if call.state != CallState.OPEN.value or at < as_utc(call.opens_at):
        if at >= as_utc(call.closes_at):
            raise LateApplication(call, applicant_zone)
        opens = deadline_text(call.opens_at, call.time_zone)
        _refuse(
            "call-not-open",
            f"the call '{call.slug}' is {call.state} and takes applications from {opens}"
            if call.state != CallState.CLOSED.value
            else f"the call '{call.slug}' is closed",
            conflict=True,
        )
    if at >= as_utc(call.closes_at):
        raise LateApplication(call, applicant_zone)


def apply(
    session: Session, call_slug: str, spec: ApplicationIn, *, by: str, now: datetime | None = None
) -> ApplicationOut:
    """Apply to a call for the municipality ``spec.city``: a draft, or submitted at once (``spec.submit``).
    A draft of the same city is updated (and submitted when asked). Refused: outside the window
    (:class:`LateApplication` after the deadline, ``call-not-open`` before or when not open), answers that
    do not fit the form (``call-invalid-answers``), a second application of the city (``call-duplicate``)."""
    at = _now(now)
    call = get_call(session, call_slug)
    _check_window(call, at, spec.time_zone)
    city = areas.get_city(session, spec.city)
    answers = _check_answers(call, spec, complete=spec.submit)
    application = session.scalar(
        select(Application).where(Application.call_id == call.id, Application.city_id == city.id)
    )
    if application is not None and application.status != ApplicationState.DRAFT.value:
        _refuse(
            "call-duplicate",
            f"{city.slug} has applied to call '{call.slug}' already (application {application.id})",
            conflict=True,
        )
    if application is None:
        application = Application(
            call_id=call.id, city_id=city.id, status=ApplicationState.DRAFT.value, created_by=by,
            created_at=at, body_type=spec.body_type.value, theme=spec.theme, answers="{}",
        )  # fmt: skip
        session.add(application)
        session.flush()
        _history(session, application, ApplicationState.DRAFT, by=by, at=at, reason=None)
    application.body_type = spec.body_type.value
    application.theme = spec.theme or None
    application.answers = json.dumps(answers, ensure_ascii=False)
    session.flush()
    if spec.submit:
        application.submitted_at = at
        _history(session, application, ApplicationState.SUBMITTED, by=by, at=at, reason=None)
    return application_out(session, application)


def submit(
    session: Session,
    application_id: int,
    *,
    by: str,
    time_zone: str | None = None,
    now: datetime | None = None,
) -> ApplicationOut:
    """Submit a draft (within the call's window, with every required answer)."""
    at = _now(now)
    application = get_application(session, application_id)
    call = session.get(Call, application.call_id)
    assert call is not None
    if application.status != ApplicationState.DRAFT.value:
        _refuse(
            "call-invalid-transition",
            f"application {application_id} is {application.status}, not a draft",
            conflict=True,
        )
    _check_window(call, at, time_zone)
    city = session.get(City, application.city_id)
    assert city is not None
    spec = ApplicationIn(
        city=city.slug, body_type=application.body_type, theme=application.theme,
        answers=json.loads(application.answers or "{}"),
    )  # fmt: skip
    _check_answers(call, spec, complete=True)
    application.submitted_at = at
    _history(session, application, ApplicationState.SUBMITTED, by=by, at=at, reason=None)
    return application_out(session, application)


def set_status(
    session: Session,
    application_id: int,
    status: ApplicationState | str,
    *,
    by: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> ApplicationOut:
    """A coordinator's step: submitted → eligible | rejected → shortlisted → selected | rejected. Marking an
    application eligible checks the call's rules (``call-not-eligible`` with the reasons); a rejection needs
    a reason; a step the order does not allow is ``call-invalid-transition``."""
    try:
        target = ApplicationState(status)
    except ValueError:
        choices = ", ".join(s.value for s in ApplicationState)
        _refuse("call-invalid-transition", f"unknown status '{status}': use one of {choices}")
        raise  # pragma: no cover
    application = get_application(session, application_id)
    current = ApplicationState(application.status)
    if target == ApplicationState.SUBMITTED or target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current] if s != ApplicationState.SUBMITTED))
        _refuse(
            "call-invalid-transition",
            f"application {application_id} is {current.value}: it can become {allowed or 'nothing else'},"
            f" not {target.value}",
            conflict=True,
        )
    reason = (reason or "").strip() or None
    if target == ApplicationState.REJECTED and reason is None:
        _refuse("call-invalid-transition", "a rejection needs a reason", column="reason")
    if target == ApplicationState.ELIGIBLE:
        call = session.get(Call, application.call_id)
        city = session.get(City, application.city_id)
        assert call is not None and city is not None
        reasons = ineligibility(call, city, application.body_type, application.theme)
        if reasons:
            _refuse(
                "call-not-eligible",
                f"application {application_id} is not eligible: {'; '.join(reasons)}",
                conflict=True,
            )
    _history(session, application, target, by=by, at=_now(now), reason=reason)
    return application_out(session, application)


def list_applications(
    session: Session, call_slug: str, *, cities: Iterable[int] | None = None, status: str | None = None
) -> list[ApplicationOut]:
    """The call's applications (only those of ``cities`` when given: an applicant's own), by city name."""
    call = get_call(session, call_slug)
    query = (
        select(Application)
        .join(City, City.id == Application.city_id)
        .where(Application.call_id == call.id)
        .order_by(City.name, Application.id)
    )
    if cities is not None:
        query = query.where(Application.city_id.in_(list(cities)))
    if status is not None:
        query = query.where(Application.status == status)
    return [application_out(session, a) for a in session.scalars(query)]


def applications_of(session: Session, cities: Iterable[int]) -> list[ApplicationOut]:
    """Every application of the municipalities ``cities`` (a contact's own), newest first."""
    ids = list(cities)
    if not ids:
        return []
    query = select(Application).where(Application.city_id.in_(ids)).order_by(Application.created_at.desc())
    return [application_out(session, a) for a in session.scalars(query)]


# -- scores -------------------------------------------------------------------------------------------------


def score(
    session: Session,
    application_id: int,
    reviewer: str,
    values: dict[str, float],
    *,
    now: datetime | None = None,
) -> ApplicationScore:
    """Record ``reviewer``'s scores of an application (eligible, shortlisted or selected), replacing the
    reviewer's earlier scores of the same criteria; each value within its criterion's scale."""
    application = get_application(session, application_id)
    if application.status not in {
        s.value for s in (ApplicationState.ELIGIBLE, ApplicationState.SHORTLISTED, ApplicationState.SELECTED)
    }:
        _refuse(
            "call-invalid-score",
            f"application {application_id} is {application.status}: only eligible applications are scored",
            conflict=True,
        )
    call = session.get(Call, application.call_id)
    assert call is not None
    criteria = {c.code: c for c in (Criterion.model_validate(x) for x in _list(call.criteria))}
    if not values:
        _refuse("call-invalid-score", "give a score for at least one criterion")
    for code, value in values.items():
        criterion = criteria.get(code)
        if criterion is None:
            _refuse(
                "call-invalid-score",
                f"the call has no criterion {code}: use {', '.join(criteria) or 'none'}",
                column=code,
            )
            raise AssertionError  # pragma: no cover
        if not 0 <= value <= criterion.scale_max:
            _refuse(
                "call-invalid-score",
                f"the score of {code} must be 0 to {criterion.scale_max:g}, not {value:g}",
                column=code,
            )
    at = _now(now)
    for code, value in values.items():
        row = session.scalar(
            select(Score).where(
                Score.application_id == application.id, Score.reviewer == reviewer, Score.criterion == code
            )
        )
        if row is None:
            session.add(
                Score(
                    application_id=application.id,
                    reviewer=reviewer,
                    criterion=code,
                    value=float(value),
                    at=at,
                )
            )
        else:
            row.value, row.at = float(value), at
    session.flush()
    record_event(
        session,
        "application-scored",
        summary=f"{reviewer} scored application {application.id} on {len(values)} criteria",
        entity="call_application",
        entity_key=str(application.id),
    )
    return application_score(session, application, call)


def combine(weighted_sums: Sequence[float], method: Combination | str) -> float | None:
    """The combined score: the mean or the median of the reviewers' weighted sums (None without any)."""
    if not weighted_sums:
        return None
    if Combination(method) == Combination.MEDIAN:
        return float(statistics.median(weighted_sums))
    return float(statistics.fmean(weighted_sums))


def application_score(session: Session, application: Application, call: Call) -> ApplicationScore:
    criteria = [Criterion.model_validate(x) for x in _list(call.criteria)]
    by_reviewer: dict[str, dict[str, float]] = {}
    for row in session.scalars(
        select(Score).where(Score.application_id == application.id).order_by(Score.reviewer)
    ):
        by_reviewer.setdefault(row.reviewer, {})[row.criterion] = row.value
    reviewers = []
    for reviewer, values in sorted(by_reviewer.items()):
        complete = bool(criteria) and all(c.code in values for c in criteria)
        total = sum(c.weight * values[c.code] for c in criteria) if complete else None
        reviewers.append(ReviewerScore(reviewer=reviewer, values=values, weighted_sum=total))
    city = session.get(City, application.city_id)
    assert city is not None
    sums = [r.weighted_sum for r in reviewers if r.weighted_sum is not None]
    return ApplicationScore(
        application=application.id,
        city=city.slug,
        city_name=city.name,
        status=ApplicationState(application.status),
        reviewers=reviewers,
        combined=combine(sums, call.combination),
        method=method_text(call.combination),
    )


def method_text(combination: str) -> str:
    kind = "median" if combination == Combination.MEDIAN.value else "mean"
    return f"{kind} of the reviewers' weighted sums (sum of weight × score over the criteria)"


def ranking(session: Session, call_slug: str) -> Ranking:
    """The call's applications past submission with their scores, best combined score first (coordinators
    and reviewers only: scores are never public)."""
    call = get_call(session, call_slug)
    rows = session.scalars(
        select(Application).where(
            Application.call_id == call.id,
            Application.status.not_in([ApplicationState.DRAFT.value, ApplicationState.SUBMITTED.value]),
        )
    )
    scored = [application_score(session, a, call) for a in rows]
    scored.sort(key=lambda s: (s.combined is None, -(s.combined or 0.0), s.city_name))
    return Ranking(
        call=call.slug,
        method=method_text(call.combination),
        criteria=[Criterion.model_validate(x) for x in _list(call.criteria)],
        applications=scored,
    )


# -- counts -------------------------------------------------------------------------------------------------


def count_applications(
    session: Session, programme_slug: str, *, status: str | None = None, until: date | None = None
) -> int:
    """Applications to the programme's calls as of the end of ``until`` (today when ``None``), read from
    the status history: with ``status``, those whose status on that day was ``status``; without, those
    submitted by then (whatever became of them; drafts do not count)."""
    programme = get_programme(session, programme_slug)
    end = datetime.combine((until or datetime.now(UTC).date()) + timedelta(days=1), time(), tzinfo=UTC)
    rows = session.execute(
        select(
            ApplicationStatus.application_id,
            ApplicationStatus.status,
            ApplicationStatus.at,
            ApplicationStatus.id,
        )
        .join(Application, Application.id == ApplicationStatus.application_id)
        .join(Call, Call.id == Application.call_id)
        .where(Call.programme_id == programme.id)
    )
    latest: dict[int, tuple[datetime, int, str]] = {}
    submitted: set[int] = set()
    for application_id, state, at, row_id in rows:
        at = as_utc(at)
        if at >= end:
            continue
        if state != ApplicationState.DRAFT.value:
            submitted.add(application_id)
        key = (at, row_id, state)
        if application_id not in latest or key[:2] > latest[application_id][:2]:
            latest[application_id] = key
    if status is None:
        return len(submitted)
    return sum(1 for _at, _id, state in latest.values() if state == status)
