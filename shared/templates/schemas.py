"""Bodies of templates, of a campaign's origin and of the lessons carried over to it."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import MISSING, ConfigDict, Field, JsonValue, StrictBool, StringConstraints

from shared.campaigns.models import BudgetCategory, CampaignKind
from shared.campaigns.schemas import CampaignOut, ReadinessFinding
from shared.retrospectives.models import RootCause
from shared.schemas import Name, RequestModel, ResponseModel
from shared.templates.document import TemplateDocument
from shared.templates.preview_schemas import (
    COUNTS_EXAMPLE,
    MANAGER_ID,
    NEW_ID,
    PREVIEW_EXAMPLE,
    SOURCE_ID,
    TARGETS_TO_CONFIRM,
    TEMPLATE_ID,
    NewCampaignCountsOut,
    NewCampaignSourceOut,
)

Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]

_GOAL = "01a2030d-2a1b-7c3d-9e4f-5a6b7c8d9e03"
_LESSON = "01a2030d-3b2c-7d4e-8f5a-6b7c8d9e0f04"
_ITEM = "01a20111-7a3e-7c21-9d0e-5b4c3a2f1e10"
_KEY = "01a2010c-1111-7222-8333-444444444444"
_STAMPS: dict[str, JsonValue] = {
    "created_at": "2025-03-01T08:00:00Z",
    "updated_at": "2025-03-01T08:00:00Z",
}


# --- templates ------------------------------------------------------------------------------


class CampaignTemplateCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaign_id": SOURCE_ID,
                    "name": "New product launch (summer 2024)",
                    "description": "KOC seeding, feed ads and a pop-up store; 76 days.",
                }
            ]
        }
    )

    campaign_id: uuid.UUID = Field(description="Any campaign of the workspace with dates")
    name: Name = Field(description="Unique in the workspace")
    description: Description | None = None


class CampaignTemplateUpdate(RequestModel):
    """Send only the fields to change; `null` clears the description. The plan inside a
    template never changes: save the campaign again as a new template."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "New product launch (reference)"}]}
    )

    name: Name | MISSING = MISSING
    description: Description | MISSING | None = MISSING


class TemplateBudgetShareOut(ResponseModel):
    category: BudgetCategory
    reference_amount: Decimal
    share_percent: Decimal | None = Field(description="Of the reference total, to 2 decimals")


class TemplateBudgetOut(ResponseModel):
    reference_total: Decimal = Field(description="The source's planned total")
    contingency_share_percent: Decimal | None
    categories: list[TemplateBudgetShareOut]


TEMPLATE_EXAMPLE: dict[str, JsonValue] = {
    "id": TEMPLATE_ID,
    "name": "New product launch (summer 2024)",
    "description": "KOC seeding, feed ads and a pop-up store; 76 days.",
    "kind": "new_product_launch",
    "source_campaign_id": SOURCE_ID,
    "source_campaign_name": "Summer skincare launch 2024",
    "duration_days": 75,
    "counts": COUNTS_EXAMPLE,
    "budget": {
        "reference_total": "900000.00",
        "contingency_share_percent": "11.11",
        "categories": [
            {"category": "labour", "reference_amount": "150000.00", "share_percent": "16.67"},
            {
                "category": "promotion_media",
                "reference_amount": "450000.00",
                "share_percent": "50.00",
            },
            {"category": "contingency", "reference_amount": "100000.00", "share_percent": "11.11"},
        ],
    },
    "created_by_member_id": MANAGER_ID,
    "version": 1,
    **_STAMPS,
}


class CampaignTemplateSummaryOut(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [TEMPLATE_EXAMPLE]})

    id: uuid.UUID
    name: str
    description: str | None
    kind: CampaignKind
    source_campaign_id: uuid.UUID | None = Field(description="Null once that campaign is gone")
    source_campaign_name: str
    duration_days: int = Field(description="Of the source: end - start, in days")
    counts: NewCampaignCountsOut
    budget: TemplateBudgetOut
    created_by_member_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    version: int


