"""The CSP in headless Chromium: the pages and Swagger UI work, and the browser reports no violation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.responses import HTMLResponse

from bettercities import access as accounts
from bettercities.web import create_app
from tests.support.demos import built_demo
from tests.support.net import ServerThread
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser

# Collects the page's own report of every refused resource or inline code (runs before any page script).
LISTEN = """window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});"""

#: A page the policy must refuse: shows that the listeners see violations, so their silence elsewhere counts.
PROBE = '<!doctype html><p style="color: red">probe</p><script>document.title = "ran";</script>'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    workspace, _ = built_demo(tmp_path_factory, Path(tmp_path_factory.mktemp("csp")) / "demo", seed=2026)
    with workspace.database.session() as session:
        accounts.create_user(session, "stella", PASSWORD)
        accounts.grant(session, "stella", "auenstedt", "steward")
    app = create_app(workspace)
    app.add_api_route("/csp-probe", lambda: HTMLResponse(PROBE))
    # the OpenAPI document Swagger UI loads: built here (~4 s quiet, 17 s on a loaded machine, more than the
    # Swagger test's 15 s wait for the operations), not while the browser waits
    app.openapi()
    with ServerThread(app, timeout=60) as running:
        yield running
    workspace.close()


@pytest.fixture
def tab(chromium: Any) -> Iterator[Any]:
    """A page that records CSP violations (events and console messages) and script errors."""
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.add_init_script(LISTEN)
    page.problems = []
    page.on(
        "console",
        lambda message: (
            page.problems.append(message.text)
            if "Content Security Policy" in message.text or message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: page.problems.append(f"script error: {error}"))
    yield page
    page.context.close()


def assert_no_violation(tab: Any) -> None:
    assert tab.evaluate("() => window.__violations") == []
    assert tab.problems == []


def test_a_violation_is_seen(server: ServerThread, tab: Any) -> None:
    tab.goto(f"{server.url}/csp-probe")
    tab.wait_for_function("() => window.__violations.length >= 2")
    assert tab.title() != "ran"
    violated = " ".join(tab.evaluate("() => window.__violations"))
    assert "script-src" in violated and "style-src" in violated
    assert any("Content Security Policy" in text for text in tab.problems)


def test_city_and_area_pages(server: ServerThread, tab: Any) -> None:
    from playwright.sync_api import expect

    response = tab.goto(f"{server.url}/cities/auenstedt?lang=en")
    assert response.ok and "script-src 'self'" in response.headers["content-security-policy"]
    expect(tab.locator("svg.choropleth")).to_be_visible()
    assert tab.locator("svg.choropleth path.area").count() >= 400
    expect(tab.locator("html.js")).to_have_count(1)  # the page script ran
    assert tab.locator("svg.swatch rect[fill]").count() >= 400  # the table's colour swatches, as SVG
    assert_no_violation(tab)

    href = tab.locator("svg.choropleth a").first.get_attribute("href")
    tab.goto(server.url + href)
    expect(tab.locator("#indicators-heading")).to_have_text("All indicators")
    assert_no_violation(tab)


def test_selector_script_still_submits(server: ServerThread, tab: Any) -> None:
    tab.goto(f"{server.url}/cities/auenstedt?lang=en")
    periods = tab.locator("#period option").evaluate_all("options => options.map(o => o.value)")
    with tab.expect_navigation():
        tab.select_option("#period", periods[0])
    assert f"period={periods[0]}" in tab.url
    assert_no_violation(tab)


def test_import_page(server: ServerThread, tab: Any) -> None:
    from playwright.sync_api import expect

    # the upload page is a steward's: sign in first (the form sends back to the upload page)
    assert tab.goto(f"{server.url}/login?lang=en&next=/cities/auenstedt/import%3Flang%3Den").ok
    tab.fill("input[name=username]", "stella")
    tab.fill("input[name=password]", PASSWORD)
    with tab.expect_navigation():
        tab.locator("form.form-stack button[type=submit]").click()
    expect(tab.locator("form[data-upload]")).to_be_visible()
    assert_no_violation(tab)


def test_inventory_print_button(server: ServerThread, tab: Any) -> None:
    from playwright.sync_api import expect

    assert tab.goto(f"{server.url}/cities/auenstedt/inventory?lang=en").ok
    button = tab.locator("button[data-print]")
    expect(button).to_be_visible()  # shown because the page script runs; it has no inline handler
    tab.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    button.click()
    assert tab.evaluate("() => window.__printed") == 1
    assert_no_violation(tab)


def test_swagger_ui_renders_the_operations(server: ServerThread, tab: Any) -> None:
    from playwright.sync_api import expect

    response = tab.goto(f"{server.url}/api/docs")
    assert response.ok and "frame-ancestors 'none'" in response.headers["content-security-policy"]
    expect(tab.locator(".opblock").first).to_be_visible(timeout=15_000)
    assert tab.locator(".opblock").count() >= 9
    expect(tab.locator(".opblock-summary-path", has_text="/api/cities/{slug}/observations")).to_have_count(1)
    expect(tab.locator("button.authorize").first).to_be_visible()  # the bearer scheme: enter an API token
    assert_no_violation(tab)
