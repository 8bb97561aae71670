"""Debian's headless Chromium, driven by Playwright, can use a page served by ServerThread on loopback."""

from __future__ import annotations

import http.client

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.support.browser import launch
from tests.support.net import ServerThread, free_port

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>support check</title></head>
<body>
  <p id="status">waiting</p>
  <button type="button" onclick="document.getElementById('status').textContent = 'clicked'">Click</button>
</body></html>"""


async def page(request: object) -> HTMLResponse:
    return HTMLResponse(PAGE)


APP = Starlette(routes=[Route("/", page)])


def test_free_port_is_bindable() -> None:
    port = free_port()
    assert 1024 <= port <= 65535


def test_server_thread_serves_and_stops() -> None:
    with ServerThread(APP) as server:
        port = server.port
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
        conn.close()
    with pytest.raises(OSError):
        http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()


@pytest.mark.browser
def test_click_changes_text_in_headless_chromium() -> None:
    from playwright.sync_api import expect, sync_playwright

    with ServerThread(APP) as server, sync_playwright() as pw:
        browser = launch(pw)
        try:
            tab = browser.new_page()
            tab.goto(server.url + "/")
            status = tab.locator("#status")
            expect(status).to_have_text("waiting")
            tab.get_by_role("button", name="Click").click()
            expect(status).to_have_text("clicked")
        finally:
            browser.close()
