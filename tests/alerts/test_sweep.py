"""The minute sweep in chunks: every active campaign watched, each alert opened once."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from shared.actor import Role
from shared.alerts import service, state, sweep
from shared.alerts.models import Alert, AlertStatus
from shared.campaigns.models import Campaign, CampaignStatus
from shared.db import unit_of_work
from shared.tasks.models import Task, TaskStatus
from shared.timeutil import utcnow
from tests.helpers import Tenant
from tests.worker.test_alerts import add_goal, enter, overdue_campaign, rule
from tests.worker.test_ingestion import setup

pytestmark = pytest.mark.committed


async def test_the_sweep_fires_through_chunk_jobs_and_resolves(
    client, tenant: Tenant, session, runtime, run_worker
):
    cid, task = await overdue_campaign(client, tenant, session)
    await runtime.redis.enqueue_job(
        "watch_active_campaigns", _queue_name=runtime.settings.queue_name
    )
    await run_worker()
    [alert] = (await session.scalars(select(Alert).where(Alert.campaign_id == cid))).all()
    assert (alert.task_id, alert.status) == (task.id, AlertStatus.firing)

    await session.execute(update(Task).where(Task.id == task.id).values(status=TaskStatus.done))
    await session.commit()
    [chunk] = [c for c in await _chunks(runtime) if cid in c]
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
        [resolved] = await sweep.watch_campaigns(work, campaign_ids=chunk, now=utcnow())
    assert (resolved.id, resolved.status) == (alert.id, AlertStatus.resolved)


async def test_two_sweeps_at_once_open_one_alert(client, tenant: Tenant, session, runtime):
    cid, task = await overdue_campaign(client, tenant, session)

    async def sweep_once() -> list[Alert]:
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            return await sweep.watch_campaigns(work, campaign_ids=[cid], now=utcnow())

    await asyncio.gather(sweep_once(), sweep_once())
    [alert] = (await session.scalars(select(Alert).where(Alert.campaign_id == cid))).all()
    assert (alert.task_id, alert.status, alert.breaches) == (task.id, AlertStatus.firing, 2)


async def test_an_acknowledgement_during_a_sweep_is_not_overwritten(
    client, tenant: Tenant, session, runtime, monkeypatch
):
    """A breach counted again is one UPDATE for all of a campaign's alerts, checked
    against the version read under the evaluation's locks: a person acknowledging the
    alert in between wins, and the chunk's job fails and is tried again."""
    cid, _ = await overdue_campaign(client, tenant, session)

    async def sweep_once() -> list[Alert]:
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            return await sweep.watch_campaigns(work, campaign_ids=[cid], now=utcnow())

    await sweep_once()
    [alert] = (await session.scalars(select(Alert).where(Alert.campaign_id == cid))).all()
    assert (alert.status, alert.breaches) == (AlertStatus.firing, 1)
    read_under_lock = state.open_alerts

    async def acknowledged_meanwhile(*args, **kwargs):
        found = await read_under_lock(*args, **kwargs)
        answer = await client.post(
            f"/v1/alerts/{alert.id}/acknowledge",
            json={"comment": "on it"},
            headers=tenant.auth(Role.editor),
        )
        assert answer.status_code == 200, answer.text
        return found

    monkeypatch.setattr(state, "open_alerts", acknowledged_meanwhile)
    with pytest.raises(StaleDataError):
        await sweep_once()
    await session.refresh(alert)
    assert (alert.status, alert.breaches) == (AlertStatus.acknowledged, 1)

    monkeypatch.setattr(state, "open_alerts", read_under_lock)
    await sweep_once()  # the next look counts the breach on the acknowledged alert
    await session.refresh(alert)
    assert (alert.status, alert.breaches, alert.consecutive) == (AlertStatus.acknowledged, 2, 2)


async def _chunks(runtime) -> list[list[uuid.UUID]]:
    async with runtime.sessionmaker() as session:
        return await sweep.chunks(session)


async def test_a_chunk_read_together_finds_what_each_campaign_alone_would(
    client, tenant: Tenant, session
):
    """The sweep reads its chunk's windows and series in one query each (per workspace
    and time zone): each campaign's findings are those of reading its figures alone."""
    shanghai = (await setup(client, tenant, session))["campaign"]
    berlin = (
        await client.post(
            "/v1/campaigns",
            headers=tenant.auth(),
            json={"name": "Berlin launch", "kind": "promotion", "timezone": "Europe/Berlin"},
        )
    ).json()
    await client.put(
        f"/v1/campaigns/{berlin['id']}/channels",
        headers=tenant.auth(),
        json={"channel_keys": ["social_feed", "tv"]},
    )
    ids = [uuid.UUID(shanghai["id"]), uuid.UUID(berlin["id"])]
    await session.execute(
        update(Campaign).where(Campaign.id == ids[1]).values(status=CampaignStatus.active)
    )
    await session.commit()
    now = utcnow().replace(minute=30, second=0, microsecond=0)
    hour = now.replace(minute=0)
    channels = (("social_feed", "offline_store"), ("social_feed", "tv"))
    for n, (cid, attached) in enumerate(zip(ids, channels, strict=True), start=1):
        await add_goal(session, str(cid), "clicks", str(400 * n))
        points = [
            {"channel": ch, "metric": m, "ts": (hour - timedelta(hours=h)).isoformat(), "value": v}
            for ch in attached
            for h in range(1, 5)
            for m, v in (("impressions", 1000 * n + 100 * h), ("clicks", 10 * n + h * h))
        ] + [
            {"channel": "social_feed", "metric": m, "date": d.isoformat(), "value": v}
            for d, m, v in (
                (now.date() - timedelta(days=3), "impressions", 5000),
                (now.date() - timedelta(days=3), "clicks", 100 * n),
                (now.date() - timedelta(days=2), "impressions", 5000),
                (now.date() - timedelta(days=2), "clicks", 40),
            )
        ]
        await enter(client, tenant, str(cid), points)
    for condition, params, per_channel in (
        ("threshold", {"metric": "clicks", "op": ">", "value": "30", "window": "today"}, True),
        ("threshold", {"metric": "ctr", "op": "<", "value": "0.02", "window": "trailing",
                       "hours": 3}, False),
        ("below_target", {"metric": "clicks", "percent": "20"}, False),
        ("change", {"metric": "clicks", "percent": "30", "period": "day"}, True),
        ("change", {"metric": "impressions", "percent": "5", "period": "hour",
                    "direction": "any"}, True),
    ):  # fmt: skip
        await rule(client, tenant, condition=condition, params=params, per_channel=per_channel)

    campaigns = list(await session.scalars(select(Campaign).where(Campaign.id.in_(ids))))
    together = await sweep.watches(session, campaigns, now)
    states = set()
    for campaign in campaigns:
        alone = await service.watch_of(session, campaign, now)
        read_together = await service.findings_of(
            session, campaign=campaign, watch=together[campaign.id], now=now
        )
        read_alone = await service.findings_of(session, campaign=campaign, watch=alone, now=now)
        assert read_together == read_alone
        states |= {
            (rule.condition, f.state) for rule, findings in read_alone.evaluations for f in findings
        }
    # Worth comparing: breaches of every kind of read (a clear finding is not recorded).
    assert {c for c, s in states if s == "breached"} == {"threshold", "below_target", "change"}
