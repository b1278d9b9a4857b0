"""The plan's versions: the approved baseline (1), then one per applied change request.

A plan here is its dates, goals and budget lines, as a JSON snapshot (`Plan`). While an
active campaign has no stored version, its live plan IS the baseline (the plan of an
approved campaign cannot change but through a change request), so version 1 is stored
only when the first change request applies, right before the changes.
"""

import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns import plan
from shared.campaigns.models import BudgetCategory, BudgetLine, Campaign, CampaignStatus, Goal
from shared.change_requests.models import PlanVersion
from shared.errors import NotFound
from shared.figures.channels import channel_keys
from shared.tenancy import in_workspace

Plan = dict[str, Any]  # {"start_date", "end_date", "goals": [...], "budget_lines": [...]}

GOAL_FIELDS = (
    "goal_type",
    "metric_key",
    "strategy",
    "target_kind",
    "target_value",
    "baseline_value",
    "direction",
    "owner_id",
    "due_date",
)
# A line's channel is stored by id and shown by key (as the API names channels).
BUDGET_LINE_FIELDS = ("category", "channel_key", "task_id", "planned_amount", "note")
ZERO = Decimal("0.00")

# Statuses whose plan has been approved and has not been reopened since.
_APPROVED = frozenset(
    {
        CampaignStatus.approved,
        CampaignStatus.active,
        CampaignStatus.completed,
        CampaignStatus.archived,
    }
)


