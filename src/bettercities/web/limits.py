"""Bounds on what one request may cost: the size of its body (:class:`BodyLimit`) and how often a client may
start an expensive one (:class:`RateLimit`).

The body limit depends on who asks (see ``docs/web.md#limits``): an anonymous caller, or one whose API token
may only read, may send :attr:`~bettercities.core.settings.Settings.body_limit_anonymous_kb` KiB; a signed-in
caller who may write may send an upload of ``upload_limit_mb`` MiB plus :data:`FORM_ALLOWANCE` for the form's
other fields. A declared ``Content-Length`` above the limit is refused before the app sees the request; a
streamed body (no length, or a false one) is counted as it arrives and refused as soon as it passes the
limit, so no request is ever held in memory whole beyond it.

The rate limit counts, per client (the signed-in user, else the client address), the requests to the
routes in :data:`EXPENSIVE` (spatial statistics, typology, priority evaluation, uploads) in a moving window
(the ``limits`` library) and answers 429 with ``Retry-After`` above ``rate_limit_anonymous`` or
``rate_limit_signed_in``.
"""

from __future__ import annotations

import json
import math
import re
import time

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bettercities.access.policy import Principal
from bettercities.core.settings import Settings

__all__ = ["EXPENSIVE", "FORM_ALLOWANCE", "BodyLimit", "BodyTooLarge", "RateLimit", "body_limit", "expensive"]

#: Room for the form fields and the multipart framing around an upload of the largest allowed size.
FORM_ALLOWANCE = 1024 * 1024

PROBLEM_JSON = b"application/problem+json"


def body_limit(principal: Principal | None, settings: Settings) -> int:
    """The largest request body, in bytes, that ``principal`` may send."""
    writer = principal is not None and not principal.anonymous
    if writer and principal is not None and principal.scope is not None and not principal.scope.write:
        writer = False
    if writer:
        return settings.upload_limit_mb * 1024 * 1024 + FORM_ALLOWANCE
    return settings.body_limit_anonymous_kb * 1024


def describe(limit: int) -> str:
    if limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):.0f} MiB"
    return f"{limit // 1024} KiB"


class BodyTooLarge(HTTPException):
    """The request body passed the caller's limit (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            status_code=413,
            detail=(
                f"The request body is larger than {describe(limit)}, the limit for this caller "
                "(sign in with a role that may write for larger uploads)."
            ),
        )
        self.limit = limit


class BodyLimit:
    """ASGI middleware refusing request bodies above :func:`body_limit` with a 413 problem document.

    It sits inside :class:`~bettercities.web.auth.Authenticate`, so the principal is known. The count of a
    streamed body raises :class:`BodyTooLarge` from ``receive``; FastAPI passes HTTP exceptions raised while
    reading the body on to the app's handler (:mod:`bettercities.web.errors`), which renders the problem.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope.get("state", {}).get("principal"), self.settings)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await refuse(send, BodyTooLarge(limit))
            return
        received = 0

        async def receive_counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, receive_counted, send)


async def refuse(send: Send, error: HTTPException, title: str = "Content too large") -> None:
    """Answer with ``error`` as a problem document without reading the request body."""
    body = json.dumps(
        {"type": "about:blank", "title": title, "status": error.status_code, "detail": error.detail}
    ).encode()
    headers = [(b"content-type", PROBLEM_JSON), (b"content-length", str(len(body)).encode())]
    headers += [(name.lower().encode(), value.encode()) for name, value in (error.headers or {}).items()]
    if error.status_code == 413:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


#: The routes a client may only call so often (method, path): what computes (spatial statistics, typology,
#: priority evaluation, sets) or takes an upload.
EXPENSIVE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("GET", re.compile(r"/api/cities/[^/]+/(spatial|typology|priority)")),
    ("GET", re.compile(r"/cities/[^/]+/(spatial|typology|priority)(\.json)?")),
    ("POST", re.compile(r"(/api)?/cities/[^/]+/(priority|priority-sets|import)")),
    ("POST", re.compile(r"/api/cities/[^/]+/datasets/[^/]+/observations")),
)


def expensive(method: str, path: str) -> bool:
    """Whether a request to ``path`` counts against the rate limit."""
    return any(method == m and pattern.fullmatch(path) for m, pattern in EXPENSIVE)


class RateLimit:
    """ASGI middleware: at most ``rate_limit_anonymous`` (per client address) or ``rate_limit_signed_in``
    (per user) requests to the :data:`EXPENSIVE` routes; above it a 429 problem document with
    ``Retry-After``. It sits inside :class:`~bettercities.web.auth.Authenticate` (the principal is known).

    The counts live in ``rate_limit_storage`` (default: this process's memory; a ``redis://`` URI shares them
    between processes when the ``redis`` package is installed).
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        from limits import parse_many, storage, strategies

        self.app = app
        try:
            self.anonymous = (
                parse_many(settings.rate_limit_anonymous) if settings.rate_limit_anonymous else []
            )
            self.signed_in = (
                parse_many(settings.rate_limit_signed_in) if settings.rate_limit_signed_in else []
            )
        except ValueError as error:
            raise ValueError(f"rate_limit_anonymous / rate_limit_signed_in: {error}") from error
        self.limiter = strategies.MovingWindowRateLimiter(
            storage.storage_from_string(settings.rate_limit_storage)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not expensive(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        principal: Principal | None = scope.get("state", {}).get("principal")
        if principal is not None and not principal.anonymous:
            key, items = f"user:{principal.user_id}", self.signed_in
        else:
            client = scope.get("client")
            key, items = f"client:{client[0] if client else 'unknown'}", self.anonymous
        for item in items:
            if not self.limiter.hit(item, "expensive", key):
                reset = self.limiter.get_window_stats(item, "expensive", key).reset_time
                wait = max(1, math.ceil(reset - time.time()))
                error = HTTPException(
                    status_code=429,
                    detail=(
                        f"Too many requests to analyses and uploads: at most {item} for this client. "
                        f"Try again in {wait} s."
                    ),
                    headers={"Retry-After": str(wait)},
                )
                await refuse(send, error, title="Too many requests")
                return
        await self.app(scope, receive, send)
