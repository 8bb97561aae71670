"""Pages of action plans: a city's plans (with the form for a new one), a plan's page (objectives, actions as
a table and a timeline, budget totals, risks, the status of its goals; forms for stewards to add objectives,
actions and risks and to change an action's status), and the printable plan (A4, no navigation). Each has
its JSON twin; every read goes through :mod:`bettercities.plans.queries`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from bettercities.access.policy import Permission, can
from bettercities.areas import service as areas
from bettercities.core.errors import InvalidInput
from bettercities.figures.plans import timeline
from bettercities.plans import queries, service
from bettercities.plans.schemas import (
    FUNDING_SUGGESTIONS,
    ActionIn,
    ActionStatus,
    ObjectiveIn,
    PlanIn,
    PlanOut,
    PlanStatus,
    PlanSummary,
    RiskIn,
    RiskLevel,
    StatusChangeIn,
    read,
)
from bettercities.views.reader import Reader
from bettercities.web.deps import NEEDS_EDIT, DbId, Lang, PrincipalDep, ReaderDep, TemplatesDep, WorkspaceDep
from bettercities.web.errors import PROBLEM_RESPONSES, form_messages
from bettercities.web.formatting import parse_amount
from bettercities.web.i18n import gettext_for
from bettercities.web.templating import svg
from bettercities.web.vocabularies import N_

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)

#: Labels of the statuses and levels (the pages' words for the codes).
PLAN_STATUS = {
    PlanStatus.DRAFT: N_("draft"),
    PlanStatus.ADOPTED: N_("adopted"),
    PlanStatus.ARCHIVED: N_("archived"),
}
ACTION_STATUS = {
    ActionStatus.PLANNED: N_("planned"),
    ActionStatus.IN_PROGRESS: N_("in progress"),
    ActionStatus.DONE: N_("done"),
    ActionStatus.DELAYED: N_("delayed"),
    ActionStatus.DROPPED: N_("dropped"),
}
RISK_LEVEL = {
    RiskLevel.LOW: N_("risk level: low"),
    RiskLevel.MEDIUM: N_("risk level: medium"),
    RiskLevel.HIGH: N_("risk level: high"),
}
GOAL_STATUS = {
    "achieved": N_("achieved"),
    "on_track": N_("on track"),
    "off_track": N_("off track"),
    "no_new_data": N_("no new data"),
}


def labels(lang: str) -> dict[str, dict[str, str]]:
    """The words of the codes in ``lang``, for the templates."""
    _ = gettext_for(lang).gettext
    return {
        "plan_status": {k.value: _(v) for k, v in PLAN_STATUS.items()},
        "action_status": {k.value: _(v) for k, v in ACTION_STATUS.items()},
        "risk_level": {k.value: _(v) for k, v in RISK_LEVEL.items()},
        "goal_status": {k: _(v) for k, v in GOAL_STATUS.items()},
    }


def date_text(day: date, lang: str) -> str:
    return day.strftime("%d.%m.%Y") if lang == "de" else day.isoformat()


def money_text(amount: Any, currency: str, lang: str) -> str:
    """An amount with two decimals in the reader's notation (1.234,50 EUR / 1,234.50 EUR)."""
    text = f"{amount:,.2f}"
    if lang == "de":
        text = text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return f"{text} {currency}"


