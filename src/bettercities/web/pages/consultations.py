"""Pages of consultation rounds: the city's rounds, a round (rank or dot the items, comment, propose; works
without JavaScript: plain forms), the invitation landing page (the same round page for a link's holder), and
the results (with .json twins and a CSV download).

Beside each item the page shows the data it concerns, read for the visitor's audience: a priority area's
latest indicator values (the area profile's reader), a goal's status (the goals' queries).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from bettercities.access.policy import Permission, can
from bettercities.analysis.priority import queries as priority
from bettercities.areas import service as areas
from bettercities.audit.context import current_actor
from bettercities.consultations import participation, queries, service
from bettercities.consultations.schemas import (
    BallotIn,
    CommentIn,
    InvitationIn,
    ItemIn,
    ItemKind,
    ModerationIn,
    ProposalIn,
    RoundIn,
    RoundOut,
    RoundResults,
    RoundStatus,
)
from bettercities.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from bettercities.goals import queries as goals
from bettercities.plans import queries as plans
from bettercities.views import service as views
from bettercities.views.reader import Reader
from bettercities.views.schemas import ViewState
from bettercities.web.deps import DbId, Lang, PrincipalDep, ReaderDep, SessionDep, TemplatesDep, WorkspaceDep
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)

#: Indicators shown beside a priority area item (the first of its profile with a published value).
CONTEXT_ROWS = 4
INVITATION_PATH = "/consultations/invitations/{token}"


def _item_context(reader: Reader, slug: str, shown: RoundOut, lang: str) -> dict[int, dict[str, Any]]:
    """What each item concerns, as the reader's audience may see it."""
    context: dict[int, dict[str, Any]] = {}
    for item in shown.items:
        if item.kind == ItemKind.PRIORITY_AREA:
            name, _, code = item.key.rpartition("/")
            try:
                found = priority.visible_set(reader, slug, name)
                view = views.area_view(reader, slug, code, ViewState(lang=lang, level=found.level))
            except NotFound:
                continue
            rows = [r for r in view.rows if r.value is not None and not r.suppressed][:CONTEXT_ROWS]
            context[item.id] = {
                "href": f"/cities/{slug}/areas/{code}?level={found.level}&lang={lang}",
                "rows": rows,
            }
        elif item.kind == ItemKind.GOAL:
            try:
                goal = goals.visible_goal(reader, slug, int(item.key))
            except NotFound:
                continue
            context[item.id] = {
                "href": f"/cities/{slug}/goals/{item.key}?lang={lang}",
                "status": goal.status.value if goal.status else None,
            }
        elif item.kind == ItemKind.ACTION:
            try:
                action = plans.visible_action(reader, slug, int(item.key))
            except NotFound:
                continue
            context[item.id] = {
                "href": f"/cities/{slug}/plans/{action.plan_id}?lang={lang}",
                "action": action,
            }
    return context


def _ballot_votes(form: dict[str, str], method: str) -> dict[int, int]:
    """``rank-<item>`` / ``dots-<item>`` fields as item -> value; an empty dots field is 0, an empty rank is
    left out (the service then names the item not ranked); a non-number is refused."""
    prefix = "rank-" if method == "ranking" else "dots-"
    votes: dict[int, int] = {}
    for name, raw in form.items():
        if not name.startswith(prefix) or not name[len(prefix) :].isdigit():
            continue
        text = raw.strip()
        if not text:
            if prefix == "dots-":
                votes[int(name[len(prefix) :])] = 0
            continue
        if not text.lstrip("-").isdigit():
            raise service.refuse("votes", "invalid-ballot", f"{name}: not a whole number: {text!r}")
        votes[int(name[len(prefix) :])] = int(text)
    return votes


