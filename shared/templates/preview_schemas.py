"""Bodies of a new campaign started from a template or from an earlier campaign: what is
asked, and the preview of what will be made (which the create call then makes)."""

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, JsonValue

from shared.campaigns.models import (
    BudgetCategory,
    CampaignKind,
    Direction,
    GoalType,
    Level,
    TargetKind,
)
from shared.campaigns.schemas import ReadinessFinding, Tags
from shared.retrospectives.models import RootCause
from shared.rules.schemas import PARAMS_OUT, RuleSettingsOut, by_condition
from shared.schemas import (
    CalendarDay,
    MoneyAmount,
    Name,
    RequestModel,
    ResponseModel,
    Variants,
)
from shared.tasks.models import TaskLevel

TotalBudget = Annotated[MoneyAmount, Field(gt=0)]

TEMPLATE_ID = "01a2030c-7e3a-7b21-9c4d-5e6f7a8b9c01"
SOURCE_ID = "01a2010c-3bd9-7716-be78-ba040ba1a6e8"
NEW_ID = "01a2030d-1f2e-7a3b-8c4d-5e6f7a8b9c02"
MANAGER_ID = "01a2010c-5c6a-726e-a76a-f95b25ae53ba"
_ITEM = "01a20111-7a3e-7c21-9d0e-5b4c3a2f1e10"
COUNTS_EXAMPLE: dict[str, JsonValue] = {
    "goals": 3,
    "budget_lines": 5,
    "phases": 4,
    "risks": 1,
    "tasks": 6,
    "dependencies": 3,
    "rules": 2,
    "lessons": 2,
}
TARGETS_TO_CONFIRM: dict[str, JsonValue] = {
    "code": "targets_to_confirm",
    "message": "3 goals have their target to confirm (the source's is shown as "
    "reference_target); the campaign cannot be submitted until each is set.",
    "ref": None,
}


class NewCampaignCountsOut(ResponseModel):
    goals: int
    budget_lines: int
    phases: int
    risks: int
    tasks: int
    dependencies: int = Field(description="Finish-to-start links between tasks")
    rules: int
    lessons: int


# --- a new campaign from a template or an earlier campaign ---------------------------------


class Reassignment(RequestModel):
    from_member_id: uuid.UUID = Field(description="A member the source names (gone or not)")
    to_member_id: uuid.UUID = Field(description="A member of the workspace who takes over")


NEW_CAMPAIGN_EXAMPLE: dict[str, JsonValue] = {
    "name": "Summer skincare launch 2025",
    "start_date": "2025-05-01",
    "total_budget": "1200000.00",
}


