"""A campaign's plan items — goals, budget lines, expenses, phases, risks — handled alike.

Each kind says when it may change (see lifecycle.py), which fields name members, and
what else it checks once the change is applied (dates, references to other items).
"""

import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns import lifecycle
from shared.campaigns.models import (
    BudgetLine,
    Campaign,
    CampaignItem,
    Expense,
    Goal,
    Phase,
    Risk,
)
from shared.errors import Conflict, FieldError, Invalid, NotFound
from shared.metrics import service as metrics
from shared.pagination import PageRequest, Results, paginate
from shared.tenancy import in_workspace
from shared.versioning import apply_changes, check_version
from shared.workspaces.service import check_member_fields

M = TypeVar("M", bound=CampaignItem)
Check = Callable[[AsyncSession, Campaign, Any], Awaitable[list[FieldError]]]
Prepare = Callable[[AsyncSession, Campaign, dict[str, Any]], Awaitable[dict[str, Any]]]
Present = Callable[[AsyncSession, Campaign, Sequence[Any]], Awaitable[list[Any]]]


async def _no_check(session: AsyncSession, campaign: Campaign, item: Any) -> list[FieldError]:
    return []


async def _as_given(
    session: AsyncSession, campaign: Campaign, data: dict[str, Any]
) -> dict[str, Any]:
    return data


async def _as_stored(session: AsyncSession, campaign: Campaign, items: Sequence[Any]) -> list[Any]:
    return list(items)


async def _check_phase(session: AsyncSession, campaign: Campaign, phase: Phase) -> list[FieldError]:
    errors = []
    if phase.end_date < phase.start_date:
        errors.append(FieldError("end_date", "The phase ends before it starts."))
    if campaign.start_date and phase.start_date < campaign.start_date:
        errors.append(
            FieldError("start_date", f"Before the campaign starts ({campaign.start_date}).")
        )
    if campaign.end_date and phase.end_date > campaign.end_date:
        errors.append(FieldError("end_date", f"After the campaign ends ({campaign.end_date})."))
    return errors


async def _check_goal(session: AsyncSession, campaign: Campaign, goal: Goal) -> list[FieldError]:
    keys = await metrics.known_keys(session, workspace_id=campaign.workspace_id)
    if goal.metric_key not in keys:
        return [
            FieldError(
                "metric_key",
                f"'{goal.metric_key}' is not in the metric dictionary (/v1/metrics).",
                code="unknown_metric",
            )
        ]
    return []


async def _check_risk(session: AsyncSession, campaign: Campaign, risk: Risk) -> list[FieldError]:
    if risk.phase_id is None:
        return []
    phase = await session.scalar(
        in_workspace(Phase, campaign.workspace_id).where(
            Phase.id == risk.phase_id, Phase.campaign_id == campaign.id
        )
    )
    if phase is None:
        return [FieldError("phase_id", f"No phase {risk.phase_id} in this campaign.")]
    return []


@dataclass(frozen=True)
class PlanItemKind(Generic[M]):
    model: type[M]
    label: str
    editable_in: frozenset[Any]
    member_fields: tuple[str, ...] = ()
    check: Check = _no_check
    # For fields the API names otherwise than the columns (a channel by its key), set by
    # packages above this one: `prepare` turns a body into column values before anything
    # is applied, `present` gives the rows back as the API shows them.
    prepare: Prepare = _as_given
    present: Present = _as_stored
    # Expenses: frozen while the campaign's settlement stands (`expenses_settled_at`).
    frozen_by_settlement: bool = False


GOALS = PlanItemKind(Goal, "Goal", lifecycle.PLAN_EDITABLE, ("owner_id",), _check_goal)
BUDGET_LINES = PlanItemKind(BudgetLine, "Budget line", lifecycle.PLAN_EDITABLE)
EXPENSES = PlanItemKind(Expense, "Expense", lifecycle.SPENDING_OPEN, frozen_by_settlement=True)
PHASES = PlanItemKind(Phase, "Phase", lifecycle.EXECUTION_EDITABLE, ("executor_id",), _check_phase)
RISKS = PlanItemKind(Risk, "Risk", lifecycle.EXECUTION_EDITABLE, ("owner_id",), _check_risk)