def _render_round(
    request: Request,
    reader: Reader,
    templates: TemplatesDep,
    lang: str,
    shown: RoundOut,
    *,
    invitation: str | None = None,
    label: str | None = None,
    used: bool = False,
    issued: str | None = None,
    error: str = "",
    notice: str = "",
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    principal = reader.principal
    city = areas.get_city(reader.session, shown.city)
    editor = can(principal, Permission.EDIT, city.id)
    base = (
        INVITATION_PATH.format(token=invitation)
        if invitation
        else f"/cities/{city.slug}/consultations/{shown.id}"
    )
    response = templates.render(
        request,
        "consultations/round.html",
        lang=lang,
        status_code=status_code,
        city=city,
        shown=shown,
        base=base,
        invitation=invitation,
        label=label,
        used=used,
        editor=editor,
        signed_in=not principal.anonymous,
        participating=bool(invitation) or not principal.anonymous,
        context=_item_context(reader, city.slug, shown, lang),
        comments=queries.flatten(shown.comments),
        error=error,
        notice=notice,
        issued=issued,
        form=form or {},
        sets=priority.visible_sets(reader, city.slug) if editor and not invitation else [],
    )
    if invitation or issued:
        response.headers["Referrer-Policy"] = "no-referrer"  # the link is the holder's key
        response.headers["Cache-Control"] = "private, no-store"
    return response


# -- list ----------------------------------------------------------------------------------------------------


@router.get(
    "/cities/{slug}/consultations.json",
    response_model=list[RoundOut],
    summary="Consultation rounds page (JSON twin)",
)
def rounds_json(slug: str, session: SessionDep, principal: PrincipalDep) -> list[RoundOut]:
    return queries.visible_rounds(session, principal, slug)


def _render_list(
    request: Request, reader: Reader, templates: TemplatesDep, lang: str, slug: str, *, error: str = "",
    form: dict[str, str] | None = None, status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    city = areas.get_city(reader.session, slug)
    return templates.render(
        request,
        "consultations/list.html",
        lang=lang,
        status_code=status_code,
        city=city,
        rounds=queries.visible_rounds(reader.session, reader.principal, slug),
        editor=can(reader.principal, Permission.EDIT, city.id),
        error=error,
        form=form or {},
    )


@router.get("/cities/{slug}/consultations", response_class=HTMLResponse, include_in_schema=False)
def rounds_page(
    request: Request, slug: str, reader: ReaderDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    return _render_list(request, reader, templates, lang, slug)


# -- a round -------------------------------------------------------------------------------------------------


@router.get(
    "/cities/{slug}/consultations/{round_id}.json",
    response_model=RoundOut,
    summary="Consultation round page (JSON twin)",
)
def round_json(slug: str, round_id: DbId, session: SessionDep, principal: PrincipalDep) -> RoundOut:
    return queries.visible_round(session, principal, slug, round_id)


@router.get("/cities/{slug}/consultations/{round_id}", response_class=HTMLResponse, include_in_schema=False)
def round_page(
    request: Request, slug: str, round_id: DbId, reader: ReaderDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    shown = queries.visible_round(reader.session, reader.principal, slug, round_id)
    notice = request.query_params.get("done", "")
    return _render_round(request, reader, templates, lang, shown, notice=notice)


#: Forms of the city's stewards on a round's page (permission ``edit``).
STEWARD_FORMS = ("items", "open", "close", "invitations", "moderation")


def _when(form: dict[str, str], name: str) -> datetime | None:
    """A form's time field: ISO 8601 with its time zone (a time without one is refused: whose 9 o'clock?)."""
    text = form.get(name, "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name}: not a time: {text!r} (e.g. 2026-06-30T18:00+02:00)") from None
    if value.tzinfo is None:
        raise InvalidInput(f"{name}: give the time zone, e.g. {text}+02:00")
    return value


def _steward(session: Session, slug: str, round_id: int, action: str, form: dict[str, str]) -> str | None:
    """A steward's form on the round page; the path of a new invitation link (shown once), else None."""
    if action == "items":
        data = ItemIn.model_validate(
            {
                "kind": form.get("kind", ""),
                "key": form.get("key", "").strip(),
                "title": form.get("title") or None,
            }
        )
        service.add_item(session, slug, round_id, data)
    elif action == "open":
        service.open_round(session, slug, round_id, closes_at=_when(form, "closes"))
    elif action == "close":
        service.close_round(session, slug, round_id)
    elif action == "invitations":
        invitation = InvitationIn(label=form.get("label", ""), group=form.get("group", "").strip() or None)
        return participation.invite(session, slug, round_id, invitation, actor=current_actor().name).path
    return None


def _act(
    request: Request,
    reader: Reader,
    templates: TemplatesDep,
    lang: str,
    workspace: WorkspaceDep,
    slug: str,
    round_id: int,
    action: str,
    form: dict[str, str],
    *,
    invitation: str | None = None,
) -> Response:
    """Run one participant's or moderator's form through the service: 303 back to the round (with a notice),
    else the round page again with the message (409 for a round that is not open or a second vote, 422 for
    refused input, 403 for who may not)."""
    principal = reader.principal
    issued: str | None = None
    try:
        with workspace.database.session() as session:
            if action == "ballot":
                row = service.get_round(session, slug, round_id)[1]
                votes = _ballot_votes(form, row.method)
                participation.cast_ballot(
                    session, slug, round_id, BallotIn(votes=votes, invitation=invitation), principal=principal
                )
            elif action == "comment":
                item, parent = form.get("item", ""), form.get("parent", "")
                if not item.isdigit() or (parent and not parent.isdigit()):
                    raise service.refuse("item", "unknown-item", "choose the item the comment is about")
                data = CommentIn(
                    item=int(item), parent=int(parent) if parent else None, body=form.get("body", ""),
                    invitation=invitation,
                )  # fmt: skip
                participation.add_comment(session, slug, round_id, data, principal=principal)
            elif action == "proposal":
                title = service.check_text(form.get("title", ""), "title", limit=200, lines=False)
                proposal = ProposalIn(
                    title=title, description=form.get("description") or None, invitation=invitation
                )
                participation.propose(session, slug, round_id, proposal, principal=principal)
            elif action in STEWARD_FORMS:
                city = areas.get_city(session, slug)
                if not can(principal, Permission.EDIT, city.id):
                    raise Forbidden(
                        f"{principal.name} may not {action} here (needs the permission 'edit')",
                        anonymous=principal.anonymous,
                    )
                issued = _steward(session, slug, round_id, action, form)
            if action == "moderation":
                target = form.get("comment", "") or form.get("item", "")
                if not target.isdigit():
                    raise InvalidInput("choose the comment or proposal to moderate")
                decision = ModerationIn.model_validate(
                    {
                        "reason": form.get("reason", "").strip() or "-",
                        "decision": form.get("decision", "hide"),
                    }
                )
                service.check_text(form.get("reason", ""), "reason", limit=500)
                participation.moderate(
                    session, slug, round_id,
                    comment=int(target) if form.get("comment") else None,
                    item=None if form.get("comment") else int(target),
                    decision=decision, actor=current_actor().name,
                )  # fmt: skip
    except (InvalidInput, Conflict, Forbidden) as error:
        if isinstance(error, Forbidden) and not invitation and principal.anonymous:
            raise
        status = 422 if isinstance(error, InvalidInput) else 409 if isinstance(error, Conflict) else 403
        shown, label, used = _shown(reader, slug, round_id, invitation)
        return _render_round(
            request, reader, templates, lang, shown, invitation=invitation, label=label, used=used,
            error=str(error), form=form, status_code=status,
        )  # fmt: skip
    except ValueError as error:  # a pydantic refusal of the form (e.g. a moderation decision)
        shown, label, used = _shown(reader, slug, round_id, invitation)
        return _render_round(
            request, reader, templates, lang, shown, invitation=invitation, label=label, used=used,
            error=str(error), form=form, status_code=422,
        )  # fmt: skip
    if issued:  # the link is shown this once: on this answer, never again
        shown, _, _ = _shown(reader, slug, round_id, None)
        return _render_round(
            request, reader, templates, lang, shown, issued=str(request.base_url).rstrip("/") + issued,
            notice="invitation", status_code=201,
        )  # fmt: skip
    base = (
        INVITATION_PATH.format(token=invitation) if invitation else f"/cities/{slug}/consultations/{round_id}"
    )
    return RedirectResponse(f"{base}?lang={lang}&done={action}", status_code=303)


def _shown(
    reader: Reader, slug: str, round_id: int, invitation: str | None
) -> tuple[RoundOut, str | None, bool]:
    if invitation:
        return queries.invitation_round(reader.session, invitation)
    return queries.visible_round(reader.session, reader.principal, slug, round_id), None, False


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields (the ballot's fields are named by item: ``rank-<id>``, ``dots-<id>``)."""
    data = await request.form()
    return {k: v for k, v in data.items() if isinstance(v, str)}


FormDep = Annotated[dict[str, str], Depends(form_fields)]


def _round_action(action: str) -> Callable[..., Response]:
    def handler(
        request: Request, slug: str, round_id: DbId, reader: ReaderDep, lang: Lang, templates: TemplatesDep,
        workspace: WorkspaceDep, form: FormDep,
    ) -> Response:  # fmt: skip
        return _act(request, reader, templates, lang, workspace, slug, round_id, action, form)

    handler.__name__ = f"round_{action}"
    return handler


def _invitation_action(action: str) -> Callable[..., Response]:
    def handler(
        request: Request, token: str, reader: ReaderDep, lang: Lang, templates: TemplatesDep,
        workspace: WorkspaceDep, form: FormDep,
    ) -> Response:  # fmt: skip
        shown, _, _ = queries.invitation_round(reader.session, token)
        return _act(
            request, reader, templates, lang, workspace, shown.city, shown.id, action, form, invitation=token
        )

    handler.__name__ = f"invitation_{action}"
    return handler


ROUND_FORMS = (
    ("ballot", "ballot"),
    ("comment", "comments"),
    ("proposal", "proposals"),
    ("moderation", "moderation"),
    ("items", "items"),
    ("open", "open"),
    ("close", "close"),
    ("invitations", "invitations"),
)
for _action, _path in ROUND_FORMS:
    router.add_api_route(
        f"/cities/{{slug}}/consultations/{{round_id}}/{_path}",
        _round_action(_action),
        methods=["POST"],
        include_in_schema=False,
        response_model=None,
    )
for _action, _path in ROUND_FORMS[:3]:
    router.add_api_route(
        f"/consultations/invitations/{{token}}/{_path}",
        _invitation_action(_action),
        methods=["POST"],
        include_in_schema=False,
        response_model=None,
    )


@router.post("/cities/{slug}/consultations", include_in_schema=False, response_model=None)
def create_round(
    request: Request,
    slug: str,
    reader: ReaderDep,
    lang: Lang,
    templates: TemplatesDep,
    workspace: WorkspaceDep,
    form: FormDep,
) -> Response:
    """The list page's "new round" form (stewards): 303 to the new round's page, else the list again with the
    message (422)."""
    city = areas.get_city(reader.session, slug)
    if not can(reader.principal, Permission.EDIT, city.id):
        raise Forbidden(f"{reader.principal.name} may not create rounds here (needs the permission 'edit')",
                        anonymous=reader.principal.anonymous)  # fmt: skip
    try:
        data = RoundIn.model_validate(
            {
                "title": form.get("title", ""), "question": form.get("question", ""),
                "audience": form.get("audience", "public"), "method": form.get("method", "ranking"),
                "dots": form.get("dots") or None, "dot_cap": form.get("dot_cap") or None,
                "proposals": form.get("proposals") == "on",
                "opens_at": _when(form, "opens"), "closes_at": _when(form, "closes"),
            }
        )  # fmt: skip
        with workspace.database.session() as session:
            round_id = service.add_round(session, slug, data, actor=current_actor().name).id
    except (InvalidInput, ValidationError) as error:
        message = (
            "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}".removeprefix(": ") for e in error.errors()
            )
            if isinstance(error, ValidationError)
            else str(error)
        )
        return _render_list(request, reader, templates, lang, slug, error=message, form=form, status_code=422)
    return RedirectResponse(f"/cities/{slug}/consultations/{round_id}?lang={lang}", status_code=303)


# -- invitation landing page ---------------------------------------------------------------------------------


@router.get("/consultations/invitations/{token}", response_class=HTMLResponse, include_in_schema=False)
def invitation_page(
    request: Request, token: str, reader: ReaderDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    shown, label, used = queries.invitation_round(reader.session, token)
    notice = request.query_params.get("done", "")
    return _render_round(
        request, reader, templates, lang, shown, invitation=token, label=label, used=used, notice=notice
    )


# -- results -------------------------------------------------------------------------------------------------


@router.get(
    "/cities/{slug}/consultations/{round_id}/results.json",
    response_model=RoundResults,
    summary="Consultation results page (JSON twin)",
)
def results_json(slug: str, round_id: DbId, session: SessionDep, principal: PrincipalDep) -> RoundResults:
    return queries.visible_results(session, principal, slug, round_id)


@router.get(
    "/cities/{slug}/consultations/{round_id}/results.csv", response_class=Response, include_in_schema=False
)
def results_csv(slug: str, round_id: DbId, session: SessionDep, principal: PrincipalDep) -> Response:
    text = queries.results_csv(queries.visible_results(session, principal, slug, round_id))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{slug}-consultation-{round_id}.csv"'},
    )


@router.get(
    "/cities/{slug}/consultations/{round_id}/results", response_class=HTMLResponse, include_in_schema=False
)
def results_page(
    request: Request, slug: str, round_id: DbId, reader: ReaderDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    results = queries.visible_results(reader.session, reader.principal, slug, round_id)
    city = areas.get_city(reader.session, slug)
    items = {c.id: c for c in queries.visible_round(reader.session, reader.principal, slug, round_id).items}
    return templates.render(
        request,
        "consultations/results.html",
        lang=lang,
        city=city,
        results=results,
        items=items,
        live=results.status != RoundStatus.CLOSED,
        comments=queries.flatten(results.comments),
    )