class CampaignTemplateOut(CampaignTemplateSummaryOut):
    """A template with its whole frozen plan."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                TEMPLATE_EXAMPLE
                | {
                    "plan": {
                        "format": 1,
                        "source_campaign_id": SOURCE_ID,
                        "source_campaign_name": "Summer skincare launch 2024",
                        "campaign": {
                            "kind": "new_product_launch",
                            "background": "New sunscreen line",
                            "objective_summary": None,
                            "target_audience": None,
                            "core_message": None,
                            "channels": ["social feed", "offline pop-up store"],
                            "channel_keys": ["social_feed"],
                            "tags": ["2024 new product launch"],
                            "timezone": "Asia/Shanghai",
                            "currency": "CNY",
                            "owner": {"id": MANAGER_ID, "name": "Manager Wu"},
                            "duration_days": 75,
                        },
                        "goals": [
                            {
                                "goal_type": "user_growth",
                                "strategy": "KOC seeding + feed ads",
                                "metric_key": "new_users",
                                "target_kind": "absolute",
                                "direction": "higher_is_better",
                                "reference_target": "200000.0000",
                                "reference_baseline": None,
                                "owner": {"id": MANAGER_ID, "name": "Manager Wu"},
                                "due_offset_days": 60,
                                "notes": None,
                            }
                        ],
                        "budget_lines": [],
                        "phases": [],
                        "risks": [],
                        "tasks": [],
                        "rules": [],
                        "lessons": [],
                    }
                }
            ]
        }
    )

    plan: TemplateDocument = Field(
        description="The plan's structure as saved: dates as offsets in days from the start, "
        "targets as references, members with the name they had"
    )


# --- origin and lessons ---------------------------------------------------------------------


class GoalToConfirmOut(ResponseModel):
    goal_id: uuid.UUID
    metric_key: str
    reference_target: Decimal | None
    reference_baseline: Decimal | None
    target_value: Decimal | None = Field(description="As the goal has it now")
    baseline_value: Decimal | None
    confirmed: bool = Field(description="A target is set (and a baseline, for a lift goal)")


class LessonTallyOut(ResponseModel):
    total: int
    done: int


ORIGIN_EXAMPLE: dict[str, JsonValue] = {
    "campaign_id": NEW_ID,
    "source": PREVIEW_EXAMPLE["source"],
    "counts": COUNTS_EXAMPLE,
    "budget_total": "1200000.00",
    "budget_scaled": True,
    "warnings": [TARGETS_TO_CONFIRM],
    "goals_to_confirm": [
        {
            "goal_id": _GOAL,
            "metric_key": "new_users",
            "reference_target": "200000.0000",
            "reference_baseline": None,
            "target_value": "240000.0000",
            "baseline_value": None,
            "confirmed": True,
        }
    ],
    "lessons": {"total": 2, "done": 1},
    "created_by_member_id": MANAGER_ID,
    "created_at": "2025-03-01T08:00:00Z",
}


class CampaignOriginOut(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ORIGIN_EXAMPLE]})

    campaign_id: uuid.UUID
    source: NewCampaignSourceOut
    counts: NewCampaignCountsOut = Field(description="What was made")
    budget_total: Decimal
    budget_scaled: bool
    warnings: list[ReadinessFinding] = Field(description="As the creation reported them")
    goals_to_confirm: list[GoalToConfirmOut] = Field(
        description="The goals made from the source, with its reference values and whether "
        "the team has set their own since"
    )
    lessons: LessonTallyOut
    created_by_member_id: uuid.UUID | None
    created_at: datetime


NEW_CAMPAIGN_OUT_EXAMPLE: dict[str, JsonValue] = {
    "id": NEW_ID,
    "name": "Summer skincare launch 2025",
    "kind": "new_product_launch",
    "status": "draft",
    "registration_number": None,
    "background": "New sunscreen line",
    "objective_summary": None,
    "target_audience": None,
    "core_message": None,
    "channels": ["social feed", "offline pop-up store"],
    "start_date": "2025-05-01",
    "end_date": "2025-07-15",
    "timezone": "Asia/Shanghai",
    "currency": "CNY",
    "owner_id": MANAGER_ID,
    "tags": ["2024 new product launch"],
    "allowed_actions": ["submit", "cancel"],
    "submitted_at": None,
    "approved_at": None,
    "activated_at": None,
    "completed_at": None,
    "archived_at": None,
    "cancelled_at": None,
    "cancel_reason": None,
    "expenses_settled_at": None,
    "version": 1,
    **_STAMPS,
}


class NewCampaignCreatedOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaign": NEW_CAMPAIGN_OUT_EXAMPLE,
                    "origin": ORIGIN_EXAMPLE,
                }
            ]
        }
    )

    campaign: CampaignOut
    origin: CampaignOriginOut


LESSON_EXAMPLE: dict[str, JsonValue] = {
    "id": _LESSON,
    "campaign_id": NEW_ID,
    "position": 1,
    "source_campaign_id": SOURCE_ID,
    "source_campaign_name": "Summer skincare launch 2024",
    "source_item_id": _ITEM,
    "stage": "预热期 KOC seeding",
    "shortfall": "新注册用户 180,000, 目标 200,000",
    "root_cause": "execution",
    "improvement_action": "下次活动提前两周锁定 KOC 档期",
    "done": True,
    "done_at": "2025-04-02T10:00:00Z",
    "done_by_member_id": MANAGER_ID,
    "done_by_member_name": "Manager Wu",
    "done_by_api_key_id": _KEY,
    "version": 2,
    **_STAMPS,
}


class CampaignLessonOut(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [LESSON_EXAMPLE]})

    id: uuid.UUID
    campaign_id: uuid.UUID
    position: int
    source_campaign_id: uuid.UUID | None
    source_campaign_name: str
    source_item_id: uuid.UUID | None = Field(description="The retrospective item it came from")
    stage: str
    shortfall: str | None
    root_cause: RootCause | None
    improvement_action: str
    done: bool
    done_at: datetime | None = Field(description="When it was ticked; null while not done")
    done_by_member_id: uuid.UUID | None = Field(description="Who ticked it (their API key's)")
    done_by_member_name: str | None
    done_by_api_key_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    version: int


class CampaignLessonUpdate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"done": True}]})

    done: StrictBool = Field(description="Ticked (true) or not (false)")
