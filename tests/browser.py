"""A real headless Chromium for the browser tests: Debian's ``chromium`` driven by Playwright.

Not a test module: tests/conftest.py registers its fixtures once for the whole session (a module
that imported them too would start a second Playwright), and test modules import the helpers::

    from tests.browser import screenshot

    def test_status_page(browser_page: Page) -> None:
        browser_page.goto(url)
        browser_page.get_by_role("link", name="Branches").click()
        assert "main" in browser_page.locator("body").inner_text()
        screenshot(browser_page, "branches")

- ``chromium_browser`` (session fixture): one headless Chromium for the whole run.
- ``browser_page`` (fixture): a fresh page in a fresh context (no cookies or storage shared between
  tests), 1280x800, actions and waits time out after ``TIMEOUT_MS``.
- ``screenshot(page, name)``: saves the whole page as ``NAME.png`` in ``screenshots_dir()`` and returns
  its path.
- ``screenshots_dir()``: where screenshots go, kept by CI as test artifacts:
  ``$ENFORCER_ARTIFACTS`` when set, else ``tests/artifacts/screenshots/`` (gitignored).
- ``launch(playwright)`` and ``chromium_path()``: the same browser outside the fixtures.

Installing: Playwright launches Debian's ``chromium`` (``shutil.which("chromium")``, or
``chromium-browser``) through its ``executable_path``, so no ``playwright install`` download is
needed. The README's test command installs both::

    bash tests/install-deps.sh && python3 -m pip install -e '.[test]'

(install-deps.sh apt-installs ``chromium``, as root; the ``test`` extra brings the ``playwright``
package).

When either is missing: with ``CI`` set in the environment the test FAILS (CI never skips
silently); elsewhere it is skipped, the skip's reason saying what to install.

Chromium runs with ``--no-sandbox``: CI runs as root in a container, where Chromium's sandbox cannot
start (it refuses to run as root with it).
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, NoReturn

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

ROOT = Path(__file__).resolve().parent.parent
INSTALL = "bash tests/install-deps.sh && python3 -m pip install -e '.[test]'"
# root in a container: no sandbox; a small /dev/shm (docker's is 64 MB) crashes Chromium's renderer
CHROMIUM_ARGS = ("--no-sandbox", "--disable-dev-shm-usage")
TIMEOUT_MS = 10_000
VIEWPORT_WIDTH, VIEWPORT_HEIGHT = 1280, 800


def missing(what: str) -> NoReturn:
    """Fail the test in CI, skip it elsewhere, saying how to install ``what``."""
    message = f"{what} is missing: install it with `{INSTALL}` (as root, for Debian's chromium)"
    if os.environ.get("CI"):
        pytest.fail(message + " [CI never skips a test whose component is missing]", pytrace=False)
    pytest.skip(message)


def chromium_path() -> str:
    """Debian's chromium on PATH (``chromium``, or ``chromium-browser`` elsewhere)."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    missing("Debian's chromium (apt-get install chromium)")


def launch(playwright: Playwright) -> Browser:
    """A headless Chromium from ``chromium_path()``, for a ``sync_playwright()`` session."""
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=list(CHROMIUM_ARGS))


def screenshots_dir() -> Path:
    """``$ENFORCER_ARTIFACTS`` if set, else ``tests/artifacts/screenshots/``; created if need be."""
    where = os.environ.get("ENFORCER_ARTIFACTS")
    path = Path(where) if where else ROOT / "tests" / "artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page (not just the viewport) as ``NAME.png`` in ``screenshots_dir()``.

    ``name`` is kept to letters, digits, ``.``, ``_`` and ``-`` (anything else becomes ``-``); a
    later screenshot of the same name replaces the earlier one.
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name.removesuffix(".png")).strip("-.") or "page"
    path = screenshots_dir() / f"{stem}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Browser]:
    """One headless Chromium for the session; fails in CI (skips elsewhere) when it can't be had."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright Python package (the `test` extra)")
    chromium_path()  # before starting Playwright: a missing chromium fails or skips at once
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium_browser: Browser) -> Iterator[Page]:
    """A new page in a context of its own, closed after the test."""
    context = chromium_browser.new_context(viewport={"width": VIEWPORT_WIDTH, "height": VIEWPORT_HEIGHT},
                                           locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()
