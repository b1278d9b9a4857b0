"""Reports on a rhythm, with real commits: each campaign's report goes out once at its own
local time, two workers racing send one, and the worker's cron and jobs deliver it."""

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, update

from shared import jobs
from shared.campaigns.models import Campaign, CampaignStatus
from shared.db import unit_of_work
from shared.events.models import Event
from shared.notifications.models import Delivery
from shared.reports import service as reports
from shared.reports.models import ReportRun
from shared.reports.schedule import ReportKind
from shared.timeutil import utcnow
from tests.helpers import Tenant, wait_until_a_query_waits_on_a_lock
from tests.worker.test_notifications import add_endpoint, receiving

pytestmark = pytest.mark.committed
REPORTS = ["report.daily", "report.weekly"]
BERLIN = ZoneInfo("Europe/Berlin")


async def active_campaign(
    client: httpx.AsyncClient,
    tenant: Tenant,
    session,
    *,
    name: str,
    timezone: str,
    currency: str,
    activated_at: datetime | None = None,
) -> uuid.UUID:
    created = await client.post(
        "/v1/campaigns",
        headers=tenant.auth(),
        json={"name": name, "kind": "promotion", "timezone": timezone, "currency": currency},
    )
    assert created.status_code == 201, created.text
    cid = uuid.UUID(created.json()["id"])
    await session.execute(
        update(Campaign)
        .where(Campaign.id == cid)
        .values(status=CampaignStatus.active, activated_at=activated_at)
    )
    await session.commit()
    return cid


async def tick(runtime: Any, now: datetime) -> list[ReportRun]:
    """What one run of the cron and the jobs it enqueues do at `now`: each report due
    is sent in a transaction of its own."""
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
        owed = await reports.due_reports(session, now=now)
    sent = []
    for item in owed:
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
            run = await reports.send_report(
                session,
                campaign_id=item.campaign_id,
                kind=item.due.kind,
                period_start=item.due.period_start,
                now=now,
            )
        if run is not None:
            sent.append(run)
    return sent


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


async def test_the_17_00_report_goes_out_once_at_each_campaigns_own_local_time(
    client, tenant: Tenant, session, runtime
):
    # Monday 2024-06-10. Shanghai is UTC+8 all year; Berlin is on summer time (UTC+2).
    start = utc(6, 9, 22)
    shanghai = await active_campaign(
        client, tenant, session, name="618 大促", timezone="Asia/Shanghai", currency="CNY",
        activated_at=start,
    )  # fmt: skip
    berlin = await active_campaign(
        client, tenant, session, name="Sommerfest", timezone="Europe/Berlin", currency="EUR",
        activated_at=start,
    )  # fmt: skip
    webhook = await add_endpoint(client, tenant, "http://127.0.0.1:9/hook", event_kinds=REPORTS)
    slack = await add_endpoint(
        client, tenant, "http://127.0.0.1:9/slack", format="slack", event_kinds=REPORTS
    )
    await add_endpoint(client, tenant, "http://127.0.0.1:9/alerts", event_kinds=["alert.fired"])

    sent: list[tuple[uuid.UUID, ReportKind, date, datetime]] = []
    now = start
    while now <= utc(6, 10, 23, 55):  # every 5 minutes through the day, both local days
        sent += [(r.campaign_id, r.kind, r.period_start, now) for r in await tick(runtime, now)]
        now += timedelta(minutes=5)
    assert sent == [
        (shanghai, ReportKind.weekly, date(2024, 6, 3), utc(6, 10, 1)),  # Monday 09:00 CST
        (berlin, ReportKind.weekly, date(2024, 6, 3), utc(6, 10, 7)),  # Monday 09:00 CEST
        (shanghai, ReportKind.daily, date(2024, 6, 10), utc(6, 10, 9)),  # 17:00 CST
        (berlin, ReportKind.daily, date(2024, 6, 10), utc(6, 10, 15)),  # 17:00 CEST
    ]
    assert await tick(runtime, now) == []  # nothing twice

    events = (await session.scalars(select(Event).order_by(Event.tx_id, Event.seq))).all()
    assert [(e.kind, e.campaign_id) for e in events] == [
        ("report.weekly", shanghai),
        ("report.weekly", berlin),
        ("report.daily", shanghai),
        ("report.daily", berlin),
    ]
    daily = {e.campaign_id: e.data for e in events if e.kind == "report.daily"}
    assert daily[shanghai]["title"] == "【日报】618 大促 2024-06-10"
    assert daily[berlin]["title"] == "Daily report: Sommerfest 2024-06-10"
    assert daily[berlin]["text"].splitlines()[2].startswith("| Date | Channel | Impressions |")
    # One delivery per event for each endpoint subscribed to reports; none for the other.
    deliveries = (await session.execute(select(Delivery.endpoint_id, Delivery.event_id))).all()
    assert sorted((str(d.endpoint_id), d.event_id) for d in deliveries) == sorted(
        (endpoint["id"], e.id) for endpoint in (webhook, slack) for e in events
    )
    payload = await session.scalar(
        select(Delivery.payload).where(
            Delivery.endpoint_id == uuid.UUID(webhook["id"]),
            Delivery.event_id == next(e.id for e in events if e.data is daily[shanghai]),
        )
    )
    assert payload is not None
    assert (payload["title"], payload["text"]) == (
        daily[shanghai]["title"],
        daily[shanghai]["text"],
    )
    assert payload["rows"] == daily[shanghai]["rows"]