def ensure_expenses_open(campaign: Campaign, what: str = "Expenses") -> None:
    """409 `expenses_settled` while the campaign's expenses are settled (a correction
    reopens the settlement first)."""
    if campaign.expenses_settled_at is not None:
        raise Conflict(
            f"{what} cannot change: the campaign's expenses were settled at "
            f"{campaign.expenses_settled_at.isoformat()}. Reopen the settlement with a reason "
            f"(POST /v1/campaigns/{campaign.id}/settlement/reopen) to correct them.",
            code="expenses_settled",
            expenses_settled_at=campaign.expenses_settled_at.isoformat(),
        )


def _ensure_changeable(kind: PlanItemKind[M], campaign: Campaign) -> None:
    lifecycle.ensure_editable(campaign, kind.editable_in, f"{kind.label}s")
    if kind.frozen_by_settlement:
        ensure_expenses_open(campaign, f"{kind.label}s")


async def _validate(
    session: AsyncSession, kind: PlanItemKind[M], campaign: Campaign, item: M
) -> None:
    members = {name: getattr(item, name) for name in kind.member_fields}
    errors = await check_member_fields(session, workspace_id=campaign.workspace_id, fields=members)
    errors += await kind.check(session, campaign, item)
    if errors:
        raise Invalid(f"The {kind.label.lower()} is not valid.", errors)


async def list_items(
    session: AsyncSession, kind: PlanItemKind[M], *, campaign: Campaign, page: PageRequest
) -> Results[M]:
    query = in_workspace(kind.model, campaign.workspace_id).where(
        kind.model.campaign_id == campaign.id
    )
    return await paginate(session, query, kind.model, page)


async def all_items(session: AsyncSession, kind: PlanItemKind[M], *, campaign: Campaign) -> list[M]:
    query = in_workspace(kind.model, campaign.workspace_id).where(
        kind.model.campaign_id == campaign.id
    )
    return list((await session.scalars(query.order_by(kind.model.created_at))).all())


async def get_item(
    session: AsyncSession, kind: PlanItemKind[M], *, campaign: Campaign, item_id: uuid.UUID
) -> M:
    item = await session.scalar(
        in_workspace(kind.model, campaign.workspace_id).where(
            kind.model.id == item_id, kind.model.campaign_id == campaign.id
        )
    )
    if item is None:
        raise NotFound(f"{kind.label} {item_id} not found in this campaign.")
    return item


async def create_item(
    session: AsyncSession, kind: PlanItemKind[M], *, campaign: Campaign, data: dict[str, Any]
) -> M:
    _ensure_changeable(kind, campaign)
    data = await kind.prepare(session, campaign, data)
    item = kind.model(workspace_id=campaign.workspace_id, campaign_id=campaign.id, **data)
    await _validate(session, kind, campaign, item)
    session.add(item)
    await session.flush()
    return item


async def update_item(
    session: AsyncSession,
    kind: PlanItemKind[M],
    *,
    campaign: Campaign,
    item: M,
    changes: dict[str, Any],
    expected_versions: Collection[int] | None,
) -> M:
    check_version(item, expected_versions)
    _ensure_changeable(kind, campaign)
    changes = await kind.prepare(session, campaign, changes)
    if apply_changes(item, changes, None):
        # No autoflush while checking: the unchecked change must not reach the database
        # first (an unknown id would fail there as a foreign key instead of a clear 422).
        with session.no_autoflush:
            await _validate(session, kind, campaign, item)
        await session.flush()
    return item


async def delete_item(
    session: AsyncSession,
    kind: PlanItemKind[M],
    *,
    campaign: Campaign,
    item: M,
    expected_versions: Collection[int] | None,
) -> None:
    check_version(item, expected_versions)
    _ensure_changeable(kind, campaign)
    await session.delete(item)
    await session.flush()


async def present(
    session: AsyncSession, kind: PlanItemKind[M], *, campaign: Campaign, items: Sequence[M]
) -> list[Any]:
    """The items as the API shows them (the rows themselves unless the kind says otherwise)."""
    return await kind.present(session, campaign, items)


async def goals_measure(session: AsyncSession, *, workspace_id: uuid.UUID, metric_key: str) -> bool:
    """Whether any goal of the workspace measures the metric (then it must stay defined)."""
    found = await session.scalar(
        select(exists().where(Goal.workspace_id == workspace_id, Goal.metric_key == metric_key))
    )
    return bool(found)
