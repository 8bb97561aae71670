"""Pages of goals: a city's goals with the form that sets one from a saved priority set, a goal's page with
its chart and status per area, the public scorecard and the embeddable card of a goal,
each with its JSON twin.

Every page reads through :mod:`bettercities.goals.queries` for the viewer (what the viewer's audience may see;
a goal on an indicator the audience may not see is not there at all) and draws with
:mod:`bettercities.figures.goals`. The card is the one page other sites may frame (:func:`card_headers`).
"""

from __future__ import annotations

import gzip
import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, ValidationError

from bettercities.access.policy import Permission, audience_for, can
from bettercities.analysis.priority import queries as priority
from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.figures.goals import ChartWords, goal_chart
from bettercities.goals import queries, service
from bettercities.goals.schemas import GoalIn, GoalOut, GoalSeries, GoalStatus, Scorecard
from bettercities.views.reader import Reader
from bettercities.web import security
from bettercities.web.deps import DbId, Lang, PrincipalDep, ReaderDep, TemplatesDep, WorkspaceDep, city_with
from bettercities.web.errors import PROBLEM_RESPONSES, form_messages
from bettercities.web.i18n import gettext_for
from bettercities.web.templating import PageContext, Templates, svg

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)

#: A sign beside each status, so that it is not told by colour alone (the word is always beside it too).
STATUS_SIGNS = {"achieved": "✓", "on_track": "↗", "off_track": "✗", "no_new_data": "…", "withheld": "–"}


class GoalCard(BaseModel):
    """An embeddable card of a goal: the goal as the viewer may see it and the series its chart draws."""

    model_config = {"frozen": True}

    goal: GoalOut
    series: GoalSeries


def status_labels(lang: str) -> dict[str, str]:
    """The statuses in words (and ``withheld`` for a group status the viewer may not see)."""
    _ = gettext_for(lang).gettext
    return {
        GoalStatus.ACHIEVED.value: _("achieved"),
        GoalStatus.ON_TRACK.value: _("on track"),
        GoalStatus.OFF_TRACK.value: _("off track"),
        GoalStatus.NO_NEW_DATA.value: _("no new data"),
        "withheld": _("withheld"),
    }


def indicator_name(goal: GoalOut, lang: str) -> str:
    """The goal's indicator (or measure) by its name in ``lang``."""
    return goal.indicator_name_de if lang == "de" and goal.indicator_name_de else goal.indicator_name


def decimals_of(reader: Reader, city: City, goal: GoalOut) -> int:
    """The indicator's decimals (a performance measure's values: two)."""
    found = next((i for i in reader.indicators(city) if i.code == goal.indicator), None)
    return found.decimals if found is not None else 2


def chart(
    series: GoalSeries,
    goal: GoalOut,
    page: PageContext,
    *,
    decimals: int,
    compact: bool = False,
    id_prefix: str = "goal-chart",
) -> Markup:
    """The goal's chart with its title and a description in words of the reader's language."""
    _ = gettext_for(page.lang).gettext

    def fmt(value: float) -> str:
        return page.num(value, decimals)

    def value_text(value: float | None) -> str:
        return _("withheld") if value is None else page.unit(fmt(value), goal.unit)

    status = status_labels(page.lang)[goal.status.value if goal.status else "withheld"]
    latest = (
        _("latest value {value} ({period})").format(
            value=value_text(goal.latest.value), period=goal.latest.period
        )
        if goal.latest is not None
        else _("no value newer than the baseline")
    )
    description = _(
        "Baseline {baseline} ({period}); {latest}; target {target} by {deadline}; status: {status}."
    ).format(
        baseline=value_text(goal.baseline.value),
        period=goal.baseline.period,
        latest=latest,
        target=value_text(goal.target_value),
        deadline=goal.deadline.isoformat(),
        status=status,
    )
    words = ChartWords(
        title=_("{goal}: {indicator} in the goal’s areas, with its trajectory and target").format(
            goal=goal.title, indicator=indicator_name(goal, page.lang)
        ),
        description=description,
        group=_("The goal’s areas"),
        baseline=_("Baseline"),
        trajectory=_("Trajectory to the target"),
        target=_("Target"),
        city=_("City total"),
    )
    size = {"width": 220, "height": 64} if compact else {}
    return svg(goal_chart(series, fmt=fmt, words=words, compact=compact, id_prefix=id_prefix, **size))


def _city(reader: Reader, slug: str) -> City:
    return areas.get_city(reader.session, slug)


# -- the list of goals and the form that sets one ----------------------------------------------------------


@router.get("/cities/{slug}/goals.json", response_model=list[GoalOut], summary="Goals page (JSON twin)")
def goals_json(slug: str, reader: ReaderDep) -> list[GoalOut]:
    return queries.visible_goals(reader, slug)


