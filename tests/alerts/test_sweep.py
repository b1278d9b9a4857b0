"""The minute sweep in chunks: every active campaign watched, each alert opened once."""

import asyncio
import uuid

import pytest
from sqlalchemy import select, update

from shared.alerts import sweep
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


async def _chunks(runtime) -> list[list[uuid.UUID]]:
    async with runtime.sessionmaker() as session:
        return await sweep.chunks(session)
