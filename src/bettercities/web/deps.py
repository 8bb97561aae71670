"""Dependencies shared by the routers: the database session, the principal, the reader with the app's caches
(publishing for the principal), permission checks, language."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from bettercities.access.policy import Permission, Principal, audience_for, can_administer_platform, require
from bettercities.analysis.priority.queries import PriorityQuery
from bettercities.analysis.spatial.queries import SpatialQuery, TypologyQuery
from bettercities.analysis.spatial.schemas import MAX_SEED, WeightsKind, WeightsSpec
from bettercities.analysis.spatial.typology import MAX_TYPES, ClusterMethod
from bettercities.areas import service as areas
from bettercities.areas.models import City
from bettercities.audit.schemas import AuditFilter
from bettercities.core import ids
from bettercities.core.classify import ClassMethod
from bettercities.core.errors import Forbidden
from bettercities.core.settings import Settings
from bettercities.figures.classes import DEFAULT_CLASSES, MAX_CLASSES, MIN_CLASSES
from bettercities.publication import Audience
from bettercities.quality.schemas import DiffQuery, QueueFilter
from bettercities.storage.workspace import Workspace
from bettercities.views.change import ChangeState
from bettercities.views.reader import Reader
from bettercities.views.schemas import ViewState
from bettercities.web.i18n import COOKIE, negotiate
from bettercities.web.templating import Templates


def get_workspace(request: Request) -> Workspace:
    workspace: Workspace = request.app.state.workspace
    return workspace


async def get_settings_dep(request: Request) -> Settings:
    # async: a dependency without I/O runs in the event loop instead of a thread-pool round trip
    settings: Settings = request.app.state.settings
    return settings


def get_templates(request: Request) -> Templates:
    templates: Templates = request.app.state.templates
    return templates


def get_session(request: Request) -> Iterator[Session]:
    """A read-only session for the request."""
    with get_workspace(request).database.reader() as session:
        yield session


async def get_principal(request: Request) -> Principal:
    """Whoever makes the request (resolved once by :class:`bettercities.web.auth.Authenticate`)."""
    principal: Principal = request.state.principal
    return principal


async def get_reader(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> Reader:
    """A reader that publishes every city's values for the principal's audience in that city; an anonymous
    caller's analyses have a budget (setting ``analysis_budget_anonymous``)."""
    settings: Settings = request.app.state.settings
    budget = settings.analysis_budget_anonymous if principal.anonymous else None
    return Reader(session, request.app.state.caches, principal=principal, budget=budget)


def city_with(session: Session, principal: Principal, slug: str, permission: Permission) -> City:
    """City ``slug`` (404 when unknown) after checking that ``principal`` has ``permission`` in it
    (:class:`~bettercities.core.errors.Forbidden`: 401 for the anonymous visitor, 403 otherwise)."""
    city = areas.get_city(session, slug)
    require(principal, permission, city.id)
    return city


def requires(permission: Permission) -> Callable[..., City]:
    """A dependency for routes with a ``{slug}`` path parameter: the city, once ``permission`` is checked.

    ``city: Annotated[City, Depends(requires(Permission.EDIT))]``, or ``dependencies=[...]`` on the route.
    """

    def dependency(
        slug: str,
        session: Annotated[Session, Depends(get_session)],
        principal: Annotated[Principal, Depends(get_principal)],
    ) -> City:
        return city_with(session, principal, slug, permission)

    return dependency


