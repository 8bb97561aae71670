"""Bounds on what one request may cost: the size of its body (this module's :class:`BodyLimit`).

The body limit depends on who asks (see ``docs/web.md#limits``): an anonymous caller, or one whose API token
may only read, may send :attr:`~bettercities.core.settings.Settings.body_limit_anonymous_kb` KiB; a signed-in
caller who may write may send an upload of ``upload_limit_mb`` MiB plus :data:`FORM_ALLOWANCE` for the form's
other fields. A declared ``Content-Length`` above the limit is refused before the app sees the request; a
streamed body (no length, or a false one) is counted as it arrives and refused as soon as it passes the
limit, so no request is ever held in memory whole beyond it.
"""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bettercities.access.policy import Principal
from bettercities.core.settings import Settings

__all__ = ["FORM_ALLOWANCE", "BodyLimit", "BodyTooLarge", "body_limit"]

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


async def refuse(send: Send, error: HTTPException) -> None:
    """Answer with ``error`` as a problem document without reading the request body."""
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Content too large",
            "status": error.status_code,
            "detail": error.detail,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status_code,
            "headers": [
                (b"content-type", PROBLEM_JSON),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
