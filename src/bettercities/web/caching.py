"""JSON responses serialised once per data version and audience, served as bytes, with conditional requests.

A cacheable route hands :func:`cached_json` the computation of its typed result. The result is serialised
once (orjson) for its URL, the data stamp (:func:`bettercities.views.cache.data_stamp`) and the audience of
the principal in the city it comes from (:meth:`bettercities.views.reader.Reader.audience_key`), and the
bytes — with their gzip form when that pays — are kept in the app's :class:`ResponseCache`. The audience is
part of the key, so a member's restricted values and the data team's small counts never reach a public
caller through the cache.

Every response carries

* ``ETag: W/"<data version>-<hash>"`` of the data stamp, the audience, the URL and the app version (weak: the
  gzip and the identity form are the same representation);
* ``Last-Modified``: when the data version last changed (:func:`bettercities.views.cache.stamp_time`);
* ``Cache-Control: public, max-age=<cache_max_age>`` for the anonymous visitor, ``private, no-store`` for
  anyone signed in (what they see may be restricted);
* ``Vary: Authorization, Cookie`` and, where a gzip form exists, ``Accept-Encoding``.

A request whose ``If-None-Match`` names the current ETag is answered ``304 Not Modified`` before anything
is computed or read from the cache: it costs one query, the data stamp.

The anonymous visitor's answers (the open-data portals and dashboards that read the API most) are served by
:class:`PublicAnswers`, a middleware in front of the router: the same bytes and headers, for the URL and the
current data stamp, without routing, dependencies and the handler's thread hops (two thirds of such a
request's CPU; one query, the data stamp, remains). An answer is only ever served there after the route
itself has computed it for an anonymous caller at the same data stamp, so both answer alike.

The anonymous visitor's **pages** are kept the same way, by URL, language and data stamp, for at most
:data:`PAGE_SECONDS` (a page may show what the clock changes: a consultation round that closes). Only a
page that :meth:`~bettercities.web.templating.Templates.render` marked as the same for every anonymous
visitor is kept (:func:`mark_public_page`): rendered for a ``GET`` of the anonymous visitor with status 200
and no per-browser token (the sign-in form's); an answer that sets a cookie other than the language that
``?lang=`` in its URL chose is never kept. The same holds for the anonymous visitor's other API answers
(those without an ETag of their own from :func:`cached_json`). What a signed-in user sees always comes
from the route.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any

import anyio
import orjson
from cachetools import LRUCache, TTLCache
from fastapi import Request, Response
from pydantic import BaseModel
from starlette.datastructures import URL, Headers, QueryParams
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from bettercities import __version__
from bettercities.views.cache import DEFAULT_TTL, current_stamp, stamp_time
from bettercities.views.reader import Reader
from bettercities.web.i18n import COOKIE, negotiate

__all__ = [
    "NOT_MODIFIED",
    "Answer",
    "CachedBody",
    "PublicAnswers",
    "ResponseCache",
    "cached_json",
    "etag_matches",
    "mark_public_page",
]

#: gzip pays above this size (as Starlette's GZipMiddleware, which the app uses for everything else)
GZIP_MINIMUM = 2048
#: The compression level of the app's GZipMiddleware, which a kept page's gzip form repeats (same bytes)
GZIP_LEVEL = 9
VARY = "Authorization, Cookie"
#: At most this many URLs are remembered as having an anonymous answer (see ResponseCache.public_urls).
PUBLIC_URLS = 65_536
PRIVATE = "private, no-store"
#: How long an anonymous page is answered from the cache (the data stamp changes sooner on a write).
PAGE_SECONDS = 60.0
#: Paths never kept here (files with their own caching).
NOT_KEPT = ("/static/",)
#: The largest answer kept (a larger one, a download, is sent as it comes and not kept).
KEPT_BYTES = 8 * 1024 * 1024
_PUBLIC_PAGE = "public_page"  # request.state flag set by mark_public_page

#: For the OpenAPI document of a cacheable route.
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the `If-None-Match` header named the current `ETag`."}
}


@dataclass(frozen=True)
class CachedBody:
    """One serialised response: its bytes and their gzip form (when it pays)."""

    body: bytes
    gzipped: bytes | None

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")


@dataclass(frozen=True)
class Answer:
    """A cached body with the headers it is answered with (ETag, Cache-Control, Vary, Last-Modified)."""

    body: CachedBody
    headers: dict[str, str]
    #: ``time.monotonic()`` after which it is not served (pages); ``None``: as long as the entry lives
    expires: float | None = None

    @property
    def size(self) -> int:
        return self.body.size


class ResponseCache:
    """Serialised responses of one process: an LRU bounded in bytes, entries expiring after ``ttl`` seconds
    (as the value cache's, which bounds how long a change made by hand in the database can go unseen).

    Beside the entries of every audience, the anonymous visitor's answers are kept by URL and data stamp for
    :class:`PublicAnswers` (in the same bound), with the set of URLs that have one."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024, ttl: float = DEFAULT_TTL) -> None:
        self._items: TTLCache[tuple, CachedBody | Answer] = TTLCache(
            max_bytes, ttl, getsizeof=lambda e: e.size
        )
        self._lock = threading.Lock()
        self.misses = 0
        #: URLs with an anonymous answer (maybe expired or of an older stamp): worth a look in front. Bounded
        #: like the entries (a URL forgotten here is answered by the route, which remembers it again).
        self.public_urls: LRUCache[str, bool] = LRUCache(PUBLIC_URLS)

    def public(self, url: str, stamp: tuple) -> Answer | None:
        with self._lock:
            found = self._items.get(("public", url, stamp))
        if not isinstance(found, Answer) or (found.expires is not None and time.monotonic() > found.expires):
            return None
        return found

    def put_public(self, url: str, stamp: tuple, answer: Answer) -> None:
        with self._lock:
            if answer.size <= self._items.maxsize:
                self._items[("public", url, stamp)] = answer
                self.public_urls[url] = True

    def get(self, key: tuple) -> CachedBody | None:
        with self._lock:
            found = self._items.get(key)
        return found if isinstance(found, CachedBody) else None

    def put(self, key: tuple, entry: CachedBody) -> None:
        with self._lock:
            self.misses += 1
            if entry.size <= self._items.maxsize:
                self._items[key] = entry

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.public_urls.clear()

    def __len__(self) -> int:
        """The serialised responses held (the anonymous answers share theirs)."""
        with self._lock:
            return sum(isinstance(entry, CachedBody) for entry in self._items.values())


def etag_matches(header: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, RFC 9110 13.1.2)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in header.split(","))


