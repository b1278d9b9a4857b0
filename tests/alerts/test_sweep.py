"""The minute sweep in chunks: every active campaign watched, each alert opened once."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from shared.actor import Role
from shared.alerts import sweep
from shared.alerts.models import Alert, AlertStatus
from shared.campaigns.models import Level
from shared.db import unit_of_work
from shared.tasks.models import Task, TaskLevel, TaskStatus
from shared.timeutil import utcnow
from tests.helpers import Tenant
from tests.worker.test_alerts import campaign_with_owner, today

pytestmark = pytest.mark.committed


async def overdue_campaign(client, tenant: Tenant, session) -> tuple[uuid.UUID, Task]:
    ctx = await campaign_with_owner(client, tenant, session)
    cid = uuid.UUID(ctx["campaign"]["id"])
    task = Task(
        workspace_id=tenant.workspace_id,
        campaign_id=cid,
        code="M-003",
        name="Pop-up store opening",
        level=TaskLevel.task,
        owner_id=uuid.UUID(ctx["owner"]["id"]),
        planned_start=today() - timedelta(days=5),
        planned_end=today() - timedelta(days=2),
        priority=Level.high,
        status=TaskStatus.in_progress,
        progress=60,
        supporting_departments=[],
    )
    session.add(task)
    await session.commit()
    enabled = await client.post(
        "/v1/rules/templates/enable",
        json={"keys": ["overdue_high_priority_task"]},
        headers=tenant.auth(Role.editor),
    )
    assert enabled.status_code == 200, enabled.text
    return cid, task


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