class NewCampaignIn(RequestModel):
    """The new campaign: the source's plan moved to `start_date`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                NEW_CAMPAIGN_EXAMPLE,
                NEW_CAMPAIGN_EXAMPLE
                | {
                    "end_date": "2025-07-31",
                    "owner_id": MANAGER_ID,
                    "tags": ["2025 new product launch"],
                    "reassign": [
                        {
                            "from_member_id": "01a2010c-5c6a-726e-a76a-f95b25ae53bb",
                            "to_member_id": MANAGER_ID,
                        }
                    ],
                },
            ]
        }
    )

    name: Name
    start_date: CalendarDay = Field(description="Every date of the plan moves with it")
    end_date: CalendarDay | None = Field(
        default=None,
        description="Default: start + the source's duration; not before the phases end",
    )
    total_budget: TotalBudget | None = Field(
        default=None,
        description="Shared out by the source's budget shares (the remainder of the "
        "rounding to the largest category); default: the source's total",
    )
    owner_id: uuid.UUID | None = Field(
        default=None, description="Default: the source's owner, if still a member"
    )
    tags: Tags | None = Field(default=None, description="Default: the source's tags")
    reassign: list[Reassignment] = Field(
        default_factory=list,
        max_length=100,
        description="Members of the source replaced by others (e.g. someone who left); a "
        "task whose owner is gone and not reassigned goes to the campaign's owner",
    )


class NewCampaignSourceOut(ResponseModel):
    type: Literal["template", "campaign"]
    template_id: uuid.UUID | None
    template_name: str | None
    campaign_id: uuid.UUID | None = Field(description="The campaign the plan comes from")
    campaign_name: str


class NewCampaignPartOut(ResponseModel):
    name: str
    kind: CampaignKind
    status: Literal["draft"] = "draft"
    start_date: date
    end_date: date
    duration_days: int
    timezone: str
    currency: str
    owner_id: uuid.UUID | None
    owner_name: str | None
    background: str | None
    objective_summary: str | None
    target_audience: str | None
    core_message: str | None
    channels: list[str]
    channel_keys: list[str] = Field(description="The workspace channels it will run on")
    tags: list[str]


class NewGoalOut(ResponseModel):
    ref: str = Field(description="Where it is in the source plan (`goals.0`)")
    goal_type: GoalType
    strategy: str | None
    metric_key: str
    target_kind: TargetKind
    direction: Direction
    target_value: Decimal | None = Field(description="Null: to confirm before submitting")
    reference_target: Decimal | None = Field(description="The source's target, for information")
    baseline_value: Decimal | None = Field(description="Null: to measure again")
    reference_baseline: Decimal | None
    owner_id: uuid.UUID | None
    owner_name: str | None
    due_date: date | None
    notes: str | None


class NewBudgetCategoryOut(ResponseModel):
    category: BudgetCategory
    planned: Decimal
    share_percent: Decimal | None


class NewBudgetOut(ResponseModel):
    total: Decimal = Field(description="What the lines add up to, exactly")
    reference_total: Decimal = Field(description="The source's planned total")
    scaled: bool = Field(description="A `total_budget` was given: the lines are shared out")
    contingency_share_percent: Decimal | None
    categories: list[NewBudgetCategoryOut]


class NewBudgetLineOut(ResponseModel):
    category: BudgetCategory
    planned_amount: Decimal
    share_percent: Decimal | None = Field(description="Of the total, to 2 decimals")
    note: str | None
    channel_key: str | None
    task_code: str | None


class NewPhaseOut(ResponseModel):
    ref: str = Field(description="`phases.0`...")
    name: str
    start_date: date
    end_date: date
    core_actions: str | None
    executor_id: uuid.UUID | None
    resources: str | None


class NewRiskOut(ResponseModel):
    description: str
    phase_ref: str | None
    probability: Level
    impact: Level
    mitigation: str | None
    owner_id: uuid.UUID | None


class NewTaskLinkOut(ResponseModel):
    code: str
    lag_days: int


class NewTaskOut(ResponseModel):
    code: str
    parent_code: str | None
    level: TaskLevel
    name: str
    description: str | None
    goal_ref: str | None
    phase_ref: str | None
    owner_id: uuid.UUID | None = Field(description="R1")
    approver_id: uuid.UUID | None = Field(description="R2")
    supporting_departments: list[str]
    planned_start: date | None
    planned_end: date | None
    deliverable: str | None
    priority: Level
    predecessors: list[NewTaskLinkOut]


class NewRuleOut(Variants, RuleSettingsOut):
    """A warning rule the new campaign will have (the template's, or the source's)."""

    ref: str = Field(description="`rules.0`...")
    escalation_policy_id: uuid.UUID | None


NewRuleOut.__variants__ = by_condition(NewRuleOut, "NewRuleOut", PARAMS_OUT)


class NewLessonOut(ResponseModel):
    position: int
    source_campaign_id: uuid.UUID | None
    source_campaign_name: str
    source_item_id: uuid.UUID | None
    stage: str
    shortfall: str | None
    root_cause: RootCause | None
    improvement_action: str


PREVIEW_EXAMPLE: dict[str, JsonValue] = {
    "source": {
        "type": "template",
        "template_id": TEMPLATE_ID,
        "template_name": "New product launch (summer 2024)",
        "campaign_id": SOURCE_ID,
        "campaign_name": "Summer skincare launch 2024",
    },
    "campaign": {
        "name": "Summer skincare launch 2025",
        "kind": "new_product_launch",
        "status": "draft",
        "start_date": "2025-05-01",
        "end_date": "2025-07-15",
        "duration_days": 75,
        "timezone": "Asia/Shanghai",
        "currency": "CNY",
        "owner_id": MANAGER_ID,
        "owner_name": "Manager Wu",
        "background": "New sunscreen line",
        "objective_summary": None,
        "target_audience": None,
        "core_message": None,
        "channels": ["social feed", "offline pop-up store"],
        "channel_keys": ["social_feed"],
        "tags": ["2024 new product launch"],
    },
    "counts": COUNTS_EXAMPLE,
    "goals": [
        {
            "ref": "goals.0",
            "goal_type": "user_growth",
            "strategy": "KOC seeding + feed ads",
            "metric_key": "new_users",
            "target_kind": "absolute",
            "direction": "higher_is_better",
            "target_value": None,
            "reference_target": "200000.0000",
            "baseline_value": None,
            "reference_baseline": None,
            "owner_id": MANAGER_ID,
            "owner_name": "Manager Wu",
            "due_date": "2025-06-30",
            "notes": None,
        }
    ],
    "budget": {
        "total": "1200000.00",
        "reference_total": "900000.00",
        "scaled": True,
        "contingency_share_percent": "11.11",
        "categories": [
            {"category": "promotion_media", "planned": "600000.00", "share_percent": "50.00"}
        ],
    },
    "budget_lines": [
        {
            "category": "promotion_media",
            "planned_amount": "600000.00",
            "share_percent": "50.00",
            "note": "Feed ads",
            "channel_key": "social_feed",
            "task_code": None,
        }
    ],
    "phases": [
        {
            "ref": "phases.1",
            "name": "warm-up",
            "start_date": "2025-05-26",
            "end_date": "2025-05-31",
            "core_actions": None,
            "executor_id": None,
            "resources": None,
        }
    ],
    "risks": [],
    "tasks": [
        {
            "code": "M-003",
            "parent_code": "KOC",
            "level": "task",
            "name": "Produce 10 posts + 5 short videos",
            "description": None,
            "goal_ref": "goals.0",
            "phase_ref": "phases.0",
            "owner_id": MANAGER_ID,
            "approver_id": None,
            "supporting_departments": ["Design"],
            "planned_start": "2025-05-16",
            "planned_end": "2025-05-25",
            "deliverable": "Final assets",
            "priority": "high",
            "predecessors": [{"code": "M-002", "lag_days": 0}],
        }
    ],
    "rules": [],
    "lessons": [
        {
            "position": 1,
            "source_campaign_id": SOURCE_ID,
            "source_campaign_name": "Summer skincare launch 2024",
            "source_item_id": _ITEM,
            "stage": "预热期 KOC seeding",
            "shortfall": "新注册用户 180,000, 目标 200,000",
            "root_cause": "execution",
            "improvement_action": "下次活动提前两周锁定 KOC 档期",
        }
    ],
    "warnings": [TARGETS_TO_CONFIRM],
}


class NewCampaignPreviewOut(ResponseModel):
    """What the create call will make, item by item; nothing is written to preview it."""

    model_config = ConfigDict(json_schema_extra={"examples": [PREVIEW_EXAMPLE]})

    source: NewCampaignSourceOut
    campaign: NewCampaignPartOut
    counts: NewCampaignCountsOut
    goals: list[NewGoalOut]
    budget: NewBudgetOut
    budget_lines: list[NewBudgetLineOut]
    phases: list[NewPhaseOut]
    risks: list[NewRiskOut]
    tasks: list[NewTaskOut] = Field(description="Parents before their children")
    rules: list[NewRuleOut]
    lessons: list[NewLessonOut] = Field(description="The checklist of lessons carried over")
    warnings: list[ReadinessFinding] = Field(
        description="What will not carry over as it was: members no longer in the workspace, "
        "metrics no longer in the dictionary, channels or escalation policies gone, and the "
        "targets to confirm"
    )