def _list_values(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def _ids(text: str) -> list[Any]:
    """Goal ids from a form field (``3, 7``); what is not a number is passed on for the schema to refuse."""
    return [int(v) if v.isdigit() else v for v in _list_values(text)]


def _amount(text: str) -> Any:
    """A budget as typed, German (``1.500,25``) or English (``1,500.25``); what is not a number is passed on
    as typed for the schema to refuse with its problem code."""
    try:
        return parse_amount(text)
    except ValueError:
        return text.strip()


# -- the list of plans ---------------------------------------------------------------------------------------


@router.get(
    "/cities/{slug}/plans.json", response_model=list[PlanSummary], summary="Action plans page (JSON twin)"
)
def plans_json(slug: str, reader: ReaderDep) -> list[PlanSummary]:
    return queries.visible_plans(reader, slug)


def render_list(
    request: Request,
    slug: str,
    reader: Reader,
    lang: str,
    templates: TemplatesDep,
    *,
    form: Mapping[str, str] | None = None,
    problems: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    city = areas.get_city(reader.session, slug)
    return templates.render(
        request,
        "plans/list.html",
        lang=lang,
        status_code=status_code,
        city=city,
        plans=queries.visible_plans(reader, slug),
        can_edit=can(reader.principal, Permission.EDIT, city.id),
        labels=labels(lang),
        date_text=lambda d: date_text(d, lang),
        form=form or {},
        problems=problems or [],
    )


@router.get("/cities/{slug}/plans", response_class=HTMLResponse, include_in_schema=False)
def plans_page(
    request: Request, slug: str, reader: ReaderDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    return render_list(request, slug, reader, lang, templates)


@router.post("/cities/{slug}/plans", include_in_schema=False, response_model=None, dependencies=NEEDS_EDIT)
def plan_add(
    request: Request,
    slug: str,
    reader: ReaderDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    title: Annotated[str, Form()] = "",
    period_from: Annotated[str, Form()] = "",
    period_to: Annotated[str, Form()] = "",
    summary: Annotated[str, Form()] = "",
    owner_unit: Annotated[str, Form()] = "",
    public: Annotated[bool, Form()] = False,
) -> HTMLResponse | RedirectResponse:
    """The form of a new plan: 303 to its page, else the list again with the problems (422)."""
    form = {"title": title, "period_from": period_from, "period_to": period_to, "summary": summary,
            "owner_unit": owner_unit, "public": "on" if public else ""}  # fmt: skip
    try:
        plan = read(PlanIn, {**form, "public": public}, what="plan")
        with workspace.database.session() as session:
            plan_id = service.add_plan(session, slug, plan, user=principal.name)
    except InvalidInput as error:
        return render_list(
            request,
            slug,
            reader,
            lang,
            templates,
            form=form,
            problems=form_messages(error, lang),
            status_code=422,
        )
    return RedirectResponse(f"/cities/{slug}/plans/{plan_id}?lang={lang}", status_code=303)


# -- one plan ------------------------------------------------------------------------------------------------


@router.get(
    "/cities/{slug}/plans/{plan_id}.json", response_model=PlanOut, summary="Action plan page (JSON twin)"
)
def plan_json(slug: str, plan_id: DbId, reader: ReaderDep) -> PlanOut:
    return queries.visible_plan(reader, slug, plan_id)


@router.get(
    "/cities/{slug}/plans/{plan_id}/print.json", response_model=PlanOut, summary="Printable plan (JSON twin)"
)
def plan_print_json(slug: str, plan_id: DbId, reader: ReaderDep) -> PlanOut:
    return queries.visible_plan(reader, slug, plan_id)


def _context(reader: Reader, slug: str, plan: PlanOut, lang: str) -> dict[str, Any]:
    """What the plan page and the printable plan show besides the plan."""
    _ = gettext_for(lang).gettext
    city = areas.get_city(reader.session, slug)
    words = labels(lang)
    actions = [a for o in plan.objectives for a in o.actions]
    drawn = timeline(
        actions,
        start=plan.period_from,
        end=plan.period_to,
        today=plan.figures.as_of,
        title=_("Timeline of the actions"),
        status_label=lambda status: words["action_status"][status.value],
        fmt_date=lambda d: date_text(d, lang),
    )
    return {
        "city": city,
        "plan": plan,
        "labels": words,
        "objective_titles": {str(o.id): o.title for o in plan.objectives},
        "action_titles": {a.id: a.title for a in actions},
        "timeline": svg(drawn),
        "date_text": lambda d: date_text(d, lang) if d is not None else "–",
        "money": lambda amount, currency: money_text(amount, currency, lang),
    }


def render_plan(
    request: Request,
    slug: str,
    plan_id: int,
    reader: Reader,
    lang: str,
    templates: TemplatesDep,
    *,
    form: Mapping[str, str] | None = None,
    problems: list[str] | None = None,
    failed: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    plan = queries.visible_plan(reader, slug, plan_id)
    context = _context(reader, slug, plan, lang)
    return templates.render(
        request,
        "plans/plan.html",
        lang=lang,
        status_code=status_code,
        can_edit=can(reader.principal, Permission.EDIT, context["city"].id),
        statuses=[s.value for s in ActionStatus],
        levels=[level.value for level in RiskLevel],
        funding_suggestions=FUNDING_SUGGESTIONS,
        form=form or {},
        problems=problems or [],
        failed=failed,
        **context,
    )


@router.get("/cities/{slug}/plans/{plan_id}", response_class=HTMLResponse, include_in_schema=False)
def plan_page(
    request: Request, slug: str, plan_id: DbId, reader: ReaderDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    return render_plan(request, slug, plan_id, reader, lang, templates)


@router.get("/cities/{slug}/plans/{plan_id}/print", response_class=HTMLResponse, include_in_schema=False)
def plan_print(
    request: Request, slug: str, plan_id: DbId, reader: ReaderDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    plan = queries.visible_plan(reader, slug, plan_id)
    return templates.render(request, "plans/print.html", lang=lang, **_context(reader, slug, plan, lang))


# -- the forms of the plan page (stewards and city admins) ---------------------------------------------------


def _write(
    request: Request,
    slug: str,
    plan_id: int,
    reader: Reader,
    lang: str,
    templates: TemplatesDep,
    *,
    form: dict[str, str],
    failed: str,
    write: Any,
) -> HTMLResponse | RedirectResponse:
    """Run ``write`` (it reads the form and writes in one transaction): 303 back to the plan, else the plan
    page with the problems above the form that failed (422), its values kept."""
    try:
        write()
    except InvalidInput as error:
        return render_plan(
            request, slug, plan_id, reader, lang, templates,
            form=form, problems=form_messages(error, lang), failed=failed, status_code=422,
        )  # fmt: skip
    return RedirectResponse(f"/cities/{slug}/plans/{plan_id}?lang={lang}", status_code=303)


@router.post(
    "/cities/{slug}/plans/{plan_id}/objectives", include_in_schema=False, response_model=None,
    dependencies=NEEDS_EDIT,
)  # fmt: skip
def objective_add(
    request: Request,
    slug: str,
    plan_id: DbId,
    reader: ReaderDep,
    workspace: WorkspaceDep,
    lang: Lang,
    templates: TemplatesDep,
    title: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    goals: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    form = {"title": title, "description": description, "goals": goals}

    def write() -> None:
        objective = read(ObjectiveIn, {**form, "goals": _ids(goals)}, what="objective")
        with workspace.database.session() as session:
            service.add_objective(session, slug, plan_id, objective)

    return _write(request, slug, plan_id, reader, lang, templates, form=form, failed="objective", write=write)


class _ActionForm(BaseModel):
    """The fields of the action form as posted (text)."""

    objective: str = ""
    title: str = ""
    description: str = ""
    responsible_unit: str = ""
    partners: str = ""
    start: str = ""
    end: str = ""
    budget: str = ""
    currency: str = "EUR"
    funding_source: str = ""
    status: str = "planned"
    goals: str = ""
    areas: str = ""

    def action(self) -> ActionIn:
        data: dict[str, Any] = {
            "title": self.title, "description": self.description, "responsible_unit": self.responsible_unit,
            "partners": _list_values(self.partners), "start": self.start or None, "end": self.end or None,
            "budget": _amount(self.budget),
            "currency": self.currency or "EUR", "funding_source": self.funding_source, "status": self.status,
            "goals": _ids(self.goals), "areas": _list_values(self.areas),
        }  # fmt: skip
        return read(ActionIn, data, what="action")


@router.post(
    "/cities/{slug}/plans/{plan_id}/actions", include_in_schema=False, response_model=None,
    dependencies=NEEDS_EDIT,
)  # fmt: skip
def action_add(
    request: Request,
    slug: str,
    plan_id: DbId,
    reader: ReaderDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    posted: Annotated[_ActionForm, Form()],
) -> HTMLResponse | RedirectResponse:
    form = posted.model_dump()

    def write() -> None:
        action = posted.action()
        plan = queries.visible_plan(reader, slug, plan_id)
        objectives = {str(o.id) for o in plan.objectives}
        if posted.objective not in objectives:
            raise InvalidInput(f"objective: choose an objective of this plan (not {posted.objective!r})")
        with workspace.database.session() as session:
            service.add_action(session, slug, int(posted.objective), action, user=principal.name)

    return _write(request, slug, plan_id, reader, lang, templates, form=form, failed="action", write=write)


@router.post(
    "/cities/{slug}/plans/{plan_id}/actions/{action_id}/status", include_in_schema=False, response_model=None,
    dependencies=NEEDS_EDIT,
)  # fmt: skip
def action_status(
    request: Request,
    slug: str,
    plan_id: DbId,
    action_id: DbId,
    reader: ReaderDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    status: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    form = {"status": status, "note": note, "action": str(action_id)}

    def write() -> None:
        change = read(StatusChangeIn, {"status": status, "note": note}, what="status change")
        if queries.visible_action(reader, slug, action_id).plan_id != plan_id:
            raise InvalidInput(f"action {action_id} is not an action of plan {plan_id}")
        with workspace.database.session() as session:
            service.set_status(session, slug, action_id, change, user=principal.name)

    return _write(request, slug, plan_id, reader, lang, templates, form=form, failed="status", write=write)


@router.post(
    "/cities/{slug}/plans/{plan_id}/risks",
    include_in_schema=False,
    response_model=None,
    dependencies=NEEDS_EDIT,
)
def risk_add(
    request: Request,
    slug: str,
    plan_id: DbId,
    reader: ReaderDep,
    workspace: WorkspaceDep,
    lang: Lang,
    templates: TemplatesDep,
    description: Annotated[str, Form()] = "",
    likelihood: Annotated[str, Form()] = "",
    impact: Annotated[str, Form()] = "",
    mitigation: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    form = {"description": description, "likelihood": likelihood, "impact": impact, "mitigation": mitigation,
            "risk_action": action}  # fmt: skip

    def write() -> None:
        data = {
            "description": description, "likelihood": likelihood, "impact": impact, "mitigation": mitigation,
            "action_id": int(action) if action.isdigit() else (action or None),
        }  # fmt: skip
        risk = read(RiskIn, data, what="risk")
        with workspace.database.session() as session:
            service.add_risk(session, slug, plan_id, risk)

    return _write(request, slug, plan_id, reader, lang, templates, form=form, failed="risk", write=write)
