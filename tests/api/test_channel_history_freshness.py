"""Channel history kept fresh: a finished campaign's figures per channel are stored when it
completes or is archived, and totalled again by the worker's sweep when its expenses
change, late figures arrive or the dictionary's ROI changes; a read adds up the stored
figures and computes only the others live, and answers the same either way.

The workspace is that of tests/api/test_channel_history.py (A, B, G, D, C finished, E
running). `sweep` does in the test's transaction what the worker's sweep and its jobs do
(`refresh_channel_history`, `total_campaign_channels`); the last test runs the worker.
"""

import asyncio
import uuid
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import jobs
from shared.actor import Role
from shared.campaigns.models import Campaign
from shared.channel_history import totals
from shared.channel_history.models import TotalledCampaign
from shared.db import unit_of_work
from shared.figures.models import MetricDay
from shared.ingestion.apply import LATE_WINDOW
from shared.timeutil import utcnow
from tests.api import test_channel_history as walk
from tests.helpers import Tenant, created, register_channels

S = walk.S
LAUNCH_SOCIAL, LAUNCH_ECOMMERCE = (
    ("new_product_launch", "social_feed"),
    (
        "new_product_launch",
        "ecommerce",
    ),
)


async def sweep(session: AsyncSession, now: datetime | None = None) -> set[uuid.UUID]:
    """The campaigns the worker's sweep finds, each totalled as its job does it."""
    stale = await totals.stale_campaigns(session)
    for campaign_id in stale:
        campaign = await session.get(Campaign, campaign_id, populate_existing=True)
        assert campaign is not None
        await totals.total_campaign(
            session, campaign=campaign, now=now or utcnow(), wait=False, only_if_stale=True
        )
    return set(stale)


def answer(found: dict[str, Any]) -> dict[str, Any]:
    """A history without its window, whose `until` is the moment of the request."""
    return {key: value for key, value in found.items() if key != "window"}


ASKS: list[dict[str, Any]] = [
    {},
    {"months": 14, "include_active": "true"},  # E computed live beside the stored others
    {"channel": "social_feed"},
    {"kind": "promotion", "months": 3},
]


async def test_stored_figures_read_exactly_as_computed_live(
    client, tenant: Tenant, session: AsyncSession
):
    ids = await walk.workspace_history(client, tenant, session)
    live = [answer(await walk.history(client, tenant, **ask)) for ask in ASKS]
    finished = {uuid.UUID(ids[name]) for name in "ABGDC"}
    assert await sweep(session) == finished  # never totalled; not E, which runs
    # D completed 30 days ago: figures may still arrive, so every sweep totals it again;
    # the others are done until something changes.
    assert await sweep(session) == {uuid.UUID(ids["D"])}

    # The finished campaigns' day rollups gone, the history reads their stored figures.
    await session.execute(delete(MetricDay).where(MetricDay.campaign_id.in_(finished)))
    assert [answer(await walk.history(client, tenant, **ask)) for ask in ASKS] == live
    social = walk.items_of(await walk.history(client, tenant))[LAUNCH_SOCIAL]
    assert (social["campaigns"], social["spend"], social["roi"]) == (3, "250000.00", "4.5200")


async def test_late_figures_show_after_the_sweep(client, tenant: Tenant, session: AsyncSession):
    await register_channels(client, tenant, {"social_feed": "Social feed"})
    cid = await walk.run(
        client,
        tenant,
        session,
        "Double eleven",
        walk.Ran(
            "promotion", {"social_feed": {"spend": "1000", "revenue": "5000"}}, S.active, None
        ),
    )
    completed = await client.post(f"/v1/campaigns/{cid}/complete", headers=tenant.auth(Role.editor))
    assert completed.status_code == 200, completed.text
    feed = ("promotion", "social_feed")
    assert walk.items_of(await walk.history(client, tenant))[feed]["spend"] == "1000.00"

    # The integration sends the last day's spend after the campaign completed.
    await created(
        client,
        tenant,
        f"/v1/campaigns/{cid}/metric-points",
        {
            "points": [
                {"channel": "social_feed", "metric": "spend", "date": walk.yesterday(),
                 "value": "500", "mode": "increment"},
            ]
        },
    )  # fmt: skip
    # Stored when it completed: the history shows the new figure once the sweep ran.
    assert walk.items_of(await walk.history(client, tenant))[feed]["spend"] == "1000.00"
    assert await sweep(session) == {uuid.UUID(cid)}
    after = walk.items_of(await walk.history(client, tenant))[feed]
    assert (after["spend"], after["roi"]) == ("1500.00", "3.3333")

    # Once the late-data window has closed, a last totalling and no more.
    campaign = await session.get(Campaign, uuid.UUID(cid), populate_existing=True)
    assert campaign is not None
    assert campaign.completed_at is not None
    closed = campaign.completed_at + LATE_WINDOW + totals.LOG_WINDOW
    assert await sweep(session, now=closed) == {uuid.UUID(cid)}
    assert await sweep(session, now=closed) == set()


