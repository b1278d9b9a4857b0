"""Request and response bodies for campaigns; examples follow the brief's sample campaign."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import MISSING, ConfigDict, Field, JsonValue, StringConstraints, computed_field

from shared.campaigns import lifecycle
from shared.campaigns.models import CampaignKind, CampaignStatus
from shared.schemas import CalendarDay, LongText, Name, RequestModel, ResponseModel
from shared.workspaces.schemas import CurrencyCode, TimeZoneName

Channel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Channels = Annotated[list[Channel], Field(max_length=30)]
Tags = Annotated[list[Tag], Field(max_length=30)]
ShortParagraph = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]

SAMPLE_CAMPAIGN: dict[str, JsonValue] = {
    "name": "Summer skincare launch 2024",
    "kind": "new_product_launch",
    "background": "New sunscreen line; the category grows 30% a year on lifestyle apps.",
    "objective_summary": "200,000 new users and 5,000,000 GMV by the end of June.",
    "target_audience": "Women 18-35 in tier-1 and tier-2 cities",
    "core_message": "Light as water, strong as summer",
    "channels": ["social feed", "short video", "e-commerce", "offline pop-up store"],
    "start_date": "2024-05-01",
    "end_date": "2024-07-15",
    "timezone": "Asia/Shanghai",
    "currency": "CNY",
    "tags": ["2024 new product launch", "offline pop-up store"],
}


class CampaignCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SAMPLE_CAMPAIGN]})

    name: Name
    kind: CampaignKind
    background: LongText | None = None
    objective_summary: LongText | None = None
    target_audience: ShortParagraph | None = None
    core_message: ShortParagraph | None = None
    channels: Channels = Field(default_factory=list)
    start_date: CalendarDay | None = None
    end_date: CalendarDay | None = None
    timezone: TimeZoneName | None = Field(
        default=None, description="IANA zone for the campaign's days; default: the workspace's"
    )
    currency: CurrencyCode | None = Field(default=None, description="Default: the workspace's")
    owner_id: uuid.UUID | None = Field(default=None, description="A member of the workspace")
    tags: Tags = Field(default_factory=list)


class CampaignUpdate(RequestModel):
    """Send only the fields to change; `null` clears an optional one.

    In draft or rejected every field may change. Once approved, only name, texts,
    channels, tags and owner may; the rest needs POST /revise and a new approval.
    """

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"core_message": "Light as water, strong as summer"}]}
    )

    name: Name | MISSING = MISSING
    kind: CampaignKind | MISSING = MISSING
    background: LongText | MISSING | None = MISSING
    objective_summary: LongText | MISSING | None = MISSING
    target_audience: ShortParagraph | MISSING | None = MISSING
    core_message: ShortParagraph | MISSING | None = MISSING
    channels: Channels | MISSING = MISSING
    start_date: CalendarDay | MISSING | None = MISSING
    end_date: CalendarDay | MISSING | None = MISSING
    timezone: TimeZoneName | MISSING = MISSING
    currency: CurrencyCode | MISSING = MISSING
    owner_id: uuid.UUID | MISSING | None = MISSING
    tags: Tags | MISSING = MISSING


class CampaignOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                SAMPLE_CAMPAIGN
                | {
                    "id": "01a2010c-3bd9-7716-be78-ba040ba1a6e8",
                    "status": "approved",
                    "registration_number": "CMP-2024-0007",
                    "owner_id": "01a2010c-5c6a-726e-a76a-f95b25ae53ba",
                    "allowed_actions": ["revise", "activate", "cancel"],
                    "submitted_at": "2024-04-20T09:00:00Z",
                    "approved_at": "2024-04-22T15:30:00Z",
                    "activated_at": None,
                    "completed_at": None,
                    "archived_at": None,
                    "cancelled_at": None,
                    "cancel_reason": None,
                    "created_at": "2024-04-18T08:00:00Z",
                    "updated_at": "2024-04-22T15:30:00Z",
                    "version": 9,
                }
            ]
        }
    )

    id: uuid.UUID
    name: str
    kind: CampaignKind
    status: CampaignStatus
    registration_number: str | None
    background: str | None
    objective_summary: str | None
    target_audience: str | None
    core_message: str | None
    channels: list[str]
    start_date: date | None
    end_date: date | None
    timezone: str
    currency: str
    owner_id: uuid.UUID | None
    tags: list[str]
    submitted_at: datetime | None
    approved_at: datetime | None
    activated_at: datetime | None
    completed_at: datetime | None
    archived_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    expenses_settled_at: datetime | None = Field(
        default=None,
        description="When finance settled the expenses (frozen until the settlement is "
        "reopened); null while they are open",
    )
    created_at: datetime
    updated_at: datetime
    version: int

    @computed_field(description="Lifecycle actions possible now")  # type: ignore[prop-decorator]
    @property
    def allowed_actions(self) -> list[str]:
        return lifecycle.allowed_actions(self.status)


class CancelRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Launch postponed"}]})

    reason: ShortParagraph | None = Field(default=None, examples=["Product launch postponed"])


class ReadinessFinding(ResponseModel):
    code: str = Field(examples=["goal_without_owner"])
    message: str = Field(examples=["Goal 'new_users' has no owner."])
    ref: str | None = Field(default=None, description="The item concerned", examples=[None])


class ReadinessOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ready": False,
                    "blockers": [
                        {
                            "code": "no_contingency",
                            "message": "The budget has no contingency reserve.",
                            "ref": None,
                        }
                    ],
                    "warnings": [
                        {
                            "code": "phases_overlap",
                            "message": "Phases 'warm-up' and 'burst' overlap.",
                            "ref": None,
                        }
                    ],
                }
            ]
        }
    )

    ready: bool
    blockers: list[ReadinessFinding] = Field(description="Each one stops a submission (422)")
    warnings: list[ReadinessFinding] = Field(description="Worth a look; they do not stop it")
