"""Figures at the edge of what is stored, and batches that cannot be applied at all."""

import asyncio
import json
import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal, localcontext
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import jobs
from shared.actor import Role
from shared.campaigns.models import Direction, Goal, GoalType, TargetKind
from shared.config import Settings
from shared.db import unit_of_work
from shared.figures.models import MetricDay
from shared.figures.store import HOUR_TOO_LARGE
from shared.ingestion import apply
from shared.ingestion.models import BatchStatus, IngestBatch
from shared.timeutil import utcnow
from tests.helpers import Tenant, assert_problem
from tests.worker.test_ingestion import figures, setup, signed

pytestmark = pytest.mark.committed
SHANGHAI = ZoneInfo("Asia/Shanghai")
BIG = 600_000_000_000_000_000  # 6e17: two of them no longer fit in NUMERIC(24, 6)


async def send(client: httpx.AsyncClient, ctx: dict[str, Any], points: list[Any]) -> str:
    body = json.dumps({"points": points}).encode()
    url = f"/v1/ingest/{ctx['integration']['id']}"
    accepted = await client.post(
        url, content=body, headers=signed(ctx["integration"]["secret"], body)
    )
    assert accepted.status_code == 202, accepted.text
    batch_id: str = accepted.json()["batch_id"]
    return batch_id


async def batch_of(client: httpx.AsyncClient, tenant: Tenant, batch_id: str) -> dict[str, Any]:
    answer = await client.get(f"/v1/ingest/batches/{batch_id}", headers=tenant.auth(Role.viewer))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def point(hour: datetime, value: Any, mode: str = "set", **fields: Any) -> dict[str, Any]:
    return {
        "campaign": "CMP-2026-0042",
        "channel": "social_feed",
        "metric": "gmv",
        "ts": hour.isoformat(),
        "value": value,
        "mode": mode,
    } | fields


def local_hours(days_ago: int, *hours: int) -> list[datetime]:
    day = (utcnow() - timedelta(days=days_ago)).astimezone(SHANGHAI).date()
    return [datetime.combine(day, time(h), SHANGHAI) for h in hours]


async def test_a_point_that_would_overflow_its_hour_is_rejected_and_the_rest_apply(
    client, tenant: Tenant, session, run_worker
):
    ctx = await setup(client, tenant, session)
    cid = ctx["campaign"]["id"]
    ten, eleven = local_hours(1, 10, 11)
    batch_id = await send(
        client,
        ctx,
        [
            point(ten, BIG, "increment"),
            point(ten, BIG, "increment"),  # 1.2e18 in the hour: beyond the column
            point(eleven, 42, metric="clicks"),
        ],
    )
    worker = await run_worker()
    assert worker.jobs_failed == 0

    batch = await batch_of(client, tenant, batch_id)
    assert (batch["status"], batch["accepted_count"], batch["attempts"]) == (
        "partially_applied",
        2,
        1,
    )
    assert [r["index"] for r in batch["rejected"]] == [1]
    assert "hour's value would exceed 999999999999999999.999999" in batch["rejected"][0]["reason"]
    utc = {h: h.astimezone(ZoneInfo("UTC")).isoformat() for h in (ten, eleven)}
    stored = {("gmv", utc[ten]): Decimal(BIG), ("clicks", utc[eleven]): Decimal(42)}
    assert await figures(session, cid) == stored

    # The same hour again in a later batch: that point alone is refused, nothing is lost.
    again = await send(client, ctx, [point(ten, BIG, "increment")])
    await run_worker()
    refused = await batch_of(client, tenant, again)
    assert (refused["status"], refused["accepted_count"]) == ("failed", 0)
    assert "hour's value would exceed" in refused["rejected"][0]["reason"]
    assert await figures(session, cid) == stored


