"""Pages of calls for participation: a programme's calls, a call (public: title, themes, window with its time
zone, eligibility, form), the application form for a municipality's contacts, the coordinators' list of
applications with status changes, the panel's scores and the forming of tandems, and one application (its
municipality's contacts and the coordinators), each with its JSON twin.

Scores are shown on the coordinators' page only; an applicant sees its own applications and no one else's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from bettercities.access.policy import Principal, require_programme_coordinator, require_speaker
from bettercities.areas import service as areas
from bettercities.calls import queries, service
from bettercities.calls.schemas import ApplicationIn, ApplicationOut, CallOut
from bettercities.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from bettercities.networks.history import get_programme
from bettercities.tandems import service as tandems
from bettercities.web.deps import DbId, Lang, PrincipalDep, SessionDep, TemplatesDep, WorkspaceDep
from bettercities.web.errors import PROBLEM_RESPONSES, form_messages
from bettercities.web.forms import run_form
from bettercities.web.i18n import gettext_for
from bettercities.web.templating import Templates

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)

#: Time zones offered to an applicant (the call's own is always among them).
TIME_ZONES = (
    "Europe/Lisbon", "Europe/London", "Europe/Dublin", "Europe/Paris", "Europe/Berlin", "Europe/Rome",
    "Europe/Vienna", "Europe/Warsaw", "Europe/Athens", "Europe/Sofia", "Europe/Bucharest", "Europe/Helsinki",
    "UTC",
)  # fmt: skip


def status_labels(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {
        "draft": _("draft"),
        "submitted": _("submitted"),
        "eligible": _("eligible"),
        "shortlisted": _("shortlisted"),
        "selected": _("selected"),
        "rejected": _("rejected"),
    }


def state_labels(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {"draft": _("in preparation"), "open": _("open"), "closed": _("closed")}


def body_labels(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {
        "municipality": _("municipality"),
        "county": _("county"),
        "association of municipalities": _("association of municipalities"),
        "other public body": _("other public body"),
    }


def size_labels(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {
        "small-town": _("small town (under 20,000)"),
        "medium-town": _("medium-sized town (20,000–99,999)"),
        "city": _("city (100,000–499,999)"),
        "large-city": _("large city (500,000 and more)"),
    }


def method_label(combination: str, lang: str) -> str:
    _ = gettext_for(lang).gettext
    if combination == "median":
        return _("median of the reviewers’ weighted sums (weight × score summed over the criteria)")
    return _("mean of the reviewers’ weighted sums (weight × score summed over the criteria)")


def _words(lang: str) -> dict[str, Any]:
    return {
        "statuses": status_labels(lang),
        "states": state_labels(lang),
        "bodies": body_labels(lang),
        "sizes": size_labels(lang),
    }


def _moment(value: datetime, lang: str) -> str:
    return f"{value:%d.%m.%Y %H:%M}" if lang == "de" else f"{value:%Y-%m-%d %H:%M}"


# -- a programme's calls and one call ---------------------------------------------------------------------


@router.get("/programmes/{slug}/calls.json", response_model=list[CallOut], summary="Calls page (JSON twin)")
def programme_calls_json(slug: str, session: SessionDep) -> list[CallOut]:
    return service.list_calls(session, slug)


@router.get("/programmes/{slug}/calls", response_class=HTMLResponse, include_in_schema=False)
def programme_calls(
    request: Request, slug: str, session: SessionDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    programme = get_programme(session, slug)
    return templates.render(
        request,
        "calls/list.html",
        lang=lang,
        programme=programme,
        calls=service.list_calls(session, slug),
        moment=lambda v: _moment(v, lang),
        **_words(lang),
    )


@router.get("/calls/{call}.json", response_model=CallOut, summary="Call page (JSON twin)")
def call_json(call: str, session: SessionDep) -> CallOut:
    return service.call_out(session, service.get_call(session, call))


@router.get("/calls/{call}", response_class=HTMLResponse, include_in_schema=False)
def call_page(
    request: Request,
    call: str,
    session: SessionDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse:
    out = service.call_out(session, service.get_call(session, call))
    return templates.render(
        request,
        "calls/call.html",
        lang=lang,
        call=out,
        coordinates=queries.coordinates(session, principal, call),
        can_apply=bool(queries.speaker_cities(session, principal)),
        method=method_label(out.combination.value, lang),
        moment=lambda v: _moment(v, lang),
        **_words(lang),
    )


# -- applying ---------------------------------------------------------------------------------------------


def render_apply(
    request: Request,
    call: str,
    session: Session,
    principal: Principal,
    lang: str,
    templates: Templates,
    *,
    errors: list[str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    out = service.call_out(session, service.get_call(session, call))
    zones = list(dict.fromkeys((out.time_zone, *TIME_ZONES)))
    return templates.render(
        request,
        "calls/apply.html",
        lang=lang,
        status_code=status_code,
        call=out,
        cities=queries.speaker_cities(session, principal),
        zones=zones,
        errors=errors or [],
        values=values or {},
        moment=lambda v: _moment(v, lang),
        **_words(lang),
    )


@router.get("/calls/{call}/apply.json", response_model=CallOut, summary="Application form (JSON twin)")
def apply_json(call: str, session: SessionDep) -> CallOut:
    return service.call_out(session, service.get_call(session, call))


@router.get("/calls/{call}/apply", response_class=HTMLResponse, include_in_schema=False)
def apply_page(
    request: Request,
    call: str,
    session: SessionDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse:
    return render_apply(request, call, session, principal, lang, templates)


def late_message(error: service.LateApplication, lang: str) -> str:
    """The refusal of a late application in the reader's words, naming the deadline in the call's zone, the
    applicant's (when given) and UTC."""
    _ = gettext_for(lang).gettext
    call_text = service.deadline_text(error.closes_at, error.call_zone)
    utc_text = service.deadline_text(error.closes_at, "UTC")
    if error.applicant_zone and error.applicant_zone != error.call_zone:
        return _(
            "Too late: the call closed for applications at {deadline}, which is {local} in your time zone "
            "({utc}). Applications after the deadline are refused."
        ).format(
            deadline=call_text,
            local=service.deadline_text(error.closes_at, error.applicant_zone),
            utc=utc_text,
        )
    return _(
        "Too late: the call closed for applications at {deadline} ({utc}). Applications after the deadline "
        "are refused."
    ).format(deadline=call_text, utc=utc_text)


