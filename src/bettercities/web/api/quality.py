"""``/api/cities/{slug}/quality/…``: validation rules with results, the outlier queue and its actions,
revision diffs and the import history (the same functions as the CLI and the pages)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from bettercities.access.policy import Permission
from bettercities.publication import Audience
from bettercities.quality import diff, outliers
from bettercities.quality.queries import (
    HistoryView,
    QueueFilter,
    QueueView,
    RulesView,
    history_view,
    queue_view,
    rules_view,
)
from bettercities.storage.workspace import Workspace
from bettercities.web.deps import DbId, PrincipalDep, SessionDep, get_workspace, requires
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(tags=["quality"], responses=PROBLEM_RESPONSES)
WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]
QueueDep = Annotated[QueueFilter, Depends()]
#: The quality views show unpublished and suppressed values: the city's data team only (analyst and up);
#: acting on a flag is a steward's.
VIEW = [Depends(requires(Permission.VIEW_SUPPRESSED))]
EDIT = [Depends(requires(Permission.EDIT))]


class DiffQuery(BaseModel):
    """Two states to compare: two imports or two revision numbers (query parameters)."""

    indicator: str | None = None
    level: str | None = None
    from_batch: int | None = Field(default=None, description="Old state: as of this import.")
    to_batch: int | None = Field(default=None, description="New state: as of this import.")
    from_revision: int | None = Field(default=None, ge=1, description="Old state: revisions up to this.")
    to_revision: int | None = Field(default=None, ge=1, description="New state: revisions up to this.")

    def spec(self, city: str, audience: Audience) -> diff.DiffFilter:
        return diff.DiffFilter(city=city, audience=audience, **self.model_dump())


DiffDep = Annotated[DiffQuery, Depends()]


class FlagAction(BaseModel):
    """A steward's action on a flag."""

    action: Literal["accept", "correct", "comment"]
    value: float | None = Field(default=None, description="The corrected value (action 'correct').")
    comment: str = ""


def resolve(
    workspace: Workspace, slug: str, flag_id: int, action: FlagAction, *, user: str
) -> outliers.FlagOut:
    """Apply ``action`` by ``user`` in one unit of work (shared by the API and the page's form)."""
    with workspace.database.session() as session:
        return outliers.resolve_flag(
            session,
            slug,
            flag_id,
            action=action.action,
            value=action.value,
            comment=action.comment,
            user=user,
        )


@router.get(
    "/api/cities/{slug}/quality/rules",
    response_model=RulesView,
    summary="Rules with results",
    dependencies=VIEW,
)
def api_rules(slug: str, session: SessionDep) -> RulesView:
    return rules_view(session, slug)


@router.get(
    "/api/cities/{slug}/quality/outliers",
    response_model=QueueView,
    summary="Outlier queue",
    dependencies=VIEW,
)
def api_outliers(slug: str, session: SessionDep, filters: QueueDep) -> QueueView:
    return queue_view(session, slug, filters)


@router.post(
    "/api/cities/{slug}/quality/outliers/{flag_id}",
    response_model=outliers.FlagOut,
    summary="Accept, correct or comment a flag",
    dependencies=EDIT,
)
def api_resolve(
    slug: str, flag_id: DbId, action: FlagAction, workspace: WorkspaceDep, principal: PrincipalDep
) -> outliers.FlagOut:
    return resolve(workspace, slug, flag_id, action, user=principal.name)


@router.get(
    "/api/cities/{slug}/quality/diff",
    response_model=diff.RevisionDiff,
    summary="Revision diff",
    dependencies=VIEW,
)
def api_diff(slug: str, session: SessionDep, query: DiffDep) -> diff.RevisionDiff:
    # VIEW_SUPPRESSED is the data team's permission: it sees every value
    return diff.diff(session, query.spec(slug, Audience.INTERNAL))


@router.get(
    "/api/cities/{slug}/quality/history",
    response_model=HistoryView,
    summary="Import history",
    dependencies=VIEW,
)
def api_history(slug: str, session: SessionDep, indicator: str | None = None) -> HistoryView:
    return history_view(session, slug, indicator=indicator)
