"""The campaign's pages in a real browser, with the network cut: the brief's sample
campaign, run and closed out, opened through a share link as a manager would from a chat
message.

Headless Chromium (the system's, driven by Playwright, exactly as tests/test_docs_browser.py
does) opens each page of a live API process; every request to another origin is aborted
and recorded, and no host name resolves. Each page must load without a console error or a
failed request, and its charts must hold the expected series (SVG paths and bars carry
data attributes). A full-page screenshot of each page, and the report printed to an A4
PDF, go to `test-artifacts/` (or $TEST_ARTIFACTS_DIR), with `pages-render-times.json`:
each page's server time (its `Server-Timing` header) over a few loads.

Where Chromium is missing, the test skips locally and fails under CI.
"""

import asyncio
import json
import re
import statistics
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from shared import jobs, startup
from shared.config import Settings
from shared.timeutil import utcnow
from tests.conftest import truncate_all
from tests.live import create_workspace, live_api
from tests.report_pages import sample
from tests.test_docs_browser import ARTIFACTS, RENDER_TIMEOUT_MS, Offline, _origin, browser

__all__ = ["browser"]  # Chromium, launched once per module (tests/test_docs_browser.py)

pytestmark = pytest.mark.browser

T = TypeVar("T")

MEDIA_BOX = re.compile(rb"/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]")
PDF_PAGE = re.compile(rb"/Type\s*/Page(?!s)")
LOADS = 5  # loads of each page timed for the report (the first renders cold)


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[tuple[str, str]]:
    env = {
        "DATABASE_URL": str(settings.database_url),
        "REDIS_URL": str(settings.redis_url),
        "REDIS_PREFIX": settings.redis_prefix,
        "QUEUE_NAME": settings.queue_name,
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_PER_MINUTE": "0",
    }
    key = create_workspace(env, "Pages in a browser")
    try:
        with live_api(env) as base:
            yield base, key
    finally:
        in_own_loop(_truncate(str(settings.database_url)))


