"""Who makes a request, and whether an unsafe request really comes from our own forms.

:class:`Authenticate` (ASGI middleware) resolves the principal once per request:

* ``Authorization: Bearer bct_…`` → :func:`bettercities.access.tokens.resolve_token`; a token that is
  unknown, expired or revoked is refused with 401 (never silently anonymous);
* else the session cookie ``bc_session`` → :func:`~bettercities.access.sessions.resolve_session`
  (an unknown or ended session is the anonymous visitor);
* else :data:`~bettercities.access.policy.ANONYMOUS`.

It keeps the result on ``request.state.auth`` (and the principal on ``request.state.principal``) and makes
the principal the audit actor of everything the request writes (:func:`bettercities.audit.context.acting_as`;
context variables set here reach sync handlers, which Starlette runs in its thread pool with a copy of the
context).

CSRF (:func:`verify_csrf`, an app-wide dependency): every unsafe request (POST, PUT, PATCH, DELETE) that a
session cookie authenticates must carry the token :func:`csrf_token` hands to the forms, in the form field
``csrf_token`` or the header ``X-CSRF-Token``. The token is an HMAC of the session token's hash under the
server secret, so it is bound to the session and useless elsewhere. The sign-in form, before any session
exists, is protected the same way by a random pre-session cookie (``bc_login``, double submit, signed).
Bearer-token requests carry no cookie and are exempt.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import anyio.to_thread
from fastapi import Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bettercities.access import sessions, tokens
from bettercities.access.policy import ANONYMOUS, Principal
from bettercities.audit.context import Actor, acting_as
from bettercities.core.errors import Forbidden
from bettercities.core.settings import Settings
from bettercities.storage.workspace import Workspace

__all__ = [
    "BEARER_SCHEME",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LOGIN_COOKIE",
    "SECRET_FILE",
    "SESSION_COOKIE",
    "Authenticate",
    "Authentication",
    "CsrfRefused",
    "csrf_token",
    "current",
    "login_nonce",
    "safe_next",
    "server_secret",
    "verify_csrf",
]

log = logging.getLogger(__name__)

SESSION_COOKIE = "bc_session"
LOGIN_COOKIE = "bc_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SECRET_FILE = "secret_key"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Paths whose POST is checked against the pre-session cookie when no session exists yet.
LOGIN_PATHS = frozenset({"/login"})
BEARER = "bearer "


#: Documents the bearer token in the OpenAPI description (Swagger UI's "Authorize" button); the token itself
#: is resolved by :class:`Authenticate`.
BEARER_SCHEME = HTTPBearer(
    auto_error=False,
    scheme_name="apiToken",
    bearerFormat="bct_…",
    description="An API token (issued at /account/tokens or by POST /api/me/tokens): `Bearer bct_…`.",
)


class CsrfRefused(Forbidden):
    """An unsafe cookie-authenticated request without the form's CSRF token (HTTP 403)."""


@dataclass(frozen=True)
class Authentication:
    """The outcome of authenticating one request."""

    principal: Principal
    via: Literal["web", "api"]
    request_id: str
    session_token: str | None = None  # the raw session cookie, when it resolved to a user
    bearer: bool = False  # authenticated by an API token (no cookie: exempt from CSRF)


def server_secret(settings: Settings, workspace: Workspace) -> bytes:
    """The secret that signs CSRF tokens: the ``secret_key`` setting, else the workspace's own secret
    (generated on first use into ``<workspace>/secret_key``, readable by the owner only)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = Path(workspace.path) / SECRET_FILE
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        text = path.read_text("ascii").strip()
        if len(text) < 32:
            raise RuntimeError(
                f"{path} holds no usable secret; delete it to have a new one generated"
            ) from None
        return text.encode()
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        text = secrets.token_hex(32)
        out.write(text + "\n")
    return text.encode()


def _sign(secret: bytes, purpose: str, value: str) -> str:
    return hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def session_csrf_token(secret: bytes, session_token: str) -> str:
    """The CSRF token of a sign-in session: bound to the session, derived from its hash (not the secret)."""
    return _sign(secret, "session", hashlib.sha256(session_token.encode()).hexdigest())


def login_csrf_token(secret: bytes, nonce: str) -> str:
    """The CSRF token of the sign-in form, bound to the pre-session cookie ``bc_login``."""
    return _sign(secret, "login", nonce)


def current(request: Request) -> Authentication:
    """The request's :class:`Authentication` (set by :class:`Authenticate`)."""
    auth: Authentication = request.state.auth
    return auth


