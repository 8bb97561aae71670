"""Errors as RFC 9457 problem documents (API and JSON twins) or as HTML pages (pages).

* :class:`~bettercities.core.errors.NotFound` (unknown city, area, indicator, period, level) → 404;
* bad parameters (validation, a period in no known notation, refused input) → 422 for the API and the
  JSON twins; a *page* whose query parameters are refused is shown again without them (their defaults), with
  a message per refused parameter in the visitor's language above its content (:func:`page_without`), so
  the visitor keeps the page and its form; what cannot be dropped (a path parameter, a required parameter)
  is a 422 page naming each problem in the visitor's language;
* :class:`~bettercities.core.errors.Forbidden` → 401 for the anonymous visitor (pages link to the sign-in
  page with ``next=``), 403 for a signed-in user without the permission or a request without its CSRF token;
* any other exception (a bug) → 500 with a request id, logged with its traceback under that id; the response
  shows the traceback and the exception's text only when the ``debug`` setting is on.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from bettercities.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from bettercities.core.problems import Problem, Report
from bettercities.indicators.periods import PeriodError
from bettercities.web import security
from bettercities.web.i18n import LANGUAGES, gettext_for, negotiate
from bettercities.web.vocabularies import N_, label

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


def request_language(request: Request) -> str:
    """The language of ``request`` (as :func:`bettercities.web.deps.language` negotiates it)."""
    query = request.query_params.get("lang")
    return negotiate(
        query if query in LANGUAGES else None,
        request.cookies.get("lang"),
        request.headers.get("accept-language"),
        request.app.state.settings.default_language,
    )


def _respond(request: Request, problem: ProblemOut, **context: Any) -> Response:
    if wants_json(request):
        return JSONResponse(
            problem.model_dump(exclude_none=True), status_code=problem.status, media_type=PROBLEM_JSON
        )
    templates = request.app.state.templates
    return templates.render(
        request,
        "errors/error.html",
        lang=request_language(request),
        status_code=problem.status,
        problem=problem,
        **context,
    )


# -- pages with refused query parameters: shown again without them, with a message ---------------------------


#: What a page's query parameters are called in messages (others by their name).
PARAMETER_NAMES = {
    "indicator": N_("Indicator"),
    "period": N_("Period"),
    "level": N_("Spatial level"),
    "classes": N_("Class breaks"),
    "k": N_("Number of classes, types or neighbours"),
    "weights": N_("Spatial weights"),
    "threshold": N_("Distance band"),
    "permutations": N_("Permutations"),
    "seed": N_("Random seed"),
    "alpha": N_("Significance level"),
    "method": N_("Method"),
    "rule": N_("Rule"),
    "view": N_("View"),
    "part": N_("Index part"),
    "distance": N_("Distance to a threshold"),
    "before": N_("Earlier run"),
    "after": N_("Later run"),
    "page": N_("Page"),
    "page_size": N_("Entries per page"),
    "since": N_("From"),
    "until": N_("Until"),
    "status": N_("Status"),
    "theme": N_("Theme"),
    "state": N_("State"),
    "access_rights": N_("Access"),
    "frequency": N_("Frequency"),
    "lang": N_("Language"),
}

#: Messages by pydantic error type; ``{name}`` the parameter, ``{value}`` what was sent, ``{limit}`` a bound.
_MESSAGES = {
    "missing": N_("{name}: please choose a value."),
    "greater_than": N_("{name}: “{value}” is too small (more than {limit} is needed)."),
    "greater_than_equal": N_("{name}: “{value}” is too small (at least {limit})."),
    "less_than": N_("{name}: “{value}” is too large (less than {limit} is needed)."),
    "less_than_equal": N_("{name}: “{value}” is too large (at most {limit})."),
    "int_parsing": N_("{name}: “{value}” is not a whole number."),
    "float_parsing": N_("{name}: “{value}” is not a number."),
    "enum": N_("{name}: “{value}” is not one of {limit}."),
    "string_too_long": N_("{name}: “{value}” is too long (at most {limit} characters)."),
}
_INVALID = N_("{name}: “{value}” is not valid.")
_LIMITS = ("gt", "ge", "lt", "le", "expected", "max_length")


def parameter_message(error: dict[str, Any], lang: str) -> str:
    """A refused parameter (an entry of a validation error) in words of ``lang``."""
    _ = gettext_for(lang).gettext
    loc = [str(part) for part in error.get("loc", ())]
    name = loc[1] if len(loc) > 1 and loc[0] in ("query", "path") else ".".join(loc)
    context = error.get("ctx") or {}
    limit = next((context[key] for key in _LIMITS if key in context), "")
    if isinstance(limit, float) and lang == "de":
        limit = str(limit).replace(".", ",")  # a bound in the reader's notation (0,5)
    value = str(error.get("input", ""))
    value = value if len(value) <= 40 else value[:40] + "…"
    template = _MESSAGES.get(str(error.get("type")), _INVALID)
    return _(template).format(
        name=_(PARAMETER_NAMES[name]) if name in PARAMETER_NAMES else name, value=value, limit=limit
    )


def form_messages(error: InvalidInput | ValidationError, lang: str) -> list[str]:
    """The reasons a form was refused, one per problem, in words of ``lang`` where the catalogue has them.

    A problem of the library's report reads "<its code's label> (<field>): <the library's detail>"; a refused
    field of a typed input (a pydantic error) reads as a refused parameter (:func:`parameter_message`).
    """
    if isinstance(error, ValidationError):
        return [parameter_message({**e, "loc": ("body", *e["loc"])}, lang) for e in error.errors()]
    report = error.report
    if report is None or not report.problems:
        return [str(error)]
    return [
        f"{label(p.code, 'problem', lang)} ({p.column}): {p.message}"
        if p.column
        else f"{label(p.code, 'problem', lang)}: {p.message}"
        for p in report.problems
    ]


def add_notice(request: Request, message: str) -> None:
    """Show ``message`` above the content of the page ``request`` renders (``errors/_notices.html``)."""
    request.state.page_notices = [*page_notices(request), message]


def page_notices(request: Request) -> list[str]:
    """The messages :func:`add_notice` left for the page of ``request``."""
    return list(getattr(request.state, "page_notices", None) or [])


class _PageAgain(Response):
    """The page of a request once more, through the app's router, with another query string."""

    def __init__(self, router: Any, scope: Scope) -> None:
        super().__init__()
        self.router = router
        self.again = scope

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.router(self.again, receive, send)


