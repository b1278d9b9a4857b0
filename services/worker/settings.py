"""arq WorkerSettings, built from our Settings and the explicit registry of jobs and crons.

`campaignops worker` runs them in `services.worker.resilient`, which outlives Redis
outages; `arq services.worker.settings.WorkerSettings` works too, but exits at the first
Redis error.
"""

from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.cron import CronJob

from services.worker.jobs import (
    alerts,
    channel_history,
    escalations,
    housekeeping,
    ingestion,
    issues,
    knowledge,
    notifications,
    reports,
    tasks,
)
from services.worker.runtime import JOB_TIMEOUT_SECONDS, on_shutdown, startup
from shared import jobs
from shared.config import Settings, get_settings

# Every job the worker runs. A job not listed here is refused by the worker.
FUNCTIONS = [
    housekeeping.prune_idempotency_keys,
    housekeeping.ensure_metric_partitions,
    housekeeping.apply_retention,
    ingestion.apply_ingest_batch,
    ingestion.requeue_stuck_batches,
    alerts.watch_campaign,
    alerts.watch_active_campaigns,
    alerts.watch_campaigns,
    issues.check_issue_response_sla,
    issues.check_issue_resolution_sla,
    notifications.send_due_deliveries,
    escalations.process_escalations,
    tasks.warn_tasks_due_soon,
    reports.send_due_reports,
    reports.send_report,
    knowledge.refresh_knowledge,
    knowledge.index_campaign_knowledge,
    channel_history.refresh_channel_history,
    channel_history.total_campaign_channels,
]

CRON_JOBS = [
    # Every worker schedules every cron; arq's fixed id per tick runs it once.
    cron(housekeeping.prune_idempotency_keys, minute={7, 37}, run_at_startup=False),
    # Months of hourly points made ahead; at startup too, before the worker's first batch.
    cron(housekeeping.ensure_metric_partitions, minute={3}, second={0}, run_at_startup=True),
    cron(housekeeping.apply_retention, minute={13, 43}, second={0}, run_at_startup=False),
    cron(ingestion.requeue_stuck_batches, second={30}, run_at_startup=False),
    cron(alerts.watch_active_campaigns, second={0}, run_at_startup=False),
    cron(issues.check_issue_response_sla, second={15}, run_at_startup=False),
    cron(issues.check_issue_resolution_sla, second={45}, run_at_startup=False),
    # The outbox's safety net: deliveries whose job was lost, retries coming due, and
    # those a killed worker had claimed. Each commit that owes one also enqueues a run.
    cron(
        notifications.send_due_deliveries,
        second={5, 15, 25, 35, 45, 55},
        run_at_startup=False,
    ),
    cron(escalations.process_escalations, second={2, 12, 22, 32, 42, 52}, run_at_startup=False),
    # Due-soon warnings go out from 09:00 campaign time: every 5 minutes is soon enough.
    cron(tasks.warn_tasks_due_soon, minute=set(range(0, 60, 5)), second={40}, run_at_startup=False),
    # Reports go out at their local time (17:00 daily, Monday 09:00 weekly): checked each minute.
    cron(reports.send_due_reports, second={20}, run_at_startup=False),
    # The knowledge base: campaigns changed since they were indexed, indexed again.
    cron(knowledge.refresh_knowledge, second={50}, run_at_startup=False),
    # The channel history: finished campaigns never totalled or changed since, totalled.
    cron(channel_history.refresh_channel_history, second={10}, run_at_startup=False),
]


def cron_jobs(settings: Settings) -> list[CronJob]:
    """CRON_JOBS, with the batch sweep at its configured pace (the fault suite needs
    seconds where a minute is enough in production)."""
    every = settings.ingest_requeue_every_seconds
    if every == 60:
        return CRON_JOBS
    sweep = cron(
        ingestion.requeue_stuck_batches, second=set(range(0, 60, every)), run_at_startup=False
    )
    return [sweep if job.name == sweep.name else job for job in CRON_JOBS]


def build_worker_settings(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `arq.Worker` (the same attributes WorkerSettings carries)."""
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL must be set; `campaignops dev` sets it for you.")
    return {
        "functions": FUNCTIONS,
        "cron_jobs": cron_jobs(settings),
        "on_startup": startup(settings),
        "on_shutdown": on_shutdown,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "queue_name": settings.queue_name,
        "job_serializer": jobs.serialize,
        "job_deserializer": jobs.deserialize,
        "poll_delay": settings.worker_poll_delay_seconds,
        "max_jobs": settings.worker_max_jobs,
        "job_timeout": JOB_TIMEOUT_SECONDS,
        "keep_result": 3600,
        "health_check_interval": 60,
    }


def __getattr__(name: str) -> Any:
    # Built on first access, not at import: importing this module reads no environment.
    if name == "WorkerSettings":
        return type("WorkerSettings", (), build_worker_settings(get_settings()))
    raise AttributeError(name)
