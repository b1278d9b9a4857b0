"""The worker's housekeeping crons, run by a real worker: months made ahead, and what is
past its retention removed."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from shared import jobs
from shared.db import unit_of_work
from shared.events.models import Event
from shared.figures import partitions
from shared.figures.partitions import Month
from shared.ingestion.models import BatchStatus, IngestBatch
from shared.timeutil import utcnow
from tests.figures_partitions.data import id_made_at

pytestmark = pytest.mark.committed


async def test_a_worker_makes_a_missing_month_ahead(runtime, run_worker):
    furthest = Month.of(utcnow()).plus(runtime.settings.metric_partitions_ahead_months)
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
        await session.execute(text(f"DROP TABLE {partitions.SCHEMA}.{furthest.table}"))
    async with runtime.sessionmaker() as session:
        assert furthest not in await partitions.existing(session)

    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
        jobs.enqueue(session, "ensure_metric_partitions")
    await run_worker()
    async with runtime.sessionmaker() as session:
        assert furthest in await partitions.existing(session)


async def test_retention_job_prunes_what_is_past_its_period(runtime, tenant, run_worker):
    settings = runtime.settings
    long_ago = utcnow() - timedelta(days=settings.event_retention_days + 1)
    lately = utcnow() - timedelta(days=1)
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
        for made, name in ((long_ago, "old"), (lately, "new")):
            session.add(
                IngestBatch(
                    id=id_made_at(made),
                    workspace_id=tenant.workspace_id,
                    webhook_id=name,
                    status=BatchStatus.applied,
                    points=[{"value": 1}],
                    point_count=1,
                )
            )
            session.add(
                Event(
                    id=id_made_at(made),
                    workspace_id=tenant.workspace_id,
                    kind=f"campaign.{name}",
                    subject_type="campaign",
                    subject_id=id_made_at(made),
                )
            )
        jobs.enqueue(session, "apply_retention")
    await run_worker()

    async with runtime.sessionmaker() as session:
        batches = dict(
            (await session.execute(select(IngestBatch.webhook_id, IngestBatch.points))).all()
        )
        assert batches == {"old": None, "new": [{"value": 1}]}
        kinds = await session.scalars(
            select(Event.kind).where(Event.workspace_id == tenant.workspace_id)
        )
        assert list(kinds) == ["campaign.new"]
