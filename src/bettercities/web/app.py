"""The web app: JSON API under ``/api/``, server-rendered pages in German and English, all offline.

Every page has a JSON twin at the same path with ``.json`` appended (``/cities/berlin`` →
``/cities/berlin.json``; the front page's is ``/index.json``) carrying the same typed result the page renders;
the page state (indicator, period, level, lang …) lives in the query string of both.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

from bettercities import __version__
from bettercities.core.settings import Settings, get_settings
from bettercities.reports.service import Caches
from bettercities.storage.workspace import Workspace
from bettercities.web import errors
from bettercities.web.api import cities as api_cities
from bettercities.web.api import docs as api_docs
from bettercities.web.api import indicators as api_indicators
from bettercities.web.jobs import Jobs
from bettercities.web.pages import areas as page_areas
from bettercities.web.pages import cities as page_cities
from bettercities.web.pages import home as page_home
from bettercities.web.pages import imports as page_imports
from bettercities.web.pages import indicators as page_indicators
from bettercities.web.templating import STATIC, Templates

log = logging.getLogger(__name__)

DESCRIPTION = """Small-area social statistics of European cities.

* Lists are paginated: `?page=&page_size=`, envelope `{items, page, page_size, total, next}`.
* Errors are problem documents (RFC 9457): 404 for an unknown city, area, level, indicator or period,
  422 for invalid parameters.
* Every HTML page has a JSON twin: append `.json` to its path (the front page's is `/index.json`).
* Withheld (suppressed) values are never published: their value, numerator and denominator are empty.
"""

#: Routers in the order they are matched (``/x.json`` before ``/x/{...}``).
ROUTERS = (api_cities, api_indicators, page_home, page_cities, page_indicators, page_areas, page_imports)


def create_app(
    workspace: Workspace | None = None, *, settings: Settings | None = None, warm: bool = False
) -> FastAPI:
    """The bettercities web app over ``workspace`` (default: the one the settings name).

    ``warm`` computes the default views of every city in a background thread at start-up, so that the first
    visitors do not wait for the caches to fill.
    """
    settings = settings or get_settings()
    if workspace is None:
        workspace = Workspace.open(settings.workspace, database_url=settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warm:
            threading.Thread(target=warm_up, args=(app,), name="bettercities-warm-up", daemon=True).start()
        yield
        app.state.jobs.shutdown()

    app = FastAPI(
        title="bettercities",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.workspace = workspace
    app.state.settings = settings
    app.state.caches = Caches()
    app.state.templates = Templates(auto_reload=settings.debug)
    app.state.jobs = Jobs(workspace)
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    api_docs.mount(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in ROUTERS:
        app.include_router(module.router)
    errors.install(app)
    return app


def warm_up(app: FastAPI) -> None:
    """Fill the caches with every city's default city page and each indicator's city series."""
    from bettercities.reports import classes, service
    from bettercities.reports.schemas import ViewState

    classes.METHODS[classes.ClassMethod.QUANTILES]
    try:
        import mapclassify  # noqa: F401 - its import (scipy) takes a second; pay it before the first visitor

        workspace: Workspace = app.state.workspace
        with workspace.database.reader() as session:
            reader = service.Reader(session, app.state.caches)
            for city in service.home_view(reader).cities:
                try:
                    view = service.city_view(reader, city.slug, ViewState())
                except Exception:  # a city without data has no default view
                    continue
                reader.shapes(view.city.id, view.level.id, view.period.code)
                orm_city = service.areas.get_city(session, city.slug)
                for indicator in view.indicators:
                    reader.city_series(orm_city, service.indicators.get_indicator(session, indicator.code))
    except Exception:  # warming is an optimisation; a failure must not take the server down
        log.exception("warming the caches failed")
