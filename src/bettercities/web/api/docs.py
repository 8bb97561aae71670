"""``/api/docs``: Swagger UI served from this server (no CDN), reading ``/api/openapi.json``.

The Swagger UI assets come from the ``fastapi-offline`` package (Swagger UI 5, which renders the OpenAPI 3.1
documents FastAPI writes) and are mounted at ``/static/swagger``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

SWAGGER_URL = "/static/swagger"

router = APIRouter(include_in_schema=False)


def swagger_assets() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).with_name("static")


@router.get("/api/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/api/openapi.json",
        title="bettercities API",
        swagger_js_url=f"{SWAGGER_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_URL}/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )


def mount(app: FastAPI) -> None:
    app.mount(SWAGGER_URL, StaticFiles(directory=swagger_assets()), name="swagger")
    app.include_router(router)
