"""Bodies for change requests, the plan's versions and diffs, and the approval rule."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import InitErrorDetails

from shared.approvals.schemas import DecisionIn, DecisionOut
from shared.campaigns.models import BudgetCategory, Direction, GoalType, TargetKind
from shared.campaigns.plan_schemas import MetricKey
from shared.change_requests.models import ApprovalScope, RequestStatus
from shared.schemas import (
    CalendarDay,
    LongText,
    MoneyAmount,
    Name,
    Quantity,
    RequestModel,
    ResponseModel,
)

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
PositiveMoney = Annotated[MoneyAmount, Field(gt=0)]
ChannelKey = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$"),
    Field(description="Key of one of the campaign's channels", examples=["social_feed"]),
]

_LINE_FROM = "01a2010c-c015-761b-9bc5-6ac427b850dc"
_LINE_TO = "01a2010c-c016-7c2e-8d51-2f0e9c3a4b17"
_GOAL = "01a2010c-c017-7a40-9e1d-3c5b7d9f1a20"
_OWNER = "01a2010c-5c6a-726e-a76a-f95b25ae53ba"


class _Change(RequestModel):
    reason: Reason = Field(
        description="Why the plan should change", examples=["Store traffic 20% under plan"]
    )
    expected_effect: Reason = Field(
        description="What the change should bring", examples=["+400 new users by 06-18"]
    )


class MoveBudget(_Change):
    """Move money from one budget line to another (categories or channels): the total stays."""

    kind: Literal["move_budget"]
    from_budget_line_id: uuid.UUID
    to_budget_line_id: uuid.UUID
    amount: PositiveMoney = Field(description="In the campaign currency; more than 0")


class ChangeBudgetLine(_Change):
    """Raise or cut one budget line, and the total with it."""

    kind: Literal["change_budget_line"]
    budget_line_id: uuid.UUID
    planned_amount: MoneyAmount = Field(description="The line's new planned amount")


class AddBudgetLine(_Change):
    kind: Literal["add_budget_line"]
    category: BudgetCategory
    planned_amount: MoneyAmount
    note: LongText | None = None
    channel_key: ChannelKey | None = None
    task_id: uuid.UUID | None = Field(
        default=None, description="A strategy, module or task of the campaign's breakdown"
    )


class ChangeGoal(_Change):
    """A goal's new target and/or due date (at least one)."""

    kind: Literal["change_goal"]
    goal_id: uuid.UUID
    target_value: Quantity | None = Field(default=None, description="Omitted: unchanged")
    due_date: CalendarDay | None = Field(default=None, description="Omitted: unchanged")


class AddGoal(_Change):
    """A new SMART goal: an owner, a target and a due date are required mid-campaign."""

    kind: Literal["add_goal"]
    goal_type: GoalType
    strategy: LongText | None = None
    metric_key: MetricKey
    target_kind: TargetKind = TargetKind.absolute
    target_value: Quantity
    baseline_value: Quantity | None = Field(
        default=None, description="Required for relative_lift goals"
    )
    direction: Direction = Direction.higher_is_better
    owner_id: uuid.UUID
    due_date: CalendarDay
    notes: LongText | None = None


class ExtendEndDate(_Change):
    kind: Literal["extend_end_date"]
    end_date: CalendarDay = Field(description="Later than the current end date")


