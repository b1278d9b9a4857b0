"""Reports on a rhythm: every minute, the reports due (17:00 daily, Monday 09:00 weekly,
campaign local) go out, each in a job and a transaction of its own."""

import uuid
from datetime import date

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.worker.runtime import WorkerRuntime, transactional
from shared import jobs
from shared.reports import service as reports
from shared.reports.schedule import ReportKind
from shared.timeutil import utcnow

logger = structlog.get_logger(__name__)


@transactional
async def send_due_reports(session: AsyncSession, runtime: WorkerRuntime) -> int:
    """One `send_report` job per report due and not sent; returns how many. The job id
    names the report, so a second worker's tick (or the next one, while it is queued)
    adds nothing; the run's unique key makes sending it twice impossible anyway."""
    owed = await reports.due_reports(session, now=utcnow())
    for item in owed:
        due = item.due
        jobs.enqueue(
            session,
            reports.SEND_JOB,
            job_id=f"report:{item.campaign_id}:{due.kind.value}:{due.period_start.isoformat()}",
            campaign_id=str(item.campaign_id),
            kind=due.kind.value,
            period_start=due.period_start.isoformat(),
        )
    return len(owed)


@transactional
async def send_report(
    session: AsyncSession, runtime: WorkerRuntime, campaign_id: str, kind: str, period_start: str
) -> bool:
    """Build, claim and record one report (its event fans out to the endpoints); False
    when it was sent already or is no longer due."""
    run = await reports.send_report(
        session,
        campaign_id=uuid.UUID(campaign_id),
        kind=ReportKind(kind),
        period_start=date.fromisoformat(period_start),
        now=utcnow(),
    )
    if run is not None:
        logger.info("report sent", campaign_id=campaign_id, kind=kind, period=run.period)
    return run is not None
