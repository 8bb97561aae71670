"""The page of a peer-learning tandem: its members, lifecycle stage, activities, documents, outputs and the
goals of its cities it serves, with the coordinators' forms; and its JSON twin."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from bettercities.access.policy import (
    Principal,
    audience_for,
    can_coordinate_programme,
    require_programme_coordinator,
)
from bettercities.core.errors import InvalidInput
from bettercities.tandems import service
from bettercities.tandems.schemas import ActivityIn, DocumentIn, OutputIn, Stage, TandemDetail
from bettercities.web.deps import Lang, PrincipalDep, SessionDep, TemplatesDep, WorkspaceDep
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.forms import run_form
from bettercities.web.i18n import gettext_for
from bettercities.web.templating import Templates

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)


def stage_labels(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {
        "kick-off": _("kick-off"),
        "visits": _("visits"),
        "workshops": _("workshops"),
        "outputs": _("outputs"),
        "follow-up": _("follow-up"),
    }


def activity_labels(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {
        "kick-off": _("kick-off"),
        "visit": _("visit"),
        "workshop": _("workshop"),
        "meeting": _("meeting"),
        "webinar": _("webinar"),
        "other": _("other"),
    }


def output_labels(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {
        "action_plan": _("action plan"),
        "report": _("report"),
        "other": _("other"),
        "drafted": _("drafted"),
        "adopted": _("adopted"),
    }


def _detail(session: Session, slug: str, principal: Principal) -> TandemDetail:
    return service.tandem_detail(session, slug, audience=lambda city: audience_for(principal, city))


@router.get("/tandems/{slug}.json", response_model=TandemDetail, summary="Tandem page (JSON twin)")
def tandem_json(slug: str, session: SessionDep, principal: PrincipalDep) -> TandemDetail:
    return _detail(session, slug, principal)


def render_tandem(
    request: Request,
    slug: str,
    session: Session,
    principal: Principal,
    lang: str,
    templates: Templates,
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    detail = _detail(session, slug, principal)
    network = service.get_tandem(session, slug)
    return templates.render(
        request,
        "tandems/tandem.html",
        lang=lang,
        status_code=status_code,
        detail=detail,
        can_manage=can_coordinate_programme(principal, network.programme_id or 0),
        stages=stage_labels(lang),
        kinds=activity_labels(lang),
        outputs=output_labels(lang),
        errors=errors or [],
    )


@router.get("/tandems/{slug}", response_class=HTMLResponse, include_in_schema=False)
def tandem_page(
    request: Request,
    slug: str,
    session: SessionDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse:
    return render_tandem(request, slug, session, principal, lang, templates)


def _day(text: str, lang: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            gettext_for(lang).gettext("“{value}” is not a date (YYYY-MM-DD).").format(value=text)
        ) from None


def _write(
    request: Request,
    slug: str,
    session: Session,
    workspace: WorkspaceDep,
    principal: Principal,
    lang: str,
    templates: Templates,
    action: Callable[[Session], Any],
) -> HTMLResponse | RedirectResponse:
    network = service.get_tandem(session, slug)
    require_programme_coordinator(principal, network.programme_id or 0, what="manage this tandem")
    return run_form(
        workspace,
        lang,
        action,
        refused=lambda messages: render_tandem(
            request, slug, session, principal, lang, templates, errors=messages, status_code=422
        ),
        done=f"/tandems/{slug}",
    )


Text = Annotated[str, Form()]


@router.post("/tandems/{slug}/stages", include_in_schema=False, response_model=None)
def stage(
    request: Request, slug: str, session: SessionDep, workspace: WorkspaceDep, principal: PrincipalDep,
    lang: Lang, templates: TemplatesDep, stage: Text = "", on: Text = "", note: Text = "",
) -> HTMLResponse | RedirectResponse:  # fmt: skip
    """The coordinator's form: the tandem enters a stage on a day."""

    def action(writing: Session) -> None:
        day = _day(on, lang)
        if day is None:
            raise InvalidInput(gettext_for(lang).gettext("Give the day the stage began."))
        service.set_stage(writing, slug, stage.strip() or Stage.KICK_OFF.value, on=day, note=note)

    return _write(request, slug, session, workspace, principal, lang, templates, action)


