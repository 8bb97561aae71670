"""Pages of surveys, each with its JSON twin: the list, a survey (about, versions, who may answer), the form
of a municipality's response (server-side skip logic, required answers and constraints; no JavaScript
needed, a small script of our own shows and hides questions as answers change), the results per group with
small groups withheld (charts and tables) and a municipality's gaps.

Every page reads through :mod:`bettercities.surveys.service`, as the API and the CLI do; who may see and do
what is :mod:`bettercities.surveys.queries`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from markupsafe import Markup
from pydantic import BaseModel
from sqlalchemy import select

from bettercities.access.policy import audience_for
from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.core.errors import Conflict, InvalidInput
from bettercities.figures.surveys import AnswerBars, BarWords, answer_chart
from bettercities.networks.models import Network
from bettercities.surveys import queries, service
from bettercities.surveys.answers import FieldError
from bettercities.surveys.schemas import (
    FormDefinition,
    GapAnalysis,
    ResponseOut,
    SurveyOut,
    SurveyResults,
    SurveyStatus,
)
from bettercities.web.deps import Lang, PrincipalDep, SessionDep, TemplatesDep, WorkspaceDep
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.i18n import gettext_for
from bettercities.web.pages.networks import group_labels
from bettercities.web.templating import svg

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)

ByQuery = Annotated[
    str | None, Query(description="country, size_class, network, programme or network:<slug>", max_length=90)
]
NetworkQuery = Annotated[str | None, Query(description="Only the members of this network.", max_length=80)]
CityQuery = Annotated[str | None, Query(description="The municipality (its slug).", max_length=80)]


class RespondPage(BaseModel):
    """The response page's JSON twin: the form and the municipality's response (when there is one)."""

    survey: SurveyOut
    city: str
    form: FormDefinition
    response: ResponseOut | None


def reason_labels(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {
        "small-group": _("withheld: fewer municipalities than the minimum group size"),
        "secondary": _("withheld so that a smaller group cannot be derived from the total"),
    }


def finding_labels(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {
        "confirmed": _("says it collects, and holds data in bettercities"),
        "not-in-bettercities": _("says it collects, but holds none in bettercities"),
        "unreported": _("holds data in bettercities, but did not say so"),
        "need": _("says it needs support, holds none"),
        "unknown": _("says it collects; not known here"),
        "none": _("nothing said or held"),
    }


def _status_labels(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {"draft": _("draft"), "open": _("open"), "closed": _("closed")}


def _title(survey: SurveyOut, lang: str) -> str:
    return survey.title.get(lang) or next(iter(survey.title.values()), survey.slug)


# -- list and survey ----------------------------------------------------------------------------------------


@router.get("/surveys.json", response_model=list[SurveyOut], summary="Surveys page (JSON twin)")
def surveys_json(session: SessionDep) -> list[SurveyOut]:
    return service.list_surveys(session)


@router.get("/surveys", response_class=HTMLResponse, include_in_schema=False)
def surveys_page(request: Request, session: SessionDep, lang: Lang, templates: TemplatesDep) -> HTMLResponse:
    found = service.list_surveys(session)
    return templates.render(
        request,
        "surveys/list.html",
        lang=lang,
        surveys=found,
        titles={s.slug: _title(s, lang) for s in found},
        statuses=_status_labels(lang),
    )


@router.get("/surveys/{slug}.json", response_model=SurveyOut, summary="Survey page (JSON twin)")
def survey_json(slug: str, session: SessionDep) -> SurveyOut:
    return service.get_survey(session, slug)


def _speaker_cities(session: SessionDep, principal: PrincipalDep) -> list[City]:
    ids = set(principal.contact_cities) | {c for c, r in principal.city_roles.items() if r == "city_admin"}
    if not ids:
        return []
    return list(session.scalars(select(City).where(City.id.in_(sorted(ids))).order_by(City.name)))


@router.get("/surveys/{slug}", response_class=HTMLResponse, include_in_schema=False)
def survey_page(
    request: Request,
    slug: str,
    session: SessionDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse:
    survey = service.get_survey(session, slug)
    form = service.definition(session, slug)
    row = service.get_survey_row(session, slug)
    manage = queries.can_manage(principal, row)
    return templates.render(
        request,
        "surveys/survey.html",
        responses=service.list_responses(session, slug) if manage else [],
        lang=lang,
        survey=survey,
        title=_title(survey, lang),
        form=form,
        questions=[q for q in form.questions() if q.kind != "note"],
        statuses=_status_labels(lang),
        speaker_cities=_speaker_cities(session, principal),
        can_manage=queries.can_manage(principal, row),
        sections=[i for i in form.items if i.kind == "group"],
        flang=lang if lang in form.languages else form.default_language,
    )


@router.post("/surveys/{slug}/status", include_in_schema=False, response_model=None)
def status_form(
    slug: str,
    session: SessionDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    status: Annotated[SurveyStatus, Form()],
) -> RedirectResponse:
    """The coordinators' form: open or close the survey."""
    queries.require_manager(principal, service.get_survey_row(session, slug))
    with workspace.database.session() as writing:
        service.set_status(writing, slug, status, by=principal.name)
    return RedirectResponse(f"/surveys/{slug}?lang={lang}", status_code=303)


