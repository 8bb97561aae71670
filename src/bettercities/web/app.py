"""The web app: JSON API under ``/api/``, server-rendered pages in German and English, all offline.

Every page has a JSON twin at the same path with ``.json`` appended (``/cities/berlin`` →
``/cities/berlin.json``; the front page's is ``/index.json``) carrying the same typed result the page renders;
the page state (indicator, period, level, lang …) lives in the query string of both.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import import_module
from types import ModuleType
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute

from bettercities import __version__, domains
from bettercities.core.settings import Settings, get_settings
from bettercities.storage.workspace import Workspace
from bettercities.views.reader import Caches
from bettercities.web import auth, errors, limits
from bettercities.web.api import docs as api_docs
from bettercities.web.caching import GZIP_LEVEL, GZIP_MINIMUM, PublicAnswers, ResponseCache
from bettercities.web.jobs import Jobs
from bettercities.web.security import SecurityHeaders
from bettercities.web.templating import STATIC, Templates

log = logging.getLogger(__name__)

DESCRIPTION = """Small-area social statistics of European cities.

* Lists are paginated: `?page=&page_size=`, envelope `{items, page, page_size, total, next}`.
* Errors are problem documents (RFC 9457): 404 for an unknown city, area, level, indicator or period,
  422 for invalid parameters.
* Every HTML page has a JSON twin: append `.json` to its path (the front page's is `/index.json`).
* Withheld (suppressed) values are never published: their value, numerator and denominator are empty.
* Sign in for a city's restricted data: send an API token as `Authorization: Bearer bct_…` (issue one at
  `/account/tokens` or `POST /api/me/tokens`). 401: sign-in needed or the token is unknown, expired or
  revoked; 403: the role or the token's scope does not allow it.
"""

#: Routers in the order they are matched (``/x.json`` before ``/x/{...}``): one per domain and face, as the
#: manifest (:mod:`bettercities.domains`) lists them.
ROUTERS: tuple[ModuleType, ...] = tuple(import_module(name) for name in domains.router_modules())

#: What every route depends on: the CSRF check of cookie-authenticated unsafe requests, and the bearer scheme
#: for OpenAPI.
DEPENDENCIES = (Depends(auth.verify_csrf), Depends(auth.BEARER_SCHEME))

_ROUTES: list[BaseRoute] = []
_ROUTES_LOCK = threading.Lock()


def _domain_routes() -> list[BaseRoute]:
    """The routers of :data:`ROUTERS` as an app includes them, built once per process and shared by its apps.

    FastAPI builds an included router's route state (a pydantic adapter per parameter and response model of
    each of ~400 operations) lazily, on the first request that walks past a route, and keeps it on the
    included router: a new app per workspace (each test's, the CLI's) would build it all again, ~0.5-1.5 s
    per page family. The routes are the same for every app (their endpoints read the app's state through the
    request) and the state is built under FastAPI's own lock, so the apps of a process share one include.
    The prototype app that holds the include has no dependency overrides; no app of bettercities sets any.
    """
    with _ROUTES_LOCK:
        if not _ROUTES:
            prototype = FastAPI(dependencies=list(DEPENDENCIES))
            first = len(prototype.router.routes)
            for module in ROUTERS:
                prototype.include_router(module.router)
            _ROUTES.extend(prototype.router.routes[first:])
        return _ROUTES


def create_app(
    workspace: Workspace | None = None, *, settings: Settings | None = None, warm: bool = False
) -> FastAPI:
    """The bettercities web app over ``workspace`` (default: the one the settings name).

    ``warm`` computes the default views of every city in a background thread at start-up, so that the first
    visitors do not wait for the caches to fill, and in another one the protection of every city
    (:func:`bettercities.privacy.service.keep_warm`), again after every write.
    """
    settings = settings or get_settings()
    if workspace is None:
        workspace = Workspace.open(settings.workspace, database_url=settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        if warm:
            from bettercities.privacy import service as privacy  # protection first: every view needs it

            threading.Thread(
                target=privacy.keep_warm,
                args=(workspace.database.reader, stop),
                name="bettercities-protection",
                daemon=True,
            ).start()
            threading.Thread(
                target=keep_warm, args=(app, stop), name="bettercities-warm-up", daemon=True
            ).start()
        yield
        stop.set()
        app.state.jobs.shutdown()

    app = FastAPI(
        title="bettercities",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
        dependencies=list(DEPENDENCIES),
    )
    app.state.workspace = workspace
    app.state.settings = settings
    app.state.caches = Caches()
    app.state.responses = ResponseCache()
    app.state.templates = Templates(auto_reload=settings.debug)
    app.state.jobs = Jobs(workspace)
    app.state.warm = False
    app.state.secret = auth.server_secret(settings, workspace)
    # the anonymous visitor's cached API answers, in front of the router (inside every limit and check, and
    # inside GZipMiddleware, which states "Vary: Accept-Encoding" on the route's answers too)
    app.add_middleware(PublicAnswers)
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM, compresslevel=GZIP_LEVEL)
    # inside Authenticate: both limits depend on the principal
    app.add_middleware(limits.BodyLimit, settings=settings)
    app.add_middleware(limits.RateLimit, settings=settings)  # outside the body limit: refused before reading
    # the principal and audit actor of each request
    app.add_middleware(auth.Authenticate, workspace=workspace, settings=settings)
    app.add_middleware(SecurityHeaders)  # added last: the outermost, so it sees every response
    api_docs.mount(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.router.routes.extend(_domain_routes())
    app.router._mark_routes_changed()  # FastAPI's own step after an include (its routes' version)
    errors.install(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def serving_app() -> FastAPI:
    """The app of one worker process of ``bettercities serve --workers N`` (uvicorn calls this factory in
    each): the workspace the settings name, its caches warmed in the background."""
    return create_app(warm=True)


#: OpenAPI documents by the routes they describe: FastAPI builds one in ~4 s on a quiet machine (pydantic
#: schemas of ~150 paths), and every app of a process (a test module each) would pay it again for the same
#: routes.
_OPENAPI: dict[tuple[Any, ...], dict[str, Any]] = {}
_OPENAPI_LOCK = threading.Lock()


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, built once per process for the same title, version and routes."""
    if app.openapi_schema is None:
        routes = tuple(
            (getattr(r, "path", ""), tuple(sorted(getattr(r, "methods", None) or ())), getattr(r, "name", ""))
            for r in app.routes
        )
        key = (app.title, app.version, app.openapi_version, app.description, routes)
        with _OPENAPI_LOCK:
            if key not in _OPENAPI:
                _OPENAPI[key] = FastAPI.openapi(app)
            # a copy per app: a caller that edits its document (a test, a plug-in) edits only its own
            app.openapi_schema = copy.deepcopy(_OPENAPI[key])
    return app.openapi_schema