@router.post("/tandems/{slug}/activities", include_in_schema=False, response_model=None)
def activity(
    request: Request, slug: str, session: SessionDep, workspace: WorkspaceDep, principal: PrincipalDep,
    lang: Lang, templates: TemplatesDep, kind: Text = "", title: Text = "", starts_on: Text = "",
    ends_on: Text = "", place: Text = "", participants: Text = "",
) -> HTMLResponse | RedirectResponse:  # fmt: skip
    """The coordinator's form: an activity with its dates and participants (one per line or comma)."""

    def action(writing: Session) -> None:
        people = [p.strip() for p in participants.replace("\n", ",").split(",") if p.strip()]
        spec = ActivityIn.model_validate(
            {"kind": kind.strip(), "title": title.strip(), "starts_on": _day(starts_on, lang),
             "ends_on": _day(ends_on, lang), "place": place.strip() or None, "participants": people}
        )  # fmt: skip
        service.add_activity(writing, slug, spec)

    return _write(request, slug, session, workspace, principal, lang, templates, action)


@router.post("/tandems/{slug}/documents", include_in_schema=False, response_model=None)
def document(
    request: Request, slug: str, session: SessionDep, workspace: WorkspaceDep, principal: PrincipalDep,
    lang: Lang, templates: TemplatesDep, title: Text = "", url: Text = "", file_ref: Text = "",
) -> HTMLResponse | RedirectResponse:  # fmt: skip
    """The coordinator's form: a document's title and its link or file reference."""

    def action(writing: Session) -> None:
        spec = DocumentIn.model_validate(
            {"title": title.strip(), "url": url.strip() or None, "file_ref": file_ref.strip() or None}
        )
        service.add_document(writing, slug, spec)

    return _write(request, slug, session, workspace, principal, lang, templates, action)


@router.post("/tandems/{slug}/outputs", include_in_schema=False, response_model=None)
def output(
    request: Request, slug: str, session: SessionDep, workspace: WorkspaceDep, principal: PrincipalDep,
    lang: Lang, templates: TemplatesDep, kind: Text = "action_plan", title: Text = "", city: Text = "",
    status: Text = "drafted", drafted_on: Text = "", adopted_on: Text = "",
) -> HTMLResponse | RedirectResponse:  # fmt: skip
    """The coordinator's form: an output (an action plan …) with its status and days."""

    def action(writing: Session) -> None:
        spec = OutputIn.model_validate(
            {"kind": kind.strip(), "title": title.strip(), "city": city.strip() or None,
             "status": status.strip(), "drafted_on": _day(drafted_on, lang),
             "adopted_on": _day(adopted_on, lang)}
        )  # fmt: skip
        service.add_output(writing, slug, spec)

    return _write(request, slug, session, workspace, principal, lang, templates, action)


@router.post("/tandems/{slug}/goals", include_in_schema=False, response_model=None)
def goal(
    request: Request, slug: str, session: SessionDep, workspace: WorkspaceDep, principal: PrincipalDep,
    lang: Lang, templates: TemplatesDep, goal: Text = "", output: Text = "", note: Text = "",
) -> HTMLResponse | RedirectResponse:  # fmt: skip
    """The coordinator's form: link a member city's goal (to an output, when chosen)."""

    def action(writing: Session) -> None:
        if not goal.strip().isdigit():
            raise InvalidInput(gettext_for(lang).gettext("Choose a goal."))
        output_id = int(output) if output.strip().isdigit() else None
        service.link_goal(writing, slug, int(goal), output_id=output_id, note=note)

    return _write(request, slug, session, workspace, principal, lang, templates, action)
