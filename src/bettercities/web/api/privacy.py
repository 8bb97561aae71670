"""``/api/cities/{slug}/privacy``: the rules that protect a city's published tables and their p-tables
(public), the protection report (the data team) and setting or removing rules (city admins). The same
functions as the CLI and the privacy page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from bettercities.access.policy import Permission
from bettercities.areas import service as areas
from bettercities.core.errors import InvalidInput
from bettercities.privacy import service
from bettercities.privacy.overview import PrivacyView, privacy_view, protection_report
from bettercities.privacy.schemas import ProtectionReport, RuleOut, RuleSpec
from bettercities.web.deps import (
    NEEDS_VIEW_SUPPRESSED,
    AudienceDep,
    PrincipalDep,
    SessionDep,
    WorkspaceDep,
    requires,
)
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(tags=["privacy"], responses=PROBLEM_RESPONSES)
NEEDS_ADMINISTER = [Depends(requires(Permission.ADMINISTER))]

Target = Annotated[str | None, Query(max_length=80, description="Indicator code of the rule.")]
DatasetTarget = Annotated[str | None, Query(max_length=80, description="Dataset code of the rule.")]


@router.get(
    "/api/cities/{slug}/privacy",
    response_model=PrivacyView,
    summary="Protection rules, relations and p-tables of a city",
)
def api_privacy(
    slug: str, session: SessionDep, audience: AudienceDep, principal: PrincipalDep
) -> PrivacyView:
    return privacy_view(session, slug, audience=audience, networks=principal.networks, with_report=False)


@router.get(
    "/api/cities/{slug}/privacy/report",
    response_model=ProtectionReport,
    summary="What protection withholds and perturbs, per quantity and period",
    dependencies=NEEDS_VIEW_SUPPRESSED,
)
def api_report(
    slug: str,
    session: SessionDep,
    period: Annotated[str | None, Query(max_length=80, description="Only this period.")] = None,
) -> ProtectionReport:
    return protection_report(session, areas.get_city(session, slug), period)


@router.put(
    "/api/cities/{slug}/privacy/rules",
    response_model=RuleOut,
    summary="Set the rule of an indicator, a dataset or the city's default",
    dependencies=NEEDS_ADMINISTER,
)
def api_set_rule(slug: str, spec: RuleSpec, workspace: WorkspaceDep) -> RuleOut:
    with workspace.database.session() as session:
        return service.set_rule(session, areas.get_city(session, slug), spec)


@router.delete(
    "/api/cities/{slug}/privacy/rules",
    status_code=204,
    response_class=Response,
    summary="Remove the rule of an indicator, a dataset or the city's default",
    dependencies=NEEDS_ADMINISTER,
)
def api_remove_rule(
    slug: str, workspace: WorkspaceDep, indicator: Target = None, dataset: DatasetTarget = None
) -> Response:
    if indicator is not None and dataset is not None:
        raise InvalidInput("a rule applies to an indicator or to a dataset, not both")
    with workspace.database.session() as session:
        service.remove_rule(session, areas.get_city(session, slug), indicator=indicator, dataset=dataset)
    return Response(status_code=204)
