"""Signed batches through the API, the queue and a real worker into hourly figures."""

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, update

from shared import jobs
from shared.actor import Role
from shared.campaigns.models import (
    Campaign,
    CampaignStatus,
    Direction,
    Goal,
    GoalType,
    TargetKind,
)
from shared.db import unit_of_work
from shared.figures.models import MetricPoint
from shared.ingestion import apply
from shared.ingestion.models import IngestBatch
from shared.integrations import signing
from shared.timeutil import utcnow
from tests.helpers import Tenant, assert_problem

pytestmark = pytest.mark.committed


def signed(
    secret: str, body: bytes, *, message_id: str | None = None, age: timedelta = timedelta(0)
) -> dict[str, str]:
    message_id, sent = message_id or f"msg_{uuid.uuid4().hex}", utcnow() - age
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent.timestamp())),
        "webhook-signature": signing.sign(secret, message_id, sent, body),
    }


async def setup(client: httpx.AsyncClient, tenant: Tenant, session) -> dict[str, Any]:
    admin = tenant.auth()
    campaign = (
        await client.post(
            "/v1/campaigns",
            headers=admin,
            json={"name": "618 push", "kind": "promotion", "timezone": "Asia/Shanghai"},
        )
    ).json()
    for key, name in (
        ("social_feed", "Social feed"),
        ("offline_store", "Offline store"),
        ("tv", "Television"),
    ):
        await client.post("/v1/channels", json={"key": key, "name": name}, headers=admin)
    attached = await client.put(
        f"/v1/campaigns/{campaign['id']}/channels",
        headers=admin,
        json={"channel_keys": ["social_feed", "offline_store"]},
    )
    assert [c["key"] for c in attached.json()] == ["offline_store", "social_feed"]
    await session.execute(
        update(Campaign)
        .where(Campaign.id == uuid.UUID(campaign["id"]))
        .values(status=CampaignStatus.active, registration_number="CMP-2026-0042")
    )
    await session.commit()
    integration = (
        await client.post(
            "/v1/integrations", headers=admin, json={"name": "Ads", "kind": "ad_platform"}
        )
    ).json()
    return {"campaign": campaign, "integration": integration}


async def figures(session, campaign_id: str) -> dict[tuple[str, str], Decimal]:
    rows = await session.execute(
        select(MetricPoint.metric_key, MetricPoint.bucket, MetricPoint.value).where(
            MetricPoint.campaign_id == uuid.UUID(campaign_id)
        )
    )
    session.expire_all()
    return {(key, bucket.astimezone(UTC).isoformat()): value for key, bucket, value in rows}


async def test_a_batch_goes_from_webhook_to_hourly_figures_exactly_once(
    client, tenant: Tenant, session, run_worker, runtime
):
    ctx = await setup(client, tenant, session)
    url = f"/v1/ingest/{ctx['integration']['id']}"
    hour = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    points = [
        {
            "campaign": "CMP-2026-0042",
            "channel": "social_feed",
            "metric": "clicks",
            "ts": (hour + timedelta(minutes=10)).isoformat(),
            "value": 100,
        },
        {
            "campaign": ctx["campaign"]["id"],
            "channel": "social_feed",
            "metric": "clicks",
            "ts": (hour + timedelta(minutes=50)).isoformat(),
            "value": "50",
            "mode": "increment",
        },
        {
            "campaign": "CMP-2026-0042",
            "channel": "tv",
            "metric": "clicks",
            "ts": hour.isoformat(),
            "value": 1,
        },
        {
            "campaign": "CMP-2026-0042",
            "channel": "social_feed",
            "metric": "ctr",
            "ts": hour.isoformat(),
            "value": 0.1,
        },
        {
            "campaign": "CMP-2026-0042",
            "channel": "social_feed",
            "metric": "clicks",
            "ts": hour.isoformat(),
            "value": "NaN",
        },
        {
            "campaign": "CMP-2026-0042",
            "channel": "social_feed",
            "metric": "clicks",
            "ts": (hour - timedelta(days=31)).isoformat(),
            "value": 5,
        },
        {
            "campaign": "CMP-2099-0001",
            "channel": "social_feed",
            "metric": "clicks",
            "ts": hour.isoformat(),
            "value": 5,
        },
        {"campaign": "CMP-2026-0042", "channel": "social_feed", "metric": "clicks", "value": 5},
    ]
    body = json.dumps({"points": points}).encode()
    headers = signed(ctx["integration"]["secret"], body, message_id="msg_first")

    accepted = await client.post(url, content=body, headers=headers)
    assert accepted.status_code == 202, accepted.text
    batch_id = accepted.json()["batch_id"]
    assert accepted.json() == {
        "batch_id": batch_id,
        "status": "received",
        "points": 8,
        "duplicate": False,
    }
    assert await figures(session, ctx["campaign"]["id"]) == {}  # nothing applied yet

    again = await client.post(url, content=body, headers=headers)
    assert again.status_code == 202
    assert again.json()["batch_id"] == batch_id
    assert again.json()["duplicate"] is True

    worker = await run_worker()
    assert worker.jobs_failed == 0
    status = (await client.get(f"/v1/ingest/batches/{batch_id}", headers=tenant.auth())).json()
    assert status["status"] == "partially_applied"
    assert status["accepted_count"] == 2
    reasons = {r["index"]: r["reason"] for r in status["rejected"]}
    assert set(reasons) == {2, 3, 4, 5, 6, 7}
    assert "not attached" in reasons[2]
    assert "derived" in reasons[3]
    assert "finite" in reasons[4]
    assert "late-data window" in reasons[5]
    assert "unknown campaign" in reasons[6]
    assert "ts or date" in reasons[7]
    assert await figures(session, ctx["campaign"]["id"]) == {
        ("clicks", hour.isoformat()): Decimal("150.000000"),
    }

    # The job again (a retry, a second worker): nothing is applied twice.
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
        jobs.enqueue(work, "apply_ingest_batch", batch_id=batch_id)
    await run_worker()
    assert await figures(session, ctx["campaign"]["id"]) == {
        ("clicks", hour.isoformat()): Decimal("150.000000"),
    }
    count = await session.scalar(select(func.count()).select_from(IngestBatch))
    assert count == 1


