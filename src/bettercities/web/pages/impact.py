"""Pages of the impact register: a city's interventions with the form that registers one, an intervention's
page with its plan versions, runs and the forms that register a plan version and run an evaluation, and
an evaluation run's page (the verdict first, the counterfactual chart, the evidence label, the caveats, the
method in plain words, the data download, the report as HTML and PDF and an embeddable result card), each
with its JSON twin.

Every page reads through :mod:`bettercities.impact.queries` for the viewer (a run computed from a wider view
of the data than the viewer's does not exist for it). The report and the card are rendered by
:mod:`bettercities.reports.impact`; the card is a page other sites may frame (the goals' card headers).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, ValidationError

from bettercities.access.policy import Permission, audience_for, can
from bettercities.analysis.priority import queries as priority
from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.impact import evaluation, queries, service
from bettercities.impact.register_schemas import (
    InterventionIn,
    InterventionKind,
    InterventionOut,
    PlanIn,
    RunIn,
    RunOut,
)
from bettercities.impact.schemas import Design, Verdict
from bettercities.views.reader import Reader
from bettercities.web import caching, security
from bettercities.web.deps import DbId, Lang, PrincipalDep, ReaderDep, TemplatesDep, WorkspaceDep, city_with
from bettercities.web.errors import PROBLEM_RESPONSES, form_messages
from bettercities.web.formatting import parse_amount
from bettercities.web.i18n import gettext_for
from bettercities.web.templating import PageContext, svg

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)

BASE = "/cities/{slug}/interventions"
RUN = BASE + "/{intervention_id}/evaluations/{evaluation_id}"


def kind_labels(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {
        InterventionKind.NEIGHBOURHOOD_MANAGEMENT.value: _("neighbourhood management"),
        InterventionKind.YOUTH_WORK.value: _("youth work"),
        InterventionKind.SERVICE.value: _("service"),
        InterventionKind.INFRASTRUCTURE.value: _("infrastructure"),
        InterventionKind.OTHER.value: _("other"),
    }


def design_labels(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {
        Design.DID.value: _("difference in differences"),
        Design.TWFE.value: _("two-way fixed effects with event study"),
        Design.STAGGERED_DID.value: _("staggered difference in differences"),
        Design.SYNTHETIC_CONTROL.value: _("synthetic control"),
        Design.ITS.value: _("interrupted time series"),
    }


def verdict_labels(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {
        Verdict.BETTER.value: _("better"),
        Verdict.WORSE.value: _("worse"),
        Verdict.NO_DETECTABLE_CHANGE.value: _("no detectable change"),
        Verdict.INCREASE.value: _("increase"),
        Verdict.DECREASE.value: _("decrease"),
    }


def departure_words(run: RunOut, lang: str) -> list[str]:
    """How a run departed from its plan, in the reader's language."""
    _ = gettext_for(lang).gettext
    settings = {
        "indicator": _("outcome"), "design": _("design"), "pre_start": _("start of the pre-period"),
        "pre_end": _("end of the pre-period"), "post_start": _("start of the post-period"),
        "post_end": _("end of the post-period"), "comparison": _("comparison areas"),
        "control_group": _("control group"), "alpha": _("confidence level"),
    }  # fmt: skip
    designs = design_labels(lang)

    def text(setting: str, value: str | None) -> str:
        if setting == "comparison":
            count = len(value.split(",")) if value else 0
            return (
                _("{count} comparison areas").format(count=count)
                if count
                else _("the other areas of the level")
            )
        if setting == "design" and value in designs:
            return designs[value]
        return _("open") if value is None else value

    found = []
    for departure in run.departures:
        if departure.setting == "plan":
            found.append(_("no evaluation plan was registered before this run"))
            continue
        found.append(
            _("{setting}: planned {planned}, run with {run}").format(
                setting=settings.get(departure.setting, departure.setting),
                planned=text(departure.setting, departure.planned),
                run=text(departure.setting, departure.run),
            )
        )
    return found


def _city(reader: Reader, slug: str) -> City:
    return areas.get_city(reader.session, slug)


def _words(lang: str) -> dict[str, Any]:
    return {"kinds": kind_labels(lang), "designs": design_labels(lang), "verdicts": verdict_labels(lang)}


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.replace(";", ",").replace("\n", ",").split(",") if c.strip()]


