"""Debian's Chromium for Playwright tests.

We never run ``playwright install``: browser builds cannot be downloaded on our machines, and Debian's
``chromium`` package (installed by ``scripts/install-system-deps``) is driven through ``executable_path``.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Playwright is heavy; test modules import it themselves when they need a browser.
    from playwright.sync_api import Browser, Playwright

__all__ = ["CHROMIUM_ARGS", "chromium_path", "launch"]

#: Candidates in order of preference: Debian's launcher script first (it sets Debian's own flags).
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/lib/chromium/chromium")

#: Playwright sets headless mode itself (``headless=True``). The rest keeps Chromium on loopback and fast:
#: our machines have no outside network, and without the background-networking flags Chromium keeps trying
#: (and failing) to reach Google's services. ``--no-sandbox`` because tests run as root in CI;
#: ``--disable-dev-shm-usage`` because containers often have a tiny /dev/shm.
CHROMIUM_ARGS: list[str] = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

_MISSING = "Chromium not found (looked for {}); run scripts/install-system-deps (Debian package 'chromium')"


def chromium_path() -> str:
    """Return the path of Debian's Chromium, or raise `FileNotFoundError` saying how to install it."""
    for candidate in CHROMIUM_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("chromium")
    if found:
        return found
    raise FileNotFoundError(_MISSING.format(", ".join(CHROMIUM_CANDIDATES)))


def launch(playwright: Playwright, **options: Any) -> Browser:
    """Launch headless Debian Chromium through a started sync Playwright.

    Extra keyword ``options`` go to ``playwright.chromium.launch`` (e.g. ``slow_mo=100``); an ``args``
    option is appended to `CHROMIUM_ARGS`.

    >>> from playwright.sync_api import sync_playwright   # doctest: +SKIP
    >>> with sync_playwright() as pw:
    ...     browser = launch(pw)
    ...     page = browser.new_page()
    """
    args = [*CHROMIUM_ARGS, *options.pop("args", [])]
    return playwright.chromium.launch(
        executable_path=chromium_path(), args=args, headless=options.pop("headless", True), **options
    )
