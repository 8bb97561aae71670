"""``/api/docs``: Swagger UI served from this server (no CDN), reading ``/api/openapi.json``.

The Swagger UI assets come from the ``fastapi-offline`` package (Swagger UI 5, which renders the OpenAPI 3.1
documents FastAPI writes) and are mounted at ``/static/swagger``.

FastAPI's ``get_swagger_ui_html`` starts Swagger UI with an inline script, which the Content-Security-Policy
(:mod:`bettercities.web.security`) refuses; this page loads the same start-up code from
``/static/js/swagger-init.js`` instead, so the policy needs no nonce and no exception for this one page.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

SWAGGER_URL = "/static/swagger"

PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bettercities API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{SWAGGER_URL}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="/api/openapi.json"></div>
<script src="{SWAGGER_URL}/swagger-ui-bundle.js"></script>
<script src="/static/js/swagger-init.js"></script>
</body>
</html>
"""

router = APIRouter(include_in_schema=False)


def swagger_assets() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).with_name("static")


@router.get("/api/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    return HTMLResponse(PAGE)


def mount(app: FastAPI) -> None:
    app.mount(SWAGGER_URL, StaticFiles(directory=swagger_assets()), name="swagger")
    app.include_router(router)
