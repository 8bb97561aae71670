"""The demo's practice survey: the shipped questionnaire on municipalities' social-data practice
(``surveys/data/practice_survey.xlsx``) loaded for #vernetztinEuropa and opened, with responses from twelve
member municipalities of the programme's tandems.

The answers are written for the demo (deterministic, varied across the cities): they are no record of what
these municipalities said. Idempotent: a second run finds the survey and its responses and adds nothing.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import select

from bettercities.areas.models import City
from bettercities.networks.models import Membership, Network, Programme
from bettercities.storage.workspace import Workspace
from bettercities.surveys import service
from bettercities.surveys.models import Survey, SurveyResponse
from bettercities.surveys.practice import shipped_path
from bettercities.surveys.schemas import SurveyStatus

__all__ = ["PROGRAMME", "SURVEY", "DemoSurveySummary", "load_surveys"]

PROGRAMME = "vernetztineuropa"
SURVEY = "practice-survey"
RESPONDENTS = 12
BY = "demo"
#: the demo's responses are dated in the weeks after the tandems started (17 May 2022)
FIRST_DAY = datetime(2022, 6, 1, 9, 0, tzinfo=UTC)

TOPICS = ("labour", "poverty", "education", "housing", "health", "demography", "participation")


class DemoSurveySummary(BaseModel):
    built: bool
    survey: str | None
    respondents: int


def _pick(slug: str, salt: str, options: tuple[str, ...], k: int = 1) -> list[str]:
    """``k`` of ``options``, chosen by a hash of the city and the question (the same on every run)."""
    digest = hashlib.sha256(f"{slug}:{salt}".encode()).digest()
    order = sorted(range(len(options)), key=lambda i: digest[i % len(digest)] ^ (i * 37))
    return [options[i] for i in sorted(order[:k])]


def answers_for(slug: str, number: int) -> dict[str, str]:
    """The demo answers of the ``number``-th responding city."""
    collects = _pick(slug, "topics", TOPICS, 2 + number % 4)
    small_area = "yes" if number % 3 != 2 else "no"
    priorities = ("never", "sometimes", "regularly")[number % 3]
    measures = "yes" if number % 2 == 0 else "no"
    answers = {
        "topics": " ".join(collects),
        "small_area": small_area,
        "sources": " ".join(
            _pick(slug, "sources", ("statistics_office", "registers", "own_surveys", "open_data"), 2)
        ),
        "staff": str(1 + (number * 7) % 15),
        "tools": " ".join(_pick(slug, "tools", ("spreadsheets", "database", "gis", "dashboard"), 2)),
        "priorities": priorities,
        "goals": "yes" if number % 4 == 0 else "no",
        "measures_impact": measures,
        "needs": " ".join(t for t in _pick(slug, "needs", TOPICS, 2) if t not in collects) or "participation",
        "support": " ".join(_pick(slug, "support", ("data_access", "methods", "training", "exchange"), 2)),
    }
    if small_area == "yes":
        answers["finest_level"] = ("district", "small_area", "block")[number % 3]
    if priorities != "never":
        answers["priority_example"] = "Demo: Sozialmonitoring für die Auswahl von Fördergebieten"
    if measures == "yes":
        answers["impact_methods"] = " ".join(
            _pick(slug, "methods", ("monitoring", "before_after", "comparison_group", "qualitative"), 2)
        )
    return answers


def load_surveys(workspace: Workspace) -> DemoSurveySummary:
    """Load and open the practice survey of #vernetztinEuropa with twelve responses (nothing when they are
    there, or when the programme is not)."""
    with workspace.database.session() as session:
        programme = session.scalar(select(Programme).where(Programme.slug == PROGRAMME))
        if programme is None:
            return DemoSurveySummary(built=False, survey=None, respondents=0)
        survey = session.scalar(select(Survey).where(Survey.slug == SURVEY))
        if survey is not None:
            count = service.count_respondents(session, survey_slug=SURVEY)
            return DemoSurveySummary(built=False, survey=SURVEY, respondents=count)
        service.load_survey(session, shipped_path(), slug=SURVEY, programme_slug=PROGRAMME, by=BY)
        service.set_status(session, SURVEY, SurveyStatus.OPEN, by=BY)
        cities = session.scalars(
            select(City)
            .join(Membership, Membership.city_id == City.id)
            .join(Network, Network.id == Membership.network_id)
            .where(Network.programme_id == programme.id, Membership.superseded_at.is_(None))
            .distinct()
            .order_by(City.name)
        ).all()[:RESPONDENTS]
        for number, city in enumerate(cities):
            service.respond(session, SURVEY, city.slug, answers_for(city.slug, number), by=BY)
        # the demo's responses are dated as if given in June 2022 (every one a day after the other)
        rows = session.scalars(
            select(SurveyResponse).join(Survey).where(Survey.slug == SURVEY).order_by(SurveyResponse.id)
        ).all()
        for day, row in enumerate(rows):
            row.submitted_at = row.updated_at = FIRST_DAY + timedelta(days=day)
        session.flush()
        return DemoSurveySummary(built=True, survey=SURVEY, respondents=len(cities))
