"""A survey and the versions of its form, read by the service, the results and the gap analysis."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bettercities.core.errors import NotFound
from bettercities.surveys.models import Survey, SurveyVersion
from bettercities.surveys.schemas import FormDefinition

__all__ = ["current_version", "definition", "get_survey_row"]


def get_survey_row(session: Session, slug: str) -> Survey:
    survey = session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is None:
        raise NotFound("survey", slug)
    return survey


def current_version(session: Session, survey: Survey) -> SurveyVersion:
    version = session.scalar(
        select(SurveyVersion)
        .where(SurveyVersion.survey_id == survey.id)
        .order_by(SurveyVersion.number.desc())
    )
    assert version is not None  # a survey is created with its first version
    return version


def definition(session: Session, slug: str, *, version: int | None = None) -> FormDefinition:
    """The form of survey ``slug``: its current version, or version ``version``."""
    survey = get_survey_row(session, slug)
    if version is None:
        row = current_version(session, survey)
    else:
        found = session.scalar(
            select(SurveyVersion).where(SurveyVersion.survey_id == survey.id, SurveyVersion.number == version)
        )
        if found is None:
            raise NotFound("survey version", f"{slug}/{version}")
        row = found
    return FormDefinition.model_validate_json(row.definition)