def login_nonce(request: Request) -> str:
    """The pre-session nonce of this browser: its ``bc_login`` cookie, else a new one (the sign-in page sets
    it as the cookie and signs the form's token with it)."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if len(nonce) < 32:
        nonce = secrets.token_urlsafe(32)
    request.state.login_nonce = nonce
    return nonce


def csrf_token(request: Request) -> str:
    """The token a form of this page must send back ("" when the page needs none: no session, no sign-in)."""
    secret: bytes = request.app.state.secret
    auth = getattr(request.state, "auth", None)
    if auth is not None and auth.session_token is not None:
        return session_csrf_token(secret, auth.session_token)
    nonce = getattr(request.state, "login_nonce", None)
    return login_csrf_token(secret, nonce) if nonce else ""


def _expected_token(request: Request, auth: Authentication) -> str | None:
    """The token this unsafe request must carry, or ``None`` when it carries no cookie authority."""
    secret: bytes = request.app.state.secret
    if auth.session_token is not None:
        return session_csrf_token(secret, auth.session_token)
    if request.url.path in LOGIN_PATHS:
        nonce = request.cookies.get(LOGIN_COOKIE)
        if not nonce:
            raise CsrfRefused(
                f"the sign-in form came without its cookie '{LOGIN_COOKIE}'; allow cookies for this site "
                "and reload the sign-in page"
            )
        return login_csrf_token(secret, nonce)
    return None


async def verify_csrf(request: Request) -> None:
    """Refuse (403) an unsafe request that a cookie authenticates unless it carries the CSRF token.

    An app-wide dependency: it runs after FastAPI has parsed the body, so reading the form here reuses
    the parsed form (uploads are not read twice).
    """
    if request.method not in UNSAFE_METHODS:
        return
    auth = current(request)
    if auth.bearer:
        return
    expected = _expected_token(request, auth)
    if expected is None:
        return
    submitted = request.headers.get(CSRF_HEADER)
    if not submitted:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            submitted = value if isinstance(value, str) else None
    if not submitted:
        raise CsrfRefused(
            f"the request has no CSRF token (form field '{CSRF_FIELD}' or header '{CSRF_HEADER}'); "
            "reload the page and send the form again"
        )
    if not hmac.compare_digest(submitted.encode(), expected.encode()):
        raise CsrfRefused(
            "the CSRF token does not belong to this session (the page is older than the sign-in?); "
            "reload the page and send the form again"
        )


def safe_next(target: str | None, default: str = "/account") -> str:
    """``target`` when it is a path on this site (``/…``, not ``//host`` or a URL), else ``default``.

    Control characters and spaces are refused too: browsers drop tabs and line breaks from a URL, so
    ``/<CR>//host`` would lead to ``///host``, another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value.strip('"') or None
    return None


def _private(send: Send) -> Send:
    """``send`` marking responses ``Cache-Control: private, no-store`` (unless set): a signed-in user sees
    what may be restricted, and no shared cache (nor the browser's disk) may keep it for someone else."""

    async def send_private(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers.setdefault("Cache-Control", "private, no-store")
        await send(message)

    return send_private


class Authenticate:
    """ASGI middleware: resolve the principal once, keep it on the request state, act as it (see module)."""

    def __init__(self, app: ASGIApp, workspace: Workspace, settings: Settings | None = None) -> None:
        self.app = app
        self.workspace = workspace
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:12]
        api = scope["path"].startswith("/api/")
        authorization = _header(scope, b"authorization")
        if authorization and authorization[: len(BEARER)].lower() == BEARER:
            raw = authorization[len(BEARER) :].strip()
            principal = await anyio.to_thread.run_sync(self._resolve_token, raw)
            if principal is None:
                await self._refuse_token(scope, receive, send, request_id)
                return
            auth = Authentication(principal, "api", request_id, bearer=True)
        else:
            raw_session = _cookie(scope, SESSION_COOKIE)
            principal = None
            if raw_session:
                principal = await anyio.to_thread.run_sync(self._resolve_session, raw_session)
            if principal is None:
                auth = Authentication(ANONYMOUS, "api" if api else "web", request_id)
            else:
                auth = Authentication(
                    principal, "api" if api else "web", request_id, session_token=raw_session
                )
        state = scope.setdefault("state", {})
        state["auth"] = auth
        state["principal"] = auth.principal
        state["request_id"] = request_id
        actor = Actor(auth.principal.name, auth.principal.user_id, auth.via, request_id)
        if not auth.principal.anonymous:
            send = _private(send)
        with acting_as(actor):
            await self.app(scope, receive, send)

    def _resolve_token(self, raw: str) -> Principal | None:
        if not raw.startswith(tokens.TOKEN_PREFIX):
            return None
        with self.workspace.database.session() as session:
            return tokens.resolve_token(session, raw)

    def _resolve_session(self, raw: str) -> Principal | None:
        with self.workspace.database.session() as session:
            return sessions.resolve_session(session, raw, settings=self.settings)

    async def _refuse_token(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        # The token itself is never logged.
        log.info("request %s: refused an unknown, expired or revoked API token", request_id)
        response = JSONResponse(
            {
                "type": "about:blank",
                "title": "Unauthorized",
                "status": 401,
                "detail": "the API token is unknown, expired or revoked; issue a new one at /account/tokens",
                "request_id": request_id,
            },
            status_code=401,
            media_type="application/problem+json",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
        await response(scope, receive, send)