# -- the list and the form that registers an intervention --------------------------------------------------


@router.get(f"{BASE}.json", response_model=list[InterventionOut], summary="Interventions page (JSON twin)")
def interventions_json(slug: str, reader: ReaderDep) -> list[InterventionOut]:
    return queries.visible_interventions(reader, slug)


def render_list(
    request: Request,
    slug: str,
    reader: Reader,
    lang: str,
    templates: TemplatesDep,
    *,
    form: dict[str, str] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    city = _city(reader, slug)
    page = PageContext(request, lang)
    can_add = can(page.principal, Permission.EDIT, city.id)
    return templates.render(
        request,
        "impact/list.html",
        lang=lang,
        status_code=status_code,
        city=city,
        interventions=queries.visible_interventions(reader, slug),
        can_add=can_add,
        sets=priority.visible_sets(reader, slug) if can_add else [],
        indicators=reader.indicators(city) if can_add else [],
        form=form or {},
        errors=errors or [],
        **_words(lang),
    )


@router.get(BASE, response_class=HTMLResponse, include_in_schema=False)
def interventions_page(
    request: Request, slug: str, reader: ReaderDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    return render_list(request, slug, reader, lang, templates)


@router.post(BASE, include_in_schema=False, response_model=None)
def intervention_add(
    request: Request,
    slug: str,
    reader: ReaderDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "other",
    priority_set: Annotated[str, Form()] = "",
    areas_text: Annotated[str, Form(alias="areas")] = "",
    start_period: Annotated[str, Form()] = "",
    end_period: Annotated[str, Form()] = "",
    budget: Annotated[str, Form()] = "",
    responsible_unit: Annotated[str, Form()] = "",
    indicator: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """The list page's form: 303 to the new intervention's page, else the list with the reasons (422)."""
    form = {
        "name": name, "kind": kind, "priority_set": priority_set, "areas": areas_text,
        "start_period": start_period, "end_period": end_period, "budget": budget,
        "responsible_unit": responsible_unit, "indicator": indicator, "description": description,
    }  # fmt: skip
    _ = gettext_for(lang).gettext
    with workspace.database.session() as check:
        city_with(check, principal, slug, Permission.EDIT)
    try:
        try:
            euros = parse_amount(budget)
        except ValueError:
            raise InvalidInput(
                _("{name}: “{value}” is not a number.").format(name="budget", value=budget)
            ) from None
        selection = (
            {"kind": "priority_set", "value": priority_set.strip()}
            if priority_set.strip()
            else {"kind": "areas", "value": ",".join(_codes(areas_text)) or " "}
        )
        item = InterventionIn.model_validate(
            {
                "name": name.strip(),
                "description": description.strip() or None,
                "kind": kind,
                "areas": selection,
                "start_period": start_period.strip(),
                "end_period": end_period.strip() or None,
                "budget_cents": round(euros * 100) if euros is not None else None,
                "responsible_unit": responsible_unit.strip(),
                "indicators": [indicator.strip()] if indicator.strip() else [],
            }
        )
        with workspace.database.session() as session:
            city = city_with(session, principal, slug, Permission.EDIT)
            own = audience_for(principal, city.id)
            added = service.add_intervention(session, city, item, actor=principal.name, audience=own)
    except (InvalidInput, ValidationError, NotFound) as error:
        messages = [str(error)] if isinstance(error, NotFound) else form_messages(error, lang)
        return render_list(
            request, slug, reader, lang, templates, form=form, errors=messages, status_code=422
        )
    return RedirectResponse(f"/cities/{slug}/interventions/{added}?lang={lang}", status_code=303)


# -- an intervention's page, its plan versions and the run button -------------------------------------------


@router.get(
    f"{BASE}/{{intervention_id}}.json",
    response_model=InterventionOut,
    summary="Intervention page (JSON twin)",
)
def intervention_json(slug: str, intervention_id: DbId, reader: ReaderDep) -> InterventionOut:
    return queries.visible_intervention(reader, slug, intervention_id)


def render_intervention(
    request: Request,
    slug: str,
    intervention_id: int,
    reader: Reader,
    lang: str,
    templates: TemplatesDep,
    *,
    form: dict[str, str] | None = None,
    errors: list[str] | None = None,
    run_errors: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    city = _city(reader, slug)
    item = queries.visible_intervention(reader, slug, intervention_id)
    page = PageContext(request, lang)
    can_edit = can(page.principal, Permission.EDIT, city.id)
    latest = item.plans[-1] if item.plans else None
    if latest is not None:
        defaults = {
            "indicator": latest.indicator, "design": latest.design.value,
            "comparison": ", ".join(latest.comparison), "pre_start": latest.pre_start,
            "pre_end": latest.pre_end, "post_start": latest.post_start, "post_end": latest.post_end or "",
            "analysis": latest.analysis or "",
        }  # fmt: skip
    else:
        defaults = {
            "indicator": item.indicators[0].code if item.indicators else "",
            "design": Design.DID.value,
        }
    return templates.render(
        request,
        "impact/intervention.html",
        lang=lang,
        status_code=status_code,
        city=city,
        item=item,
        can_edit=can_edit,
        indicators=reader.indicators(city) if can_edit else [],
        form=form or defaults,
        errors=errors or [],
        run_errors=run_errors or [],
        **_words(lang),
    )


@router.get(f"{BASE}/{{intervention_id}}", response_class=HTMLResponse, include_in_schema=False)
def intervention_page(
    request: Request, slug: str, intervention_id: DbId, reader: ReaderDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    return render_intervention(request, slug, intervention_id, reader, lang, templates)


@router.post(f"{BASE}/{{intervention_id}}/plans", include_in_schema=False, response_model=None)
def plan_register(
    request: Request,
    slug: str,
    intervention_id: DbId,
    reader: ReaderDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    indicator: Annotated[str, Form()] = "",
    design: Annotated[str, Form()] = "did",
    comparison: Annotated[str, Form()] = "",
    pre_start: Annotated[str, Form()] = "",
    pre_end: Annotated[str, Form()] = "",
    post_start: Annotated[str, Form()] = "",
    post_end: Annotated[str, Form()] = "",
    analysis: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """Register the next plan version. 303 back to the intervention's page, else the page with the reasons."""
    form = {
        "indicator": indicator, "design": design, "comparison": comparison, "pre_start": pre_start,
        "pre_end": pre_end, "post_start": post_start, "post_end": post_end, "analysis": analysis,
    }  # fmt: skip
    with workspace.database.session() as check:
        city_with(check, principal, slug, Permission.EDIT)
    try:
        plan = PlanIn.model_validate(
            {
                "indicator": indicator.strip(),
                "design": design,
                "comparison": _codes(comparison),
                "pre_start": pre_start.strip() or None,
                "pre_end": pre_end.strip() or None,
                "post_start": post_start.strip() or None,
                "post_end": post_end.strip() or None,
                "analysis": analysis.strip() or None,
            }
        )
        with workspace.database.session() as session:
            city = city_with(session, principal, slug, Permission.EDIT)
            service.register_plan(
                session,
                city,
                intervention_id,
                plan,
                actor=principal.name,
                audience=audience_for(principal, city.id),
            )
    except (InvalidInput, ValidationError) as error:
        return render_intervention(
            request, slug, intervention_id, reader, lang, templates, form=form,
            errors=form_messages(error, lang), status_code=422,
        )  # fmt: skip
    return RedirectResponse(
        f"/cities/{slug}/interventions/{intervention_id}?lang={lang}#plans", status_code=303
    )


@router.post(f"{BASE}/{{intervention_id}}/evaluations", include_in_schema=False, response_model=None)
def run_add(
    request: Request,
    slug: str,
    intervention_id: DbId,
    reader: ReaderDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse | RedirectResponse:
    """Run an evaluation by the latest plan version (as the public sees the data). 303 to the run's page."""
    with workspace.database.session() as check:
        city_with(check, principal, slug, Permission.EDIT)
    try:
        with workspace.database.session() as session:
            city = city_with(session, principal, slug, Permission.EDIT)
            run_id = evaluation.evaluate(session, city, intervention_id, RunIn(), actor=principal.name)
    except InvalidInput as error:
        return render_intervention(
            request, slug, intervention_id, reader, lang, templates, run_errors=form_messages(error, lang),
            status_code=422,
        )  # fmt: skip
    return RedirectResponse(
        f"/cities/{slug}/interventions/{intervention_id}/evaluations/{run_id}?lang={lang}", status_code=303
    )


# -- an evaluation run: page, report, card ------------------------------------------------------------------


def report_context(reader: Reader, run: RunOut, request: Request, lang: str) -> Any:
    """What the report says besides the estimate (``reports.impact.ImpactReportContext``)."""
    from bettercities.reports.impact import ImpactReportContext, PlanStatus

    _ = gettext_for(lang).gettext
    city = _city(reader, run.city)
    indicator = run.indicator_name_de if lang == "de" and run.indicator_name_de else run.indicator_name
    decimals = next((i.decimals for i in reader.indicators(city) if i.code == run.settings.indicator), 2)
    names = {a.code: a.name for a in areas_of(reader, city, run)}
    base = str(request.base_url).rstrip("/")
    path = f"/cities/{run.city}/interventions/{run.intervention_id}/evaluations/{run.id}"
    registered = None
    if run.plan_version is not None:
        plan = next(
            (p for p in queries.visible_intervention(reader, run.city, run.intervention_id).plans
             if p.version == run.plan_version),
            None,
        )  # fmt: skip
        registered = plan.registered_at.date() if plan is not None else None
    return ImpactReportContext(
        intervention=run.intervention,
        question=_("Did “{intervention}” change {indicator} in its areas?").format(
            intervention=run.intervention, indicator=indicator
        ),
        city=city.name,
        indicator=indicator,
        unit=run.unit or "",
        decimals=decimals,
        areas=[names.get(c, c) for c in run.treated_areas],
        comparison=[names.get(c, c) for c in run.comparison_areas],
        plan=PlanStatus(
            followed=run.followed_plan,
            version=run.plan_version,
            registered=registered,
            differences=departure_words(run, lang),
        ),
        data_url=f"{base}/api{path}/panel.csv",
        report_url=f"{base}{path}?lang={lang}",
        generated=date.today(),
    )


def areas_of(reader: Reader, city: City, run: RunOut) -> list[Any]:
    intervention = queries.visible_intervention(reader, run.city, run.intervention_id)
    if intervention.level is None:
        return []
    level = areas.get_level(reader.session, city, intervention.level)
    return list(areas.areas_of_level(reader.session, level))


def _report_body(reader: Reader, run: RunOut, request: Request, lang: str) -> Markup | None:
    """The report's sections (:mod:`bettercities.reports.impact`), or None where the reports package is not
    installed (the page then shows the result itself)."""
    try:
        from bettercities.reports.impact import impact_report_body
    except ImportError:
        return None
    return Markup(impact_report_body(run.result, report_context(reader, run, request, lang), lang))


def _chart(run: RunOut, page: PageContext, decimals: int) -> Markup | None:
    try:
        from bettercities.figures.impact import CounterfactualWords, counterfactual_chart
    except ImportError:
        return None
    _ = gettext_for(page.lang).gettext
    try:
        words = CounterfactualWords(
            title=_("Observed and estimated without the measure"),
            description=_(
                "The treated areas’ values (solid) and the estimate without the measure (dashed) with its "
                "interval."
            ),
            observed=_("Observed"),
            counterfactual=_("Estimated without the measure"),
            interval=_("Interval"),
            start=_("Start of the measure"),
        )
    except TypeError:
        return None
    return svg(counterfactual_chart(run.result.series, fmt=lambda v: page.num(v, decimals), words=words))


@router.get(f"{RUN}.json", response_model=RunOut, summary="Evaluation run page (JSON twin)")
def run_json(slug: str, intervention_id: DbId, evaluation_id: DbId, reader: ReaderDep) -> RunOut:
    return queries.visible_run(reader, slug, intervention_id, evaluation_id)


@router.get(RUN, response_class=HTMLResponse, include_in_schema=False)
def run_page(
    request: Request,
    slug: str,
    intervention_id: DbId,
    evaluation_id: DbId,
    reader: ReaderDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse:
    city = _city(reader, slug)
    run = queries.visible_run(reader, slug, intervention_id, evaluation_id)
    page = PageContext(request, lang)
    decimals = next((i.decimals for i in reader.indicators(city) if i.code == run.settings.indicator), 2)
    body = _report_body(reader, run, request, lang)
    path = f"/cities/{slug}/interventions/{intervention_id}/evaluations/{evaluation_id}"
    return templates.render(
        request,
        "impact/run.html",
        lang=lang,
        city=city,
        run=run,
        body=body,
        figure=None if body is not None else _chart(run, page, decimals),
        decimals=decimals,
        departures=departure_words(run, lang),
        path=path,
        card_url=str(request.base_url).rstrip("/") + f"{path}/card?lang={lang}",
        **_words(lang),
    )


@router.get("/impact/report.css", include_in_schema=False)
def report_css() -> Response:
    """The reports' stylesheet, for the pages that show a report (no inline styles under the site's CSP)."""
    from bettercities.reports.html import stylesheet

    return Response(stylesheet(), media_type="text/css", headers={"cache-control": "public, max-age=3600"})


@router.get(f"{RUN}/report.html", response_class=HTMLResponse, include_in_schema=False)
def run_report_html(
    request: Request, slug: str, intervention_id: DbId, evaluation_id: DbId, reader: ReaderDep, lang: Lang
) -> HTMLResponse:
    """The report as a document of its own (for printing and saving)."""
    from bettercities.reports.impact import impact_report_html

    run = queries.visible_run(reader, slug, intervention_id, evaluation_id)
    html = impact_report_html(
        run.result, report_context(reader, run, request, lang), lang, stylesheet_href="/impact/report.css"
    )
    caching.mark_public_page(request, 200)  # the same document for every anonymous reader: kept
    return HTMLResponse(html)


@router.get(f"{RUN}/report.pdf", include_in_schema=False)
def run_report_pdf(
    request: Request, slug: str, intervention_id: DbId, evaluation_id: DbId, reader: ReaderDep, lang: Lang
) -> Response:
    """The report as a tagged PDF."""
    from bettercities.reports.impact import impact_report_pdf

    run = queries.visible_run(reader, slug, intervention_id, evaluation_id)
    city = _city(reader, slug)
    key = ("impact-report-pdf", run.id, lang)
    pdf = reader.memo(
        key,
        lambda: impact_report_pdf(run.result, report_context(reader, run, request, lang), lang),
        city_id=city.id,
    )
    name = f"{slug}-intervention-{intervention_id}-evaluation-{evaluation_id}-{lang}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"content-disposition": f'inline; filename="{name}"'}
    )


class ResultCard(BaseModel):
    """The embeddable result card of a run as JSON (the reports' card data)."""

    run: int
    card: dict[str, Any]


@router.get(
    f"{RUN}/card.json", response_model=ResultCard, summary="Embeddable result card of an evaluation (JSON)"
)
def run_card_json(
    request: Request, slug: str, intervention_id: DbId, evaluation_id: DbId, reader: ReaderDep, lang: Lang
) -> ResultCard:
    from bettercities.reports.impact import result_card_json

    run = queries.visible_run(reader, slug, intervention_id, evaluation_id)
    return ResultCard(
        run=run.id, card=result_card_json(run.result, report_context(reader, run, request, lang), lang)
    )


@router.get(f"{RUN}/card", response_class=HTMLResponse, include_in_schema=False)
def run_card(
    request: Request,
    slug: str,
    intervention_id: DbId,
    evaluation_id: DbId,
    reader: ReaderDep,
    lang: Lang,
    templates: TemplatesDep,
) -> HTMLResponse:
    """A small page of one result that other sites may put into an ``<iframe>`` (no script, styles from this
    server, links opening in the embedding page's window), with the goals' card headers."""
    from bettercities.reports.impact import result_card_html

    city = _city(reader, slug)
    run = queries.visible_run(reader, slug, intervention_id, evaluation_id)
    base = str(request.base_url).rstrip("/")
    snippet = Markup(result_card_html(run.result, report_context(reader, run, request, lang), lang))
    response = templates.render(
        request, "impact/card.html", lang=lang, city=city, run=run, card=snippet, base=base
    )
    response.headers.update(security.EMBEDDABLE_HEADERS)
    return response
