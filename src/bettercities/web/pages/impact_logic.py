"""The page of a programme's impact logic, ``/programmes/{slug}/impact-logic`` with its JSON twin: the diagram
(five columns of boxes with arrows, each measure's current value and a spark line of its trend) and beside
it a table of every box, measure, value, trend and target (the diagram's text alternative). Coordinators of
a network of the programme (and platform admins) get forms that add boxes, links and measures and enter the
values of manual measures, calling the same service functions as the API and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from sqlalchemy.orm import Session

from bettercities.access.policy import can_coordinate_programme, require_programme_coordinator
from bettercities.core.errors import InvalidInput
from bettercities.figures.impact_logic import LogicWords, logic_diagram, measure_text
from bettercities.impact_logic import service
from bettercities.impact_logic.schemas import BoxIn, ImpactLogicOut, LinkIn, MeasureIn, Stage, ValueIn
from bettercities.networks.history import get_programme
from bettercities.web.deps import Lang, PrincipalDep, SessionDep, TemplatesDep, WorkspaceDep
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.forms import run_form
from bettercities.web.i18n import gettext_for
from bettercities.web.templating import PageContext, Templates, svg

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)

OnQuery = Annotated[
    date | None,
    Query(description="Values as of this day (YYYY-MM-DD); default: today, or the programme's last day."),
]


def stage_labels(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {
        Stage.INPUTS.value: _("Inputs (resources)"),
        Stage.ACTIVITIES.value: _("Activities"),
        Stage.OUTPUTS.value: _("Outputs (products)"),
        Stage.OUTCOMES.value: _("Outcomes (changes for the target groups)"),
        Stage.IMPACT.value: _("Impact (on society)"),
    }


def logic_words(result: ImpactLogicOut, lang: str) -> LogicWords:
    _ = gettext_for(lang).gettext
    measures = sum(len(b.measures) for b in result.boxes)
    return LogicWords(
        title=_("Impact logic of {programme}").format(programme=result.programme_name),
        description=_(
            "{boxes} boxes in five columns from inputs to impact, joined by {links} arrows, with {measures} "
            "measures: each with its value on {day} and a line of its values at the end of the last "
            "{quarters} quarters. The table below lists the same."
        ).format(
            boxes=len(result.boxes),
            links=len(result.links),
            measures=measures,
            day=result.on.isoformat(),
            quarters=len(result.quarters),
        ),
        stages=stage_labels(lang),
        unavailable=_("not available"),
        no_value=_("no value entered"),
        target=_("target {value}"),
        trend=_("trend: {points}"),
        leads_to=_("{source} leads to {target}"),
        empty=_("No boxes yet."),
    )


@router.get(
    "/programmes/{slug}/impact-logic.json",
    response_model=ImpactLogicOut,
    summary="Impact logic page (JSON twin)",
)
def impact_logic_json(slug: str, session: SessionDep, on: OnQuery = None) -> ImpactLogicOut:
    return service.logic(session, slug, on=on)


def render_logic(
    request: Request,
    slug: str,
    session: Session,
    lang: str,
    templates: Templates,
    *,
    on: date | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    result = service.logic(session, slug, on=on)
    page = PageContext(request, lang, {"on": on.isoformat() if on else None})
    words = logic_words(result, lang)

    def fmt(value: float) -> str:
        return page.num(value, 0 if float(value).is_integer() else 2)

    figure: Markup = svg(logic_diagram(result, lang=lang, fmt=fmt, words=words))
    values = {
        m.key: measure_text(m, lang=lang, fmt=fmt, words=words) for b in result.boxes for m in b.measures
    }
    programme_id = get_programme(session, slug).id
    return templates.render(
        request,
        "impact_logic/logic.html",
        lang=lang,
        status_code=status_code,
        result=result,
        figure=figure,
        values=values,
        fmt=fmt,
        stages=stage_labels(lang),
        titles={b.key: (b.title_de if lang == "de" else b.title_en) for b in result.boxes},
        codes=service.measure_codes(),
        can_manage=can_coordinate_programme(page.principal, programme_id),
        errors=errors or [],
        state={"on": on.isoformat() if on else None},
    )


@router.get("/programmes/{slug}/impact-logic", response_class=HTMLResponse, include_in_schema=False)
def impact_logic_page(
    request: Request, slug: str, session: SessionDep, lang: Lang, templates: TemplatesDep, on: OnQuery = None
) -> HTMLResponse:
    return render_logic(request, slug, session, lang, templates, on=on)


def _optional_day(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"“{text}” is not a date (YYYY-MM-DD)") from None


def _optional_number(text: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(f"“{text}” is not a number") from None


def _write(
    request: Request,
    slug: str,
    session: Session,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: str,
    templates: Templates,
    action: Callable[[Session], object],
) -> HTMLResponse | RedirectResponse:
    """Run a coordinator's form ``action(session)``: 303 back to the page, else the page again with the
    reasons (422); 401/403 for anyone who may not change the programme's impact logic."""
    require_programme_coordinator(
        principal, get_programme(session, slug).id, what="change this programme's impact logic"
    )
    return run_form(
        workspace,
        lang,
        action,
        refused=lambda messages: render_logic(
            request, slug, session, lang, templates, errors=messages, status_code=422
        ),
        done=f"/programmes/{slug}/impact-logic",
    )