def _serialise(result: Any) -> bytes:
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json")
    return orjson.dumps(result)


def cached_json(request: Request, reader: Reader, *, slug: str, compute: Callable[[], Any]) -> Response:
    """The JSON of ``compute()`` (a pydantic model or plain data) for the URL of ``request``, whose values
    come from city ``slug`` and are published for ``reader``'s principal there (see the module)."""
    stamp = reader.stamp
    audience = reader.audience_key(reader.city_id(slug))
    url = str(request.url)
    digest = hashlib.blake2b(repr((__version__, stamp, audience, url)).encode(), digest_size=10).hexdigest()
    etag = f'W/"{stamp[0]}-{digest}"'
    changed = stamp_time(stamp)
    last_modified = format_datetime(changed, usegmt=True) if changed is not None else None
    anonymous = reader.principal.anonymous
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={request.app.state.settings.cache_max_age}"
        if anonymous
        else PRIVATE,
        "Vary": VARY,
    }
    if last_modified is not None:
        headers["Last-Modified"] = last_modified
    responses: ResponseCache = request.app.state.responses
    key = (url, audience, stamp)
    entry = None
    if not etag_matches(request.headers.get("if-none-match"), etag):
        entry = responses.get(key)
        if entry is None:
            body = _serialise(compute())
            gzipped = gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= GZIP_MINIMUM else None
            entry = CachedBody(body, gzipped)
            responses.put(key, entry)
    if anonymous and entry is not None:
        responses.put_public(url, stamp, Answer(entry, headers))
    return reply(headers, entry, request.headers)


def reply(headers: dict[str, str], entry: CachedBody | None, request: Headers) -> Response:
    """The response of a cached answer: 304 when ``If-None-Match`` names its ETag (``entry`` may then be
    None), else its gzip form when the client takes it, else its bytes."""
    if entry is None or etag_matches(request.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers={**headers, "Vary": f"Accept-Encoding, {VARY}"})
    headers = dict(headers)
    if entry.gzipped is not None and "gzip" in request.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        headers["Vary"] = f"Accept-Encoding, {VARY}"
        return Response(entry.gzipped, media_type="application/json", headers=headers)
    # a body this large gets "Vary: Accept-Encoding" from the app's GZipMiddleware, which passes it on
    return Response(entry.body, media_type="application/json", headers=headers)