#: The form's fields (stable names: the browser test of the consultation flow fills them by name).
FORM_FIELDS = (
    "title", "indicator", "priority_set", "target_value", "target_change", "deadline", "owner_unit",
    "owner_person", "rationale",
)  # fmt: skip


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
    """The list page; with ``errors`` (and the posted ``form``) after a refused goal."""
    city = _city(reader, slug)
    page = PageContext(request, lang)
    can_add = can(page.principal, Permission.EDIT, city.id)
    return templates.render(
        request,
        "goals/list.html",
        lang=lang,
        status_code=status_code,
        city=city,
        goals=queries.visible_goals(reader, slug),
        statuses=status_labels(lang),
        signs=STATUS_SIGNS,
        can_add=can_add,
        sets=priority.visible_sets(reader, slug) if can_add else [],
        indicators=reader.indicators(city) if can_add else [],
        decimals={i.code: i.decimals for i in reader.indicators(city)},
        form=form or {},
        errors=errors or [],
    )


@router.get("/cities/{slug}/goals", response_class=HTMLResponse, include_in_schema=False)
def goals_page(
    request: Request, slug: str, reader: ReaderDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    return render_list(request, slug, reader, lang, templates)


class _Ambiguous(ValueError):
    """A number whose separators German and English read differently (``1.500``, ``1,500.50``)."""


def _number(text: str) -> float | None:
    """A number as typed in a form field, German (``31,4``) or English (``31.4``); ``None`` when empty.

    Targets and changes are general numbers (a share of 0.125), not amounts: one decimal comma or point is
    read as the decimal separator; what German and English read differently is refused, not guessed
    (:class:`_Ambiguous`): both separators (``1,500.50``, ``1.500,5``), a separator used twice (``1.500.000``)
    and one separator before exactly three digits after a non-zero whole part (``1.500``: 1500 or 1.5?).
    ``0.125`` stays 0.125. :class:`ValueError` for what is no number at all."""
    text = text.strip().replace("\u2009", "").replace("\u202f", "").replace(" ", "").replace("\u2212", "-")
    if not text:
        return None
    separators = text.count(",") + text.count(".")
    grouped = separators > 1 or re.fullmatch(r"[+-]?[1-9]\d{0,2}[.,]\d{3}", text)
    if grouped and re.fullmatch(r"[+-]?\d[\d.,]*", text):
        raise _Ambiguous(text)
    text = text.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        raise ValueError(text)
    return float(text)


@router.post("/cities/{slug}/goals", include_in_schema=False, response_model=None)
def goal_add(
    request: Request,
    slug: str,
    reader: ReaderDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    title: Annotated[str, Form()] = "",
    indicator: Annotated[str, Form()] = "",
    priority_set: Annotated[str, Form()] = "",
    target_value: Annotated[str, Form()] = "",
    target_change: Annotated[str, Form()] = "",
    deadline: Annotated[str, Form()] = "",
    owner_unit: Annotated[str, Form()] = "",
    owner_person: Annotated[str, Form()] = "",
    rationale: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """The list page's form: a goal on the areas of a saved priority set. 303 to the new goal's page, else
    the list page again with the form as posted and the reasons (422); 401/403 without the permission."""
    form = {
        "title": title, "indicator": indicator, "priority_set": priority_set, "target_value": target_value,
        "target_change": target_change, "deadline": deadline, "owner_unit": owner_unit,
        "owner_person": owner_person, "rationale": rationale,
    }  # fmt: skip
    _ = gettext_for(lang).gettext
    with workspace.database.session() as check:
        city_with(check, principal, slug, Permission.EDIT)  # 401/403 before anything is read of the input
    try:
        numbers = {}
        for name in ("target_value", "target_change"):
            try:
                numbers[name] = _number(form[name])
            except _Ambiguous:
                raise InvalidInput(
                    _(
                        "{name}: “{value}” reads differently in German and English; write it without "
                        "thousands separators, with at most one decimal comma or point (1500 or 0,125)."
                    ).format(name=name, value=form[name])
                ) from None
            except ValueError:
                raise InvalidInput(
                    _("{name}: “{value}” is not a number.").format(name=name, value=form[name])
                ) from None
        goal_in = GoalIn.model_validate(
            {
                "title": title.strip(),
                "indicator": indicator.strip(),
                "areas": {"kind": "priority_set", "value": priority_set.strip()},
                "priority_sets": [priority_set.strip()] if priority_set.strip() else [],
                "target_value": numbers["target_value"],
                "target_change": numbers["target_change"],
                "deadline": deadline.strip() or None,
                "owner_unit": owner_unit.strip(),
                "owner_person": owner_person.strip() or None,
                "rationale": rationale.strip() or None,
            }
        )
        with workspace.database.session() as session:
            city = city_with(session, principal, slug, Permission.EDIT)
            own = audience_for(principal, city.id)  # the baseline as the writer sees the data
            added = service.add_goal(session, city, goal_in, actor=principal.name, audience=own)
    except (InvalidInput, ValidationError, NotFound) as error:
        messages = [str(error)] if isinstance(error, NotFound) else form_messages(error, lang)
        return render_list(
            request, slug, reader, lang, templates, form=form, errors=messages, status_code=422
        )
    return RedirectResponse(f"/cities/{slug}/goals/{added.id}?lang={lang}", status_code=303)


# -- the scorecard -----------------------------------------------------------------------------------------


def scorecard_with_series(reader: Reader, slug: str) -> tuple[Scorecard, dict[int, GoalSeries]]:
    """The scorecard and every goal's series, memoised per data version and audience (the page draws a
    chart per goal; 200 goals are read once, not on every request)."""
    city = _city(reader, slug)

    def compute() -> tuple[Scorecard, dict[int, GoalSeries]]:
        card = queries.scorecard(reader, slug)
        return card, queries.scorecard_series(reader, slug)

    return reader.memo(("goals-scorecard", city.id), compute, city_id=city.id)


def warm(reader: Reader, slug: str) -> None:
    """The cache warmer's hook (web/app.warm_up): every goal's progress and series for the public scorecard,
    whose first view would otherwise compute them (~1 s for the demo city's goals)."""
    scorecard_with_series(reader, slug)


@router.get("/cities/{slug}/scorecard.json", response_model=Scorecard, summary="Scorecard page (JSON twin)")
def scorecard_json(request: Request, slug: str, reader: ReaderDep) -> Response:
    """The scorecard, serialised once per data version and audience (200 goals with their areas take
    ~0.2 s to serialise; the response is the same :class:`Scorecard` the query returns)."""
    city = _city(reader, slug)

    def compute() -> bytes:
        return scorecard_with_series(reader, slug)[0].model_dump_json().encode()

    body = reader.memo(("goals-scorecard-json", city.id), compute, city_id=city.id)
    response = Response(body, media_type="application/json")
    return gzipped(request, response, reader, ("goals-scorecard-json", city.id), city.id)


def gzipped(request: Request, response: Response, reader: Reader, key: tuple, city_id: int) -> Response:
    """``response`` compressed once per ``key``, data version and audience, when the client accepts gzip.

    The app's GZip middleware compresses every response anew (0.4 s for the 3 MB scorecard of 200 goals over
    500 areas); a body that is the same for everyone under ``key`` is compressed once instead, and the
    middleware passes a response that has its ``Content-Encoding`` through."""
    if "gzip" not in request.headers.get("accept-encoding", "").lower():
        return response
    body = bytes(response.body)
    packed = reader.memo(("gzip", *key), lambda: gzip.compress(body, 6, mtime=0), city_id=city_id)
    response.body = packed
    response.headers["content-encoding"] = "gzip"
    response.headers["content-length"] = str(len(packed))
    response.headers["vary"] = "Accept-Encoding"
    return response


def scorecard_body(reader: Reader, city: City, page: PageContext, templates: Templates) -> Markup:
    """The scorecard's counts and goals with their charts, rendered once per data version, audience and
    language: what changes per request (the header with the visitor's name, the CSRF token) stays outside."""

    def compute() -> Markup:
        card, series = scorecard_with_series(reader, city.slug)
        decimals = {i.code: i.decimals for i in reader.indicators(city)}
        charts = {
            goal.id: chart(
                series[goal.id], goal, page, decimals=decimals.get(goal.indicator, 2), compact=True,
                id_prefix=f"goal-{goal.id}",
            )
            for goal in card.goals
        }  # fmt: skip
        html = (
            templates.envs[page.lang]
            .get_template("goals/_scorecard_goals.html")
            .render(page=page, city=city, card=card, charts=charts, decimals=decimals,
                    statuses=status_labels(page.lang), signs=STATUS_SIGNS)
        )  # fmt: skip
        return Markup(html)

    return reader.memo(("goals-scorecard-html", city.id, page.lang), compute, city_id=city.id)


#: The scorecard's lead (the page and the PDF say the same; the template has the same text for the catalogue).
SCORECARD_LEAD = (
    "Every goal of the city you may see, with its status computed from the data: achieved, on track or "
    "off track against the straight trajectory from the baseline to the target, or no new data since the "
    "baseline."
)


@router.get("/cities/{slug}/scorecard", response_class=HTMLResponse, include_in_schema=False)
def scorecard_page(
    request: Request, slug: str, reader: ReaderDep, lang: Lang, templates: TemplatesDep
) -> Response:
    city = _city(reader, slug)
    page = PageContext(request, lang)
    body = scorecard_body(reader, city, page, templates)
    response = templates.render(request, "goals/scorecard.html", lang=lang, city=city, body=body)
    if not page.principal.anonymous:
        return response  # the header names the user and carries their CSRF token: compressed per request
    # the public's page is the same for every visitor of this address (language and query string)
    return gzipped(
        request, response, reader, ("goals-scorecard-page", city.id, lang, request.url.query), city.id
    )


@router.get("/cities/{slug}/scorecard.pdf", include_in_schema=False)
def scorecard_pdf(
    request: Request, slug: str, reader: ReaderDep, lang: Lang, templates: TemplatesDep
) -> Response:
    """The scorecard as a tagged PDF: the body the page shows to this viewer (:func:`scorecard_body`, so a
    goal the viewer may not see is not in it), under the page's title and lead, rendered once per data
    version, audience, language and day."""
    from bettercities.reports.goals import scorecard_pdf as render_scorecard

    city = _city(reader, slug)
    page = PageContext(request, lang)
    _ = gettext_for(lang).gettext
    body = scorecard_body(reader, city, page, templates)
    site_url = str(request.url_for("scorecard_page", slug=slug)) + f"?lang={lang}"
    today = date.today()

    def compute() -> bytes:
        return render_scorecard(
            str(body),
            title=_("Scorecard of {city}").format(city=city.name),
            language=lang,
            generated=today,
            lead=_(SCORECARD_LEAD),
            site_url=site_url,
        )

    pdf = reader.memo(("goals-scorecard-pdf", city.id, lang, today, site_url), compute, city_id=city.id)
    name = f"{slug}-scorecard-{lang}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"content-disposition": f'inline; filename="{name}"'}
    )


# -- a goal's page and its card (the .json routes first: ``{goal_id}`` would refuse "3.json") ---------------


@router.get("/cities/{slug}/goals/{goal_id}.json", response_model=GoalOut, summary="Goal page (JSON twin)")
def goal_json(slug: str, goal_id: DbId, reader: ReaderDep) -> GoalOut:
    return queries.visible_goal(reader, slug, goal_id)


@router.get("/cities/{slug}/goals/{goal_id}", response_class=HTMLResponse, include_in_schema=False)
def goal_page(
    request: Request, slug: str, goal_id: DbId, reader: ReaderDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    city = _city(reader, slug)
    goal = queries.visible_goal(reader, slug, goal_id)
    series = queries.goal_series(reader, slug, goal_id)
    page = PageContext(request, lang)
    decimals = decimals_of(reader, city, goal)
    card_url = str(request.url_for("goal_card", slug=slug, goal_id=str(goal_id))) + f"?lang={lang}"
    return templates.render(
        request,
        "goals/goal.html",
        lang=lang,
        city=city,
        goal=goal,
        series=series,
        decimals=decimals,
        figure=chart(series, goal, page, decimals=decimals),
        statuses=status_labels(lang),
        signs=STATUS_SIGNS,
        sets=[s.name for s in priority.visible_sets(reader, slug)],
        card_url=card_url,
    )


@router.get(
    "/cities/{slug}/goals/{goal_id}/card.json",
    response_model=GoalCard,
    summary="Embeddable card of a goal (JSON)",
)
def goal_card_json(slug: str, goal_id: DbId, reader: ReaderDep) -> GoalCard:
    return GoalCard(
        goal=queries.visible_goal(reader, slug, goal_id), series=queries.goal_series(reader, slug, goal_id)
    )


@router.get("/cities/{slug}/goals/{goal_id}/card", response_class=HTMLResponse, include_in_schema=False)
def goal_card(
    request: Request, slug: str, goal_id: DbId, reader: ReaderDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    """A small page of one goal that other sites may put into an ``<iframe>``: title, status in words, the
    chart with its description, baseline, latest value and target, a link to the goal's page; no script,
    styles from this server, links opening in the embedding page's window."""
    city = _city(reader, slug)
    goal = queries.visible_goal(reader, slug, goal_id)
    series = queries.goal_series(reader, slug, goal_id)
    page = PageContext(request, lang)
    decimals = decimals_of(reader, city, goal)
    base = str(request.base_url).rstrip("/")
    response = templates.render(
        request,
        "goals/card.html",
        lang=lang,
        city=city,
        goal=goal,
        decimals=decimals,
        figure=chart(series, goal, page, decimals=decimals, id_prefix=f"card-{goal.id}"),
        statuses=status_labels(lang),
        signs=STATUS_SIGNS,
        base=base,
    )
    response.headers.update(security.EMBEDDABLE_HEADERS)
    return response
