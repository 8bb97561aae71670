"""Errors as RFC 9457 problem documents (API and JSON twins) or as HTML pages (pages).

* :class:`~bettercities.core.errors.NotFound` (unknown city, area, indicator, period, level) → 404;
* bad parameters (validation, a period in no known notation, refused input) → 422;
* :class:`~bettercities.core.errors.Forbidden` → 401 for the anonymous visitor (pages link to the sign-in
  page with ``next=``), 403 for a signed-in user without the permission or a request without its CSRF token;
* any other exception (a bug) → 500 with a request id, logged with its traceback under that id; the response
  shows the traceback and the exception's text only when the ``debug`` setting is on.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from bettercities.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from bettercities.indicators.periods import PeriodError
from bettercities.web import security
from bettercities.web.i18n import LANGUAGES, negotiate

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class ProblemOut(BaseModel):
    """An error (RFC 9457 problem details)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    kind: str | None = None
    key: str | None = None
    errors: list[dict[str, Any]] | None = None
    request_id: str | None = None
    traceback: str | None = None


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ProblemOut, "description": "Sign-in required, or an unknown, expired or revoked token."},
    403: {"model": ProblemOut, "description": "Not permitted (role or token scope), or no CSRF token."},
    404: {"model": ProblemOut, "description": "Unknown city, area, level, indicator or period."},
    413: {"model": ProblemOut, "description": "Request body above the caller's limit."},
    422: {"model": ProblemOut, "description": "Invalid parameters."},
    429: {"model": ProblemOut, "description": "Too many requests to analyses and uploads; see Retry-After."},
}


#: Titles of the HTTP errors the app raises itself (others are "Error").
HTTP_TITLES = {404: "Not found", 413: "Content too large", 429: "Too many requests"}


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path.endswith(".json")


def _respond(request: Request, problem: ProblemOut, **context: Any) -> Response:
    if wants_json(request):
        return JSONResponse(
            problem.model_dump(exclude_none=True), status_code=problem.status, media_type=PROBLEM_JSON
        )
    templates = request.app.state.templates
    settings = request.app.state.settings
    query = request.query_params.get("lang")
    lang = negotiate(
        query if query in LANGUAGES else None,
        request.cookies.get("lang"),
        request.headers.get("accept-language"),
        settings.default_language,
    )
    return templates.render(
        request, "errors/error.html", lang=lang, status_code=problem.status, problem=problem, **context
    )


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound) -> Response:
        return _respond(
            request,
            ProblemOut(title="Not found", status=404, detail=str(error), kind=error.kind, key=str(error.key)),
        )

    @app.exception_handler(PeriodError)
    async def bad_period(request: Request, error: PeriodError) -> Response:
        return _respond(request, ProblemOut(title="Invalid parameter", status=422, detail=str(error)))

    @app.exception_handler(InvalidInput)
    async def invalid(request: Request, error: InvalidInput) -> Response:
        errors = [p.model_dump(exclude_none=True) for p in error.report.problems] if error.report else None
        return _respond(
            request, ProblemOut(title="Invalid input", status=422, detail=str(error), errors=errors)
        )

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden) -> Response:
        if error.anonymous:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            response = _respond(
                request,
                ProblemOut(title="Unauthorized", status=401, detail=str(error)),
                sign_in_next=target if request.method == "GET" else None,
            )
            response.headers["WWW-Authenticate"] = 'Bearer realm="bettercities"'
            return response
        return _respond(request, ProblemOut(title="Forbidden", status=403, detail=str(error)))

    @app.exception_handler(Conflict)
    async def conflict(request: Request, error: Conflict) -> Response:
        errors = [p.model_dump(exclude_none=True) for p in error.report.problems] if error.report else None
        return _respond(request, ProblemOut(title="Conflict", status=409, detail=str(error), errors=errors))

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, error: RequestValidationError) -> Response:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in error.errors()
        ]
        detail = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in errors)
        return _respond(
            request, ProblemOut(title="Invalid parameter", status=422, detail=detail, errors=errors)
        )

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception) -> Response:
        return _server_error(request, error)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        title = HTTP_TITLES.get(error.status_code, "Error")
        # Starlette's own detail is the English reason phrase ("Not Found"): the page already says it in
        # the visitor's language, so only a detail of our own is shown.
        detail = None if str(error.detail) == HTTPStatus(error.status_code).phrase else str(error.detail)
        response = _respond(request, ProblemOut(title=title, status=error.status_code, detail=detail))
        response.headers.update(error.headers or {})
        return response


def _server_error(request: Request, error: Exception) -> Response:
    """A 500 for an unexpected exception; the traceback goes to the server log, not to the visitor."""
    # the id the audit log names the request's writes with (set by web.auth.Authenticate), else a new one
    request_id = getattr(request.state, "request_id", None) or uuid.uuid4().hex[:12]
    # Method and path only: query strings, headers and cookies may carry tokens or personal data.
    log.error("request %s failed: %s %s", request_id, request.method, request.url.path, exc_info=error)
    problem = ProblemOut(title="Internal server error", status=500, request_id=request_id)
    if request.app.state.settings.debug:
        problem.detail = f"{type(error).__name__}: {error}"
        problem.traceback = "".join(traceback.format_exception(error))
    try:
        response = _respond(request, problem)
    except Exception:  # the error page itself failed (a template bug): still answer, with the id
        log.exception("request %s: rendering the error page failed", request_id)
        response = PlainTextResponse(f"Internal server error (request {request_id})", status_code=500)
    response.headers["X-Request-ID"] = request_id
    # This handler runs in ServerErrorMiddleware, outside the security middleware.
    security.apply(response.headers)
    return response