class PublicAnswers:
    """ASGI middleware (inside :class:`~bettercities.web.auth.Authenticate`): a ``GET`` of the anonymous
    visitor for a URL whose answer :func:`cached_json` holds for the current data stamp is answered from it,
    exactly as the route would answer (:func:`reply`), without routing, dependencies or the handler; so is a
    page or another API answer kept here (see the module: by language, URL and data stamp, at most
    :data:`PAGE_SECONDS`).

    It costs an anonymous request (but for ``/static/``) one query, the data stamp, read on a worker thread;
    signed-in requests pass untouched. A new data stamp finds no answer: that request goes to the route,
    which computes it again and leaves it for the next.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        principal = scope.get("state", {}).get("principal") if scope["type"] == "http" else None
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or principal is None
            or not principal.anonymous
        ):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        responses: ResponseCache = state.responses
        api = scope["path"].startswith("/api/")
        if api and responses.public_urls:
            url = str(URL(scope=scope))
            if url in responses.public_urls:  # an answer of cached_json (with its ETag and 304)
                stamp = await anyio.to_thread.run_sync(current_stamp, state.workspace.database)
                answer = responses.public(url, stamp)
                if answer is not None:
                    response = reply(answer.headers, answer.body, Headers(scope=scope))
                    await response(scope, receive, send)
                    return
                await self.app(scope, receive, send)  # cached_json computes it again and keeps it
                return
        if scope["path"].startswith(NOT_KEPT):
            await self.app(scope, receive, send)
            return
        await self._kept(scope, receive, send, state, responses, api=api)

    async def _kept(
        self, scope: Scope, receive: Receive, send: Send, state: Any, responses: ResponseCache, *, api: bool
    ) -> None:
        """An anonymous page or API answer: from the cache, else from the route (then kept when it is the same
        for every anonymous visitor: a page marked so by its rendering, any API answer without an ETag of
        its own)."""
        headers = Headers(scope=scope)
        url = URL(scope=scope)
        # the language as the route's dependency decides it (web/deps.language), parsed as Starlette does
        cookie = cookie_parser(headers.get("cookie", "")).get(COOKIE)
        lang = negotiate(
            QueryParams(url.query).get("lang"),
            cookie,
            headers.get("accept-language"),
            state.settings.default_language,
        )
        key = f"{lang} {url}"
        stamp = await anyio.to_thread.run_sync(current_stamp, state.workspace.database)
        if key in responses.public_urls:
            answer = responses.public(key, stamp)
            if answer is not None:
                await kept_reply(answer, headers)(scope, receive, send)
                return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def keep(message: Any) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 200 and (api or scope.get("state", {}).get(_PUBLIC_PAGE)):
                    # a copy: the outer middlewares (GZip, security headers) change the list in place
                    start.update(message, headers=list(message["headers"]))
            elif start and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                size = sum(len(chunk) for chunk in chunks)
                if size > KEPT_BYTES:  # a large download: not kept
                    start.clear()
                    chunks.clear()
                elif not message.get("more_body", False):
                    _keep_answer(responses, key, stamp, start, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, keep)


def _keep_answer(
    responses: ResponseCache, key: str, stamp: tuple, start: dict[str, Any], body: bytes
) -> None:
    """Keep a page or API answer the route gave, unless it sets a cookie other than the language the URL
    chose (the same for everyone who follows that URL) or repeats a header."""
    raw = [(name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in start["headers"]]
    names = [name for name, _ in raw]
    cookies = [value for name, value in raw if name == "set-cookie"]
    if any(not value.startswith(f"{COOKIE}=") for value in cookies):
        return
    if "content-encoding" in names or "etag" in names or len(set(names)) != len(names):
        return  # compressed already, an answer of cached_json, or a header given twice
    if "no-store" in dict(raw).get("cache-control", ""):
        return
    headers = {name: value for name, value in raw if name != "content-length"}
    gzipped = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0) if len(body) >= GZIP_MINIMUM else None
    answer = Answer(CachedBody(body, gzipped), headers, expires=time.monotonic() + PAGE_SECONDS)
    responses.put_public(key, stamp, answer)


def kept_reply(answer: Answer, request: Headers) -> Response:
    """A kept page or API answer: its gzip form when the client takes it (as the app's GZipMiddleware would
    send it), else its bytes."""
    headers = dict(answer.headers)
    if answer.body.gzipped is not None and "gzip" in request.get("accept-encoding", ""):
        headers["content-encoding"] = "gzip"
        vary = headers.get("vary")
        headers["vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
        return Response(answer.body.gzipped, headers=headers)
    return Response(answer.body.body, headers=headers)


def mark_public_page(request: Request, status_code: int) -> None:
    """Mark the page being rendered for ``request`` as the same for every anonymous visitor (see the module):
    :class:`PublicAnswers` then keeps it. The language cookie that ``?lang=`` sets is part of that answer:
    the URL chose it."""
    principal = getattr(request.state, "principal", None)
    if (
        request.method == "GET"
        and status_code == 200
        and principal is not None
        and principal.anonymous
        and getattr(request.state, "login_nonce", None) is None
    ):
        setattr(request.state, _PUBLIC_PAGE, True)