@router.post("/calls/{call}/apply", include_in_schema=False, response_model=None)
async def apply(
    request: Request,
    call: str,
    session: SessionDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse | RedirectResponse:
    """A contact's application: the municipality, type of body, theme, the form's answers and the applicant's
    time zone; submitted at once (``draft`` keeps it a draft)."""
    form = await request.form()
    values = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    city = values.get("city", "").strip()
    if principal.anonymous:
        raise Forbidden("sign in to apply", anonymous=True)
    try:
        city_id = areas.get_city(session, city).id if city else 0
        require_speaker(principal, city_id, what="apply for this municipality")
        spec = ApplicationIn.model_validate(
            {
                "city": city,
                "body_type": values.get("body_type") or "municipality",
                "theme": values.get("theme") or None,
                "answers": {k[7:]: v for k, v in values.items() if k.startswith("answer_")},
                "submit": values.get("draft") != "1",
                "time_zone": values.get("time_zone") or None,
            }
        )
        with workspace.database.session() as writing:
            out = service.apply(writing, call, spec, by=principal.name)
    except service.LateApplication as error:
        return render_apply(
            request, call, session, principal, lang, templates, errors=[late_message(error, lang)],
            values=values, status_code=409,
        )  # fmt: skip
    except (InvalidInput, ValidationError, Conflict, NotFound) as error:
        messages = (
            form_messages(error, lang) if isinstance(error, InvalidInput | ValidationError) else [str(error)]
        )
        if isinstance(error, Conflict) and error.report is not None:
            messages = form_messages(InvalidInput(str(error), error.report), lang)
        return render_apply(
            request,
            call,
            session,
            principal,
            lang,
            templates,
            errors=messages,
            values=values,
            status_code=422,
        )
    return RedirectResponse(f"/applications/{out.id}?lang={lang}", status_code=303)


# -- the coordinators' page -------------------------------------------------------------------------------


def render_applications(
    request: Request,
    call: str,
    session: Session,
    principal: Principal,
    lang: str,
    templates: Templates,
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    out = service.call_out(session, service.get_call(session, call))
    rows = queries.visible_applications(session, call, principal)
    coordinates = queries.coordinates(session, principal, call)
    ranking = service.ranking(session, call) if coordinates else None
    scores = {s.application: s for s in ranking.applications} if ranking else {}
    return templates.render(
        request,
        "calls/applications.html",
        lang=lang,
        status_code=status_code,
        call=out,
        applications=rows,
        coordinates=coordinates,
        scores=scores,
        ranking=ranking,
        method=method_label(out.combination.value, lang),
        criterion_label=lambda c: c.label_de if lang == "de" else c.label_en,
        errors=errors or [],
        today=datetime.now(UTC).date().isoformat(),
        **_words(lang),
    )


@router.get(
    "/calls/{call}/applications.json",
    response_model=list[ApplicationOut],
    summary="Applications page (JSON twin; no scores)",
)
def applications_json(call: str, session: SessionDep, principal: PrincipalDep) -> list[ApplicationOut]:
    return queries.visible_applications(session, call, principal)


@router.get("/calls/{call}/applications", response_class=HTMLResponse, include_in_schema=False)
def applications_page(
    request: Request,
    call: str,
    session: SessionDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse:
    return render_applications(request, call, session, principal, lang, templates)


def _coordinator_write(
    request: Request,
    call: str,
    session: Session,
    workspace: WorkspaceDep,
    principal: Principal,
    lang: str,
    templates: Templates,
    action: Callable[[Session], object],
    *,
    what: str,
    target: Callable[[object], str] | None = None,
) -> HTMLResponse | RedirectResponse:
    queries.require_call_coordinator(session, principal, call, what=what)
    return run_form(
        workspace,
        lang,
        action,
        refused=lambda messages: render_applications(
            request, call, session, principal, lang, templates, errors=messages, status_code=422
        ),
        done=target or f"/calls/{call}/applications",
    )


def _application_of(session: Session, call: str, application_id: int) -> None:
    found = service.get_application(session, application_id)
    if service.call_of(session, found).slug != call:
        raise NotFound("application", application_id)


@router.post(
    "/calls/{call}/applications/{application_id}/status", include_in_schema=False, response_model=None
)
def status_change(
    request: Request,
    call: str,
    application_id: DbId,
    session: SessionDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    status: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """The coordinator's form: the application's next status (a rejection with its reason)."""

    def action(writing: Session) -> None:
        _application_of(writing, call, application_id)
        service.set_status(writing, application_id, status.strip(), by=principal.name, reason=reason)

    return _coordinator_write(
        request,
        call,
        session,
        workspace,
        principal,
        lang,
        templates,
        action,
        what="change application statuses",
    )


@router.post(
    "/calls/{call}/applications/{application_id}/score", include_in_schema=False, response_model=None
)
async def score(
    request: Request,
    call: str,
    application_id: DbId,
    session: SessionDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse | RedirectResponse:
    """The coordinator's form as a reviewer: a score per criterion."""
    form = await request.form()
    _ = gettext_for(lang).gettext

    def action(writing: Session) -> None:
        _application_of(writing, call, application_id)
        values: dict[str, float] = {}
        for key, raw in form.items():
            if key.startswith("criterion_") and isinstance(raw, str) and raw.strip():
                try:
                    values[key[10:]] = float(raw.replace(",", "."))
                except ValueError:
                    raise InvalidInput(_("“{value}” is not a number.").format(value=raw)) from None
        service.score(writing, application_id, principal.name, values)

    return _coordinator_write(
        request, call, session, workspace, principal, lang, templates, action, what="score applications"
    )


@router.post("/calls/{call}/tandems", include_in_schema=False, response_model=None)
async def form_tandem(
    request: Request,
    call: str,
    session: SessionDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse | RedirectResponse:
    """The coordinator's form: a tandem of two or three selected applications."""
    form = await request.form()
    _ = gettext_for(lang).gettext
    ids = [int(v) for v in form.getlist("application") if isinstance(v, str) and v.isdigit()]
    name = str(form.get("name") or "").strip()
    start_text = str(form.get("start") or "").strip()

    def action(writing: Session) -> str:
        try:
            start = date.fromisoformat(start_text) if start_text else None
        except ValueError:
            raise InvalidInput(_("“{value}” is not a date (YYYY-MM-DD).").format(value=start_text)) from None
        programme = get_programme(
            writing, service.call_out(writing, service.get_call(writing, call)).programme
        )
        require_programme_coordinator(principal, programme.id, what="form a tandem")
        return tandems.form_tandem(
            writing, programme.slug, ids, name=name, by=principal.name, start=start
        ).slug

    return _coordinator_write(
        request, call, session, workspace, principal, lang, templates, action, what="form a tandem",
        target=lambda slug: f"/tandems/{slug}",
    )  # fmt: skip


# -- one application --------------------------------------------------------------------------------------


@router.get(
    "/applications/{application_id}.json",
    response_model=ApplicationOut,
    summary="Application page (JSON twin)",
)
def application_json(application_id: DbId, session: SessionDep, principal: PrincipalDep) -> ApplicationOut:
    return queries.visible_application(session, application_id, principal)


@router.get("/applications/{application_id}", response_class=HTMLResponse, include_in_schema=False)
def application_page(
    request: Request,
    application_id: DbId,
    session: SessionDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse:
    out = queries.visible_application(session, application_id, principal)
    call = service.call_out(session, service.get_call(session, out.call))
    labels: dict[str, str] = {f.code: (f.label_de if lang == "de" else f.label_en) for f in call.form}
    return templates.render(
        request,
        "calls/application.html",
        lang=lang,
        application=out,
        call=call,
        labels=labels,
        coordinates=queries.coordinates(session, principal, out.call),
        moment=lambda v: _moment(v, lang),
        **_words(lang),
    )
