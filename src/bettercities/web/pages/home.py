"""The front page and the list of cities."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bettercities.views import service as views
from bettercities.views.schemas import HomeView
from bettercities.web.deps import Lang, ReaderDep, TemplatesDep

router = APIRouter(tags=["pages"])


@router.get("/index.json", response_model=HomeView, summary="Front page (JSON twin of /)")
def home_json(reader: ReaderDep) -> HomeView:
    return views.home_view(reader)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, reader: ReaderDep, templates: TemplatesDep, lang: Lang) -> HTMLResponse:
    return templates.render(request, "areas/home.html", lang=lang, view=views.home_view(reader))


@router.get("/cities.json", response_model=HomeView, summary="City list (JSON twin of /cities)")
def cities_json(reader: ReaderDep) -> HomeView:
    return views.home_view(reader)


@router.get("/cities", response_class=HTMLResponse, include_in_schema=False)
def cities(request: Request, reader: ReaderDep, templates: TemplatesDep, lang: Lang) -> HTMLResponse:
    return templates.render(request, "areas/cities.html", lang=lang, view=views.home_view(reader))
