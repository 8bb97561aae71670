"""``/api/surveys``: surveys of municipalities, their forms, results (small groups withheld), a
municipality's response (its contacts give it; they and the coordinators read it) and its gaps (JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from bettercities.access.policy import audience_for
from bettercities.areas import service as areas
from bettercities.core.errors import NotFound
from bettercities.surveys import queries, service
from bettercities.surveys.schemas import (
    FormDefinition,
    GapAnalysis,
    ResponseOut,
    SurveyOut,
    SurveyResults,
    SurveyStatus,
)
from bettercities.web.deps import PrincipalDep, SessionDep, WorkspaceDep
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api", tags=["surveys"], responses=PROBLEM_RESPONSES)

ByQuery = Annotated[
    str | None,
    Query(description="country, size_class, network, programme or network:<slug>; default: all respondents"),
]
NetworkQuery = Annotated[str | None, Query(description="Only the members of this network (its slug).")]
LangQuery = Annotated[str, Query(pattern="^(de|en)$", description="Language of the labels.")]


class AnswersIn(BaseModel):
    """A municipality's answers: question name -> answer (a select_multiple's choices separated by spaces)."""

    answers: dict[str, str] = Field(max_length=500)


class StatusIn(BaseModel):
    status: SurveyStatus


@router.get("/surveys", response_model=list[SurveyOut], summary="Surveys with their status and respondents")
def surveys(session: SessionDep) -> list[SurveyOut]:
    return service.list_surveys(session)


@router.get("/surveys/{slug}", response_model=SurveyOut, summary="A survey with its form versions")
def survey(slug: str, session: SessionDep) -> SurveyOut:
    return service.get_survey(session, slug)


@router.get("/surveys/{slug}/form", response_model=FormDefinition, summary="The survey's current form")
def form(slug: str, session: SessionDep) -> FormDefinition:
    return service.definition(session, slug)


@router.get(
    "/surveys/{slug}/results",
    response_model=SurveyResults,
    summary="Results per group; groups below the minimum size withheld",
    description="Counts and shares per answer per group. A group with fewer respondents than the survey's "
    "minimum group size (default 3) is withheld: its label and reason, never its counts; when one group of a "
    "breakdown is withheld, the next smallest is withheld as well.",
)
def results(
    slug: str, session: SessionDep, by: ByQuery = None, network: NetworkQuery = None, lang: LangQuery = "en"
) -> SurveyResults:
    return service.results(session, slug, group_by=by, network=network, lang=lang)


def _city_id(session: SessionDep, city: str) -> int:
    return areas.get_city(session, city).id


@router.get(
    "/surveys/{slug}/responses/{city}",
    response_model=ResponseOut,
    summary="A municipality's response (its contacts and the survey's coordinators)",
)
def response(slug: str, city: str, session: SessionDep, principal: PrincipalDep) -> ResponseOut:
    queries.require_viewer(principal, service.get_survey_row(session, slug), _city_id(session, city))
    found = service.get_response(session, slug, city)
    if found is None:
        raise NotFound("survey response", f"{slug}/{city}")
    return found


@router.put(
    "/surveys/{slug}/responses/{city}",
    response_model=ResponseOut,
    summary="Give or change a municipality's response (its contacts, while the survey is open)",
    description="Checked on the server against the current form: types, choices, skip logic (relevant), "
    "required answers and constraints; refused answers give 422 with one problem per question (column = "
    "the question's name); a survey that is not open gives 409 survey-closed.",
)
def respond(
    slug: str,
    city: str,
    body: AnswersIn,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: LangQuery = "en",
) -> ResponseOut:
    with workspace.database.session() as session:
        queries.require_respondent(principal, _city_id(session, city))
        return service.respond(session, slug, city, body.answers, by=principal.name, lang=lang)


@router.get(
    "/surveys/{slug}/gaps/{city}",
    response_model=GapAnalysis,
    summary="What a municipality says it collects and needs against what it holds",
)
def gaps(
    slug: str, city: str, session: SessionDep, principal: PrincipalDep, lang: LangQuery = "en"
) -> GapAnalysis:
    city_id = _city_id(session, city)
    queries.require_viewer(principal, service.get_survey_row(session, slug), city_id)
    return service.gaps(session, slug, city, audience=audience_for(principal, city_id), lang=lang)


@router.post(
    "/surveys/{slug}/status", response_model=SurveyOut, summary="Open or close a survey (coordinators)"
)
def set_status(slug: str, body: StatusIn, workspace: WorkspaceDep, principal: PrincipalDep) -> SurveyOut:
    with workspace.database.session() as session:
        queries.require_manager(principal, service.get_survey_row(session, slug))
        return service.set_status(session, slug, body.status, by=principal.name)
