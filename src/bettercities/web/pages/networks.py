"""Pages of networks and programmes, each with its JSON twin: the list of networks, a network's members on a
day (date picker) with the recorded history and a map, programmes with their members and tandem links on the
Europe map, and participation analytics with a chart and a CSV download.

Every page reads through :mod:`bettercities.networks.queries` / :mod:`bettercities.networks.analytics`, as
the API and the CLI do; a network's coordinators (and platform admins) get the forms that add, change and end
memberships, which call the same service functions as the API.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from bettercities.access.policy import can_coordinate, require_coordinator
from bettercities.core.errors import InvalidInput
from bettercities.figures import europe
from bettercities.figures.participation import RateRow, RateWords, rate_chart
from bettercities.networks import analytics, queries, service
from bettercities.networks.schemas import (
    MemberIn,
    MemberRole,
    MembershipChange,
    MembershipOut,
    MemberStatus,
    NetworkDetail,
    NetworkOut,
    OrganisationKind,
    Participation,
    ProgrammeDetail,
    ProgrammeOut,
    RateGroup,
)
from bettercities.views import registry as registry_views
from bettercities.web.deps import (
    DbId,
    Lang,
    PrincipalDep,
    ReaderDep,
    SessionDep,
    TemplatesDep,
    WorkspaceDep,
)
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.figures import europe_map
from bettercities.web.forms import run_form
from bettercities.web.i18n import gettext_for
from bettercities.web.templating import PageContext, Templates, svg

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)

AtQuery = Annotated[
    date | None,
    Query(description="The day (YYYY-MM-DD); default: today (a network's last day once it has ended)."),
]


def role_labels(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {
        MemberRole.LEAD_PARTNER.value: _("lead partner"),
        MemberRole.PARTNER.value: _("partner"),
        MemberRole.OBSERVER.value: _("observer"),
        MemberRole.PEER.value: _("peer"),
        MemberRole.APPLICANT.value: _("applicant"),
        MemberRole.TANDEM_PARTNER.value: _("tandem partner"),
        MemberRole.MEMBER.value: _("member"),
    }


def status_labels(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {MemberStatus.ACTIVE.value: _("active"), MemberStatus.WITHDRAWN.value: _("withdrawn")}


def kind_labels(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {
        OrganisationKind.DISTRICT.value: _("district"),
        OrganisationKind.METROPOLITAN.value: _("metropolitan authority"),
        OrganisationKind.ASSOCIATION.value: _("association of municipalities"),
        OrganisationKind.AGENCY.value: _("agency"),
        OrganisationKind.REGION.value: _("region"),
        OrganisationKind.INSTITUTE.value: _("public institute"),
        OrganisationKind.UNMATCHED.value: _("not matched to a municipality"),
        "network": _("network"),
        "tandem": _("tandem"),
    }


def dimension_labels(lang: str) -> dict[str, str]:
    _ = gettext_for(lang).gettext
    return {"country": _("Country"), "size_class": _("Size class"), "urban_rural": _("Urban-rural type")}


def group_labels(lang: str) -> dict[str, str]:
    """Size classes and urban-rural types in words (countries are shown by their code)."""
    _ = gettext_for(lang).gettext
    return {
        "small-town": _("small town (under 20,000)"),
        "medium-town": _("medium-sized town (20,000–99,999)"),
        "city": _("city (100,000–499,999)"),
        "large-city": _("large city (500,000 and more)"),
        "1": _("predominantly urban region"),
        "2": _("intermediate region"),
        "3": _("predominantly rural region"),
        "unknown": _("not known"),
        "all": _("all municipalities"),
    }


# -- the map -----------------------------------------------------------------------------------------------


def member_points(
    members: Sequence[MembershipOut], page: PageContext, *, group_by: str
) -> list[europe.EuropePoint]:
    """One point per member city (an organisation at its municipality), labelled with every member it stands
    for; members without a place are left to the table."""
    found: dict[str, europe.EuropePoint] = {}
    for m in members:
        if m.city is None or m.lat is None or m.lon is None:
            continue
        label = f"{m.member} ({m.country})"
        group = m.network if group_by == "network" else m.role
        if m.city in found:
            old = found[m.city]
            if label not in old.label:
                found[m.city] = europe.EuropePoint(
                    key=old.key, label=f"{old.label}; {label}", lon=old.lon, lat=old.lat,
                    population=old.population, href=old.href, group=old.group,
                )  # fmt: skip
            continue
        found[m.city] = europe.EuropePoint(
            key=m.city, label=label, lon=m.lon, lat=m.lat, population=m.population,
            href=page.url(f"/cities/{m.city}"), group=group,
        )  # fmt: skip
    return list(found.values())


def _map(
    points: list[europe.EuropePoint],
    links: list[europe.EuropeLink],
    page: PageContext,
    *,
    title: str,
    description: str,
    groups: dict[str, str],
    links_label: str | None = None,
) -> Markup | None:
    if not points:
        return None
    try:
        return europe_map(
            points, links, page, title=title, description=description, groups=groups, links_label=links_label,
            id_prefix="network-map",
        )  # fmt: skip
    except europe.BoundariesMissing:
        return None  # the table beside the map says everything the map would


# -- networks ----------------------------------------------------------------------------------------------


@router.get("/networks.json", response_model=list[NetworkOut], summary="Networks page (JSON twin)")
def networks_json(session: SessionDep) -> list[NetworkOut]:
    return service.list_networks(session)


@router.get("/networks", response_class=HTMLResponse, include_in_schema=False)
def networks_page(request: Request, session: SessionDep, lang: Lang, templates: TemplatesDep) -> HTMLResponse:
    return templates.render(
        request,
        "networks/list.html",
        lang=lang,
        networks=service.list_networks(session),
        programmes=service.list_programmes(session),
        kinds=kind_labels(lang),
    )


# -- participation (before /networks/{slug}) ----------------------------------------------------------------


@router.get(
    "/networks/participation.json", response_model=Participation, summary="Participation page (JSON twin)"
)
def participation_json(reader: ReaderDep) -> Participation:
    return registry_views.participation(reader)


@router.get("/networks/participation.csv", include_in_schema=False)
def participation_csv(reader: ReaderDep) -> Response:
    body = analytics.rates_csv(registry_views.participation(reader))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="network-participation.csv"'},
    )


def _percent(page: PageContext, share: float) -> str:
    return f"{page.num(100 * share, 2)} %"


def _rate_row(g: RateGroup, page: PageContext, names: dict[str, str]) -> RateRow:
    _ = gettext_for(page.lang).gettext
    label = names.get(g.group, g.group)
    hover = _("{group}: {k} of {n} take part, {rate} (interval {low} to {high}){under}").format(
        group=label,
        k=g.participants,
        n=g.municipalities,
        rate=_percent(page, g.rate),
        low=_percent(page, g.low),
        high=_percent(page, g.high),
        under=_("; under-represented") if g.under_represented else "",
    )
    return RateRow(
        key=g.group, label=label, rate=g.rate, low=g.low, high=g.high, under=g.under_represented, hover=hover
    )


def rate_figures(result: Participation, page: PageContext) -> dict[str, Markup]:
    """One chart per dimension (country, size class, urban-rural type)."""
    _ = gettext_for(page.lang).gettext
    dims, names = dimension_labels(page.lang), group_labels(page.lang)
    charts = {}
    for dimension, title in dims.items():
        groups: list[RateGroup] = [g for g in result.groups if g.dimension == dimension]
        if not groups:
            continue
        rows = [_rate_row(g, page, names) for g in groups]
        words = RateWords(
            title=_("Participation in networks by {dimension}").format(dimension=title),
            description=_(
                "Share of registry municipalities taking part in a network, with the Wilson interval "
                "(95 percent), against the overall rate of {rate}. Groups whose interval lies below it are "
                "marked as under-represented."
            ).format(rate=_percent(page, result.overall.rate)),
            overall=_("all municipalities: {rate}").format(rate=_percent(page, result.overall.rate)),
            under=_("under-represented: the interval lies below the overall rate"),
        )
        charts[dimension] = svg(
            rate_chart(rows, result.overall.rate, words=words, fmt=lambda v: _percent(page, v),
                       id_prefix=f"rates-{dimension}")
        )  # fmt: skip
    return charts


@router.get("/networks/participation", response_class=HTMLResponse, include_in_schema=False)
def participation_page(
    request: Request, reader: ReaderDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    result = registry_views.participation(reader)
    page = PageContext(request, lang)
    return templates.render(
        request,
        "networks/participation.html",
        lang=lang,
        result=result,
        charts=rate_figures(result, page),
        dimensions=dimension_labels(lang),
        names=group_labels(lang),
        percent=lambda share: _percent(page, share),
    )


# -- a network ---------------------------------------------------------------------------------------------


@router.get("/networks/{slug}.json", response_model=NetworkDetail, summary="Network page (JSON twin)")
def network_json(slug: str, session: SessionDep, at: AtQuery = None) -> NetworkDetail:
    return queries.network_detail(session, slug, on=at)


def render_network(
    request: Request,
    slug: str,
    session: SessionDep,
    lang: str,
    templates: Templates,
    *,
    at: date | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    _ = gettext_for(lang).gettext
    detail = queries.network_detail(session, slug, on=at)
    page = PageContext(request, lang, {"at": at.isoformat() if at else None})
    roles = role_labels(lang)
    points = member_points(detail.members, page, group_by="role")
    figure = _map(
        points,
        [],
        page,
        title=_("Members of {network} on {day}").format(
            network=detail.network.name_en, day=detail.on.isoformat()
        ),
        description=_("{count} members on the map; the table below lists every member.").format(
            count=len(points)
        ),
        groups={role: roles.get(role, role) for role in sorted({p.group or "" for p in points})},
    )
    network_id = service.get_network(session, slug).id
    return templates.render(
        request,
        "networks/network.html",
        lang=lang,
        status_code=status_code,
        detail=detail,
        figure=figure,
        rows=europe.europe_rows(points, []) if points else [],
        roles=roles,
        statuses=status_labels(lang),
        kinds=kind_labels(lang),
        can_manage=can_coordinate(page.principal, network_id),
        role_choices=[r.value for r in MemberRole],
        errors=errors or [],
        state={"at": at.isoformat() if at else None},
    )


@router.get("/networks/{slug}", response_class=HTMLResponse, include_in_schema=False)
def network_page(
    request: Request, slug: str, session: SessionDep, lang: Lang, templates: TemplatesDep, at: AtQuery = None
) -> HTMLResponse:
    return render_network(request, slug, session, lang, templates, at=at)


def _optional_day(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"“{text}” is not a date (YYYY-MM-DD)") from None


def _write(
    request: Request,
    slug: str,
    session: SessionDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: str,
    templates: Templates,
    action: Callable[[Session], object],
) -> HTMLResponse | RedirectResponse:
    """Run a coordinator's form ``action(session)``: 303 back to the network's page, else the page again with
    the reasons (422); 401/403 for anyone who may not manage the network."""
    require_coordinator(principal, service.get_network(session, slug).id)
    return run_form(
        workspace,
        lang,
        action,
        refused=lambda messages: render_network(
            request, slug, session, lang, templates, errors=messages, status_code=422
        ),
        done=f"/networks/{slug}",
    )


@router.post("/networks/{slug}/members", include_in_schema=False, response_model=None)
def member_add(
    request: Request,
    slug: str,
    session: SessionDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    city: Annotated[str, Form()] = "",
    organisation: Annotated[str, Form()] = "",
    country: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "member",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """The coordinator's form: a new membership of a city (slug) or an organisation."""

    def action(writing: Session) -> None:
        spec = MemberIn.model_validate(
            {
                "city": city.strip() or None, "organisation": organisation.strip() or None,
                "country": country.strip().upper() or None, "organisation_kind": kind.strip() or None,
                "role": role.strip(), "start": _optional_day(start), "end": _optional_day(end),
                "source": source.strip() or None, "note": note.strip() or None,
            }
        )  # fmt: skip
        service.add_membership(writing, slug, spec)

    return _write(request, slug, session, workspace, principal, lang, templates, action)