async def test_unsigned_stale_or_forged_batches_are_401_and_not_stored(client, tenant, session):
    ctx = await setup(client, tenant, session)
    url = f"/v1/ingest/{ctx['integration']['id']}"
    body = b'{"points": [{"campaign": "x", "channel": "y", "metric": "z", "value": 1}]}'
    secret = ctx["integration"]["secret"]
    cases = [
        {"content-type": "application/json"},
        signed(secret, body, age=timedelta(minutes=6)),
        signed(signing.new_secret(), body),
        signed(secret, body) | {"webhook-signature": "v1,not base64"},
    ]
    for headers in cases:
        assert_problem(await client.post(url, content=body, headers=headers), 401)
    assert await session.scalar(select(func.count()).select_from(IngestBatch)) == 0
    unknown = await client.post(
        f"/v1/ingest/{uuid.uuid4()}", content=body, headers=signed(secret, body)
    )
    assert_problem(unknown, 404)


async def test_only_integer_timestamps_verify(client, tenant, session):
    ctx = await setup(client, tenant, session)
    url = f"/v1/ingest/{ctx['integration']['id']}"
    body = b'{"points": [{"campaign": "x", "channel": "y", "metric": "z", "value": 1}]}'
    headers = signed(ctx["integration"]["secret"], body)
    seconds = headers["webhook-timestamp"]
    for stamp in (f"{seconds}.5", f" {seconds}", f"{seconds} ", f"+{seconds}", f"{seconds}.0"):
        forged = headers | {"webhook-timestamp": stamp}
        assert_problem(await client.post(url, content=body, headers=forged), 401)
    assert await session.scalar(select(func.count()).select_from(IngestBatch)) == 0
    assert (await client.post(url, content=body, headers=headers)).status_code == 202


async def test_a_body_that_is_not_utf8_is_400(client, tenant, session):
    ctx = await setup(client, tenant, session)
    url = f"/v1/ingest/{ctx['integration']['id']}"
    body = b'{"points": [{"campaign": "\xff\xfe", "channel": "y", "metric": "z", "value": 1}]}'
    message_id, seconds = "msg_latin1", str(int(utcnow().timestamp()))
    key = base64.b64decode(ctx["integration"]["secret"].removeprefix("whsec_"))
    mac = hmac.new(key, f"{message_id}.{seconds}.".encode() + body, hashlib.sha256)
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": seconds,
        "webhook-signature": "v1," + base64.b64encode(mac.digest()).decode(),
    }
    problem = assert_problem(await client.post(url, content=body, headers=headers), 400)
    assert "UTF-8" in problem["detail"]


async def test_envelope_errors(client, tenant, session):
    ctx = await setup(client, tenant, session)
    url = f"/v1/ingest/{ctx['integration']['id']}"
    secret = ctx["integration"]["secret"]
    broken = b'{"points": ['
    assert_problem(await client.post(url, content=broken, headers=signed(secret, broken)), 400)
    empty = b'{"points": []}'
    assert_problem(await client.post(url, content=empty, headers=signed(secret, empty)), 422)
    text_body = b"points=1"
    wrong_type = signed(secret, text_body) | {"content-type": "text/plain"}
    assert_problem(await client.post(url, content=text_body, headers=wrong_type), 415)
    nul = json.dumps({"points": [{"campaign": "a\u0000"}]}).encode()
    assert_problem(await client.post(url, content=nul, headers=signed(secret, nul)), 422)
    too_many = json.dumps({"points": [{}] * 10_001}).encode()
    assert_problem(await client.post(url, content=too_many, headers=signed(secret, too_many)), 422)


