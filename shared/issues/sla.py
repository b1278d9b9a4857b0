"""The issues' two deadlines per severity, and the watches that find them missed.

- Response: an action plan within the workspace's response time (24 hours by default);
  missed, the issue is marked `sla_breached_at` once, with an `issue.sla_breached` event.
- Resolution: resolved within the resolution time (the manuals' 48-hour emergency
  window by default); missed, the issue is marked `resolution_overdue_at` once, with an
  `issue.resolution_overdue` event, which the escalation policies act on.

Both deadlines count from the opening; a new setting applies to issues opened later, or
whose severity changes before the deadline was found missed.
"""

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from shared.events import kinds
from shared.events.service import record_event
from shared.issues.models import Issue, IssueResolutionTime, IssueResponseTime, Severity
from shared.issues.queries import resolution_overdue, response_overdue
from shared.tenancy import in_workspace

DEFAULT_RESPONSE_MINUTES = 24 * 60  # the manuals: a solution within 24 hours
DEFAULT_RESOLUTION_MINUTES = 48 * 60  # the manuals' emergency window: resolved within 48 hours

# --- response and resolution times --------------------------------------------------------

SlaTime = type[IssueResponseTime] | type[IssueResolutionTime]
_DEFAULTS: dict[SlaTime, int] = {
    IssueResponseTime: DEFAULT_RESPONSE_MINUTES,
    IssueResolutionTime: DEFAULT_RESOLUTION_MINUTES,
}


async def _sla_times(
    session: AsyncSession, model: SlaTime, workspace_id: uuid.UUID
) -> tuple[dict[Severity, int], list[Severity]]:
    rows = (await session.scalars(in_workspace(model, workspace_id))).all()
    configured = {row.severity: row.minutes for row in rows}
    minutes = {s: configured.get(s, _DEFAULTS[model]) for s in Severity}
    return minutes, [s for s in Severity if s not in configured]


async def _set_sla_times(
    session: AsyncSession,
    model: SlaTime,
    workspace_id: uuid.UUID,
    minutes: dict[Severity, int | None],
) -> None:
    query: Select[Any] = in_workspace(model, workspace_id).with_for_update()
    rows = {row.severity: row for row in (await session.scalars(query)).all()}
    for severity in Severity:
        wanted, row = minutes.get(severity), rows.get(severity)
        if wanted is None and row is not None:
            await session.delete(row)
        elif wanted is not None and row is None:
            session.add(model(workspace_id=workspace_id, severity=severity, minutes=wanted))
        elif wanted is not None and row is not None:
            row.minutes = wanted
    await session.flush()


async def _due(
    session: AsyncSession,
    model: SlaTime,
    workspace_id: uuid.UUID,
    severity: Severity,
    opened_at: datetime,
) -> datetime:
    minutes = await session.scalar(
        select(model.minutes).where(model.workspace_id == workspace_id, model.severity == severity)
    )
    return opened_at + timedelta(minutes=minutes or _DEFAULTS[model])


async def response_times(
    session: AsyncSession, *, workspace_id: uuid.UUID
) -> tuple[dict[Severity, int], list[Severity]]:
    """Minutes per severity to give an action plan, and which severities are on the default."""
    return await _sla_times(session, IssueResponseTime, workspace_id)


async def set_response_times(
    session: AsyncSession, *, workspace_id: uuid.UUID, minutes: dict[Severity, int | None]
) -> None:
    """Replace the workspace's settings: a severity given None goes back to the default.

    Issues already open keep the deadline they were given when they opened.
    """
    await _set_sla_times(session, IssueResponseTime, workspace_id, minutes)


async def resolution_times(
    session: AsyncSession, *, workspace_id: uuid.UUID
) -> tuple[dict[Severity, int], list[Severity]]:
    """Minutes per severity to resolve an issue, and which severities are on the default."""
    return await _sla_times(session, IssueResolutionTime, workspace_id)


async def set_resolution_times(
    session: AsyncSession, *, workspace_id: uuid.UUID, minutes: dict[Severity, int | None]
) -> None:
    """Like `set_response_times`, for the resolution deadline."""
    await _set_sla_times(session, IssueResolutionTime, workspace_id, minutes)


async def response_due(
    session: AsyncSession, workspace_id: uuid.UUID, severity: Severity, opened_at: datetime
) -> datetime:
    return await _due(session, IssueResponseTime, workspace_id, severity, opened_at)


async def resolution_due(
    session: AsyncSession, workspace_id: uuid.UUID, severity: Severity, opened_at: datetime
) -> datetime:
    return await _due(session, IssueResolutionTime, workspace_id, severity, opened_at)


# --- the watches ---------------------------------------------------------------------------

BREACH_BATCH = 500


async def _mark_missed(
    session: AsyncSession,
    *,
    missed: ColumnElement[bool],
    mark: InstrumentedAttribute[datetime | None],
    due: InstrumentedAttribute[datetime],
    kind: str,
    data: Callable[[Issue], dict[str, Any]],
    now: datetime,
    limit: int,
) -> list[Issue]:
    """Set `mark` to `now` on up to `limit` issues whose deadline is `missed` and not yet
    marked, the longest overdue first, with a `kind` event each.

    Once per issue with any number of workers: rows another transaction holds are skipped
    (SKIP LOCKED), and one it marked and committed no longer matches `mark IS NULL` when
    PostgreSQL rechecks it under the lock. Issues beyond `limit` are left for the next run.
    """
    overdue = (
        await session.scalars(
            select(Issue)
            .where(missed, mark.is_(None))
            .order_by(due)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for issue in overdue:
        setattr(issue, mark.key, now)
        await record_event(
            session,
            workspace_id=issue.workspace_id,
            kind=kind,
            subject_type="issue",
            subject_id=issue.id,
            campaign_id=issue.campaign_id,
            data=data(issue),
        )
    await session.flush()
    return list(overdue)


async def mark_response_breaches(
    session: AsyncSession, *, now: datetime, limit: int = BREACH_BATCH
) -> list[Issue]:
    """Record `sla_breached_at` on issues whose action plan is overdue, with an
    `issue.sla_breached` event each, in this transaction (once per issue)."""
    return await _mark_missed(
        session,
        missed=response_overdue(now),
        mark=Issue.sla_breached_at,
        due=Issue.response_due_at,
        kind=kinds.ISSUE_SLA_BREACHED,
        data=lambda issue: {
            "title": issue.title,
            "severity": issue.severity.value,
            "owner_id": str(issue.owner_id),
            "response_due_at": issue.response_due_at.isoformat(),
        },
        now=now,
        limit=limit,
    )


async def mark_resolution_overdue(
    session: AsyncSession, *, now: datetime, limit: int = BREACH_BATCH
) -> list[Issue]:
    """Record `resolution_overdue_at` on open or in-progress issues past their resolution
    time, with an `issue.resolution_overdue` event each, in this transaction (once per
    issue). The mark is never cleared, so a reopened issue is not announced again."""
    return await _mark_missed(
        session,
        missed=resolution_overdue(now),
        mark=Issue.resolution_overdue_at,
        due=Issue.resolution_due_at,
        kind=kinds.ISSUE_RESOLUTION_OVERDUE,
        data=lambda issue: {
            "title": issue.title,
            "severity": issue.severity.value,
            "status": issue.status.value,
            "owner_id": str(issue.owner_id),
            "alert_id": None if issue.alert_id is None else str(issue.alert_id),
            "progress": issue.progress,
            "opened_at": issue.opened_at.isoformat(),
            "resolution_due_at": issue.resolution_due_at.isoformat(),
        },
        now=now,
        limit=limit,
    )
