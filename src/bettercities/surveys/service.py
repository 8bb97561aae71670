"""Surveys: load an XLSForm (a new version when the slug exists and the form changed), open and close a
survey, record a municipality's response (checked on the server), and the reads every face shares: surveys,
responses, respondents; the results (:mod:`bettercities.surveys.results`) and a city's gaps
(:mod:`bettercities.surveys.gaps`) are re-exported here.

Every refusal is a :class:`~bettercities.core.problems.Problem` in an
:class:`~bettercities.core.errors.InvalidInput` report, found before anything is written; the audit domain's
storage hooks record every write of the session.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.core.errors import Conflict, InvalidInput
from bettercities.core.problems import Problem, Report
from bettercities.networks.models import Programme
from bettercities.storage.base import utcnow
from bettercities.surveys.answers import Checked, check_answers
from bettercities.surveys.gaps import gaps
from bettercities.surveys.models import Survey, SurveyResponse, SurveyVersion
from bettercities.surveys.results import results
from bettercities.surveys.schemas import (
    MIN_GROUP_SIZE,
    FormDefinition,
    ResponseOut,
    SurveyOut,
    SurveyStatus,
    VersionOut,
)
from bettercities.surveys.versions import current_version, definition, get_survey_row
from bettercities.surveys.xlsform import read_form

__all__ = [
    "Loaded",
    "count_respondents",
    "definition",
    "gaps",
    "get_response",
    "get_survey",
    "get_survey_row",
    "list_responses",
    "list_surveys",
    "load_survey",
    "respond",
    "results",
    "set_status",
]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")


@dataclass(frozen=True)
class Loaded:
    """What a load did: the survey, the version the form is, and whether that version is new."""

    survey: SurveyOut
    version: int
    new_version: bool


def _slug_of(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


def survey_out(session: Session, survey: Survey, *, versions: bool = True) -> SurveyOut:
    rows = session.scalars(
        select(SurveyVersion).where(SurveyVersion.survey_id == survey.id).order_by(SurveyVersion.number)
    ).all()
    counts = dict(
        session.execute(
            select(SurveyResponse.version_id, func.count(SurveyResponse.id))
            .where(SurveyResponse.survey_id == survey.id)
            .group_by(SurveyResponse.version_id)
        ).all()
    )
    current = FormDefinition.model_validate_json(rows[-1].definition)
    programme = session.get(Programme, survey.programme_id) if survey.programme_id else None
    return SurveyOut(
        slug=survey.slug,
        title=current.title,
        programme=programme.slug if programme else None,
        status=SurveyStatus(survey.status),
        min_group_size=survey.min_group_size,
        opened_at=survey.opened_at,
        closed_at=survey.closed_at,
        current_version=rows[-1].number,
        versions=[
            VersionOut(
                number=v.number,
                form_version=v.form_version,
                sha256=v.sha256,
                filename=v.filename,
                loaded_at=v.loaded_at,
                loaded_by=v.loaded_by,
                questions=sum(
                    q.kind != "note" for q in FormDefinition.model_validate_json(v.definition).questions()
                ),
                responses=counts.get(v.id, 0),
            )
            for v in rows
        ]
        if versions
        else [],
        respondents=sum(counts.values()),
    )


def load_survey(
    session: Session,
    path: Path,
    *,
    slug: str | None = None,
    programme_slug: str | None = None,
    by: str | None,
    filename: str | None = None,
    min_group_size: int | None = None,
) -> Loaded:
    """Load the XLSForm at ``path`` as survey ``slug`` (default: the form's ``form_id``): a new survey, a new
    version of it when the form changed, or nothing new when the same form is loaded again.

    Raises :class:`InvalidInput` naming the sheet, row and column of every problem; nothing is written."""
    read = read_form(path, filename=filename)
    problems = list(read.report.problems)
    programme: Programme | None = None
    if programme_slug:
        programme = session.scalar(select(Programme).where(Programme.slug == programme_slug))
        if programme is None:
            problems.append(
                Problem(
                    code="survey-unknown-programme",
                    message=f"no programme {programme_slug!r}",
                    column="programme",
                    value=programme_slug,
                )
            )
    chosen = slug or (_slug_of(read.definition.form_id) if read.definition else "")
    if read.definition is not None and not _SLUG.match(chosen):
        problems.append(
            Problem(
                code="survey-invalid-name",
                message="a survey's slug is 2 to 80 lower-case letters, digits and hyphens",
                column="survey",
                value=chosen,
            )
        )
    if min_group_size is not None and not 1 <= min_group_size <= 1000:
        problems.append(
            Problem(
                code="survey-invalid-form",
                message="the minimum group size is 1 to 1000",
                column="min_group_size",
                value=str(min_group_size),
            )
        )
    errors = [p for p in problems if p.severity == "error"]
    if errors or read.definition is None:
        raise InvalidInput("; ".join(str(p) for p in errors), Report(source=read.filename, problems=problems))
    definition = read.definition
    text = definition.model_dump_json()
    survey = session.scalar(select(Survey).where(Survey.slug == chosen))
    if survey is None:
        survey = Survey(
            slug=chosen,
            programme_id=programme.id if programme else None,
            status="draft",
            min_group_size=min_group_size or MIN_GROUP_SIZE,
            created_by=by,
        )
        session.add(survey)
        session.flush()
        number = 1
    else:
        latest = current_version(session, survey)
        if programme is not None and survey.programme_id != programme.id:
            survey.programme_id = programme.id
        if min_group_size is not None and survey.min_group_size != min_group_size:
            survey.min_group_size = min_group_size
        if latest.definition == text:
            session.flush()
            return Loaded(survey_out(session, survey), latest.number, False)
        number = latest.number + 1
    session.add(
        SurveyVersion(
            survey_id=survey.id,
            number=number,
            form_version=definition.version,
            sha256=read.sha256,
            filename=read.filename[:200],
            definition=text,
            loaded_by=by,
        )
    )
    session.flush()
    return Loaded(survey_out(session, survey), number, True)


def list_surveys(session: Session, *, programme_slug: str | None = None) -> list[SurveyOut]:
    query = select(Survey).order_by(Survey.slug)
    if programme_slug:
        query = query.join(Programme, Programme.id == Survey.programme_id).where(
            Programme.slug == programme_slug
        )
    return [survey_out(session, s, versions=False) for s in session.scalars(query)]


def get_survey(session: Session, slug: str) -> SurveyOut:
    return survey_out(session, get_survey_row(session, slug))


def set_status(session: Session, slug: str, status: SurveyStatus, *, by: str | None = None) -> SurveyOut:
    """Open a survey for responses, or close it (responses can no longer change); reopening is allowed."""
    survey = get_survey_row(session, slug)
    if survey.status != status.value:
        survey.status = status.value
        if status is SurveyStatus.OPEN:
            survey.opened_at = utcnow()
            survey.closed_at = None
        elif status is SurveyStatus.CLOSED:
            survey.closed_at = utcnow()
        session.flush()
    return survey_out(session, survey)


def _response_out(session: Session, survey: Survey, row: SurveyResponse, city: City) -> ResponseOut:
    version = session.get(SurveyVersion, row.version_id)
    assert version is not None
    return ResponseOut(
        survey=survey.slug,
        city=city.slug,
        city_name=city.name,
        version=version.number,
        submitted=row.submitted,
        answers=json.loads(row.answers),
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def get_response(session: Session, slug: str, city_slug: str) -> ResponseOut | None:
    """The response of municipality ``city_slug`` (the caller checks who may see it)."""
    survey = get_survey_row(session, slug)
    city = areas.get_city(session, city_slug)
    row = session.scalar(
        select(SurveyResponse).where(SurveyResponse.survey_id == survey.id, SurveyResponse.city_id == city.id)
    )
    return None if row is None else _response_out(session, survey, row, city)


def list_responses(
    session: Session, slug: str, *, city_ids: Sequence[int] | None = None
) -> list[ResponseOut]:
    """The responses to survey ``slug`` (of ``city_ids`` only, when given), by municipality."""
    survey = get_survey_row(session, slug)
    query = (
        select(SurveyResponse, City)
        .join(City, City.id == SurveyResponse.city_id)
        .where(SurveyResponse.survey_id == survey.id)
        .order_by(City.name)
    )
    if city_ids is not None:
        query = query.where(SurveyResponse.city_id.in_(list(city_ids)))
    return [_response_out(session, survey, r, c) for r, c in session.execute(query).all()]


def check(
    session: Session, slug: str, raw: Mapping[str, str | Sequence[str] | None], *, lang: str
) -> Checked:
    """The answers as the server checks them against the survey's current form (nothing is written)."""
    return check_answers(definition(session, slug), raw, lang=lang)


def respond(
    session: Session,
    slug: str,
    city_slug: str,
    raw: Mapping[str, str | Sequence[str] | None],
    *,
    by: str | None,
    lang: str = "en",
) -> ResponseOut:
    """Record (or change) municipality ``city_slug``'s response to the open survey ``slug``, checked against
    its current form; the response is tied to that version.

    A closed or draft survey is a :class:`Conflict` (``survey-closed``); refused answers an
    :class:`InvalidInput` with one problem per question (column = the question's name)."""
    survey = get_survey_row(session, slug)
    city = areas.get_city(session, city_slug)
    if survey.status != SurveyStatus.OPEN.value:
        problem = Problem(
            code="survey-closed",
            message=f"the survey {slug} is {survey.status}: responses cannot be given or changed",
            column="survey",
            value=slug,
        )
        raise Conflict(problem.message, Report(source=slug, problems=[problem]))
    version = current_version(session, survey)
    form = FormDefinition.model_validate_json(version.definition)
    checked = check_answers(form, raw, lang=lang)
    if checked.errors:
        problems = [Problem(code=e.code, message=e.message, column=e.name, file=slug) for e in checked.errors]
        raise InvalidInput(
            "; ".join(f"{e.name}: {e.message}" for e in checked.errors),
            Report(source=slug, problems=problems),
        )
    text = json.dumps(checked.answers, ensure_ascii=False, sort_keys=True)
    row = session.scalar(
        select(SurveyResponse).where(SurveyResponse.survey_id == survey.id, SurveyResponse.city_id == city.id)
    )
    now = utcnow()
    if row is None:
        row = SurveyResponse(
            survey_id=survey.id,
            city_id=city.id,
            version_id=version.id,
            submitted=True,
            answers=text,
            submitted_at=now,
            updated_at=now,
            updated_by=by,
        )
        session.add(row)
    elif row.answers != text or row.version_id != version.id:
        row.answers, row.version_id, row.updated_at, row.updated_by = text, version.id, now, by
    session.flush()
    return _response_out(session, survey, row, city)


def count_respondents(
    session: Session,
    *,
    programme_slug: str | None = None,
    survey_slug: str | None = None,
    until: date | None = None,
) -> int:
    """Municipalities with a submitted response (to survey ``survey_slug``, to the surveys of programme
    ``programme_slug``), first submitted on or before ``until`` (a day, inclusive; UTC)."""
    query = (
        select(func.count(func.distinct(SurveyResponse.city_id)))
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .where(SurveyResponse.submitted.is_(True))
    )
    if survey_slug:
        query = query.where(Survey.slug == survey_slug)
    if programme_slug:
        query = query.join(Programme, Programme.id == Survey.programme_id).where(
            Programme.slug == programme_slug
        )
    if until is not None:
        after = datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC)
        query = query.where(SurveyResponse.submitted_at < after)
    return int(session.scalar(query) or 0)
