"""The minute sweep in chunks: every active campaign watched, each alert opened once."""

import asyncio
import uuid

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from shared.actor import Role
from shared.alerts import state, sweep
from shared.alerts.models import Alert, AlertStatus
from shared.db import unit_of_work
from shared.tasks.models import Task, TaskStatus
from shared.timeutil import utcnow
from tests.helpers import Tenant
from tests.worker.test_alerts import overdue_campaign

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
