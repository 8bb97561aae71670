"""Security headers on every response: pages, JSON, static files, errors.

The Content-Security-Policy allows scripts, styles and images from this server only (no inline script, no
inline style, no ``eval``): the page script and the Swagger UI start-up code are static files, and colour
swatches and maps are SVG with presentation attributes (``fill``), which the policy does not govern.
``frame-ancestors 'none'`` (and ``X-Frame-Options`` for old browsers) keeps the pages out of other sites'
frames. The one exception is a goal's embeddable card (``web/pages/goals.py``), which other sites are meant to
frame: it sends :data:`EMBEDDABLE_HEADERS` (no script at all, any site may frame it) and no
``X-Frame-Options``.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "EMBEDDABLE_CONTENT_SECURITY_POLICY",
    "EMBEDDABLE_HEADERS",
    "HEADERS",
    "SecurityHeaders",
    "apply",
]

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

#: The policy of a page made to be framed by other sites (a goal's card): no script, no forms, styles and
#: images from this server only; any site may frame it.
EMBEDDABLE_CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors *",
    )
)

#: What an embeddable page's route sets; :func:`apply` then leaves out ``X-Frame-Options``.
EMBEDDABLE_HEADERS: dict[str, str] = {"Content-Security-Policy": EMBEDDABLE_CONTENT_SECURITY_POLICY}

#: Set on every response unless the route set the header itself.
HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Permalinks carry the view state in the query string; other sites need not see it.
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def apply(headers: MutableHeaders) -> None:
    """Add the security headers that ``headers`` lacks (a page that set the embeddable policy gets no
    ``X-Frame-Options``, which would forbid every frame)."""
    embeddable = headers.get("Content-Security-Policy") == EMBEDDABLE_CONTENT_SECURITY_POLICY
    for name, value in HEADERS.items():
        if embeddable and name == "X-Frame-Options":
            continue
        headers.setdefault(name, value)


class SecurityHeaders:
    """ASGI middleware adding :data:`HEADERS` to every HTTP response that passes through it.

    Starlette's ``ServerErrorMiddleware`` sits outside every user middleware, so the 500 handler
    (:mod:`bettercities.web.errors`) calls :func:`apply` itself.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                apply(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_headers)
