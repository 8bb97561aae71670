"""Jinja2 rendering: one environment per language (gettext installed), helpers for URLs and numbers."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import BytecodeCache, Environment, FileSystemLoader, select_autoescape
from jinja2.bccache import Bucket
from markupsafe import Markup

from bettercities import __version__
from bettercities.access.policy import ANONYMOUS, Principal
from bettercities.web import auth, caching, formatting, vocabularies
from bettercities.web.i18n import COOKIE, LANGUAGE_NAMES, LANGUAGES, gettext_for

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")


def query_string(params: Mapping[str, object]) -> str:
    """``?a=1&b=2`` of the parameters that are set (``None`` and ``""`` are left out); a list repeats its
    parameter (``?area=01&area=02``)."""
    items = [
        (k, str(one))
        for k, v in params.items()
        for one in (v if isinstance(v, list | tuple) else [v])
        if one is not None and one != ""
    ]
    return f"?{urlencode(items)}" if items else ""


class PageContext:
    """URL and formatting helpers of one request, available in templates as ``page``."""

    def __init__(self, request: Request, lang: str, state: Mapping[str, object] | None = None) -> None:
        self.request = request
        self.lang = lang
        #: parameters that make up the page's permalink (besides ``lang``)
        self.state = {k: v for k, v in (state or {}).items() if v is not None}

    def url(self, path: str, **params: object) -> str:
        """An internal link carrying the language."""
        return path + query_string({**params, "lang": self.lang})

    @property
    def path(self) -> str:
        return self.request.url.path

    @cached_property
    def permalink(self) -> str:
        return self.path + query_string({**self.state, "lang": self.lang})

    @cached_property
    def json_url(self) -> str:
        path = "/index" if self.path == "/" else self.path
        return path + ".json" + query_string({**self.state, "lang": self.lang})

    def lang_url(self, language: str) -> str:
        """This page in another language, keeping its state."""
        return self.path + query_string({**self.state, "lang": language})

    @property
    def principal(self) -> Principal:
        """Whoever views the page (the header shows "Sign in" or the user name)."""
        principal: Principal = getattr(self.request.state, "principal", ANONYMOUS)
        return principal

    @cached_property
    def csrf_token(self) -> str:
        """The token every POST form of the page sends in its hidden field ``csrf_token``."""
        return auth.csrf_token(self.request)

    @property
    def sign_in_url(self) -> str:
        """The sign-in page, coming back here afterwards."""
        if self.path == "/login":
            return self.url("/login")
        query = self.request.url.query
        return self.url("/login", next=self.path + (f"?{query}" if query else ""))

    def num(self, value: float | None, decimals: int = 1) -> str:
        return formatting.number(value, decimals, self.lang)

    def signed(self, value: float | None, decimals: int = 1) -> str:
        return formatting.signed(value, decimals, self.lang)

    def unit(self, text: str, unit: str) -> str:
        return formatting.with_unit(text, unit, self.lang)

    def name(self, item: Any) -> str:
        """``name_de`` or ``name_en`` of a registry entry or level."""
        return str(getattr(item, f"name_{self.lang}", None) or getattr(item, "name_en", "") or item.name)

    def description(self, item: Any) -> str:
        return str(
            getattr(item, f"description_{self.lang}", None) or getattr(item, "description_en", "") or ""
        )


class _ProcessBytecode(BytecodeCache):
    """Compiled templates kept in memory for the life of the process, shared by every environment.

    Each app builds its own environments (one per language), and compiling the templates is most of a first
    page view (~0.4 s of a cold city page); a process that creates several apps (the test suite, a server
    that rebuilds its app) compiles each template once. Jinja keys a bucket by the template's name and
    checks the source's checksum, so a changed template file is compiled again; every environment here has
    the same options, so their code is interchangeable (translations are looked up when rendering).
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _ProcessBytecode()


class Templates:
    """Renders ``templates/<domain>/<name>.html`` in the language of a request."""

    def __init__(self, directory: Path = TEMPLATES, *, auto_reload: bool = False) -> None:
        self.directory = directory
        self.envs = {lang: self._environment(lang, auto_reload) for lang in LANGUAGES}

    def _environment(self, lang: str, auto_reload: bool) -> Environment:
        env = Environment(
            loader=FileSystemLoader(self.directory),
            autoescape=select_autoescape(["html", "svg"]),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=auto_reload,
            bytecode_cache=_BYTECODE,
        )
        env.install_gettext_translations(gettext_for(lang), newstyle=True)  # type: ignore[attr-defined]
        env.globals.update(
            lang=lang,
            languages=LANGUAGES,
            language_names=LANGUAGE_NAMES,
            static=static_url,
            version=__version__,
        )
        env.filters["label"] = vocabularies.label_filter(lang)  # codes shown as labels: web/vocabularies.py
        return env

    def render(
        self,
        request: Request,
        name: str,
        *,
        lang: str,
        state: Mapping[str, object] | None = None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        page = PageContext(request, lang, state)
        html = self.envs[lang].get_template(name).render(page=page, request=request, **context)
        response = HTMLResponse(html, status_code=status_code)
        response.headers["Content-Language"] = lang
        # header values are Latin-1: a path with other characters (/cities/münchen) goes percent-encoded
        json_url = quote(page.json_url, safe="/?&=%:+,;@!$'()*")
        response.headers["Link"] = f'<{json_url}>; rel="alternate"; type="application/json"'
        explicit = request.query_params.get("lang") in LANGUAGES
        if explicit:
            # remember an explicit choice for the pages visited next
            response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
        caching.mark_public_page(request, status_code)
        return response


def _static_versions() -> dict[str, str]:
    versions = {}
    for path in STATIC.rglob("*"):
        if path.is_file():
            versions[path.relative_to(STATIC).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    return versions


_VERSIONS: dict[str, str] | None = None


def static_url(path: str) -> str:
    """``/static/<path>?v=<content hash>``: browsers may cache static files for as long as they like."""
    global _VERSIONS
    if _VERSIONS is None:
        _VERSIONS = _static_versions()
    version = _VERSIONS.get(path, __version__)
    return f"/static/{path}?v={version}"


def svg(markup: str) -> Markup:
    """Mark SVG produced by :mod:`bettercities.figures.svg` (which escapes its text) as safe."""
    return Markup(markup)
