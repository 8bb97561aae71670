"""``/api/cities/{slug}/quality/…``: validation rules with results, the outlier queue and its actions,
revision diffs and the import history (the same functions as the CLI and the pages)."""

from __future__ import annotations

from fastapi import APIRouter

from bettercities.quality import diff, outliers
from bettercities.quality.queries import diff_view, history_view, queue_view, rules_view
from bettercities.quality.schemas import FlagAction, HistoryView, QueueView, RulesView
from bettercities.web.deps import (
    NEEDS_EDIT,
    NEEDS_VIEW_SUPPRESSED,
    DbId,
    DiffDep,
    PrincipalDep,
    QueueDep,
    SessionDep,
    WorkspaceDep,
)
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(tags=["quality"], responses=PROBLEM_RESPONSES)


@router.get(
    "/api/cities/{slug}/quality/rules",
    response_model=RulesView,
    summary="Rules with results",
    dependencies=NEEDS_VIEW_SUPPRESSED,
)
def api_rules(slug: str, session: SessionDep) -> RulesView:
    return rules_view(session, slug)


@router.get(
    "/api/cities/{slug}/quality/outliers",
    response_model=QueueView,
    summary="Outlier queue",
    dependencies=NEEDS_VIEW_SUPPRESSED,
)
def api_outliers(slug: str, session: SessionDep, filters: QueueDep) -> QueueView:
    return queue_view(session, slug, filters)


@router.post(
    "/api/cities/{slug}/quality/outliers/{flag_id}",
    response_model=outliers.FlagOut,
    summary="Accept, correct or comment a flag",
    dependencies=NEEDS_EDIT,
)
def api_resolve(
    slug: str, flag_id: DbId, action: FlagAction, workspace: WorkspaceDep, principal: PrincipalDep
) -> outliers.FlagOut:
    with workspace.database.session() as session:
        return outliers.resolve_flag(session, slug, flag_id, user=principal.name, **action.model_dump())


@router.get(
    "/api/cities/{slug}/quality/diff",
    response_model=diff.RevisionDiff,
    summary="Revision diff",
    dependencies=NEEDS_VIEW_SUPPRESSED,
)
def api_diff(slug: str, session: SessionDep, query: DiffDep) -> diff.RevisionDiff:
    return diff_view(session, slug, query)


@router.get(
    "/api/cities/{slug}/quality/history",
    response_model=HistoryView,
    summary="Import history",
    dependencies=NEEDS_VIEW_SUPPRESSED,
)
def api_history(slug: str, session: SessionDep, indicator: str | None = None) -> HistoryView:
    return history_view(session, slug, indicator=indicator)
