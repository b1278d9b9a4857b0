"""The minute sweep's last run on /metrics/cluster: from the cron's start until the last
of its chunk jobs is done, whichever workers ran them."""

import time

import pytest

from tests.telemetry.conftest import value
from tests.worker.test_alerts import overdue_campaign

pytestmark = pytest.mark.committed

SWEEP = {"sweep": "watch_active_campaigns"}


async def test_the_sweep_is_timed_until_its_last_chunk_is_done(
    cluster_app, client, tenant, session, run_worker, runtime
):
    await overdue_campaign(client, tenant, session)
    await runtime.redis.enqueue_job(
        "watch_active_campaigns", _queue_name=runtime.settings.queue_name
    )
    before = time.time()
    await run_worker()  # the cron's job, then the chunk job it enqueued
    after = time.time()

    text = (await client.get("/metrics/cluster")).text
    seconds = value(text, "campaignops_sweep_last_duration_seconds", **SWEEP)
    finished = value(text, "campaignops_sweep_last_finished_timestamp_seconds", **SWEEP)
    assert seconds is not None
    assert finished is not None
    assert before <= finished <= after
    assert seconds <= after - before
    # Not the enqueueing alone: the run covers the chunk job that evaluated the campaigns.
    chunk = value(text, "campaignops_job_duration_seconds_sum", function="watch_campaigns")
    enqueue = value(text, "campaignops_job_duration_seconds_sum", function="watch_active_campaigns")
    assert chunk is not None
    assert enqueue is not None
    assert seconds >= chunk
    assert seconds >= enqueue


async def test_a_sweep_with_no_active_campaign_is_recorded_at_once(
    cluster_app, client, run_worker, runtime
):
    await runtime.redis.enqueue_job(
        "watch_active_campaigns", _queue_name=runtime.settings.queue_name
    )
    await run_worker()
    text = (await client.get("/metrics/cluster")).text
    assert value(text, "campaignops_sweep_last_duration_seconds", **SWEEP) == 0