async def test_a_corrected_expense_shows_after_the_sweep(
    client, tenant: Tenant, session: AsyncSession
):
    ids = await walk.workspace_history(client, tenant, session)
    await sweep(session)
    a = ids["A"]  # completed 60 days ago: its figures are final, its expenses still open
    await created(
        client,
        tenant,
        f"/v1/campaigns/{a}/expenses",
        {"category": "promotion_media", "amount": "45000", "spent_on": "2024-06-10",
         "channel_key": "ecommerce"},
    )  # fmt: skip
    listed = await client.get(f"/v1/campaigns/{a}/expenses", headers=tenant.auth())
    assert listed.status_code == 200, listed.text
    (feed_ads,) = [e for e in listed.json()["items"] if e["channel_key"] == "social_feed"]
    corrected = await client.patch(
        f"/v1/campaigns/{a}/expenses/{feed_ads['id']}",
        json={"amount": "110000"},
        headers=tenant.auth(Role.editor),
    )
    assert corrected.status_code == 200, corrected.text

    before = walk.items_of(await walk.history(client, tenant))
    assert before[LAUNCH_ECOMMERCE]["spend"] == "50100.00"  # as stored, until the sweep
    assert before[LAUNCH_SOCIAL]["spend"] == "250000.00"
    assert await sweep(session) == {uuid.UUID(a), uuid.UUID(ids["D"])}
    after = walk.items_of(await walk.history(client, tenant))
    ecommerce, social = after[LAUNCH_ECOMMERCE], after[LAUNCH_SOCIAL]
    assert (ecommerce["spend"], ecommerce["spend_sources"]) == (
        "45100.00",
        {"expenses": 1, "pushed": 1, "none": 0},
    )
    assert ecommerce["roi"] == "6.7627"  # 305,000 / 45,100
    assert (social["spend"], social["expenses"]) == ("240000.00", "110000.00")
    assert await sweep(session) == {uuid.UUID(ids["D"])}


async def test_a_changed_roi_formula_reads_at_once_and_is_stored_again(
    client, tenant: Tenant, session: AsyncSession
):
    ids = await walk.workspace_history(client, tenant, session)
    await sweep(session)
    changed = await client.patch(
        "/v1/metrics/roi", json={"formula": "(revenue - spend) / spend"}, headers=tenant.auth()
    )
    assert changed.status_code == 200, changed.text
    # Stored with the old formula: those campaigns are computed live until totalled again.
    social = walk.items_of(await walk.history(client, tenant))[LAUNCH_SOCIAL]
    assert (social["roi"], social["roi_display"]) == ("3.5200", "1:3.52")  # 880,000 / 250,000
    live = answer(await walk.history(client, tenant))
    assert await sweep(session) == {uuid.UUID(ids[name]) for name in "ABGDC"}
    assert answer(await walk.history(client, tenant)) == live


@pytest.mark.committed
async def test_the_worker_totals_each_campaign_once_and_skips_one_being_totalled(
    client, tenant: Tenant, session: AsyncSession, runtime, run_worker
):
    ids = await walk.workspace_history(client, tenant, session)
    live = answer(await walk.history(client, tenant, include_active="true"))
    await run_worker()  # what the requests above sent (notices, rules...)

    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
        jobs.enqueue(work, "refresh_channel_history")
    worker = await run_worker()
    assert (worker.jobs_complete, worker.jobs_failed) == (6, 0)  # the sweep, five campaigns
    assert answer(await walk.history(client, tenant, include_active="true")) == live

    d = uuid.UUID(ids["D"])
    async with runtime.sessionmaker() as check:
        assert await totals.stale_campaigns(check) == [d]  # its late-data window is open

    # While one transaction totals D, another skips it rather than wait.
    async with runtime.sessionmaker() as first, runtime.sessionmaker() as second:
        await first.begin()
        campaign = await first.get(Campaign, d)
        assert campaign is not None
        assert await totals.total_campaign(first, campaign=campaign, now=utcnow()) == 2
        other = await second.get(Campaign, d)
        assert other is not None
        skipped = totals.total_campaign(second, campaign=other, now=utcnow(), wait=False)
        assert await asyncio.wait_for(skipped, timeout=10) is None
        await second.rollback()
        await first.commit()
    async with runtime.sessionmaker() as check:
        channels = await check.scalar(
            select(TotalledCampaign.channel_count).where(TotalledCampaign.campaign_id == d)
        )
    assert channels == 2  # social feed and offline store
