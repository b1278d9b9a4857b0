"""Live updates in a real browser: an EventSource opened with a stream token.

EventSource cannot send an Authorization header. A page on the API's origin (the API
serves no page of its own for this, so /healthz stands in for one) asks for nothing but
the stream URL a stream token gives; headless Chromium (the system's, driven by
Playwright, as in tests/test_docs_browser.py) opens it, and an issue created through the
API arrives in the page as an `issue.created` message. A screenshot of what the page
received goes to `test-artifacts/` (or $TEST_ARTIFACTS_DIR).

Where Chromium is missing, the test skips locally and fails under CI.
"""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, Request, async_playwright

from shared.actor import Role
from shared.config import Settings
from tests.helpers import Tenant
from tests.live import live_api
from tests.test_docs_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, RENDER_TIMEOUT_MS, _in_ci

pytestmark = [pytest.mark.browser, pytest.mark.committed]

# Opens the stream, resolves once it is open (or rejects on failure), and keeps every
# `issue.created` message in window.received, shown on the page as it arrives.
OPEN_STREAM = """
async (url) => {
  window.received = [];
  document.body.innerHTML = "<h1>Live events</h1><ol id='events'></ol>";
  const source = new EventSource(url);
  window.source = source;
  source.addEventListener("issue.created", (message) => {
    const event = JSON.parse(message.data);
    window.received.push({ lastEventId: message.lastEventId, event });
    const item = document.createElement("li");
    item.textContent = `${event.kind} ${event.subject_id} at ${event.occurred_at}`;
    document.getElementById("events").append(item);
  });
  await new Promise((resolve, reject) => {
    source.onopen = resolve;
    source.onerror = () => reject(new Error(`EventSource failed (state ${source.readyState})`));
  });
  return source.readyState;
}
"""


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


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    """A page of the system's Chromium, driven by Playwright's asyncio API: the test's own
    fixtures (the tenant) run on the same event loop."""
    if not CHROMIUM.is_file():
        reason = f"no Chromium at {CHROMIUM}: `./dev test` installs it (see the docs test)"
        if _in_ci():
            pytest.fail(f"CI must run the browser test; {reason}")
        pytest.skip(reason)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = await browser.new_context(viewport={"width": 1000, "height": 400})
        context.set_default_timeout(RENDER_TIMEOUT_MS)
        try:
            yield await context.new_page()
        finally:
            await browser.close()


async def post(api: str, tenant: Tenant, role: Role, path: str, body: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        response = await client.post(path, json=body, headers=tenant.auth(role))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_an_event_source_with_a_stream_token_receives_a_new_event(
    page: Page, api: str, tenant: Tenant
):
    errors: list[str] = []
    streams: list[Request] = []
    page.on(
        "console",
        # The browser's own ask for /favicon.ico (a 404: the API has no icon) is no page error.
        lambda m: (
            errors.append(f"{m.text} {m.location}")
            if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda r: streams.append(r) if "/v1/events/stream" in r.url else None)
    await page.goto(f"{api}/healthz")

    token = await post(api, tenant, Role.viewer, "/v1/events/stream-tokens", None)
    assert await page.evaluate(OPEN_STREAM, token["stream_url"]) == 1  # EventSource.OPEN
    # The browser sent the token in the URL, and no API key.
    assert len(streams) == 1
    assert "authorization" not in streams[0].headers
    assert streams[0].url.endswith(token["stream_url"])

    owner = await post(
        api, tenant, Role.admin, "/v1/members", {"name": "Li Na", "email": "li.na@example.com"}
    )
    campaign = await post(
        api, tenant, Role.editor, "/v1/campaigns", {"name": "618 promotion", "kind": "promotion"}
    )
    issue = await post(
        api,
        tenant,
        Role.editor,
        "/v1/issues",
        {
            "campaign_id": campaign["id"],
            "title": "2 posts rejected for medical claims",
            "description": "8 of 10 posts done; 2 rejected by the platform",
            "owner_id": owner["id"],
        },
    )

    await page.wait_for_function("window.received.length > 0")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=ARTIFACTS / "events-stream-token.png")
    received = await page.evaluate("window.received")
    assert len(received) == 1
    event = received[0]["event"]
    assert (event["kind"], event["subject_id"], event["campaign_id"]) == (
        "issue.created",
        issue["id"],
        campaign["id"],
    )
    assert received[0]["lastEventId"] == event["position"]
    assert await page.locator("#events li").count() == 1
    await page.evaluate("window.source.close()")
    assert errors == []