def warm_up(app: FastAPI) -> None:
    """Fill the caches with what the pages of every city need (see :func:`views.service.warm`), then what a
    domain's pages compute beyond it: a router module of :data:`ROUTERS` may define ``warm(reader, slug)``
    (the goals' pages: every goal's progress for the scorecard and the goals list)."""
    from bettercities.views import service
    from bettercities.views.reader import Reader

    hooks = [module.warm for module in ROUTERS if callable(getattr(module, "warm", None))]
    workspace: Workspace = app.state.workspace
    with workspace.database.reader() as session:
        reader = Reader(session, app.state.caches)
        for city in service.home_view(reader).cities:
            started = time.perf_counter()
            computed = service.warm(reader, city.slug)
            for hook in hooks:
                hook(reader, city.slug)
            log.info("warmed %s: %d values in %.1f s", city.slug, computed, time.perf_counter() - started)
    app.state.warm = True


def warm_europe_map() -> bool:
    """Build the Europe map's country outlines (read, projected and simplified once per process: about 1 s
    with the imports of pyogrio, shapely and pyproj, several seconds on a loaded machine) before the first
    /benchmark, network or programme page needs them; False (logged) when they are not installed."""
    from bettercities.figures import europe

    try:
        europe.basemap()
    except europe.BoundariesMissing as error:
        log.warning("the Europe map's outlines are not ready: %s", error)
        return False
    return True


def keep_warm(app: FastAPI, stop: threading.Event, interval: float = 15.0) -> None:
    """Warm the caches at start-up, and again whenever the data change or the entries near their expiry;
    after the first round, the Europe map's outlines (:func:`warm_europe_map`)."""
    import mapclassify  # noqa: F401 - its import (scipy) takes a second; pay it before the first visitor

    from bettercities.views.cache import current_stamp

    caches = app.state.caches
    last_stamp: tuple | None = None
    last_time = 0.0
    outlines = False
    while True:
        try:
            stamp = current_stamp(app.state.workspace.database)
            if stamp != last_stamp or time.monotonic() - last_time > caches.values.ttl * 0.8:
                warm_up(app)
                last_stamp, last_time = stamp, time.monotonic()
        except Exception:  # warming is an optimisation; a failure must not take the server down
            log.exception("warming the caches failed")
        if not outlines:
            outlines = True
            try:
                warm_europe_map()
            except Exception:
                log.exception("warming the Europe map's outlines failed")
            try:
                app.openapi()  # /api/docs and /api/openapi.json: ~4 s to build on a quiet machine
            except Exception:
                log.exception("building the OpenAPI document failed")
        if stop.wait(interval):
            return
