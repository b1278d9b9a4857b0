"""Daily rollups: kept with the points, and answering day/week/month reads the same way."""

import asyncio
import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from shared.actor import Role
from shared.db import unit_of_work
from shared.figures.models import MetricDay
from shared.ingestion import apply
from shared.ingestion.models import BatchStatus, IngestBatch
from shared.timeutil import utcnow
from tests.helpers import Tenant, assert_problem, wait_until_a_query_waits_on_a_lock
from tests.worker.test_ingestion import setup

pytestmark = pytest.mark.committed
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def series(client, tenant: Tenant, cid: str, metric: str, **params: str) -> dict[str, Any]:
    answer = await client.get(
        f"/v1/campaigns/{cid}/series",
        params={"metric": metric, **params},
        headers=tenant.auth(Role.viewer),
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def values(points: list[dict[str, Any]]) -> dict[datetime, Decimal | None]:
    return {
        datetime.fromisoformat(p["period"]): None if p["value"] is None else Decimal(p["value"])
        for p in points
    }


def total(points: list[dict[str, Any]]) -> Decimal:
    return sum((v for v in values(points).values() if v is not None), Decimal(0))


async def test_day_reads_from_rollups_agree_with_hourly_points_for_every_aggregation(
    client, tenant: Tenant, session
):
    ctx = await setup(client, tenant, session)
    cid = ctx["campaign"]["id"]
    for key, aggregation in (("queue_peak", "max"), ("followers", "last"), ("rating", "average")):
        created = await client.post(
            "/v1/metrics",
            headers=tenant.auth(),
            json={"key": key, "name": key, "unit": "count", "aggregation": aggregation},
        )
        assert created.status_code == 201, created.text
    # Two local days (Shanghai), a few hours each, on both channels; values differ per hour.
    first_day = (utcnow() - timedelta(days=3)).astimezone(SHANGHAI).date()
    hours = [
        datetime.combine(first_day + timedelta(days=d), time(h), tzinfo=SHANGHAI)
        for d in (0, 1)
        for h in (0, 7, 23)
    ]
    points = [
        {"channel": channel, "metric": metric, "ts": hour.isoformat(), "value": value}
        for i, hour in enumerate(hours)
        for channel, scale in (("social_feed", 1), ("offline_store", 3))
        for metric, value in (
            ("clicks", 10 * (i + 1) * scale),
            ("impressions", 1000 * scale),
            ("queue_peak", (7 * i) % 5 + scale),
            ("followers", 100 + i * scale),
            ("rating", (i % 3) + scale),
        )
    ]
    entered = await client.post(
        f"/v1/campaigns/{cid}/metric-points", json={"points": points}, headers=tenant.auth()
    )
    assert entered.status_code == 201, entered.text
    # An increment on top of a set value changes the day too.
    more = [{"channel": "social_feed", "metric": "clicks", "ts": hours[1].isoformat(),
             "value": 5, "mode": "increment"}]  # fmt: skip
    await client.post(f"/v1/campaigns/{cid}/metric-points", json={"points": more},
                      headers=tenant.auth())  # fmt: skip

    def expected(metric: str, channel: str | None, day: int) -> Decimal:
        by_hour: dict[tuple[str, str], Decimal] = {
            (str(p["channel"]), str(p["ts"])): Decimal(str(p["value"]))
            for p in points
            if p["metric"] == metric
        }
        if metric == "clicks":
            by_hour[("social_feed", hours[1].isoformat())] += 5
        wanted = [
            (channel_, ts)
            for channel_, ts in sorted(by_hour, key=lambda k: k[1])
            if (channel is None or channel_ == channel)
            and datetime.fromisoformat(ts).date() == first_day + timedelta(days=day)
        ]
        figures = [by_hour[k] for k in wanted]
        if metric == "queue_peak":
            return max(figures)
        if metric == "followers":  # a gauge: each channel's latest, added up
            latest = {channel_: by_hour[(channel_, ts)] for channel_, ts in wanted}
            return sum(latest.values(), Decimal(0))
        if metric == "rating":
            return sum(figures, Decimal(0)) / len(figures)
        return sum(figures, Decimal(0))

    midnights = [datetime.combine(first_day + timedelta(days=d), time(0), SHANGHAI) for d in (0, 1)]
    for metric in ("clicks", "queue_peak", "followers", "rating"):
        daily = await series(client, tenant, cid, metric, granularity="day")
        assert values(daily["total"]) == {
            midnights[d]: expected(metric, None, d) for d in (0, 1)
        }, metric
        assert values(daily["channels"]["offline_store"]) == {
            midnights[d]: expected(metric, "offline_store", d) for d in (0, 1)
        }, metric

    # A window that cuts a day is read from the hours, and still agrees.
    cut = await series(
        client, tenant, cid, "clicks", granularity="day",
        **{"from": hours[1].isoformat(), "to": hours[4].isoformat()},
    )  # fmt: skip
    social, store = Decimal(10 * 2 + 5 + 10 * 3 + 10 * 4), Decimal(3 * (10 * 2 + 10 * 3 + 10 * 4))
    assert total(cut["total"]) == social + store

    # CTR per day from the rollups: that day's clicks over its impressions.
    ctr = values((await series(client, tenant, cid, "ctr", granularity="day"))["total"])
    assert ctr[midnights[0]] == expected("clicks", None, 0) / Decimal(3 * 4000)

    month = await series(client, tenant, cid, "clicks", granularity="month")
    assert total(month["total"]) == sum((expected("clicks", None, d) for d in (0, 1)), Decimal(0))


async def test_batches_applied_at_the_same_time_both_count_in_the_day(
    client, tenant: Tenant, session, runtime
):
    ctx = await setup(client, tenant, session)
    cid = uuid.UUID(ctx["campaign"]["id"])
    day = (utcnow() - timedelta(days=1)).astimezone(SHANGHAI).date()
    batch_ids = []
    for hour in (8, 9, 10):
        point = {
            "campaign": str(cid),
            "channel": "social_feed",
            "metric": "clicks",
            "ts": datetime.combine(day, time(hour), SHANGHAI).isoformat(),
            "value": hour,
        }
        batch = IngestBatch(
            workspace_id=tenant.workspace_id,
            integration_id=None,
            webhook_id=f"manual:{uuid.uuid4()}",
            status=BatchStatus.received,
            points=[point],
            point_count=1,
        )
        session.add(batch)
        await session.flush()
        batch_ids.append(batch.id)
    await session.commit()

    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
        await apply.apply_batch(work, batch_id=batch_ids.pop(0), now=utcnow())  # the day exists
    first_applied, second_waiting = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            await apply.apply_batch(work, batch_id=batch_ids[0], now=utcnow())
            first_applied.set()
            await second_waiting.wait()
            await wait_until_a_query_waits_on_a_lock(runtime.engine)  # on the day's row

    async def second() -> None:
        await first_applied.wait()
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            second_waiting.set()
            await apply.apply_batch(work, batch_id=batch_ids[1], now=utcnow())

    await asyncio.gather(first(), second())
    row = await session.scalar(select(MetricDay).where(MetricDay.campaign_id == cid))
    assert row is not None
    assert (row.day, row.total, row.samples) == (day, Decimal(8 + 9 + 10), 3)


async def test_hourly_series_read_the_points_inside_a_bounded_window(
    client, tenant: Tenant, session
):
    ctx = await setup(client, tenant, session)
    cid = ctx["campaign"]["id"]
    hour = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=5)
    points = [
        {
            "channel": "social_feed",
            "metric": "clicks",
            "ts": (hour + timedelta(hours=h)).isoformat(),
            "value": 10 + h,
        }
        for h in range(3)
    ]
    entered = await client.post(
        f"/v1/campaigns/{cid}/metric-points", json={"points": points}, headers=tenant.auth()
    )
    assert entered.status_code == 201, entered.text
    window = {"from": (hour - timedelta(days=1)).isoformat(), "to": utcnow().isoformat()}
    hourly = await series(client, tenant, cid, "clicks", granularity="hour", **window)
    assert values(hourly["total"]) == {hour + timedelta(hours=h): Decimal(10 + h) for h in range(3)}

    for params, field in (
        ({}, "from"),
        ({"from": window["from"], "to": (hour + timedelta(days=40)).isoformat()}, "to"),
    ):
        refused = await client.get(
            f"/v1/campaigns/{cid}/series",
            params={"metric": "clicks", "granularity": "hour", **params},
            headers=tenant.auth(),
        )
        problem = assert_problem(refused, 422)
        assert [e["field"] for e in problem["errors"]] == [field]
