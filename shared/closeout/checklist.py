"""What still stands between a completed campaign and its archive: the manuals' close-out
(evaluation final, settlement signed off, no problem left open, no work left undone, a
retrospective written) and, as a warning, late data still accepted."""

import uuid
from datetime import datetime

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shared.campaigns.models import Campaign, CampaignStatus
from shared.campaigns.readiness import Finding, Readiness
from shared.evaluations import service as evaluations
from shared.ingestion.apply import LATE_WINDOW
from shared.issues.models import AWAITING_WORK, Issue, IssueSource
from shared.retrospectives import service as retrospectives
from shared.settlements import service as settlements
from shared.tasks.models import FINISHED, Task

# Beyond this many open issues or unfinished tasks, the list ends with a count: the
# checklist is read by a person, and the full lists have their own endpoints.
LISTED = 20


def late_data_until(campaign: Campaign) -> datetime | None:
    """Until when late figures for a completed campaign are still taken in."""
    if campaign.status != CampaignStatus.completed or campaign.completed_at is None:
        return None
    return campaign.completed_at + LATE_WINDOW


async def _open_issues(session: AsyncSession, campaign: Campaign) -> list[Issue]:
    """Problems of the campaign still being worked on. A retrospective's follow-up is work
    for after the campaign: it does not hold the archive."""
    rows = await session.scalars(
        select(Issue)
        .where(
            Issue.campaign_id == campaign.id,
            Issue.status.in_(AWAITING_WORK),
            Issue.source != IssueSource.retrospective,
        )
        .order_by(Issue.opened_at, Issue.id)
    )
    return list(rows)


async def _unfinished_work(session: AsyncSession, campaign: Campaign) -> list[Task]:
    """Tasks still to do. A parent with children is finished when they are: its own
    status is not kept up to date, so only childless tasks count."""
    child = aliased(Task)
    rows = await session.scalars(
        select(Task)
        .where(
            Task.campaign_id == campaign.id,
            Task.status.not_in(FINISHED),
            ~exists().where(and_(child.parent_id == Task.id)),
        )
        .order_by(Task.code)
    )
    return list(rows)


def _listed(
    findings: list[Finding], code: str, what: str, items: list[tuple[str, uuid.UUID, str]]
) -> None:
    for label, item_id, kind in items[:LISTED]:
        findings.append(Finding(code, f"{what}: {label}", f"{kind}/{item_id}"))
    if len(items) > LISTED:
        findings.append(Finding(code, f"...and {len(items) - LISTED} more ({what.lower()})."))


async def assess(session: AsyncSession, *, campaign: Campaign, now: datetime) -> Readiness:
    result = Readiness()
    block, warn = result.blockers.append, result.warnings.append
    if campaign.status != CampaignStatus.completed:
        block(
            Finding(
                "not_completed",
                f"The campaign is {campaign.status.value}; only a completed campaign is archived.",
            )
        )

    final = await evaluations.final_version(session, campaign=campaign)
    if final is None:
        block(Finding("evaluation_not_final", "The evaluation has not been finalised."))
    elif await evaluations.has_unfinalised_changes(session, campaign=campaign):
        warn(
            Finding(
                "evaluation_has_draft_changes",
                f"The evaluation was edited after version {final}; finalise again to keep "
                "the correction.",
            )
        )
    if await settlements.signed_off_at(session, campaign=campaign) is None:
        block(
            Finding(
                "settlement_not_signed_off",
                "The expense settlement has not been settled and signed off by management.",
            )
        )

    issues = [
        (f"{issue.title} ({issue.status.value})", issue.id, "issues")
        for issue in await _open_issues(session, campaign)
    ]
    _listed(result.blockers, "open_issue", "Issue still open", issues)
    tasks = [
        (f"{task.code} {task.name} ({task.status.value})", task.id, "tasks")
        for task in await _unfinished_work(session, campaign)
    ]
    _listed(result.blockers, "task_not_finished", "Task neither done nor cancelled", tasks)

    if await retrospectives.item_count(session, campaign=campaign) == 0:
        block(Finding("retrospective_empty", "The retrospective has no item yet."))

    until = late_data_until(campaign)
    if until is not None and until > now:
        warn(
            Finding(
                "late_data_window_open",
                f"Late figures are still accepted until {until.isoformat()}; "
                "archiving closes the window and the evaluation may miss them.",
            )
        )
    return result
