"""The privacy page of a city: which rules protect its published tables and what "withheld" means (for
everyone), the protection report (for its data team) and the rule forms (for its admins). JSON twin:
``/cities/{slug}/privacy.json``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from bettercities.access.policy import Permission, Principal, can
from bettercities.areas import service as areas
from bettercities.catalog.queries import catalog_view
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.indicators import service as indicators
from bettercities.privacy import service
from bettercities.privacy.overview import PrivacyView, privacy_view
from bettercities.privacy.schemas import Method, RuleSpec
from bettercities.publication import Audience
from bettercities.web.deps import (
    AudienceDep,
    Lang,
    PrincipalDep,
    SessionDep,
    TemplatesDep,
    WorkspaceDep,
    requires,
)
from bettercities.web.errors import PROBLEM_RESPONSES

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)
NEEDS_ADMINISTER = [Depends(requires(Permission.ADMINISTER))]
PeriodQuery = Annotated[
    str | None, Query(max_length=80, description="Limit the data team's report to this period.")
]


@router.get("/cities/{slug}/privacy.json", response_model=PrivacyView, summary="Privacy page (JSON twin)")
def privacy_json(
    slug: str, session: SessionDep, audience: AudienceDep, principal: PrincipalDep, period: PeriodQuery = None
) -> PrivacyView:
    return privacy_view(session, slug, audience=audience, networks=principal.networks, period=period)


@router.get("/cities/{slug}/privacy", response_class=HTMLResponse, include_in_schema=False)
def privacy_page(
    request: Request,
    slug: str,
    session: SessionDep,
    audience: AudienceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    period: PeriodQuery = None,
) -> HTMLResponse:
    return _render(request, slug, session, audience, principal, lang, templates, period=period)


def _render(
    request: Request,
    slug: str,
    session: Any,
    audience: Audience,
    principal: Principal,
    lang: str,
    templates: Any,
    *,
    period: str | None = None,
    error: str = "",
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    view = privacy_view(session, slug, audience=audience, networks=principal.networks, period=period)
    city = areas.get_city(session, slug)
    manage = can(principal, Permission.ADMINISTER, city.id)
    extra: dict[str, Any] = {}
    if manage:
        extra["indicator_codes"] = [i.code for i in indicators.list_indicators(session, city)]
        extra["dataset_codes"] = [d.code for d in catalog_view(session, slug, audience=audience).datasets]
    if view.report is not None:
        extra["periods"] = [p.code for p in indicators.list_periods(session, city)]
    return templates.render(
        request,
        "privacy/page.html",
        lang=lang,
        state={"period": period},
        view=view,
        manage=manage,
        error=error,
        form=form or {},
        status_code=422 if error else 200,
        **extra,
    )


def _number(text: str, kind: type[int] | type[float], name: str) -> int | float:
    try:
        return kind(text.strip().replace(",", "."))
    except ValueError:
        raise InvalidInput(f"{name}: not a number: {text}") from None


@router.post(
    "/cities/{slug}/privacy/rules",
    include_in_schema=False,
    response_model=None,
    dependencies=NEEDS_ADMINISTER,
)
def set_rule_form(
    request: Request,
    slug: str,
    workspace: WorkspaceDep,
    session: SessionDep,
    audience: AudienceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    scope: Annotated[str, Form(max_length=20)] = "default",
    target: Annotated[str, Form(max_length=80)] = "",
    method: Annotated[str, Form(max_length=20)] = Method.SUPPRESSION.value,
    threshold: Annotated[str, Form(max_length=20)] = "3",
    zeros: Annotated[str, Form(max_length=10)] = "",
    interval_percent: Annotated[str, Form(max_length=20)] = "0",
    max_deviation: Annotated[str, Form(max_length=20)] = "2",
    variance: Annotated[str, Form(max_length=20)] = "1",
    js: Annotated[str, Form(max_length=20)] = "0",
) -> HTMLResponse | RedirectResponse:
    """The rule form posts here; on success back to the page (303), else the page with the message (422)."""
    form = {"scope": scope, "target": target, "method": method, "threshold": threshold, "zeros": zeros,
            "interval_percent": interval_percent, "max_deviation": max_deviation, "variance": variance,
            "js": js}  # fmt: skip
    try:
        if scope not in ("default", "indicator", "dataset"):
            raise InvalidInput(f"unknown scope: {scope}")
        if scope != "default" and not target.strip():
            raise InvalidInput(f"a {scope} rule needs the {scope}'s code")
        spec = RuleSpec(
            indicator=target.strip() if scope == "indicator" else None,
            dataset=target.strip() if scope == "dataset" else None,
            method=Method(method),
            threshold=int(_number(threshold, int, "threshold")),
            zeros=bool(zeros),
            interval_percent=_number(interval_percent, float, "interval"),
            max_deviation=int(_number(max_deviation, int, "maximum deviation")),
            variance=_number(variance, float, "variance"),
            js=int(_number(js, int, "js")),
        )
        with workspace.database.session() as writer:
            service.set_rule(writer, areas.get_city(writer, slug), spec)
    except (InvalidInput, NotFound, ValidationError, ValueError) as problem:
        message = _message(problem)
        return _render(request, slug, session, audience, principal, lang, templates, error=message, form=form)
    return RedirectResponse(f"/cities/{slug}/privacy?lang={lang}", status_code=303)


@router.post(
    "/cities/{slug}/privacy/rules/remove",
    include_in_schema=False,
    response_model=None,
    dependencies=NEEDS_ADMINISTER,
)
def remove_rule_form(
    request: Request,
    slug: str,
    workspace: WorkspaceDep,
    session: SessionDep,
    audience: AudienceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    indicator: Annotated[str, Form(max_length=80)] = "",
    dataset: Annotated[str, Form(max_length=80)] = "",
) -> HTMLResponse | RedirectResponse:
    """Each rule's remove button posts here; on success back to the page (303)."""
    try:
        if indicator and dataset:
            raise InvalidInput("a rule applies to an indicator or to a dataset, not both")
        with workspace.database.session() as writer:
            service.remove_rule(
                writer, areas.get_city(writer, slug), indicator=indicator or None, dataset=dataset or None
            )
    except (InvalidInput, NotFound) as problem:
        return _render(request, slug, session, audience, principal, lang, templates, error=_message(problem))
    return RedirectResponse(f"/cities/{slug}/privacy?lang={lang}", status_code=303)


def _message(problem: Exception) -> str:
    if isinstance(problem, ValidationError):
        return "; ".join(str(e["msg"]) for e in problem.errors(include_url=False))
    return str(problem)
