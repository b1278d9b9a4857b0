"""A real arq worker on the real Redis: jobs go out after commit, run once, are measured."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.worker.settings import CRON_JOBS, FUNCTIONS
from shared import jobs
from shared.actor import Role
from shared.db import unit_of_work
from shared.idempotency.models import IdempotentResponse
from shared.telemetry import job_metrics
from shared.timeutil import utcnow
from tests.helpers import Tenant

pytestmark = pytest.mark.committed


async def store_responses(sessionmaker, tenant: Tenant, *, expired: int, fresh: int) -> None:
    async with sessionmaker() as session, session.begin():
        for i in range(expired + fresh):
            session.add(
                IdempotentResponse(
                    api_key_id=tenant.key_ids[Role.admin],
                    key=f"k{i}",
                    workspace_id=tenant.workspace_id,
                    fingerprint=b"0" * 32,
                    status_code=201,
                    headers={},
                    body=b"{}",
                    expires_at=utcnow()
                    + (timedelta(hours=-1) if i < expired else timedelta(hours=1)),
                )
            )


async def stored_keys(sessionmaker) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(IdempotentResponse)))


async def queued(runtime) -> int:
    return int(await runtime.redis.zcard(runtime.settings.queue_name))


async def test_housekeeping_prunes_expired_keys_end_to_end(runtime, tenant, run_worker):
    await store_responses(runtime.sessionmaker, tenant, expired=3, fresh=2)
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
        jobs.enqueue(session, "prune_idempotency_keys")
        assert await queued(runtime) == 0  # nothing leaves before the commit
    assert await queued(runtime) == 1

    worker = await run_worker()

    assert worker.jobs_complete == 1
    assert worker.jobs_failed == 0
    assert await stored_keys(runtime.sessionmaker) == 2
    assert await queued(runtime) == 0


async def test_a_rolled_back_transaction_sends_no_job(runtime):
    async def failing_request() -> None:
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
            jobs.enqueue(session, "prune_idempotency_keys")
            raise RuntimeError("the request failed")

    with pytest.raises(RuntimeError):
        await failing_request()
    assert await queued(runtime) == 0


async def test_job_payloads_are_json_not_pickle(runtime):
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
        jobs.enqueue(session, "prune_idempotency_keys", job_id="payload-check")
    raw = await runtime.redis.get("arq:job:payload-check")
    payload = json.loads(raw)
    assert payload["f"] == "prune_idempotency_keys"
    await runtime.redis.delete("arq:job:payload-check")
    await runtime.redis.zrem(runtime.settings.queue_name, "payload-check")


async def test_enqueue_refuses_non_json_arguments(runtime):
    async with runtime.sessionmaker() as session:
        with pytest.raises(TypeError):
            jobs.enqueue(session, "prune_idempotency_keys", when=object())


async def test_jobs_are_counted_and_timed_for_metrics(runtime, tenant, run_worker, client):
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
        jobs.enqueue(session, "prune_idempotency_keys")
    await run_worker()
    snapshot = await job_metrics.snapshot(runtime.redis, prefix=runtime.settings.redis_prefix)
    assert snapshot.counts[("prune_idempotency_keys", "succeeded")] == 1
    text = (await client.get("/metrics/cluster")).text
    assert (
        'campaignops_jobs_total{function="prune_idempotency_keys",status="succeeded"} 1.0' in text
    )
    assert 'campaignops_job_duration_seconds_count{function="prune_idempotency_keys"} 1.0' in text


async def test_worker_beats_while_running_and_forgets_on_exit(
    runtime, settings, run_worker, client
):
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
        jobs.enqueue(session, "prune_idempotency_keys")
    beats: list[int] = []

    async def probe(ctx):  # runs inside the worker, after startup
        beats.append((await client.get("/readyz")).status_code)

    await run_worker(on_job_start=probe)
    assert beats == [200]
    after = await client.get("/readyz")
    assert after.status_code == 503  # the worker left: its heartbeat went with it


def test_registry_lists_every_job_and_cron():
    assert [f.__name__ for f in FUNCTIONS] == [
        "prune_idempotency_keys",
        "ensure_metric_partitions",
        "apply_retention",
        "apply_ingest_batch",
        "requeue_stuck_batches",
        "watch_campaign",
        "watch_active_campaigns",
        "watch_campaigns",
        "check_issue_response_sla",
        "check_issue_resolution_sla",
        "send_due_deliveries",
        "process_escalations",
        "warn_tasks_due_soon",
        "send_due_reports",
        "send_report",
        "refresh_knowledge",
        "index_campaign_knowledge",
        "refresh_channel_history",
        "total_campaign_channels",
    ]
    assert [c.name for c in CRON_JOBS] == [
        "cron:prune_idempotency_keys",
        "cron:ensure_metric_partitions",
        "cron:apply_retention",
        "cron:requeue_stuck_batches",
        "cron:watch_active_campaigns",
        "cron:check_issue_response_sla",
        "cron:check_issue_resolution_sla",
        "cron:send_due_deliveries",
        "cron:process_escalations",
        "cron:warn_tasks_due_soon",
        "cron:send_due_reports",
        "cron:refresh_knowledge",
        "cron:refresh_channel_history",
    ]