async def test_a_point_that_would_overflow_its_day_is_rejected_and_the_day_stays_exact(
    client, tenant: Tenant, session, run_worker
):
    ctx = await setup(client, tenant, session)
    cid = uuid.UUID(ctx["campaign"]["id"])
    nine, ten, eleven = local_hours(2, 9, 10, 11)
    batch_id = await send(
        client,
        ctx,
        [
            point(nine, BIG),
            point(ten, BIG),  # each hour fits; the day's total (1.2e18) would not
            point(eleven, 1000),  # fine: the refused point is not counted in the day
            point(eleven, "-999999999999999999.9999996"),  # rounds to -1e18: beyond the column
        ],
    )
    worker = await run_worker()
    assert worker.jobs_failed == 0

    batch = await batch_of(client, tenant, batch_id)
    assert (batch["status"], batch["accepted_count"]) == ("partially_applied", 2)
    reasons = {r["index"]: r["reason"] for r in batch["rejected"]}
    assert set(reasons) == {1, 3}
    assert "day's total would exceed 999999999999999999.999999" in reasons[1]
    assert "999999999999999999.999999" in reasons[3]
    day = await session.scalar(select(MetricDay).where(MetricDay.campaign_id == cid))
    assert day is not None
    assert (day.total, day.samples, day.maximum) == (Decimal(BIG + 1000), 2, Decimal(BIG))


async def test_entries_by_hand_that_would_overflow_are_422_naming_the_point(
    client, tenant: Tenant, session
):
    ctx = await setup(client, tenant, session)
    cid = ctx["campaign"]["id"]
    url = f"/v1/campaigns/{cid}/metric-points"
    ten, eleven = local_hours(1, 10, 11)
    points = [
        {"channel": "social_feed", "metric": "gmv", "ts": h.isoformat(), "value": BIG}
        for h in (ten, eleven)
    ]
    refused = await client.post(url, json={"points": points}, headers=tenant.auth(Role.editor))
    problem = assert_problem(refused, 422)
    assert [e["field"] for e in problem["errors"]] == ["points.1"]
    assert "day's total would exceed" in problem["errors"][0]["detail"]
    assert await figures(session, cid) == {}

    partial = await client.post(
        url, params={"partial": "true"}, json={"points": points}, headers=tenant.auth(Role.editor)
    )
    assert partial.status_code == 201, partial.text
    assert (partial.json()["status"], partial.json()["accepted_count"]) == ("partially_applied", 1)
    more = [points[0] | {"mode": "increment"}]
    on_top = await client.post(url, json={"points": more}, headers=tenant.auth(Role.editor))
    assert "hour's value would exceed" in assert_problem(on_top, 422)["errors"][0]["detail"]


async def test_goal_progress_reads_figures_far_beyond_the_target(client, tenant: Tenant, session):
    """A lift over a tiny baseline is a number with many digits, not a 500."""
    ctx = await setup(client, tenant, session)
    cid = ctx["campaign"]["id"]
    nine = local_hours(3, 9)[0]
    largest = {"channel": "social_feed", "metric": "gmv", "ts": nine.isoformat(),
               "value": "999999999999999999.999999"}  # fmt: skip
    entered = await client.post(
        f"/v1/campaigns/{cid}/metric-points", json={"points": [largest]}, headers=tenant.auth()
    )
    assert entered.status_code == 201, entered.text
    session.add(
        Goal(
            workspace_id=tenant.workspace_id,
            campaign_id=uuid.UUID(cid),
            goal_type=GoalType.sales_conversion,
            metric_key="gmv",
            target_kind=TargetKind.relative_lift,
            target_value=Decimal("0.5"),
            baseline_value=Decimal("0.0001"),
            direction=Direction.higher_is_better,
        )
    )
    await session.commit()
    answer = await client.get(f"/v1/campaigns/{cid}/goals/progress", headers=tenant.auth())
    assert answer.status_code == 200, answer.text
    (progress,) = answer.json()
    with localcontext(prec=60):  # the figures below need more than the default 28 digits
        lift = (Decimal("999999999999999999.999999") - Decimal("0.0001")) / Decimal("0.0001")
        assert Decimal(progress["lift_percent"]) == (lift * 100).quantize(Decimal("0.01"))
        assert Decimal(progress["achievement_rate"]) == lift * 100 / Decimal("0.5") * 100


