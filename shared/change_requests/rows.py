"""Bringing a campaign's plan rows to a snapshot, through the ORM.

The execution log's change tracking sees each field changed, in the applying transaction
and against whoever the session's actor is (the approver whose decision applies it).
"""

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns import plan
from shared.campaigns.models import (
    BudgetCategory,
    BudgetLine,
    Campaign,
    Direction,
    Goal,
    GoalType,
    TargetKind,
)
from shared.change_requests.plan_versions import Plan
from shared.change_requests.schemas import AddGoal, Change


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _uuid(value: str | None) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(value)


async def write(
    session: AsyncSession,
    campaign: Campaign,
    after: Plan,
    requested: Sequence[Change],
) -> None:
    """Bring the plan's rows to `after`, through the ORM: the execution log sees each field."""
    lines = {
        str(line.id): line
        for line in await plan.all_items(session, plan.BUDGET_LINES, campaign=campaign)
    }
    for terms in after["budget_lines"]:
        line = lines.get(terms["id"])
        amount = Decimal(terms["planned_amount"])
        if line is None:
            session.add(
                BudgetLine(
                    id=uuid.UUID(terms["id"]),
                    workspace_id=campaign.workspace_id,
                    campaign_id=campaign.id,
                    category=BudgetCategory(terms["category"]),
                    planned_amount=amount,
                    note=terms["note"],
                    channel_id=_uuid(terms["channel_id"]),
                    task_id=_uuid(terms["task_id"]),
                )
            )
        elif line.planned_amount != amount:
            line.planned_amount = amount
    goals = {
        str(goal.id): goal for goal in await plan.all_items(session, plan.GOALS, campaign=campaign)
    }
    notes = iter(c.notes for c in requested if isinstance(c, AddGoal))
    for terms in after["goals"]:
        goal = goals.get(terms["id"])
        if goal is None:
            session.add(
                Goal(
                    id=uuid.UUID(terms["id"]),
                    workspace_id=campaign.workspace_id,
                    campaign_id=campaign.id,
                    goal_type=GoalType(terms["goal_type"]),
                    strategy=terms["strategy"],
                    metric_key=terms["metric_key"],
                    target_kind=TargetKind(terms["target_kind"]),
                    target_value=_decimal(terms["target_value"]),
                    baseline_value=_decimal(terms["baseline_value"]),
                    direction=Direction(terms["direction"]),
                    owner_id=_uuid(terms["owner_id"]),
                    due_date=_day(terms["due_date"]),
                    notes=next(notes),
                )
            )
            continue
        if goal.target_value != _decimal(terms["target_value"]):
            goal.target_value = _decimal(terms["target_value"])
        if goal.due_date != _day(terms["due_date"]):
            goal.due_date = _day(terms["due_date"])
    if campaign.end_date != _day(after["end_date"]):
        campaign.end_date = _day(after["end_date"])
    await session.flush()