def city_audience(
    slug: str,
    session: Annotated[Session, Depends(get_session)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> Audience:
    """For routes with a ``{slug}`` path parameter: what the principal may see of the city (404: no city)."""
    return audience_for(principal, areas.get_city(session, slug).id)


def language(
    request: Request,
    lang: Annotated[
        str | None,
        Query(
            max_length=35,
            description="Language of names and texts: de or en; any other falls back to the cookie, "
            "Accept-Language or the default language.",
        ),
    ] = None,
) -> str:
    """The request's language: ``?lang=``, then the cookie, then ``Accept-Language``, then the setting.

    A language the site does not speak (``?lang=fr``) is not an error: the next source decides."""
    return negotiate(
        lang,
        request.cookies.get(COOKIE),
        request.headers.get("accept-language"),
        request.app.state.settings.default_language,
    )


def view_state(
    lang: Annotated[str, Depends(language)],
    indicator: Annotated[
        str | None, Query(description="Indicator code; default: the first with data.")
    ] = None,
    period: Annotated[str | None, Query(description="Period code, e.g. 2022; default: the latest.")] = None,
    level: Annotated[str | None, Query(description="Spatial level code; default: the finest.")] = None,
    classes: Annotated[ClassMethod, Query(description="Class breaks of the map.")] = ClassMethod.QUANTILES,
    k: Annotated[
        int, Query(ge=MIN_CLASSES, le=MAX_CLASSES, description="Number of classes.")
    ] = DEFAULT_CLASSES,
) -> ViewState:
    return ViewState(lang=lang, indicator=indicator, period=period, level=level, classes=classes, k=k)


def permalink_state(state: ViewState, *keys: str) -> dict[str, object]:
    """Parameters of ``state`` for a page's URL (``classes`` and ``k`` only when not the default)."""
    params: dict[str, object] = {key: getattr(state, key) for key in keys}
    if "classes" in keys and state.classes == ClassMethod.QUANTILES:
        params["classes"] = None
    if "k" in keys and state.k == DEFAULT_CLASSES:
        params["k"] = None
    return params


Lang = Annotated[str, Depends(language)]


def level_names(
    slug: str, session: Annotated[Session, Depends(get_session)], lang: Annotated[str, Depends(language)]
) -> dict[str, str]:
    """For routes with a ``{slug}`` path parameter: the names of the city's levels in the request's language
    by code, for pages that name a level by its code (404: no city)."""
    city = areas.get_city(session, slug)
    return {level.code: level.name(lang) for level in areas.list_levels(session, city)}


LevelNames = Annotated[dict[str, str], Depends(level_names)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
ReaderDep = Annotated[Reader, Depends(get_reader)]
SessionDep = Annotated[Session, Depends(get_session)]
StateDep = Annotated[ViewState, Depends(view_state)]
TemplatesDep = Annotated[Templates, Depends(get_templates)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
#: The workspace, for routes that write (``with workspace.database.session() as session: …``).
WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]
AudienceDep = Annotated[Audience, Depends(city_audience)]

#: Route dependencies of a ``{slug}`` route: the views that show unpublished and suppressed values (the city's
#: data team, analyst and up) and the writes of stewards and up (acting on a flag, importing).
NEEDS_VIEW_SUPPRESSED = [Depends(requires(Permission.VIEW_SUPPRESSED))]
NEEDS_EDIT = [Depends(requires(Permission.EDIT))]

#: The filters of the quality queue and the two states of a revision diff, from the query string.
QueueDep = Annotated[QueueFilter, Depends()]
DiffDep = Annotated[DiffQuery, Depends()]


# -- the audit log: its readers and its filters in the query string --------------------------------------
#: The city, once the principal's permission to read its audit log is checked.
AuditedCity = Annotated[City, Depends(requires(Permission.ADMINISTER))]


def platform_admin(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """The principal, once it is a platform admin (401 for the anonymous visitor, 403 for anyone else)."""
    if not can_administer_platform(principal):
        if principal.anonymous:
            raise Forbidden("sign in to read the platform's audit log", anonymous=True)
        raise Forbidden(f"{principal.name} may not read the platform's audit log (platform admins only)")
    return principal


@dataclass(frozen=True)
class AuditQuery:
    """The filters of the audit log in the query string (the city comes from the path)."""

    actor: Annotated[str | None, Query(description='Entries by this actor, e.g. "anna" or "cli:ops".')] = None
    entity: Annotated[str | None, Query(description="Entries about this table, e.g. observation.")] = None
    action: Annotated[
        str | None, Query(description="insert, update, delete, bulk-insert, login, login-failed …")
    ] = None
    since: Annotated[datetime | None, Query(description="At or after this time (UTC when naive).")] = None
    until: Annotated[datetime | None, Query(description="Before this time (UTC when naive).")] = None

    def filters(self, city: City | None = None) -> AuditFilter:
        """The filter of the log of ``city`` (``None``: of the platform)."""
        return AuditFilter(
            city_id=None if city is None else city.id,
            actor=self.actor or None,
            entity=self.entity or None,
            action=self.action or None,
            since=self.since,
            until=self.until,
        )

    def params(self) -> dict[str, object]:
        """The filters for a page's URL (unset ones left out)."""
        return {k: v for k, v in vars(self).items() if v is not None and v != "" and v is not False}


@dataclass(frozen=True)
class PlatformAuditQuery(AuditQuery):
    """The filters of the platform's audit log: those of a city's, and the city or no city at all."""

    city: Annotated[str | None, Query(description="Entries of this city (by slug, also once deleted).")] = (
        None
    )
    no_city: Annotated[
        bool, Query(description="Only entries that concern no city: sign-ins, tokens, users, networks.")
    ] = False

    def filters(self, city: City | None = None) -> AuditFilter:
        chosen = {"city": self.city or None, "without_city": self.no_city}
        return super().filters(city).model_copy(update=chosen)


AuditQueryDep = Annotated[AuditQuery, Depends()]
PlatformAuditQueryDep = Annotated[PlatformAuditQuery, Depends()]

#: An id in a path or query parameter (run, flag, token …): ids beyond the databases' 64-bit integers are
#: refused with 422 instead of reaching the database (:data:`bettercities.core.ids.DbId`).
DbId = ids.DbId


# -- analysis parameters, shared by the JSON API and the pages of index, spatial and priority ----------------
# The limits (permutations, neighbours, types) bound what anyone may ask of the server.


def spatial_options(
    period: Annotated[
        str | None, Query(max_length=80, description="Period code; default: the latest.")
    ] = None,
    level: Annotated[str | None, Query(max_length=80, description="Level code; default: the finest.")] = None,
    weights: Annotated[WeightsKind, Query(description="Spatial weights.")] = WeightsKind.QUEEN,
    k: Annotated[int, Query(ge=1, le=50, description="Neighbours (knn).")] = 6,
    threshold: Annotated[
        float | None, Query(gt=0, description="Distance band in metres (distance-band).")
    ] = None,
    permutations: Annotated[int, Query(ge=99, le=9999, description="Random permutations.")] = 999,
    seed: Annotated[int, Query(ge=0, le=MAX_SEED, description="Random seed (reproducible p-values).")] = 1,
    alpha: Annotated[float, Query(gt=0, lt=0.5, description="Significance level.")] = 0.05,
) -> dict[str, object]:
    """The parameters of a spatial analysis but its indicator; a bad combination of weights (a distance band
    without a threshold) is a 422 naming ``weights``, so a page shows itself with the default weights."""
    try:
        spec = WeightsSpec(kind=weights, k=k, threshold=threshold)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        refused = {"type": first["type"], "loc": ("query", "weights"), "msg": first["msg"], "input": weights}
        raise RequestValidationError([refused]) from error
    return {
        "period": period, "level": level, "weights": spec, "permutations": permutations, "seed": seed,
        "alpha": alpha,
    }  # fmt: skip


SpatialOptions = Annotated[dict[str, object], Depends(spatial_options)]


def spatial_query(
    indicator: Annotated[str, Query(max_length=80, description="Indicator code.")], options: SpatialOptions
) -> SpatialQuery:
    """The parameters of a spatial analysis."""
    return _typed(SpatialQuery, indicator=indicator, **options)


def spatial_page_query(
    options: SpatialOptions,
    indicator: Annotated[str | None, Query(max_length=80, description="Indicator code.")] = None,
) -> SpatialQuery | None:
    """Those of the spatial page: without an indicator (``None``) the page shows its form and asks for one."""
    return None if not indicator else _typed(SpatialQuery, indicator=indicator, **options)


def typology_options(
    period: Annotated[
        str | None, Query(max_length=80, description="Period code; default: the latest.")
    ] = None,
    level: Annotated[str | None, Query(max_length=80, description="Level code; default: the finest.")] = None,
    k: Annotated[int, Query(ge=2, le=MAX_TYPES, description="Number of types.")] = 4,
    method: Annotated[ClusterMethod, Query(description="kmeans or hierarchical (Ward).")] = (
        ClusterMethod.KMEANS
    ),
    seed: Annotated[int, Query(ge=0, le=MAX_SEED, description="Random seed of k-means.")] = 1,
) -> dict[str, object]:
    """The parameters of a typology but its indicators."""
    return {"period": period, "level": level, "k": k, "method": method, "seed": seed}


TypologyOptions = Annotated[dict[str, object], Depends(typology_options)]


def typology_query(
    indicator: Annotated[list[str], Query(description="Indicator codes (repeat the parameter).")],
    options: TypologyOptions,
) -> TypologyQuery:
    """The parameters of a typology."""
    return _typed(TypologyQuery, indicators=indicator, **options)


def typology_page_query(
    options: TypologyOptions,
    indicator: Annotated[
        list[str] | None, Query(description="Indicator codes (repeat the parameter).")
    ] = None,
) -> TypologyQuery | None:
    """Those of the typology page: without indicators (``None``) the page shows its form and asks for some."""
    return None if not indicator else _typed(TypologyQuery, indicators=indicator, **options)


def priority_query(
    rule: Annotated[
        str, Query(max_length=80, description="Preset rule name.")
    ] = "mss-low-status-negative-dynamics",
    level: Annotated[
        str | None, Query(max_length=80, description="Level code; default: the rule's or its run's.")
    ] = None,
    period: Annotated[
        str | None, Query(max_length=80, description="Period code; default: the rule's or its run's.")
    ] = None,
) -> PriorityQuery:
    """A preset rule with optional level and period."""
    return _typed(PriorityQuery, rule=rule, level=level, period=period)


Q = TypeVar("Q", bound=BaseModel)


def _typed(model: type[Q], **params: object) -> Q:
    """``model`` of the query parameters; what its own rules refuse (an indicator code of 100 characters in
    a list) is a 422 like the parameters' own checks, not a 500."""
    try:
        return model(**params)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("query", *e["loc"])} for e in error.errors(include_url=False)]
        ) from error


SpatialQueryDep = Annotated[SpatialQuery, Depends(spatial_query)]
TypologyQueryDep = Annotated[TypologyQuery, Depends(typology_query)]
#: The same for the pages: a page without its indicator(s) shows its form and a message (not a 422).
SpatialPageQueryDep = Annotated[SpatialQuery | None, Depends(spatial_page_query)]
TypologyPageQueryDep = Annotated[TypologyQuery | None, Depends(typology_page_query)]
PriorityQueryDep = Annotated[PriorityQuery, Depends(priority_query)]

#: Parameters of the index run pages and their API twins.
IndexView = Annotated[str, Query(pattern="^(status|dynamics|combined|index)$", description="Classes to map.")]
IndexPart = Annotated[
    str | None, Query(pattern="^(status|dynamics|index)$", description="Index part to map (default: first).")
]
Crosswalk = Annotated[
    str | None,
    Query(max_length=80, description="Crosswalk code: carry the earlier run to the later boundaries."),
]
ThresholdDistance = Annotated[
    float, Query(gt=0, le=2, description="Distance to a class threshold that counts as near.")
]


# -- the change map between two periods (views/change.py): pages, JSON twin and API --------------------


def change_state(
    code: str,
    lang: Lang,
    start: Annotated[
        str | None,
        Query(alias="from", max_length=80, description="First period; default: the oldest with data."),
    ] = None,
    end: Annotated[
        str | None, Query(alias="to", max_length=80, description="Second period; default: the latest.")
    ] = None,
    level: Annotated[str | None, Query(max_length=80, description="Level code; default: the finest.")] = None,
) -> ChangeState:
    return ChangeState(lang=lang, indicator=code, from_period=start, to_period=end, level=level)


ChangeStateDep = Annotated[ChangeState, Depends(change_state)]