@router.post("/networks/{slug}/members/{membership_id}/end", include_in_schema=False, response_model=None)
def member_end(
    request: Request,
    slug: str,
    membership_id: DbId,
    session: SessionDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    end: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """The coordinator's form: end a membership on a day (its last day), with the reason."""

    def action(writing: Session) -> None:
        day = _optional_day(end)
        if day is None or not reason.strip():
            raise InvalidInput(gettext_for(lang).gettext("Give the last day as a member and the reason."))
        service.end_membership(writing, membership_id, day, reason=reason.strip(), network_slug=slug)

    return _write(request, slug, session, workspace, principal, lang, templates, action)


@router.post("/networks/{slug}/members/{membership_id}/change", include_in_schema=False, response_model=None)
def member_change(
    request: Request,
    slug: str,
    membership_id: DbId,
    session: SessionDep,
    workspace: WorkspaceDep,
    principal: PrincipalDep,
    lang: Lang,
    templates: TemplatesDep,
    role: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """The coordinator's form: change a membership (a new version; the old one is kept), with the reason."""

    def action(writing: Session) -> None:
        change = MembershipChange.model_validate(
            {
                "role": role.strip() or None, "status": status.strip() or None, "start": _optional_day(start),
                "end": _optional_day(end), "source": source.strip() or None, "note": note.strip() or None,
                "reason": reason.strip(),
            }
        )  # fmt: skip
        service.change_membership(writing, membership_id, change, network_slug=slug)

    return _write(request, slug, session, workspace, principal, lang, templates, action)


# -- programmes --------------------------------------------------------------------------------------------


@router.get("/programmes.json", response_model=list[ProgrammeOut], summary="Programmes page (JSON twin)")
def programmes_json(session: SessionDep) -> list[ProgrammeOut]:
    return service.list_programmes(session)


@router.get("/programmes", response_class=HTMLResponse, include_in_schema=False)
def programmes_page(
    request: Request, session: SessionDep, lang: Lang, templates: TemplatesDep
) -> HTMLResponse:
    return templates.render(
        request, "networks/programmes.html", lang=lang, programmes=service.list_programmes(session)
    )


@router.get("/programmes/{slug}.json", response_model=ProgrammeDetail, summary="Programme page (JSON twin)")
def programme_json(slug: str, session: SessionDep, at: AtQuery = None) -> ProgrammeDetail:
    return queries.programme_detail(session, slug, on=at)


@router.get("/programmes/{slug}", response_class=HTMLResponse, include_in_schema=False)
def programme_page(
    request: Request, slug: str, session: SessionDep, lang: Lang, templates: TemplatesDep, at: AtQuery = None
) -> HTMLResponse:
    _ = gettext_for(lang).gettext
    detail = queries.programme_detail(session, slug, on=at)
    page = PageContext(request, lang)
    names = {n.slug: n.name_en for n in detail.networks}
    points = member_points(detail.members, page, group_by="network")
    keys = {p.key for p in points}
    links = [
        europe.EuropeLink(a=a, b=b, label=_("{network}: tandem partners").format(network=names.get(n, n)))
        for a, b, n in detail.links
        if a in keys and b in keys
    ]
    figure = _map(
        points,
        links,
        page,
        title=_("Members of {programme}").format(programme=detail.programme.name),
        description=_(
            "{count} member cities on the map, coloured by network; {links} lines join tandem partners. The "
            "table beside the map lists every member."
        ).format(count=len(points), links=len(links)),
        groups=names,
        links_label=_("Tandem partners"),
    )
    return templates.render(
        request,
        "networks/programme.html",
        lang=lang,
        detail=detail,
        figure=figure,
        rows=europe.europe_rows(points, links) if points else [],
        names=names,
        roles=role_labels(lang),
        kinds=kind_labels(lang),
        tandem_links=links,
    )