def _untagged(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Errors name `changes.0.amount`, not pydantic's `changes.0.move_budget.amount`: the
    kind is in the body already, and a JSON pointer must point into the body."""
    try:
        return handler(value)
    except ValidationError as exc:
        tag = value.get("kind") if isinstance(value, dict) else None
        details = []
        for error in exc.errors():
            loc = error["loc"]
            if tag is not None and loc and loc[0] == tag:
                loc = loc[1:]
            details.append(
                InitErrorDetails(
                    type=error["type"], loc=loc, input=error["input"], ctx=error.get("ctx", {})
                )
            )
        raise ValidationError.from_exception_data(exc.title, details) from None


Change = Annotated[
    MoveBudget | ChangeBudgetLine | AddBudgetLine | ChangeGoal | AddGoal | ExtendEndDate,
    Field(discriminator="kind"),
    WrapValidator(_untagged),
]
CHANGES: TypeAdapter[list[Change]] = TypeAdapter(list[Change])

MOVE_EXAMPLE: dict[str, JsonValue] = {
    "kind": "move_budget",
    "from_budget_line_id": _LINE_FROM,
    "to_budget_line_id": _LINE_TO,
    "amount": "50000.00",
    "reason": "Pop-up store traffic runs 20% under expectation (500 visitors a day, not 800)",
    "expected_effect": "About 12,000 more feed clicks and 400 more new users by 06-18",
}


class ChangeRequestIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Mid-term: from the store to the feed",
                    "plan_version": 1,
                    "changes": [MOVE_EXAMPLE],
                },
                {
                    "title": "Burst phase: more for feed ads, a week longer",
                    "plan_version": 2,
                    "changes": [
                        {
                            "kind": "change_budget_line",
                            "budget_line_id": _LINE_TO,
                            "planned_amount": "320000.00",
                            "reason": "Feed ads convert at 3.5%",
                            "expected_effect": "GMV +300,000",
                        },
                        {
                            "kind": "change_goal",
                            "goal_id": _GOAL,
                            "target_value": "5500000",
                            "reason": "More media behind the discounts",
                            "expected_effect": "GMV target raised by 10%",
                        },
                        {
                            "kind": "extend_end_date",
                            "end_date": "2024-07-22",
                            "reason": "The wrap-up needs a week more",
                            "expected_effect": "Late orders counted",
                        },
                    ],
                },
            ]
        }
    )

    title: Name = Field(examples=["Mid-term: from the store to the feed"])
    plan_version: int | None = Field(
        default=None,
        ge=1,
        description="The plan version the changes were written against (GET .../plan); "
        "409 `plan_changed` when the plan has moved on. Omitted: the current version.",
    )
    changes: list[Change] = Field(
        min_length=1, max_length=20, description="Applied in order, all together or not at all"
    )


# A campaign approval's decision (a comment required to reject), on a change request.
class ChangeRequestDecisionIn(DecisionIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"decision": "approve", "comment": "Feed numbers justify it."},
                {"decision": "reject", "comment": "Wait for the weekend's store figures."},
            ]
        }
    )


class ChangeRequestOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01a2010d-0a1b-7c2d-8e3f-4a5b6c7d8e9f",
                    "campaign_id": "01a2010c-aaaa-7bbb-8ccc-dddddddddddd",
                    "number": 1,
                    "title": "Mid-term: from the store to the feed",
                    "status": "applied",
                    "plan_version": 1,
                    "plan_changed": False,
                    "applied_plan_version": 2,
                    "changes": [MOVE_EXAMPLE],
                    "approval_scope": "first_step",
                    "approval_reasons": [
                        "Within the total of 1000000.00 (now 1000000.00), no move over "
                        "10.00% of it: the first step decides alone."
                    ],
                    "steps": [
                        {
                            "name": "Department head",
                            "approver_title": "Department head",
                            "approver_member_ids": [],
                        }
                    ],
                    "current_step": 1,
                    "submitted_by_member_id": None,
                    "submitted_by_api_key_id": "01a2010c-1111-7222-8333-444444444444",
                    "decisions": [
                        {
                            "step_index": 0,
                            "step_name": "Department head",
                            "decision": "approve",
                            "comment": "Feed numbers justify it.",
                            "member_id": _OWNER,
                            "api_key_id": "01a2010c-5555-7666-8777-888888888888",
                            "created_at": "2024-06-11T10:00:00Z",
                        }
                    ],
                    "created_at": "2024-06-11T09:00:00Z",
                    "updated_at": "2024-06-11T10:00:00Z",
                    "closed_at": "2024-06-11T10:00:00Z",
                    "version": 2,
                }
            ]
        }
    )

    id: uuid.UUID
    campaign_id: uuid.UUID
    number: int = Field(description="1, 2, 3... per campaign")
    title: str
    status: RequestStatus
    plan_version: int = Field(description="The plan version the changes apply to")
    plan_changed: bool = Field(
        description="Pending, but the plan has moved past `plan_version`: it can no longer be "
        "approved (withdraw it and request again against the current plan)"
    )
    applied_plan_version: int | None = Field(description="The version the approval created")
    changes: list[dict[str, JsonValue]] = Field(description="As requested, in order")
    approval_scope: ApprovalScope
    approval_reasons: list[str] = Field(description="Why this scope of the chain decides")
    steps: list[dict[str, JsonValue]] = Field(description="The chain's steps that decide")
    current_step: int
    submitted_by_member_id: uuid.UUID | None
    submitted_by_api_key_id: uuid.UUID | None
    decisions: list[DecisionOut]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    version: int


# --- the plan and its versions ------------------------------------------------------------


class PlanGoalOut(ResponseModel):
    id: uuid.UUID
    goal_type: GoalType
    metric_key: str
    strategy: str | None
    target_kind: TargetKind
    target_value: Decimal | None
    baseline_value: Decimal | None
    direction: Direction
    owner_id: uuid.UUID | None
    due_date: date | None


class PlanBudgetLineOut(ResponseModel):
    id: uuid.UUID
    category: BudgetCategory
    channel_key: str | None
    task_id: uuid.UUID | None
    planned_amount: Decimal
    note: str | None


class PlanCategoryOut(ResponseModel):
    category: BudgetCategory
    planned: Decimal


class PlanOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaign_id": "01a2010c-aaaa-7bbb-8ccc-dddddddddddd",
                    "version": 2,
                    "current_version": 2,
                    "change_request_id": "01a2010d-0a1b-7c2d-8e3f-4a5b6c7d8e9f",
                    "recorded_at": "2024-06-11T10:00:00Z",
                    "start_date": "2024-05-01",
                    "end_date": "2024-07-15",
                    "planned_total": "1000000.00",
                    "categories": [{"category": "promotion_media", "planned": "450000.00"}],
                    "goals": [
                        {
                            "id": _GOAL,
                            "goal_type": "sales_conversion",
                            "metric_key": "gmv",
                            "strategy": "e-commerce discounts + community referral",
                            "target_kind": "absolute",
                            "target_value": "5000000.0000",
                            "baseline_value": None,
                            "direction": "higher_is_better",
                            "owner_id": _OWNER,
                            "due_date": "2024-06-18",
                        }
                    ],
                    "budget_lines": [
                        {
                            "id": _LINE_FROM,
                            "category": "promotion_media",
                            "planned_amount": "150000.00",
                            "note": "Offline store promotion",
                        },
                        {
                            "id": _LINE_TO,
                            "category": "promotion_media",
                            "planned_amount": "300000.00",
                            "note": "Social feed ads",
                        },
                    ],
                }
            ]
        }
    )

    campaign_id: uuid.UUID
    version: int = Field(description="1 is the approved baseline")
    current_version: int
    change_request_id: uuid.UUID | None = Field(description="The request that made it")
    recorded_at: datetime | None = Field(
        description="When it was recorded; null for a baseline no change has followed yet"
    )
    start_date: date | None
    end_date: date | None
    planned_total: Decimal
    categories: list[PlanCategoryOut] = Field(description="Planned per category with lines")
    goals: list[PlanGoalOut]
    budget_lines: list[PlanBudgetLineOut]


class AmountChangeOut(ResponseModel):
    before: Decimal
    after: Decimal
    change: Decimal = Field(description="after - before")


class CategoryChangeOut(AmountChangeOut):
    category: BudgetCategory


class ItemChangeOut(ResponseModel):
    id: uuid.UUID
    action: Literal["added", "changed", "removed"]
    label: str = Field(description="The goal's metric, or the line's category and note")
    changes: dict[str, list[JsonValue]] = Field(description="{field: [before, after]}")


class PlanDiffOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaign_id": "01a2010c-aaaa-7bbb-8ccc-dddddddddddd",
                    "from_version": 1,
                    "to_version": 2,
                    "dates": {},
                    "planned_total": {
                        "before": "1000000.00",
                        "after": "1000000.00",
                        "change": "0.00",
                    },
                    "categories": [],
                    "budget_lines": [
                        {
                            "id": _LINE_FROM,
                            "action": "changed",
                            "label": "promotion_media: Offline store promotion",
                            "changes": {"planned_amount": ["200000.00", "150000.00"]},
                        },
                        {
                            "id": _LINE_TO,
                            "action": "changed",
                            "label": "promotion_media: Social feed ads",
                            "changes": {"planned_amount": ["250000.00", "300000.00"]},
                        },
                    ],
                    "goals": [],
                }
            ]
        }
    )

    campaign_id: uuid.UUID
    from_version: int
    to_version: int
    dates: dict[str, list[JsonValue]] = Field(description="{start_date|end_date: [before, after]}")
    planned_total: AmountChangeOut
    categories: list[CategoryChangeOut] = Field(description="Categories whose total changed")
    budget_lines: list[ItemChangeOut]
    goals: list[ItemChangeOut]


# --- the approval rule ------------------------------------------------------------------------


class ChangeApprovalRuleIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"move_share_percent": "10.00"}, {"move_share_percent": None}]
        }
    )

    move_share_percent: (
        Annotated[Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2)] | None
    ) = Field(
        description="A single budget move larger than this % of the total planned needs the "
        "full chain; null restores the default (10)"
    )


class ChangeApprovalRuleOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"move_share_percent": "10.00", "is_default": True}]}
    )

    move_share_percent: Decimal
    is_default: bool
