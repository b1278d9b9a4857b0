"""Escalation timelines: what happened, with what each receiver answered, then the levels
still to come. An issue's timeline is its alert's, with the lines about its own overdue
resolution."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.escalations import service
from shared.escalations.levels import Upcoming
from shared.escalations.models import EscalationStep
from shared.escalations.schemas import StepOut
from shared.notifications.models import Delivery


async def steps(
    session: AsyncSession, *, alert_id: uuid.UUID | None, issue_id: uuid.UUID | None = None
) -> list[StepOut]:
    """The alert's escalation (none for an issue opened by hand), and the issue's lines."""
    done = await service.timeline(session, alert_id=alert_id) if alert_id else []
    if issue_id is not None:
        about_issue = await session.scalars(
            select(EscalationStep)
            .where(EscalationStep.issue_id == issue_id)
            .order_by(EscalationStep.at, EscalationStep.created_at)
        )
        done = sorted([*done, *about_issue], key=lambda s: (s.at, s.created_at))
    ids = [s.delivery_id for s in done if s.delivery_id]
    deliveries = {
        d.id: d for d in await session.scalars(select(Delivery).where(Delivery.id.in_(ids)))
    }

    def happened(step: EscalationStep) -> StepOut:
        delivery = deliveries.get(step.delivery_id) if step.delivery_id else None
        return StepOut(
            level=step.level + 1,
            round=step.round + 1,
            at=step.at,
            action=step.action,
            target=step.target,
            endpoint_id=step.endpoint_id,
            delivery_id=step.delivery_id,
            delivery_status=delivery.status.value if delivery else None,
            last_status_code=delivery.last_status_code if delivery else None,
            note=step.note,
            upcoming=False,
            trigger="alert" if step.issue_id is None else "resolution_overdue",
        )

    def waiting(level: Upcoming) -> StepOut:
        return StepOut(
            level=level.level + 1,
            round=level.round + 1,
            at=level.due_at,
            action="waiting",
            target=level.targets,
            endpoint_id=None,
            delivery_id=None,
            delivery_status=None,
            last_status_code=None,
            note=level.note,
            upcoming=True,
            trigger="alert",
        )

    ahead = await service.upcoming(session, alert_id=alert_id) if alert_id else []
    return [happened(s) for s in done] + [waiting(level) for level in ahead]