async def test_lost_jobs_are_requeued_by_the_sweeper(client, tenant, session, run_worker, runtime):
    ctx = await setup(client, tenant, session)
    body = json.dumps(
        {
            "points": [
                {
                    "campaign": "CMP-2026-0042",
                    "channel": "offline_store",
                    "metric": "visitors",
                    "date": utcnow().date().isoformat(),
                    "value": 2000,
                }
            ]
        }
    ).encode()
    url = f"/v1/ingest/{ctx['integration']['id']}"
    accepted = await client.post(
        url, content=body, headers=signed(ctx["integration"]["secret"], body)
    )
    await runtime.redis.delete(runtime.settings.queue_name)  # Redis lost the job
    await session.execute(update(IngestBatch).values(created_at=utcnow() - timedelta(minutes=5)))
    await session.commit()
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
        jobs.enqueue(work, "requeue_stuck_batches")
    await run_worker()  # the sweep re-queues, the same burst applies it
    status = await client.get(
        f"/v1/ingest/batches/{accepted.json()['batch_id']}", headers=tenant.auth(Role.viewer)
    )
    assert status.json()["status"] == "applied"
    assert status.json()["accepted_count"] == 1


async def test_the_brief_daily_report_reads_back_with_rates_from_their_parts(
    client, tenant: Tenant, session, run_worker
):
    ctx = await setup(client, tenant, session)
    cid = ctx["campaign"]["id"]
    campaign_row = await session.get(Campaign, uuid.UUID(cid))
    assert campaign_row is not None
    session.add(
        Goal(
            workspace_id=campaign_row.workspace_id,
            campaign_id=uuid.UUID(cid),
            goal_type=GoalType.user_growth,
            metric_key="new_users",
            target_kind=TargetKind.absolute,
            target_value=Decimal(200),
            direction=Direction.higher_is_better,
        )
    )
    await session.commit()
    day = (utcnow() - timedelta(days=2)).astimezone(ZoneInfo("Asia/Shanghai")).date()
    report = {  # the brief's daily channel report, as counts
        "social_feed": {
            "impressions": 50_000,
            "clicks": 1_050,
            "conversions": 37,
            "new_users": 175,
            "gmv": 35_000,
        },
        "offline_store": {
            "impressions": 2_000,
            "conversions": 160,
            "new_users": 160,
            "gmv": 32_000,
        },
    }
    points = [
        {
            "campaign": "CMP-2026-0042",
            "channel": channel,
            "metric": metric,
            "date": day.isoformat(),
            "value": value,
        }
        for channel, figures_ in report.items()
        for metric, value in figures_.items()
    ]
    body = json.dumps({"points": points}).encode()
    url = f"/v1/ingest/{ctx['integration']['id']}"
    assert (
        await client.post(url, content=body, headers=signed(ctx["integration"]["secret"], body))
    ).status_code == 202
    await run_worker()

    series = (
        await client.get(
            f"/v1/campaigns/{cid}/series",
            params={"metric": "ctr", "granularity": "day"},
            headers=tenant.auth(Role.viewer),
        )
    ).json()
    local_midnight = datetime.combine(day, time(0), tzinfo=ZoneInfo("Asia/Shanghai"))
    assert len(series["total"]) == 1
    assert datetime.fromisoformat(series["total"][0]["period"]) == local_midnight
    # All channels together: 1,050 clicks over 52,000 impressions, not the mean of rates.
    assert Decimal(series["total"][0]["value"]) == Decimal(1050) / Decimal(52000)
    assert Decimal(series["channels"]["social_feed"][0]["value"]) == Decimal("0.021")
    assert series["channels"]["offline_store"][0]["value"] is None  # no clicks counted there

    gmv = (
        await client.get(
            f"/v1/campaigns/{cid}/series", params={"metric": "gmv"}, headers=tenant.auth()
        )
    ).json()
    assert Decimal(gmv["total"][0]["value"]) == 67_000
    unknown = await client.get(
        f"/v1/campaigns/{cid}/series", params={"metric": "likes"}, headers=tenant.auth()
    )
    assert_problem(unknown, 422)

    progress = (
        await client.get(f"/v1/campaigns/{cid}/goals/progress", headers=tenant.auth())
    ).json()
    assert len(progress) == 1
    assert Decimal(progress[0]["actual"]) == 335
    assert progress[0]["achievement_rate"] == "167.50"