def page_without(request: Request, errors: list[dict[str, Any]]) -> Response | None:
    """The page of ``request`` without the query parameters ``errors`` refuse, with a message for each;
    ``None`` when the request is not for a page (the API and JSON twins answer 422), when a refused
    parameter is not in the query string (a path parameter, a missing required parameter), or when the page
    refused its parameters once already."""
    if (
        wants_json(request)
        or request.method not in ("GET", "HEAD")
        or getattr(request.state, "page_again", False)
    ):
        return None
    sent = request.query_params
    places = [tuple(e.get("loc", ())) for e in errors]
    if not places or any(len(loc) < 2 or loc[0] != "query" for loc in places):
        return None
    refused = {str(loc[1]) for loc in places}
    if not refused <= set(sent.keys()):
        return None
    lang = request_language(request)
    _ = gettext_for(lang).gettext
    for error in errors:
        add_notice(request, parameter_message(error, lang) + " " + _("The page shows the default instead."))
    request.state.page_again = True
    kept = [(key, value) for key, value in sent.multi_items() if key not in refused]
    scope = {k: v for k, v in request.scope.items() if k not in ("fastapi", "route", "endpoint")}
    scope["query_string"] = urlencode(kept).encode("latin-1")
    return _PageAgain(request.app.router, scope)


def coded_body_route(code_of: Callable[[dict[str, Any]], str]) -> type[APIRoute]:
    """A route class for a domain's API router: a JSON body the request model refuses answers like the
    domain's own refusals (:class:`InvalidInput`: 422 "Invalid input" with a problem per field, its code from
    ``code_of(detail)`` with pydantic's error detail, the field as ``column``), the same codes its pages and
    CLI give for the same input. Refused path or query parameters stay "Invalid parameter"."""

    class CodedBodyRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def coded(request: Request) -> Response:
                try:
                    return await handler(request)
                except RequestValidationError as error:
                    details = list(error.errors())
                    if not details or any(tuple(d.get("loc", ()))[:1] != ("body",) for d in details):
                        raise
                    raise _body_refusal(details, code_of) from None

            return coded

    return CodedBodyRoute


def _body_refusal(details: list[dict[str, Any]], code_of: Callable[[dict[str, Any]], str]) -> InvalidInput:
    problems = []
    for detail in details:
        loc = tuple(detail.get("loc", ()))[1:]  # without "body"
        column = ".".join(str(part) for part in loc) or None
        given = detail.get("input")
        scalar = given is not None and not isinstance(given, dict | list)
        problems.append(
            Problem(
                code=code_of({**detail, "loc": loc}),
                message=f"{column}: {detail.get('msg', '')}" if column else str(detail.get("msg", "")),
                column=column,
                value=str(given)[:200] if scalar else None,
            )
        )
    return InvalidInput("; ".join(p.message for p in problems), Report(source="body", problems=problems))


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
        again = page_without(request, list(error.errors()))
        if again is not None:
            return again
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in error.errors()
        ]
        detail = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in errors)
        problem = ProblemOut(title="Invalid parameter", status=422, detail=detail, errors=errors)
        if wants_json(request):
            return _respond(request, problem)
        # the page names each problem in the visitor's language instead of pydantic's English detail
        lang = request_language(request)
        messages = [parameter_message(e, lang) for e in error.errors()]
        return _respond(request, problem.model_copy(update={"detail": None}), messages=messages)

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