async def test_two_workers_racing_for_a_report_send_it_once(
    client, tenant: Tenant, session, runtime, engine
):
    campaign = await active_campaign(
        client, tenant, session, name="618 大促", timezone="Asia/Shanghai", currency="CNY"
    )
    endpoint = await add_endpoint(client, tenant, "http://127.0.0.1:9/hook", event_kinds=REPORTS)
    now = utc(6, 10, 9, 30)  # 17:30 in Shanghai
    claim: dict[str, Any] = {
        "campaign_id": campaign,
        "kind": ReportKind.daily,
        "period_start": date(2024, 6, 10),
        "now": now,
    }

    async def second_worker() -> ReportRun | None:
        async with runtime.sessionmaker() as other, other.begin():
            return await reports.send_report(other, **claim)

    async with runtime.sessionmaker() as first:
        async with first.begin():
            won = await reports.send_report(first, **claim)
            assert won is not None
            racing = asyncio.create_task(second_worker())
            # The second one built its report and now waits on the first one's claim.
            await wait_until_a_query_waits_on_a_lock(engine)
        lost = await racing
    assert lost is None
    assert await session.scalar(select(func.count()).select_from(ReportRun)) == 1
    kinds = (await session.scalars(select(Event.kind))).all()
    assert kinds == ["report.daily"]
    deliveries = (await session.scalars(select(Delivery.endpoint_id))).all()
    assert deliveries == [uuid.UUID(endpoint["id"])]


async def test_the_worker_cron_sends_due_reports_to_a_receiver(
    client, tenant: Tenant, session, runtime, run_worker
):
    campaign = await active_campaign(
        client, tenant, session, name="Sommerfest", timezone="Europe/Berlin", currency="EUR"
    )
    # 00:00 local has always passed today: the day's report is due whenever this runs.
    schedule = await client.put(
        f"/v1/campaigns/{campaign}/report-schedule",
        json={"daily_time": "00:00", "weekly_enabled": False},
        headers=tenant.auth(),
    )
    assert schedule.status_code == 200, schedule.text
    berlin_days = {utcnow().astimezone(BERLIN).date()}
    async with receiving() as receiver:
        await add_endpoint(client, tenant, f"{receiver.url}/reports", event_kinds=REPORTS)
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            jobs.enqueue(work, "send_due_reports")
        worker = await run_worker()  # the cron's job, its send_report job, the sender
        assert worker.jobs_failed == 0
        [request] = receiver.requests
    berlin_days.add(utcnow().astimezone(BERLIN).date())  # midnight may have passed meanwhile
    body = request.json()
    assert body["type"] == "report.daily"
    assert body["data"]["title"].startswith("Daily report: Sommerfest ")
    assert body["data"]["language"] == "en"
    assert body["data"]["campaign_id"] == str(campaign)
    [run] = (await session.scalars(select(ReportRun))).all()
    assert body["data"]["period"] == str(run.period_start)
    assert run.period_start in berlin_days  # the day it is in Berlin

    # The next minute's cron finds nothing to send.
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
        jobs.enqueue(work, "send_due_reports", job_id="again")
    worker = await run_worker()
    assert worker.jobs_failed == 0
    assert await session.scalar(select(func.count()).select_from(ReportRun)) == 1