async def test_a_worker_dying_mid_batch_leaves_it_to_be_applied_once(
    client, tenant: Tenant, session, run_worker, runtime
):
    ctx = await setup(client, tenant, session)
    hour = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    body = json.dumps(
        {
            "points": [
                {
                    "campaign": "CMP-2026-0042",
                    "channel": "social_feed",
                    "metric": "clicks",
                    "ts": hour.isoformat(),
                    "value": 7,
                    "mode": "increment",
                },
            ]
        }
    ).encode()
    url = f"/v1/ingest/{ctx['integration']['id']}"
    accepted = await client.post(
        url, content=body, headers=signed(ctx["integration"]["secret"], body)
    )
    batch_id = uuid.UUID(accepted.json()["batch_id"])

    class WorkerDied(Exception):
        pass

    async def die_after_applying() -> None:
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            outcome = await apply.apply_batch(work, batch_id=batch_id, now=utcnow())
            assert outcome.applied
            raise WorkerDied  # before the commit: as if the process was killed here

    with pytest.raises(WorkerDied):
        await die_after_applying()
    assert await figures(session, ctx["campaign"]["id"]) == {}
    await run_worker()  # the queued job runs on another worker
    await run_worker()
    assert await figures(session, ctx["campaign"]["id"]) == {
        ("clicks", hour.isoformat()): Decimal("7.000000"),
    }


async def test_figures_entered_by_hand(client, tenant: Tenant, session):
    ctx = await setup(client, tenant, session)
    cid = ctx["campaign"]["id"]
    url = f"/v1/campaigns/{cid}/metric-points"
    hour = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    points = [
        {"channel": "offline_store", "metric": "visitors", "ts": hour.isoformat(), "value": 500},
        {"channel": "offline_store", "metric": "visitors", "ts": hour.isoformat(), "value": "x"},
    ]
    refused = await client.post(url, json={"points": points}, headers=tenant.auth(Role.editor))
    problem = assert_problem(refused, 422)
    assert [e["field"] for e in problem["errors"]] == ["points.1"]
    assert await figures(session, cid) == {}  # nothing entered

    partial = await client.post(
        url, params={"partial": "true"}, json={"points": points}, headers=tenant.auth(Role.editor)
    )
    assert partial.status_code == 201, partial.text
    assert partial.json()["status"] == "partially_applied"
    assert partial.json()["accepted_count"] == 1
    assert partial.json()["integration_id"] is None
    assert [r["index"] for r in partial.json()["rejected"]] == [1]
    assert await figures(session, cid) == {("visitors", hour.isoformat()): Decimal("500.000000")}
    viewer = await client.post(url, json={"points": points[:1]}, headers=tenant.auth(Role.viewer))
    assert_problem(viewer, 403)


async def test_final_figures_after_completion_are_taken_inside_the_late_data_window(
    client, tenant: Tenant, session, run_worker
):
    ctx = await setup(client, tenant, session)
    url = f"/v1/ingest/{ctx['integration']['id']}"
    last_hour = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(days=1)

    async def send(status: CampaignStatus, completed_ago: timedelta | None) -> dict[str, Any]:
        completed_at = utcnow() - completed_ago if completed_ago is not None else None
        await session.execute(
            update(Campaign)
            .where(Campaign.id == uuid.UUID(ctx["campaign"]["id"]))
            .values(status=status, completed_at=completed_at)
        )
        await session.commit()
        point = {
            "campaign": "CMP-2026-0042",
            "channel": "social_feed",
            "metric": "gmv",
            "ts": last_hour.isoformat(),
            "value": 900,
        }
        body = json.dumps({"points": [point]}).encode()
        sent = await client.post(
            url, content=body, headers=signed(ctx["integration"]["secret"], body)
        )
        await run_worker()
        batch = await client.get(
            f"/v1/ingest/batches/{sent.json()['batch_id']}", headers=tenant.auth()
        )
        answer: dict[str, Any] = batch.json()
        return answer

    closed_yesterday = await send(CampaignStatus.completed, timedelta(hours=20))
    assert closed_yesterday["status"] == "applied"
    assert await figures(session, ctx["campaign"]["id"]) == {
        ("gmv", last_hour.isoformat()): Decimal("900.000000")
    }

    closed_long_ago = await send(CampaignStatus.completed, timedelta(days=31))
    assert closed_long_ago["status"] == "failed"
    assert closed_long_ago["accepted_count"] == 0
    assert "completed, not receiving data" in closed_long_ago["rejected"][0]["reason"]

    archived = await send(CampaignStatus.archived, timedelta(days=2))
    assert archived["status"] == "failed"
    assert "archived" in archived["rejected"][0]["reason"]
