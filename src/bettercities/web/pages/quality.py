"""Quality pages: the outlier queue with its actions (POST forms), the rules with their results, an
indicator's import history and the diff between two imports or revisions. Each has its JSON twin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from bettercities.core.errors import InvalidInput
from bettercities.quality import diff, outliers
from bettercities.quality.queries import diff_view, history_view, queue_view, rules_view
from bettercities.quality.schemas import FlagAction, HistoryView, QueueFilter, QueueView, RulesView
from bettercities.web.deps import (
    NEEDS_EDIT,
    NEEDS_VIEW_SUPPRESSED,
    DbId,
    DiffDep,
    Lang,
    PrincipalDep,
    QueueDep,
    SessionDep,
    TemplatesDep,
    WorkspaceDep,
)
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)


@router.get(
    "/cities/{slug}/quality/outliers.json",
    response_model=QueueView,
    summary="Outlier queue (JSON twin)",
    dependencies=NEEDS_VIEW_SUPPRESSED,
)
def outliers_json(slug: str, session: SessionDep, filters: QueueDep) -> QueueView:
    return queue_view(session, slug, filters)


@router.get(
    "/cities/{slug}/quality/outliers",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=NEEDS_VIEW_SUPPRESSED,
)
def outliers_page(
    request: Request, slug: str, session: SessionDep, filters: QueueDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    view = queue_view(session, slug, filters)
    state = filters.model_dump(exclude_defaults=True)
    return templates.render(request, "quality/outliers.html", lang=lang, state=state, view=view)


@router.post(
    "/cities/{slug}/quality/outliers/{flag_id}",
    include_in_schema=False,
    response_model=None,
    dependencies=NEEDS_EDIT,
)
def outliers_action(
    request: Request,
    slug: str,
    flag_id: DbId,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    action: Annotated[str, Form()],
    lang: Lang,
    templates: TemplatesDep,
    session: SessionDep,
    value: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """The queue's forms post here; on success back to the queue (303), else the queue with the message."""
    try:
        number = float(value.replace(",", ".")) if value.strip() else None
    except ValueError:
        number = None
        message = f"not a number: {value}"
    else:
        message = ""
    if not message:
        try:
            chosen = FlagAction.model_validate({"action": action, "value": number, "comment": comment})
            with workspace.database.session() as writer:
                outliers.resolve_flag(writer, slug, flag_id, user=principal.name, **chosen.model_dump())
            return RedirectResponse(f"/cities/{slug}/quality/outliers?lang={lang}", status_code=303)
        except (InvalidInput, ValueError) as error:
            message = str(error)
    view = queue_view(session, slug, QueueFilter())
    return templates.render(
        request, "quality/outliers.html", lang=lang, view=view, error=message, status_code=422
    )


@router.get(
    "/cities/{slug}/quality/rules.json",
    response_model=RulesView,
    summary="Rules page (JSON twin)",
    dependencies=NEEDS_VIEW_SUPPRESSED,
)
def rules_json(slug: str, session: SessionDep) -> RulesView:
    return rules_view(session, slug)


@router.get(
    "/cities/{slug}/quality/rules",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=NEEDS_VIEW_SUPPRESSED,
)
def rules_page(
    request: Request, slug: str, session: SessionDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    return templates.render(request, "quality/rules.html", lang=lang, view=rules_view(session, slug))


@router.get(
    "/cities/{slug}/quality/history.json",
    response_model=HistoryView,
    summary="Import history (JSON twin)",
    dependencies=NEEDS_VIEW_SUPPRESSED,
)
def history_json(slug: str, session: SessionDep, indicator: str | None = None) -> HistoryView:
    return history_view(session, slug, indicator=indicator)


@router.get(
    "/cities/{slug}/quality/history",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=NEEDS_VIEW_SUPPRESSED,
)
def history_page(
    request: Request,
    slug: str,
    session: SessionDep,
    lang: Lang,
    templates: TemplatesDep,
    indicator: str | None = None,
) -> HTMLResponse:
    view = history_view(session, slug, indicator=indicator)
    return templates.render(
        request, "quality/history.html", lang=lang, state={"indicator": indicator}, view=view
    )


@router.get(
    "/cities/{slug}/quality/diff.json",
    response_model=diff.RevisionDiff,
    summary="Diff page (JSON twin)",
    dependencies=NEEDS_VIEW_SUPPRESSED,
)
def diff_json(slug: str, session: SessionDep, query: DiffDep) -> diff.RevisionDiff:
    return diff_view(session, slug, query)


@router.get(
    "/cities/{slug}/quality/diff",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=NEEDS_VIEW_SUPPRESSED,
)
def diff_page(
    request: Request, slug: str, session: SessionDep, query: DiffDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    view = diff_view(session, slug, query)
    state = query.model_dump(exclude_none=True)
    return templates.render(request, "quality/diff.html", lang=lang, state=state, view=view)
