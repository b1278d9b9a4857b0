"""Bodies for a campaign's goals, budget lines, expenses, phases and risks."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import MISSING, ConfigDict, Field, JsonValue, StringConstraints

from shared.campaigns.models import (
    BudgetCategory,
    Direction,
    GoalType,
    Level,
    RiskStatus,
    TargetKind,
)
from shared.schemas import CalendarDay, LongText, MoneyAmount, Quantity, RequestModel, ResponseModel

MetricKey = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$"),
    Field(description="Key in the metric dictionary, e.g. new_users, gmv, conversion_rate"),
]
PhaseName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    Field(description="preparation, warm-up, burst, wrap-up, or your own"),
]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
ChannelKey = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$"),
    Field(description="Key of one of the campaign's channels (/v1/campaigns/{id}/channels)"),
]
TaskRef = Annotated[
    uuid.UUID,
    Field(description="A strategy, module or task of this campaign's breakdown"),
]

_STAMPS: dict[str, JsonValue] = {
    "created_at": "2024-04-18T08:00:00Z",
    "updated_at": "2024-04-18T08:00:00Z",
}
_IDS: dict[str, JsonValue] = {
    "id": "01a2010c-c015-761b-9bc5-6ac427b850dc",
    "campaign_id": "01a2010c-3bd9-7716-be78-ba040ba1a6e8",
    "version": 1,
}
_OWNER = "01a2010c-5c6a-726e-a76a-f95b25ae53ba"


class _Out(ResponseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    version: int


# --- goals -----------------------------------------------------------------------------

GOAL_EXAMPLE: dict[str, JsonValue] = {
    "goal_type": "user_growth",
    "strategy": "KOC seeding + feed ads",
    "metric_key": "new_users",
    "target_kind": "absolute",
    "target_value": "200000",
    "direction": "higher_is_better",
    "owner_id": _OWNER,
    "due_date": "2024-06-30",
    "notes": "Depends on the KOC list (M-001) and the content plan (M-002)",
}


class GoalCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [GOAL_EXAMPLE]})

    goal_type: GoalType
    strategy: LongText | None = None
    metric_key: MetricKey
    target_kind: TargetKind = TargetKind.absolute
    target_value: Quantity | None = Field(
        default=None, description="absolute: the value to reach; relative_lift: % over baseline"
    )
    baseline_value: Quantity | None = None
    direction: Direction = Direction.higher_is_better
    owner_id: uuid.UUID | None = Field(default=None, description="The one member answerable")
    due_date: CalendarDay | None = None
    notes: LongText | None = Field(default=None, description="Dependencies and resources")


class GoalUpdate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"target_value": "180000"}]})

    goal_type: GoalType | MISSING = MISSING
    strategy: LongText | MISSING | None = MISSING
    metric_key: MetricKey | MISSING = MISSING
    target_kind: TargetKind | MISSING = MISSING
    target_value: Quantity | MISSING | None = MISSING
    baseline_value: Quantity | MISSING | None = MISSING
    direction: Direction | MISSING = MISSING
    owner_id: uuid.UUID | MISSING | None = MISSING
    due_date: CalendarDay | MISSING | None = MISSING
    notes: LongText | MISSING | None = MISSING


class GoalOut(_Out):
    model_config = ConfigDict(
        json_schema_extra={"examples": [GOAL_EXAMPLE | _IDS | _STAMPS | {"baseline_value": None}]}
    )

    goal_type: GoalType
    strategy: str | None
    metric_key: str
    target_kind: TargetKind
    target_value: Decimal | None
    baseline_value: Decimal | None
    direction: Direction
    owner_id: uuid.UUID | None
    due_date: date | None
    notes: str | None


# --- budget lines and expenses -----------------------------------------------------------

BUDGET_EXAMPLE: dict[str, JsonValue] = {
    "category": "promotion_media",
    "planned_amount": "450000.00",
    "note": "Feed ads",
    "channel_key": "social_feed",
    "task_id": "01a2010c-c015-761b-9bc5-6ac427b850dd",
}


class BudgetLineCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [BUDGET_EXAMPLE]})

    category: BudgetCategory
    planned_amount: MoneyAmount = Field(description="In the campaign currency; 2 decimals")
    note: LongText | None = None
    channel_key: ChannelKey | None = None
    task_id: TaskRef | None = None


class BudgetLineUpdate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"planned_amount": "420000.00"}]})

    category: BudgetCategory | MISSING = MISSING
    planned_amount: MoneyAmount | MISSING = MISSING
    note: LongText | MISSING | None = MISSING
    channel_key: ChannelKey | MISSING | None = MISSING
    task_id: TaskRef | MISSING | None = MISSING


class BudgetLineOut(_Out):
    model_config = ConfigDict(json_schema_extra={"examples": [BUDGET_EXAMPLE | _IDS | _STAMPS]})

    category: BudgetCategory
    planned_amount: Decimal
    note: str | None
    channel_key: str | None = Field(description="The channel the money goes to, if named")
    task_id: uuid.UUID | None = Field(description="The work the money is for, if named")


EXPENSE_EXAMPLE: dict[str, JsonValue] = {
    "category": "promotion_media",
    "amount": "35000.00",
    "spent_on": "2024-06-10",
    "vendor": "Feed ads platform",
    "reference": "INV-2024-0610",
    "note": None,
    "channel_key": "social_feed",
    "task_id": None,
    "invoice_reference": "发票 No. 44031234",
    "contract_reference": "HT-2024-031",
}


class ExpenseCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXPENSE_EXAMPLE]})

    category: BudgetCategory
    amount: MoneyAmount
    spent_on: CalendarDay
    vendor: Short | None = None
    reference: Reference | None = None
    note: LongText | None = None
    channel_key: ChannelKey | None = None
    task_id: TaskRef | None = None
    invoice_reference: Reference | None = Field(
        default=None, description="The invoice (发票) finance checks the expense against"
    )
    contract_reference: Reference | None = Field(
        default=None, description="The contract the expense is paid under"
    )


class ExpenseUpdate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount": "34800.00"}]})

    category: BudgetCategory | MISSING = MISSING
    amount: MoneyAmount | MISSING = MISSING
    spent_on: CalendarDay | MISSING = MISSING
    vendor: Short | MISSING | None = MISSING
    reference: Reference | MISSING | None = MISSING
    note: LongText | MISSING | None = MISSING
    channel_key: ChannelKey | MISSING | None = MISSING
    task_id: TaskRef | MISSING | None = MISSING
    invoice_reference: Reference | MISSING | None = MISSING
    contract_reference: Reference | MISSING | None = MISSING


class ExpenseOut(_Out):
    model_config = ConfigDict(json_schema_extra={"examples": [EXPENSE_EXAMPLE | _IDS | _STAMPS]})

    category: BudgetCategory
    amount: Decimal
    spent_on: date
    vendor: str | None
    reference: str | None
    note: str | None
    channel_key: str | None = Field(description="The channel the money went to, if named")
    task_id: uuid.UUID | None = Field(description="The work the money was for, if named")
    invoice_reference: str | None = Field(default=None, description="The invoice, if given")
    contract_reference: str | None = Field(default=None, description="The contract, if given")


class BudgetCategorySummary(ResponseModel):
    category: BudgetCategory
    planned: Decimal
    spent: Decimal
    remaining: Decimal = Field(description="planned - spent; negative when overrun")
    burn_percent: Decimal | None = Field(
        description="spent / planned x 100; null if nothing planned"
    )
    approved_planned: Decimal | None = Field(
        default=None,
        description="Planned in the approved baseline (plan version 1), beside `planned` as "
        "change requests left it; null before approval",
    )


class BudgetSummary(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "currency": "CNY",
                    "categories": [
                        {
                            "category": "promotion_media",
                            "planned": "450000.00",
                            "spent": "35000.00",
                            "remaining": "415000.00",
                            "burn_percent": "7.78",
                            "approved_planned": "450000.00",
                        }
                    ],
                    "planned": "1000000.00",
                    "spent": "35000.00",
                    "remaining": "965000.00",
                    "burn_percent": "3.50",
                    "contingency_share_percent": "10.00",
                    "plan_version": 2,
                    "approved_planned": "1000000.00",
                }
            ]
        }
    )

    currency: str
    categories: list[BudgetCategorySummary]
    planned: Decimal
    spent: Decimal
    remaining: Decimal
    burn_percent: Decimal | None
    contingency_share_percent: Decimal | None = Field(
        description="Contingency planned / total planned x 100 (the brief: 10-15%)"
    )
    plan_version: int | None = Field(
        default=None,
        description="The plan version `planned` is for (1: as approved; each applied change "
        "request adds one); null before approval",
    )
    approved_planned: Decimal | None = Field(
        default=None, description="The total planned in the approved baseline (plan version 1)"
    )


# --- phases and risks ----------------------------------------------------------------------

PHASE_EXAMPLE: dict[str, JsonValue] = {
    "name": "warm-up",
    "start_date": "2024-05-26",
    "end_date": "2024-05-31",
    "core_actions": "KOC teasers, countdown posts",
    "executor_id": _OWNER,
    "resources": "2 copywriters, 1 designer, 60,000 CNY media",
}


class PhaseCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [PHASE_EXAMPLE]})

    name: PhaseName
    start_date: CalendarDay
    end_date: CalendarDay
    core_actions: LongText | None = None
    executor_id: uuid.UUID | None = None
    resources: LongText | None = None


class PhaseUpdate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"end_date": "2024-06-01"}]})

    name: PhaseName | MISSING = MISSING
    start_date: CalendarDay | MISSING = MISSING
    end_date: CalendarDay | MISSING = MISSING
    core_actions: LongText | MISSING | None = MISSING
    executor_id: uuid.UUID | MISSING | None = MISSING
    resources: LongText | MISSING | None = MISSING


class PhaseOut(_Out):
    model_config = ConfigDict(json_schema_extra={"examples": [PHASE_EXAMPLE | _IDS | _STAMPS]})

    name: str
    start_date: date
    end_date: date
    core_actions: str | None
    executor_id: uuid.UUID | None
    resources: str | None


RISK_EXAMPLE: dict[str, JsonValue] = {
    "description": "Posts rejected for medical claims",
    "phase_id": None,
    "probability": "high",
    "impact": "high",
    "mitigation": "Legal review of every claim before publishing",
    "owner_id": _OWNER,
    "status": "open",
}


class RiskCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [RISK_EXAMPLE]})

    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] = Field(
        max_length=10_000
    )
    phase_id: uuid.UUID | None = None
    probability: Level
    impact: Level
    mitigation: LongText | None = None
    owner_id: uuid.UUID | None = None
    status: RiskStatus = RiskStatus.open


class RiskUpdate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "mitigated"}]})

    description: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] | MISSING
    ) = MISSING
    phase_id: uuid.UUID | MISSING | None = MISSING
    probability: Level | MISSING = MISSING
    impact: Level | MISSING = MISSING
    mitigation: LongText | MISSING | None = MISSING
    owner_id: uuid.UUID | MISSING | None = MISSING
    status: RiskStatus | MISSING = MISSING


class RiskOut(_Out):
    model_config = ConfigDict(json_schema_extra={"examples": [RISK_EXAMPLE | _IDS | _STAMPS]})

    description: str
    phase_id: uuid.UUID | None
    probability: Level
    impact: Level
    mitigation: str | None
    owner_id: uuid.UUID | None
    status: RiskStatus
