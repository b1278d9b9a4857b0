"""The minute sweep's last run, timed by whichever worker ran it, on /metrics/cluster."""

import time

from arq.worker import func

from services.worker.settings import CRON_JOBS
from tests.telemetry.conftest import value


async def test_the_minute_sweep_reports_its_last_duration(cluster_app, client, run_worker, runtime):
    sweep = next(job for job in CRON_JOBS if job.name == "cron:watch_active_campaigns")
    # The cron entry's own coroutine, run as a job by a real worker.
    await runtime.redis.enqueue_job(
        "watch_active_campaigns", _queue_name=runtime.settings.queue_name
    )
    before = time.time()
    await run_worker(functions=[func(sweep.coroutine, name="watch_active_campaigns")])
    after = time.time()
    text = (await client.get("/metrics/cluster")).text
    labels = {"sweep": "watch_active_campaigns"}
    seconds = value(text, "campaignops_sweep_last_duration_seconds", **labels)
    assert seconds is not None
    assert 0 < seconds <= after - before
    finished = value(text, "campaignops_sweep_last_finished_timestamp_seconds", **labels)
    assert finished is not None
    assert before <= finished <= after
