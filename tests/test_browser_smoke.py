"""The browser tests' own machinery works (tests/browser.py): Debian's chromium, driven by Playwright,
opens a page served on loopback, follows a link, reads the text, saves a screenshot."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import pytest

from tests import browser
from tests.browser import screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page

PAGES = {
    "/": "<!doctype html><title>Start</title><h1>Smoke start</h1>"
         "<p>Go <a href='/next'>to the next page</a>.</p>",
    "/next": "<!doctype html><title>Next</title><h1>Smoke next</h1><p>You followed the link.</p>",
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = PAGES.get(self.path)
        self.send_response(200 if body else 404)
        data = (body or "not found").encode()
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.server  # a real Chromium
def test_chromium_follows_a_link_reads_the_text_and_saves_a_screenshot(browser_page: Page, site: str) -> None:
    page = browser_page
    page.goto(site + "/")
    assert page.get_by_role("heading", level=1).inner_text() == "Smoke start"
    page.get_by_role("link", name="to the next page").click()
    page.wait_for_url(site + "/next")
    assert page.title() == "Next"
    text = page.locator("body").inner_text()  # the text as rendered: what a person reads
    assert [line for line in text.splitlines() if line.strip()] == ["Smoke next", "You followed the link."]
    shot = screenshot(page, "smoke next")
    assert shot == browser.screenshots_dir() / "smoke-next.png"
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000, len(data)
    width = int.from_bytes(data[16:20], "big")  # the IHDR chunk: the page's width, as the viewport's
    assert width == browser.VIEWPORT_WIDTH, width


def test_screenshots_go_where_ENFORCER_ARTIFACTS_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENFORCER_ARTIFACTS", str(tmp_path / "shots"))
    assert browser.screenshots_dir() == tmp_path / "shots" and (tmp_path / "shots").is_dir()
    monkeypatch.delenv("ENFORCER_ARTIFACTS")
    assert browser.screenshots_dir() == browser.ROOT / "tests/artifacts/screenshots"


@pytest.mark.parametrize("ci, outcome", [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_a_missing_chromium_fails_in_CI_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                            ci: str, outcome: type[BaseException]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium on it
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match=r"chromium .* is missing: install it with `bash tests/install-deps.sh"):
        browser.chromium_path()
