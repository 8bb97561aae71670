"""One headless Chromium per test process for the browser tests.

Starting Playwright's driver and Debian's Chromium and stopping them again took ~2.5 s of every browser
module (driver 1.6 s, Chromium 0.8 s, closing 0.4 s; twice in a module that launched per test).
:func:`chromium` hands each module the process's one browser, started on first use and stopped at the end of
the session; every test still opens its own pages in browser contexts of its own (``Browser.new_page`` makes
a new context: new cookies, storage and cache), and the module's contexts are closed after it.

Playwright's sync API leaves its asyncio loop marked as the thread's running loop between calls (its
dispatcher greenlet is suspended inside ``run_until_complete``). Outside a browser module that mark would make
``asyncio.run`` (and a second ``sync_playwright``) in a later test of the same process refuse to start, so it
is taken off after each browser module and set again before the next one.

:func:`berlin_mss_2019` builds the Berlin MSS 2019 workspace (through the command line, 448 planning areas)
once per test run for the modules that start from it, as ``tests/support/demos.py`` does for the demo.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bettercities.storage.workspace import Workspace
from tests.support.browser import launch
from tests.support.mss_runs import build_berlin_2019

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="session")
def _chromium_of_the_process() -> Iterator[tuple[Browser, asyncio.AbstractEventLoop]]:
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        loop = asyncio.get_running_loop()  # Playwright's own, marked running by the sync API
        browser = launch(playwright)
    except BaseException:
        playwright.stop()
        raise
    asyncio._set_running_loop(None)
    try:
        yield browser, loop
    finally:
        asyncio._set_running_loop(loop)
        try:
            browser.close()
        finally:
            playwright.stop()


@pytest.fixture(scope="module")
def chromium(_chromium_of_the_process: tuple[Browser, asyncio.AbstractEventLoop]) -> Iterator[Browser]:
    """The process's headless Chromium; the contexts (and pages) a module opens are closed after it."""
    browser, loop = _chromium_of_the_process
    asyncio._set_running_loop(loop)
    try:
        yield browser
        for context in browser.contexts:
            context.close()
    finally:
        asyncio._set_running_loop(None)


@pytest.fixture(scope="session")
def berlin_mss_2019(tmp_path_factory: pytest.TempPathFactory, open_data: Path) -> Path:
    """The folder of a SQLite workspace holding ``tests/support/mss_runs.py``'s Berlin MSS 2019 (made with
    its ``build_berlin_2019``), built once per test run: the workers share it (a file lock guards the build).
    A module copies the folder (``shutil.copytree``) and opens its copy with ``Workspace(path=...)``."""
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker has its own base (…/pytest-N/popen-gw0); their parent is the run's.
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "browser-cache"
    root.mkdir(exist_ok=True)
    cached, done = root / "berlin-mss-2019", root / "berlin-mss-2019.done"
    with (root / "berlin-mss-2019.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be building it right now
        if not done.exists():
            shutil.rmtree(cached, ignore_errors=True)  # a build interrupted half-way
            workspace = Workspace.init(cached)
            try:
                build_berlin_2019(workspace, open_data)
            finally:
                workspace.close()  # the last connection closes: SQLite folds its WAL into the file
            done.touch()
    return cached
