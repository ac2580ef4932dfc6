"""Console helpers: CSRF tokens from the pages themselves, and a headless Chromium for browser tests."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import require_service

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client) -> str:
    """The CSRF token a console page gives this client's session (as a browser would read it)."""
    response = client.get("/console/sign-in", follow_redirects=True)
    match = TOKEN.search(response.get_data(as_text=True))
    assert match, "no CSRF token on the console page"
    return match.group(1)


def post_form(client, path: str, data: dict | None = None, **kwargs):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright; skipped locally without it, a failure in CI."""
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        require_service(f"Chromium at {CHROMIUM} (install it: apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_service("Playwright (make install puts it in .venv)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Screens:
    """A browser page of its own (cookies and all) that saves a numbered screenshot of each step."""

    def __init__(self, page, folder: Path):
        self.page, self.folder, self.count = page, folder, 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def shot(self, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def browser(chromium, request):
    """browser("sales") -> a fresh browser context for one person, screenshots in tests/artifacts/<test>/sales/."""
    contexts = []

    def open_page(who: str, width: int = 1280) -> Screens:
        context = chromium.new_context(viewport={"width": width, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return Screens(context.new_page(), ARTIFACTS / request.node.name / who)

    yield open_page
    for context in contexts:
        context.close()