# -- the response form ------------------------------------------------------------------------------------


def _raw(form_data: Mapping[str, object], definition: FormDefinition) -> dict[str, str | list[str]]:
    """The posted answers by question (a select_multiple's checked boxes as a list)."""
    data = form_data if hasattr(form_data, "getlist") else {}
    raw: dict[str, str | list[str]] = {}
    for question in definition.questions():
        if question.kind == "select_multiple":
            raw[question.name] = [str(v) for v in data.getlist(question.name)]
        elif question.kind != "note":
            value = data.get(question.name)
            if value is not None:
                raw[question.name] = str(value)
    return raw


def _as_text(raw: Mapping[str, str | Sequence[str]]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else " ".join(v) for k, v in raw.items()}


def _render_form(
    request: Request,
    templates: TemplatesDep,
    session: SessionDep,
    principal: PrincipalDep,
    lang: str,
    slug: str,
    city: City,
    *,
    values: Mapping[str, str],
    errors: Sequence[FieldError] = (),
    saved: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    survey = service.get_survey(session, slug)
    row = service.get_survey_row(session, slug)
    definition = service.definition(session, slug)
    flang = lang if lang in definition.languages else definition.default_language
    shown = service.check(session, slug, values, lang=flang).shown
    response = service.get_response(session, slug, city.slug)
    may_answer = survey.status is SurveyStatus.OPEN and queries.can_answer(principal, city.id)
    return templates.render(
        request,
        "surveys/respond.html",
        lang=lang,
        status_code=status_code,
        survey=survey,
        title=_title(survey, lang),
        form=definition,
        flang=flang,
        city=city,
        values=values,
        shown=shown,
        errors={e.name: e.message for e in errors},
        error_list=list(errors),
        saved=saved,
        response=response,
        may_answer=may_answer,
        can_manage=queries.can_manage(principal, row),
        state={"city": city.slug},
        statuses=_status_labels(lang),
    )


def _city_for(session: SessionDep, principal: PrincipalDep, slug: str, city: str | None) -> City:
    row = service.get_survey_row(session, slug)
    if city is None:
        cities = _speaker_cities(session, principal)
        if len(cities) != 1:
            raise InvalidInput("choose the municipality: ?city=<slug>")
        return cities[0]
    found = areas.get_city(session, city)
    queries.require_viewer(principal, row, found.id)
    return found


@router.get("/surveys/{slug}/respond.json", response_model=RespondPage, summary="Response page (JSON twin)")
def respond_json(
    slug: str, session: SessionDep, principal: PrincipalDep, city: CityQuery = None
) -> RespondPage:
    found = _city_for(session, principal, slug, city)
    return RespondPage(
        survey=service.get_survey(session, slug),
        city=found.slug,
        form=service.definition(session, slug),
        response=service.get_response(session, slug, found.slug),
    )


@router.get("/surveys/{slug}/respond", response_class=HTMLResponse, include_in_schema=False)
def respond_page(
    request: Request,
    slug: str,
    session: SessionDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    city: CityQuery = None,
    saved: Annotated[bool, Query(description="Show that the response was saved.")] = False,
) -> HTMLResponse:
    found = _city_for(session, principal, slug, city)
    response = service.get_response(session, slug, found.slug)
    values = response.answers if response else {}
    return _render_form(request, templates, session, principal, lang, slug, found, values=values, saved=saved)


@router.post("/surveys/{slug}/respond", include_in_schema=False, response_model=None)
async def respond_post(
    request: Request,
    slug: str,
    session: SessionDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    city: CityQuery = None,
) -> HTMLResponse | RedirectResponse:
    """Save the response (``action=save``) or show the form again with the questions the answers make
    relevant (``action=update``, the button for browsers without JavaScript)."""
    found = _city_for(session, principal, slug, city)
    queries.require_respondent(principal, found.id)
    posted = await request.form()
    definition = service.definition(session, slug)
    flang = lang if lang in definition.languages else definition.default_language
    raw = _raw(posted, definition)
    values = _as_text(raw)
    if posted.get("action") == "update":
        return _render_form(request, templates, session, principal, lang, slug, found, values=values)
    try:
        with workspace.database.session() as writing:
            service.respond(writing, slug, found.slug, raw, by=principal.name, lang=flang)
    except InvalidInput as error:
        problems = error.report.problems if error.report else []
        errors = [FieldError(p.column or "", p.code, p.message) for p in problems]
        return _render_form(
            request,
            templates,
            session,
            principal,
            lang,
            slug,
            found,
            values=values,
            errors=errors,
            status_code=422,
        )
    except Conflict as error:
        errors = [FieldError("", "survey-closed", str(error))]
        return _render_form(
            request,
            templates,
            session,
            principal,
            lang,
            slug,
            found,
            values=values,
            errors=errors,
            status_code=409,
        )
    return RedirectResponse(f"/surveys/{slug}/respond?city={found.slug}&lang={lang}&saved=1", status_code=303)


@router.post("/surveys/{slug}/respond/shown", include_in_schema=False, response_model=None)
async def respond_shown(
    request: Request, slug: str, session: SessionDep, principal: PrincipalDep, city: CityQuery = None
) -> JSONResponse:
    """The questions shown with the posted answers (the form's script asks while answers change; nothing is
    written)."""
    _city_for(session, principal, slug, city)
    definition = service.definition(session, slug)
    raw = _raw(await request.form(), definition)
    shown = service.check(session, slug, raw, lang=definition.default_language).shown
    return JSONResponse({"shown": sorted(shown)})


# -- results and gaps -------------------------------------------------------------------------------------


@router.get("/surveys/{slug}/results.json", response_model=SurveyResults, summary="Results page (JSON twin)")
def results_json(
    slug: str, session: SessionDep, lang: Lang, by: ByQuery = None, network: NetworkQuery = None
) -> SurveyResults:
    return service.results(session, slug, group_by=by or None, network=network or None, lang=lang)


def _charts(found: SurveyResults, lang: str, names: Mapping[str, str]) -> dict[str, Markup]:
    _ = gettext_for(lang).gettext
    charts: dict[str, Markup] = {}
    for number, question in enumerate(found.questions):
        visible = [g for g in question.groups if not g.withheld]
        if question.kind not in {"select_one", "select_multiple"} or not visible:
            continue
        rows = [
            AnswerBars(
                label=a.label,
                values=[
                    (names.get(g.group, g.label), g.answers[i].share, g.answers[i].count) for g in visible
                ],
            )
            for i, a in enumerate(visible[0].answers)
        ]
        words = BarWords(
            title=question.label,
            description=_(
                "Share of responding municipalities per answer, per group; the table below the chart "
                "gives the same numbers. Groups below the minimum size are not drawn."
            ),
        )
        charts[question.name] = svg(answer_chart(rows, words=words, id_prefix=f"chart-{number}"))
    return charts


@router.get("/surveys/{slug}/results", response_class=HTMLResponse, include_in_schema=False)
def results_page(
    request: Request,
    slug: str,
    session: SessionDep,
    lang: Lang,
    templates: TemplatesDep,
    by: ByQuery = None,
    network: NetworkQuery = None,
) -> HTMLResponse:
    _ = gettext_for(lang).gettext
    survey = service.get_survey(session, slug)
    found = service.results(session, slug, group_by=by or None, network=network or None, lang=lang)
    names = {**group_labels(lang), "all": _("all responding municipalities")}
    networks = list(session.scalars(select(Network).order_by(Network.slug)))
    return templates.render(
        request,
        "surveys/results.html",
        lang=lang,
        survey=survey,
        title=_title(survey, lang),
        results=found,
        charts=_charts(found, lang, names),
        names=names,
        reasons=reason_labels(lang),
        networks=networks,
        by=by or "",
        network=network or "",
        state={"by": by or None, "network": network or None},
        groupings={
            "": _("all respondents"),
            "country": _("Country"),
            "size_class": _("Size class"),
            "network": _("Network"),
            "programme": _("Programme"),
        },
    )


@router.get("/surveys/{slug}/gaps/{city}.json", response_model=GapAnalysis, summary="Gaps page (JSON twin)")
def gaps_json(slug: str, city: str, session: SessionDep, principal: PrincipalDep, lang: Lang) -> GapAnalysis:
    found = areas.get_city(session, city)
    queries.require_viewer(principal, service.get_survey_row(session, slug), found.id)
    return service.gaps(session, slug, city, audience=audience_for(principal, found.id), lang=lang)


@router.get("/surveys/{slug}/gaps/{city}", response_class=HTMLResponse, include_in_schema=False)
def gaps_page(
    request: Request,
    slug: str,
    city: str,
    session: SessionDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse:
    found = areas.get_city(session, city)
    queries.require_viewer(principal, service.get_survey_row(session, slug), found.id)
    survey = service.get_survey(session, slug)
    gaps = service.gaps(session, slug, city, audience=audience_for(principal, found.id), lang=lang)
    return templates.render(
        request,
        "surveys/gaps.html",
        lang=lang,
        survey=survey,
        title=_title(survey, lang),
        gaps=gaps,
        findings=finding_labels(lang),
    )
