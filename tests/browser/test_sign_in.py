"""Signing in through the form in headless Chromium: the header names the user, signing out forgets it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bettercities import access as accounts
from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from tests.support.net import ServerThread
from tests.web.citybuilder import build_city
from tests.web.conftest import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    workspace = Workspace.init(Path(tmp_path_factory.mktemp("sign-in")) / "ws")
    build_city(workspace)
    with workspace.database.session() as session:
        accounts.create_user(session, "vera", PASSWORD, display_name="Vera Viewer")
        accounts.grant(session, "vera", "testville", "viewer")
    with ServerThread(create_app(workspace), timeout=60) as running:
        yield running
    workspace.close()


@pytest.fixture
def tab(server: ServerThread, chromium: Browser) -> Iterator[Any]:
    page = chromium.new_page()
    yield page
    page.context.close()


def test_sign_in_through_the_form_shows_the_user_in_the_header(server: ServerThread, tab: Any) -> None:
    from playwright.sync_api import expect

    tab.goto(f"{server.url}/cities/testville?lang=en")
    sign_in = tab.locator("header a[data-sign-in]")
    expect(sign_in).to_have_text("Sign in")
    with tab.expect_navigation():
        sign_in.click()
    assert "/login" in tab.url and "next=%2Fcities%2Ftestville" in tab.url
    tab.fill("input[name=username]", "vera")
    tab.fill("input[name=password]", "not the password")
    with tab.expect_navigation():
        tab.locator("form.form-stack button[type=submit]").click()
    expect(tab.locator("[data-login-error]")).to_contain_text("wrong user name or password")

    tab.fill("input[name=password]", PASSWORD)
    with tab.expect_navigation():
        tab.locator("form.form-stack button[type=submit]").click()
    assert tab.url.startswith(f"{server.url}/cities/testville")  # back where the visitor came from
    expect(tab.locator("header a[data-user]")).to_have_text("vera")
    cookie = next(c for c in tab.context.cookies() if c["name"] == "bc_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"

    with tab.expect_navigation():
        tab.locator("header button", has_text="Sign out").click()
    expect(tab.locator("header a[data-sign-in]")).to_be_visible()
    assert not [c for c in tab.context.cookies() if c["name"] == "bc_session"]