def in_own_loop(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` to its end on a loop of its own (the tests' loop may be running here)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, work).result()


async def _truncate(url: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    await truncate_all(engine)
    await engine.dispose()


async def _build(base: str, key: str, database_url: str) -> dict[str, Any]:
    """The sample through the live API; a share link to its pages; its schedule."""
    startup.install()  # the reactions, as the API runs them: the alert opens its issue
    engine = create_async_engine(database_url, poolclass=NullPool)
    admin = {"Authorization": f"Bearer {key}"}
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            made = await sample.build(
                client,
                admin,
                async_sessionmaker(engine, expire_on_commit=False),
                jobs.DiscardingJobQueue(),
                today=utcnow().astimezone(sample.SHANGHAI).date(),
            )
            link = await client.post(
                f"{made.base}/share-links",
                json={"label": "管理层周报", "expires_in_hours": 24},
                headers=admin,
            )
            assert link.status_code == 201, link.text
            schedule = (await client.get(f"{made.base}/schedule", headers=admin)).json()
    finally:
        await engine.dispose()
    return {"sample": made, "urls": link.json()["urls"], "schedule": schedule}


@pytest.fixture(scope="module")
def briefs_campaign(api: tuple[str, str], settings: Settings) -> dict[str, Any]:
    base, key = api
    return in_own_loop(_build(base, key, str(settings.database_url)))


@pytest.fixture
def offline_page(browser: Browser, api: tuple[str, str]) -> Iterator[tuple[Page, Offline]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_navigation_timeout(RENDER_TIMEOUT_MS)
    offline = Offline(_origin(api[0]))
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


TIMES: dict[str, dict[str, Any]] = {}


@contextmanager
def opened(page: Page, offline: Offline, url: str, name: str) -> Iterator[None]:
    """Open the page (timing its server side), then screenshot it whole and check what it
    fetched and logged, also when an assertion failed: the screenshot says why."""
    timings: list[dict[str, float]] = []
    for _ in range(LOADS):
        response = page.goto(url)
        assert response is not None
        assert response.status == 200, response.text()
        timings.append(
            {
                part.split(";dur=")[0].strip(): float(part.split(";dur=")[1])
                for part in response.headers["server-timing"].split(",")
            }
        )
    warm = timings[1:]  # the first load compiles the templates
    TIMES[name] = {
        "first_ms": round(timings[0]["data"] + timings[0]["render"], 1),
        "median_ms": round(statistics.median(t["data"] + t["render"] for t in warm), 1),
        "median_data_ms": round(statistics.median(t["data"] for t in warm), 1),
        "median_render_ms": round(statistics.median(t["render"] for t in warm), 1),
        "loads": LOADS,
        "html_bytes": len(page.content().encode()),
    }
    try:
        yield
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"pages-{name}.png", full_page=True)
        (ARTIFACTS / "pages-render-times.json").write_text(json.dumps(TIMES, indent=2))
        offline.assert_clean()


def series(page: Page, selector: str) -> list[str]:
    return [e.get_attribute("data-series") or "" for e in page.locator(selector).all()]


def test_the_report_shows_goals_trends_budget_schedule_and_timeline(offline_page, briefs_campaign):
    page, offline = offline_page
    made: sample.Sample = briefs_campaign["sample"]
    with opened(page, offline, briefs_campaign["urls"]["report"], "report"):
        expect(page.get_by_role("heading", level=1)).to_have_text(made.name)
        # Goal progress: one bar per goal; a pace line for the cumulative ones.
        expect(page.locator("svg.progress")).to_have_count(4)
        assert page.locator("svg.progress .pace").count() == 2  # new users, GMV
        # Key metrics by channel: a line per channel that reported the metric.
        lines = {
            metric: sorted(series(page, f'figure[data-metric="{metric}"] path.series'))
            for metric in ("impressions", "ctr", "conversion_rate", "new_users", "gmv")
        }
        assert lines == {
            "impressions": ["ecommerce", "social_feed"],
            "ctr": ["ecommerce", "social_feed"],
            "conversion_rate": ["ecommerce", "social_feed"],
            "new_users": ["ecommerce", "offline_store", "social_feed"],
            "gmv": ["ecommerce", "offline_store", "social_feed"],
        }
        expect(page.locator("ul.legend li[data-legend=offline_store]")).to_have_text("线下快闪店")
        # Budget burn: baseline, current plan and spent for 5 categories and 3 channels
        # plus the money naming no channel.
        bars = page.locator("#budget svg.bars")
        assert (
            series(page, "#budget svg.bars >> nth=0 >> rect.bar")
            == [
                "baseline",
                "planned",
                "spent",
            ]
            * 5
        )
        assert bars.nth(1).locator("rect.bar").count() == 4 * 3
        # The Gantt: five tasks, the critical ones those the schedule service names.
        schedule = briefs_campaign["schedule"]
        expect(page.locator("svg.gantt rect.task")).to_have_count(5)
        critical = {
            e.get_attribute("data-task")
            for e in page.locator('svg.gantt rect.task[data-critical="true"]').all()
        }
        assert critical == {row["code"] for row in schedule["rows"] if row["critical"]}
        expect(page.locator("[data-critical-path]")).to_have_text(
            " → ".join(schedule["critical_path"])
        )
        # Alerts and issues: the alert and the four issues (one opened by the alert).
        assert page.locator('svg.timeline .raised[data-kind="alert"]').count() == 1
        assert page.locator('svg.timeline .raised[data-kind="issue"]').count() == 4
        expect(page.locator("#timeline tbody tr")).to_have_count(5)


def test_the_report_prints_on_a4_without_the_navigation(offline_page, briefs_campaign):
    page, offline = offline_page
    with opened(page, offline, briefs_campaign["urls"]["report"], "report-print"):
        page.emulate_media(media="print")
        expect(page.locator("nav.pages")).to_be_hidden()
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        (ARTIFACTS / "pages-report.pdf").parent.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "pages-report.pdf").write_bytes(pdf)
        # A4 (595.3 x 841.9 pt), and a new page for each section: goals, trends, budget,
        # schedule, timeline.
        width, height = (float(v) for v in MEDIA_BOX.findall(pdf)[0])
        assert (round(width), round(height)) in {(595, 842), (596, 842), (596, 843)}
        assert len(PDF_PAGE.findall(pdf)) >= 5


def test_the_evaluation_reproduces_the_briefs_table(offline_page, briefs_campaign):
    page, offline = offline_page
    with opened(page, offline, briefs_campaign["urls"]["evaluation"], "evaluation"):
        rates = {
            row.get_attribute("data-goal"): row.locator("td").nth(4).inner_text()
            for row in page.locator("#targets tbody tr").all()
        }
        assert rates == {
            "new_users": "90.00%",
            "search_volume": "150.00%",
            "gmv": "124.00%",
            "roi": "130.00%",
        }
        assert series(page, "#targets svg.bars rect.bar") == ["achievement"] * 4
        expect(page.locator("#channels tbody tr")).to_have_count(3)
        assert series(page, "#channels svg.bars rect.bar") == ["roi"] * 3
        expect(page.locator("#targets")).to_contain_text("提前两周锁定 KOC 档期")


def test_the_proposal_shows_the_approval_rounds_and_signatures(offline_page, briefs_campaign):
    page, offline = offline_page
    with opened(page, offline, briefs_campaign["urls"]["proposal"], "proposal"):
        expect(page.locator("#request")).to_contain_text("轻薄不油腻的全天防晒")
        expect(page.locator("#budget-plan tbody tr[data-category]")).to_have_count(5)
        expect(page.locator('table[data-round="1"] tbody tr')).to_have_count(2)
        signed = page.locator('.signatures .box[data-signed="true"]')
        expect(signed).to_have_count(2)
        expect(signed.nth(0)).to_contain_text("郑部长")
        expect(signed.nth(1)).to_contain_text("周总")


def test_the_settlement_shows_the_lines_and_who_signed(offline_page, briefs_campaign):
    page, offline = offline_page
    with opened(page, offline, briefs_campaign["urls"]["settlement"], "settlement"):
        expect(page.locator("[data-settlement-status]")).to_have_attribute(
            "data-settlement-status", "signed_off"
        )
        expect(page.locator('#workflow .box[data-signed="true"]')).to_have_count(3)
        expect(page.locator('tr[data-line="third_party_services"]')).to_contain_text("+25.00%")
        assert series(page, "#statement svg.bars rect.bar") == ["baseline", "planned", "spent"] * 5


def test_the_retrospective_lists_the_items_and_their_causes(offline_page, briefs_campaign):
    page, offline = offline_page
    with opened(page, offline, briefs_campaign["urls"]["retrospective"], "retrospective"):
        expect(page.locator("#items tbody tr")).to_have_count(3)
        assert series(page, "#causes svg.bars rect.bar") == ["count"] * 3
        expect(page.locator("#final-review")).to_contain_text("结项复盘会")


def test_an_expired_link_opens_nothing(offline_page, briefs_campaign, api):
    """A revoked link is refused at once (expiry, with an injected clock, is in
    tests/api/test_pages.py), and says nothing of the campaign."""
    base, key = api
    made: sample.Sample = briefs_campaign["sample"]
    admin = {"Authorization": f"Bearer {key}"}
    link = httpx.post(
        f"{base}{made.base}/share-links", json={"expires_in_hours": 1}, headers=admin
    ).json()
    assert httpx.get(link["urls"]["report"]).status_code == 200
    revoked = httpx.post(f"{base}{made.base}/share-links/{link['id']}/revoke", headers=admin)
    assert revoked.status_code == 200
    assert revoked.json()["active"] is False
    page, _ = offline_page
    response = page.goto(link["urls"]["report"])
    assert response is not None
    assert response.status == 404
    assert made.name not in page.content()