def as_json(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def goal_terms(goal: Goal) -> dict[str, Any]:
    return {"id": str(goal.id)} | {name: as_json(getattr(goal, name)) for name in GOAL_FIELDS}


def budget_line_terms(line: BudgetLine, channel_key: str | None) -> dict[str, Any]:
    return {
        "id": str(line.id),
        "category": line.category.value,
        "channel_id": as_json(line.channel_id),
        "channel_key": channel_key,
        "task_id": as_json(line.task_id),
        "planned_amount": as_json(line.planned_amount),
        "note": line.note,
    }


async def live_plan(session: AsyncSession, campaign: Campaign) -> Plan:
    """The plan as its rows stand now."""
    goals = await plan.all_items(session, plan.GOALS, campaign=campaign)
    lines = await plan.all_items(session, plan.BUDGET_LINES, campaign=campaign)
    keys = await channel_keys(
        session,
        workspace_id=campaign.workspace_id,
        ids={line.channel_id for line in lines if line.channel_id is not None},
    )
    return {
        "start_date": as_json(campaign.start_date),
        "end_date": as_json(campaign.end_date),
        "goals": [goal_terms(g) for g in goals],
        "budget_lines": [
            budget_line_terms(line, keys.get(line.channel_id) if line.channel_id else None)
            for line in lines
        ],
    }


def has_approved_plan(campaign: Campaign) -> bool:
    if campaign.status in _APPROVED:
        return True
    # Cancelled once running: its plan had been approved. (Cancelled otherwise, it may
    # have been a draft reopened by `revise`.)
    return campaign.status == CampaignStatus.cancelled and campaign.activated_at is not None


async def _latest_stored(session: AsyncSession, campaign: Campaign) -> int | None:
    latest: int | None = await session.scalar(
        select(func.max(PlanVersion.number)).where(
            PlanVersion.workspace_id == campaign.workspace_id,
            PlanVersion.campaign_id == campaign.id,
        )
    )
    return latest


async def current_number(session: AsyncSession, campaign: Campaign) -> int | None:
    """The plan's current version; None while the plan has not been approved."""
    latest = await _latest_stored(session, campaign)
    if latest is not None:
        return latest
    return 1 if has_approved_plan(campaign) else None


@dataclass(frozen=True)
class VersionedPlan:
    number: int
    current: int
    plan: Plan
    change_request_id: uuid.UUID | None
    recorded_at: datetime | None


async def plan_at(
    session: AsyncSession, campaign: Campaign, number: int | None = None
) -> VersionedPlan:
    """The plan at version `number` (None: the current one); NotFound for no such version."""
    current = await current_number(session, campaign)
    if current is None:
        raise NotFound(
            f"The campaign's plan has no versions yet: it is {campaign.status.value}, and "
            "versions start with the approved plan.",
            code="no_plan_versions",
        )
    wanted = current if number is None else number
    if not 1 <= wanted <= current:
        raise NotFound(
            f"No plan version {wanted}; the plan is at version {current}.",
            current_version=current,
        )
    stored = await session.scalar(
        in_workspace(PlanVersion, campaign.workspace_id).where(
            PlanVersion.campaign_id == campaign.id, PlanVersion.number == wanted
        )
    )
    if stored is None:  # the baseline no change has followed yet: the live plan
        return VersionedPlan(wanted, current, await live_plan(session, campaign), None, None)
    return VersionedPlan(wanted, current, stored.plan, stored.change_request_id, stored.created_at)


async def record(
    session: AsyncSession,
    campaign: Campaign,
    *,
    number: int,
    snapshot: Plan,
    change_request_id: uuid.UUID | None,
) -> PlanVersion:
    version = PlanVersion(
        workspace_id=campaign.workspace_id,
        campaign_id=campaign.id,
        number=number,
        plan=snapshot,
        change_request_id=change_request_id,
    )
    session.add(version)
    await session.flush()
    return version


async def ensure_baseline(session: AsyncSession, campaign: Campaign, live: Plan) -> None:
    """Store version 1, the live plan `live`, unless a version is stored already."""
    if await _latest_stored(session, campaign) is None:
        await record(session, campaign, number=1, snapshot=live, change_request_id=None)


# --- reading a snapshot ---------------------------------------------------------------------


def planned_total(snapshot: Plan) -> Decimal:
    return sum((Decimal(line["planned_amount"]) for line in snapshot["budget_lines"]), ZERO)


def planned_by_category(snapshot: Plan) -> dict[BudgetCategory, Decimal]:
    totals: dict[BudgetCategory, Decimal] = {}
    for line in snapshot["budget_lines"]:
        category = BudgetCategory(line["category"])
        totals[category] = totals.get(category, ZERO) + Decimal(line["planned_amount"])
    return totals


@dataclass(frozen=True)
class Baseline:
    """The approved plan beside the current one: for the budget summary and goal progress."""

    current_version: int
    planned_total: Decimal
    planned_by_category: dict[BudgetCategory, Decimal]
    goals: dict[uuid.UUID, dict[str, Any]]  # the baseline's goals by id

    def planned(self, category: BudgetCategory) -> Decimal:
        return self.planned_by_category.get(category, ZERO)


async def baseline(session: AsyncSession, campaign: Campaign) -> Baseline | None:
    """None while the campaign's plan has not been approved."""
    current = await current_number(session, campaign)
    if current is None:
        return None
    first = await plan_at(session, campaign, 1)
    return Baseline(
        current_version=current,
        planned_total=planned_total(first.plan),
        planned_by_category=planned_by_category(first.plan),
        goals={uuid.UUID(g["id"]): g for g in first.plan["goals"]},
    )


# --- comparing two snapshots ---------------------------------------------------------------


@dataclass(frozen=True)
class ItemChange:
    id: str
    action: str  # added, changed, removed
    label: str
    changes: dict[str, list[Any]]


@dataclass(frozen=True)
class PlanDiff:
    dates: dict[str, list[Any]]
    total_before: Decimal
    total_after: Decimal
    categories: dict[BudgetCategory, tuple[Decimal, Decimal]]  # only those that changed
    budget_lines: list[ItemChange]
    goals: list[ItemChange]


def _item_changes(
    before: list[dict[str, Any]], after: list[dict[str, Any]], fields: tuple[str, ...], label: Any
) -> list[ItemChange]:
    old = {item["id"]: item for item in before}
    new = {item["id"]: item for item in after}
    result = []
    for item_id, item in old.items():
        if item_id not in new:
            changed = {f: [item.get(f), None] for f in fields if item.get(f) is not None}
            result.append(ItemChange(item_id, "removed", label(item), changed))
    for item_id, item in new.items():
        previous = old.get(item_id)
        if previous is None:
            changed = {f: [None, item.get(f)] for f in fields if item.get(f) is not None}
            result.append(ItemChange(item_id, "added", label(item), changed))
            continue
        changed = {
            f: [previous.get(f), item.get(f)] for f in fields if previous.get(f) != item.get(f)
        }
        if changed:
            result.append(ItemChange(item_id, "changed", label(item), changed))
    return result


def _line_label(line: dict[str, Any]) -> str:
    where = "/".join(p for p in (line["category"], line.get("channel_key")) if p)
    note = line.get("note")
    return f"{where}: {note}" if note else where


def diff(before: Plan, after: Plan) -> PlanDiff:
    dates = {
        name: [before.get(name), after.get(name)]
        for name in ("start_date", "end_date")
        if before.get(name) != after.get(name)
    }
    old, new = planned_by_category(before), planned_by_category(after)
    categories = {
        c: (old.get(c, ZERO), new.get(c, ZERO))
        for c in BudgetCategory
        if old.get(c, ZERO) != new.get(c, ZERO)
    }
    return PlanDiff(
        dates=dates,
        total_before=planned_total(before),
        total_after=planned_total(after),
        categories=categories,
        budget_lines=_item_changes(
            before["budget_lines"], after["budget_lines"], BUDGET_LINE_FIELDS, _line_label
        ),
        goals=_item_changes(
            before["goals"], after["goals"], GOAL_FIELDS, lambda g: str(g["metric_key"])
        ),
    )