@router.post("/programmes/{slug}/impact-logic/boxes", include_in_schema=False, response_model=None)
def box_add(
    request: Request,
    slug: str,
    session: SessionDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    key: Annotated[str, Form()] = "",
    stage: Annotated[str, Form()] = "",
    title_de: Annotated[str, Form()] = "",
    title_en: Annotated[str, Form()] = "",
    text_de: Annotated[str, Form()] = "",
    text_en: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """The coordinator's form: a new box."""

    def action(writing: Session) -> None:
        spec = BoxIn.model_validate(
            {"key": key.strip(), "stage": stage.strip(), "title_de": title_de.strip(),
             "title_en": title_en.strip(), "text_de": text_de or None, "text_en": text_en or None}
        )  # fmt: skip
        service.add_box(writing, slug, spec)

    return _write(request, slug, session, workspace, principal, lang, templates, action)


@router.post("/programmes/{slug}/impact-logic/links", include_in_schema=False, response_model=None)
def link_add(
    request: Request,
    slug: str,
    session: SessionDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    source: Annotated[str, Form()] = "",
    target: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """The coordinator's form: an arrow from one box to a box of a later stage."""

    def action(writing: Session) -> None:
        service.link_boxes(writing, slug, LinkIn(source=source.strip(), target=target.strip()))

    return _write(request, slug, session, workspace, principal, lang, templates, action)


@router.post("/programmes/{slug}/impact-logic/measures", include_in_schema=False, response_model=None)
def measure_add(
    request: Request,
    slug: str,
    session: SessionDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    key: Annotated[str, Form()] = "",
    box: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    label_de: Annotated[str, Form()] = "",
    label_en: Annotated[str, Form()] = "",
    unit_de: Annotated[str, Form()] = "",
    unit_en: Annotated[str, Form()] = "",
    target: Annotated[str, Form()] = "",
    target_date: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """The coordinator's form: a measure of a box (automatic with a code, else manual)."""

    def action(writing: Session) -> None:
        spec = MeasureIn.model_validate(
            {"key": key.strip(), "box": box.strip(), "code": code.strip() or None,
             "label_de": label_de or None, "label_en": label_en or None, "unit_de": unit_de or None,
             "unit_en": unit_en or None, "target": _optional_number(target),
             "target_date": _optional_day(target_date)}
        )  # fmt: skip
        service.add_measure(writing, slug, spec)

    return _write(request, slug, session, workspace, principal, lang, templates, action)


@router.post(
    "/programmes/{slug}/impact-logic/measures/{key}/values", include_in_schema=False, response_model=None
)
def value_record(
    request: Request,
    slug: str,
    key: str,
    session: SessionDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    day: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """The coordinator's form: a manual measure's value on a day, with its source."""
    _ = gettext_for(lang).gettext

    def action(writing: Session) -> None:
        on, number = _optional_day(day), _optional_number(value)
        if on is None or number is None or not source.strip():
            raise InvalidInput(_("Give the day, the value and its source."))
        service.record_value(writing, slug, key, ValueIn(day=on, value=number, source=source.strip()))

    return _write(request, slug, session, workspace, principal, lang, templates, action)
