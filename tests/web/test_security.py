"""Security headers on every kind of response, templates free of inline script, 500s that leak nothing."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from bettercities.web.security import CONTENT_SECURITY_POLICY, HEADERS
from bettercities.web.templating import STATIC
from tests.web.citybuilder import BuiltCity
from tests.web.conftest import SETTINGS, add_user, sign_in

TEMPLATES = STATIC.parent / "templates"
SECRET = "s3cret-marker-in-the-exception"
BOOM_PATHS = ("/boom", "/boom.json", "/api/boom")


def directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def assert_secure(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    for name, value in HEADERS.items():
        assert headers.get(name) == value, (name, response.request.url)  # type: ignore[attr-defined]


def boom_app(workspace: Workspace, *, debug: bool) -> FastAPI:
    app = create_app(workspace, settings=SETTINGS.model_copy(update={"debug": debug}))

    def fail() -> None:
        raise RuntimeError(SECRET)

    for path in BOOM_PATHS:
        app.add_api_route(path, fail)
    return app


@pytest.fixture
def boom(sqlite_workspace: Workspace, sqlite_city: BuiltCity) -> Iterator[TestClient]:
    with TestClient(boom_app(sqlite_workspace, debug=False), raise_server_exceptions=False) as client:
        yield client


def test_policy_allows_no_inline_script_or_style() -> None:
    policy = directives(CONTENT_SECURITY_POLICY)
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "'unsafe-eval'" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/cities/testville",
        "/cities/testville.json",
        "/api/cities",
        "/api/docs",
        "/api/openapi.json",
        "/static/css/bettercities.css",
        "/static/js/bettercities.js",
        "/static/swagger/swagger-ui-bundle.js",
        "/cities/nowhere",
        "/api/cities/nowhere",
        "/api/cities/testville/areas?page=0",
    ],
)
def test_every_response_has_the_headers(sqlite_client: TestClient, path: str) -> None:
    response = sqlite_client.get(path)
    assert response.status_code in {200, 404, 422}
    assert_secure(response)


def test_headers_survive_gzip(sqlite_client: TestClient) -> None:
    response = sqlite_client.get("/static/swagger/swagger-ui-bundle.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert_secure(response)


def test_api_docs_load_their_start_up_code_from_a_file(sqlite_client: TestClient) -> None:
    page = sqlite_client.get("/api/docs").text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert 'src="/static/js/swagger-init.js"' in page
    assert sqlite_client.get("/static/js/swagger-init.js").status_code == 200


@pytest.mark.parametrize("path", BOOM_PATHS)
def test_server_error_shows_no_traceback(
    boom: TestClient, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="bettercities.web.errors"):
        boom.cookies.set("session", "cookie-secret")
        response = boom.get(path, params={"token": "query-secret"})
    assert response.status_code == 500
    assert_secure(response)
    for leak in (SECRET, "Traceback", "RuntimeError", "test_security.py"):
        assert leak not in response.text
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{12}", request_id) and request_id in response.text
    if path == "/boom":
        assert response.headers["content-type"].startswith("text/html")
    else:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json() == {
            "type": "about:blank",
            "title": "Internal server error",
            "status": 500,
            "request_id": request_id,
        }
    # the server log has the traceback under the same id, but not the query string or the cookie
    [record] = [r for r in caplog.records if request_id in r.getMessage()]
    assert record.exc_info is not None and SECRET in str(record.exc_info[1])
    logged = caplog.text
    assert "query-secret" not in logged and "cookie-secret" not in logged


@pytest.mark.parametrize("path", ["/boom", "/api/boom"])
def test_server_error_shows_the_traceback_in_debug_mode(
    sqlite_workspace: Workspace, sqlite_city: BuiltCity, path: str
) -> None:
    with TestClient(boom_app(sqlite_workspace, debug=True), raise_server_exceptions=False) as client:
        response = client.get(path)
    assert response.status_code == 500
    assert_secure(response)
    assert SECRET in response.text and "Traceback" in response.text and "RuntimeError" in response.text


INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "style element": re.compile(r"<style\b", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_templates_have_no_inline_script_or_style() -> None:
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 10
    found = [
        f"{path.relative_to(TEMPLATES)}: {what}"
        for path in templates
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_rendered_pages_have_no_inline_script_or_style(
    sqlite_client: TestClient, sqlite_workspace: Workspace
) -> None:
    sign_in(sqlite_client, add_user(sqlite_workspace, "stella", {"testville": "steward"}))
    for path in (
        "/",
        "/cities/testville",
        "/cities/testville/areas/0101",
        "/cities/testville/import",
        "/account",
    ):
        page = sqlite_client.get(path)
        assert page.status_code == 200, path
        assert [what for what, pattern in INLINE.items() if pattern.search(page.text)] == [], path
