"""/docs and /redoc render their operations in a real browser with the network cut.

Headless Chromium (the system's, driven by Playwright) opens the pages of a live API
process; every request to another origin is aborted and recorded, and the host resolver
knows no name, so a page that still needs a CDN shows up as a failed request, a console
error, or operations that never render. A screenshot of each page goes to
`test-artifacts/` (or $TEST_ARTIFACTS_DIR).

`./dev test` installs Chromium where it can (root with apt-get). Where Chromium is
missing, the test skips locally and fails under CI: a browser test never silently skips.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Request,
    Response,
    Route,
    expect,
    sync_playwright,
)

from shared.config import Settings
from tests.live import live_api

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(
    os.environ.get("TEST_ARTIFACTS_DIR", Path(__file__).resolve().parents[1] / "test-artifacts")
)
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Chromium's own calls home (updates, sync, field trials) are not the pages' requests.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # The network cut, below routing too: no name resolves, only the API's own address.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
# Generous for a busy 2-core machine (ReDoc lays out a 1.5 MB document: 20-55 s seen under
# load); the wait ends as soon as the operations are there.
RENDER_TIMEOUT_MS = 150_000
# Requests that may fail offline, each with why a user does not miss it. Nothing else may
# leave the API's origin.
OPTIONAL = {
    # The "API docs by Redocly" logo in ReDoc's sidebar: its bundle hard-codes this URL (no
    # option turns it off) and drops the image when it does not load.
    "https://cdn.redoc.ly/redoc/logo-mini.svg",
}
# A known operation: POST /v1/members, operationId create_member, tag members.
SUMMARY = "Add a member (admin)"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        reason = (
            f"no Chromium at {CHROMIUM}: `./dev test` installs it as root with apt-get "
            "(`apt-get install chromium`), or set CHROMIUM=/path/to/chromium"
        )
        if _in_ci():
            pytest.fail(f"CI must run the browser test; {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[str]:
    env = {
        "DATABASE_URL": str(settings.database_url),
        "REDIS_URL": str(settings.redis_url),
        "REDIS_PREFIX": settings.redis_prefix,
        "QUEUE_NAME": settings.queue_name,
        "LOG_LEVEL": "WARNING",
    }
    with live_api(env) as base:
        yield base


@dataclass
class Offline:
    """What a page tried beyond the API's origin, and what went wrong while it loaded."""

    origin: str
    blocked: list[str] = field(default_factory=list)
    optional: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def route(self, route: Route) -> None:
        url = route.request.url
        if _origin(url) == self.origin:
            route.continue_()
            return
        (self.optional if url in OPTIONAL else self.blocked).append(url)
        route.abort("internetdisconnected")

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and message.location.get("url") not in OPTIONAL:
            self.errors.append(f"console: {message.text} ({message.location})")

    def on_page_error(self, error: Exception) -> None:
        self.errors.append(f"page error: {error}")

    def on_failed(self, request: Request) -> None:
        if request.url not in OPTIONAL:
            self.failed.append(f"{request.url}: {request.failure}")

    def on_response(self, response: Response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.url}: HTTP {response.status}")

    def assert_clean(self) -> None:
        assert self.blocked == [], "the page reached beyond the API's origin"
        assert self.failed == []
        assert self.errors == []


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture
def offline_page(browser: Browser, api: str) -> Iterator[tuple[Page, Offline]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_navigation_timeout(RENDER_TIMEOUT_MS)
    offline = Offline(_origin(api))
    context.route("**/*", offline.route)
    page = context.new_page()
    page.on("console", offline.on_console)
    page.on("pageerror", offline.on_page_error)
    page.on("requestfailed", offline.on_failed)
    page.on("response", offline.on_response)
    try:
        yield page, offline
    finally:
        context.close()


@contextmanager
def checked(page: Page, offline: Offline, name: str) -> Iterator[None]:
    """Screenshot what the page shows, then check what it fetched and logged.

    Also when the page did not render: the screenshot and the requests it tried say why.
    """
    try:
        yield
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{name}.png")
        offline.assert_clean()


def test_swagger_ui_renders_the_operations_offline(offline_page, api):
    page, offline = offline_page
    with checked(page, offline, "docs-swagger-ui"):
        page.goto(f"{api}/docs")
        # Swagger UI names each operation's block `operations-<tag>-<operationId>`.
        operation = page.locator("#operations-members-create_member")
        expect(operation).to_be_visible(timeout=RENDER_TIMEOUT_MS)
        expect(operation).to_contain_text(SUMMARY)
        assert page.locator(".opblock").count() > 100  # all of them, not only the first


def test_redoc_renders_the_operations_offline(offline_page, api):
    page, offline = offline_page
    with checked(page, offline, "docs-redoc"):
        page.goto(f"{api}/redoc")
        # ReDoc's section per operation: `tag/<tag>/operation/<operationId>`, titled by summary.
        operation = page.locator('[id="tag/members/operation/create_member"]')
        heading = operation.get_by_role("heading", name=SUMMARY)
        # What ReDoc shows instead when it cannot use the document: fail now, not at timeout.
        broken = page.get_by_role("heading", name="Something went wrong")
        expect(heading.or_(broken)).to_be_visible(timeout=RENDER_TIMEOUT_MS)
        assert broken.count() == 0, page.locator("body").inner_text()
        expect(heading).to_be_visible()
        # Without its logo, the sidebar shows no broken image.
        expect(page.get_by_alt_text("redocly logo")).to_have_count(0)