async def test_a_batch_that_keeps_failing_ends_failed_and_is_not_retried_again(
    client, tenant: Tenant, session, run_worker, runtime, engine, settings: Settings
):
    ctx = await setup(client, tenant, session)
    cid = ctx["campaign"]["id"]
    name = f"refuse_{uuid.uuid4().hex[:8]}"
    async with engine.begin() as connection:
        for statement in (
            f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.campaign_id = '{cid}' THEN
                    RAISE EXCEPTION 'could not extend file: No space left on device';
                END IF;
                RETURN NEW;
            END $$""",
            f"CREATE TRIGGER {name} BEFORE INSERT ON metric_points "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()",
        ):
            await connection.execute(text(statement))
    try:
        ten = local_hours(1, 10)[0]
        batch_id = await send(client, ctx, [point(ten, 5)])
        await session.execute(
            update(IngestBatch)
            .where(IngestBatch.id == uuid.UUID(batch_id))
            .values(created_at=utcnow() - timedelta(minutes=5))  # the sweeper's business
        )
        await session.commit()

        async def sweep() -> Any:
            async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
                jobs.enqueue(work, "requeue_stuck_batches")
            return await run_worker()

        limit = settings.ingest_max_attempts
        assert limit >= 2
        worker = await run_worker()  # the job queued on receipt
        for attempt in range(1, limit + 1):
            assert worker.jobs_failed == 1
            batch = await batch_of(client, tenant, batch_id)
            assert batch["attempts"] == attempt
            assert "No space left on device" in batch["last_error"]
            assert batch["status"] == ("failed" if attempt == limit else "received")
            assert batch["accepted_count"] is None
            if attempt < limit:
                worker = await sweep()

        after = await sweep()
        assert (after.jobs_complete, after.jobs_failed) == (1, 0)  # the sweep alone
        batch = await batch_of(client, tenant, batch_id)
        assert (batch["status"], batch["attempts"]) == ("failed", limit)
        assert await figures(session, cid) == {}
        schema = (await client.get("/openapi.json")).json()["components"]["schemas"]
        assert {"attempts", "last_error"} <= set(schema["IngestBatchOut"]["properties"])
    finally:
        await session.rollback()  # its reads hold metric_points against the DROP
        async with engine.begin() as connection:
            await connection.execute(text(f"DROP TRIGGER IF EXISTS {name} ON metric_points"))
            await connection.execute(text(f"DROP FUNCTION IF EXISTS {name}()"))


async def wait_for_lock_waiter(engine: AsyncEngine, within: float = 10.0) -> None:
    """Until some session of this database waits for a row lock (the deadline fails it)."""
    deadline = asyncio.get_running_loop().time() + within
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    while True:
        async with engine.connect() as connection:
            if await connection.scalar(query):
                return
        assert asyncio.get_running_loop().time() < deadline, "no session waits for the lock"
        await asyncio.sleep(0.01)


async def test_two_batches_filling_the_same_hour_at_once_refuse_the_point_that_no_longer_fits(
    client, tenant: Tenant, session, runtime, engine
):
    ctx = await setup(client, tenant, session)
    cid = ctx["campaign"]["id"]
    ten = local_hours(1, 10)[0]
    batches = []
    for _ in range(2):
        batch = IngestBatch(
            workspace_id=tenant.workspace_id,
            integration_id=None,
            webhook_id=f"manual:{uuid.uuid4()}",
            status=BatchStatus.received,
            points=[point(ten, BIG, "increment", campaign=cid)],
            point_count=1,
        )
        session.add(batch)
        await session.flush()
        batches.append(batch.id)
    await session.commit()
    first_applied = asyncio.Event()

    async def first() -> apply.Outcome:
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            outcome = await apply.apply_batch(work, batch_id=batches[0], now=utcnow())
            first_applied.set()
            await wait_for_lock_waiter(engine)  # the second batch waits for this day
        return outcome

    async def second() -> apply.Outcome:
        await first_applied.wait()
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            return await apply.apply_batch(work, batch_id=batches[1], now=utcnow())

    one, other = await asyncio.gather(first(), second())
    assert (one.accepted, one.rejected) == (1, [])
    assert other.accepted == 0
    assert [r["reason"] for r in other.rejected] == [HOUR_TOO_LARGE]
    utc_ten = ten.astimezone(ZoneInfo("UTC")).isoformat()
    assert await figures(session, cid) == {("gmv", utc_ten): Decimal(BIG)}
    day = await session.scalar(select(MetricDay).where(MetricDay.campaign_id == uuid.UUID(cid)))
    assert day is not None
    assert (day.total, day.samples) == (Decimal(BIG), 1)
