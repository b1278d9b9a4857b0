import uuid
from datetime import datetime
from typing import Any

from pydantic import MISSING, ConfigDict, Field, StrictBool

from shared.escalations.levels import DEFAULT_LEVELS
from shared.schemas import LongText, Name, RequestModel, ResponseModel

POLICY_EXAMPLE: dict[str, Any] = {
    "name": "The manuals' escalation",
    "description": "Owner at once; approver after 4 h; management without a plan at 24 h",
    "levels": DEFAULT_LEVELS,
    "repeat": 1,
    "repeat_after_minutes": 60,
    "group_seconds": 30,
    "is_default": True,
}


class PolicyCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [POLICY_EXAMPLE]})

    name: Name
    description: LongText | None = None
    levels: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=10,
        description="Each: after_minutes, targets [{type: endpoint|member|role, ...}], "
        "unless (acknowledged | action_plan), working_hours, critical_overrides",
    )
    repeat: int = Field(default=1, ge=1, le=10, description="Times the whole policy runs")
    repeat_after_minutes: int = Field(default=60, ge=1, le=10_080)
    group_seconds: int = Field(
        default=30, ge=0, le=3600, description="Alerts of a campaign firing within it: one message"
    )
    is_default: StrictBool = False


class PolicyUpdate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"repeat": 2}]})

    name: Name | MISSING = MISSING
    description: LongText | MISSING | None = MISSING
    levels: list[dict[str, Any]] | MISSING = MISSING
    repeat: int | MISSING = Field(default=MISSING, ge=1, le=10)
    repeat_after_minutes: int | MISSING = Field(default=MISSING, ge=1, le=10_080)
    group_seconds: int | MISSING = Field(default=MISSING, ge=0, le=3600)
    is_default: StrictBool | MISSING = MISSING


class PolicyOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                POLICY_EXAMPLE
                | {
                    "id": "01a2010c-c015-761b-9bc5-6ac427b850dc",
                    "created_at": "2024-06-01T08:00:00Z",
                    "version": 1,
                }
            ]
        }
    )

    id: uuid.UUID
    name: str
    description: str | None
    levels: list[dict[str, Any]]
    repeat: int
    repeat_after_minutes: int
    group_seconds: int
    is_default: bool
    created_at: datetime
    version: int


class StepOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "level": 2,
                    "round": 1,
                    "at": "2024-06-10T13:00:00Z",
                    "action": "notified",
                    "upcoming": False,
                    "target": "first_approver 01a2010c-c015-761b-9bc5-6ac427b850dd",
                    "endpoint_id": "01a2010c-c015-761b-9bc5-6ac427b850de",
                    "delivery_id": "01a2010c-c015-761b-9bc5-6ac427b850df",
                    "delivery_status": "delivered",
                    "last_status_code": 200,
                    "note": None,
                }
            ]
        }
    )

    level: int = Field(description="1-based")
    round: int = Field(description="1-based")
    at: datetime = Field(description="When it happened; for a level still to come, when it is due")
    action: str = Field(description="notified, skipped, waiting or unreachable")
    upcoming: bool = Field(
        description="A level still to come (`waiting`, the note says why and until when); "
        "it goes out at `at` unless someone acts first"
    )
    target: str
    endpoint_id: uuid.UUID | None
    delivery_id: uuid.UUID | None
    delivery_status: str | None = Field(description="What became of the notification")
    last_status_code: int | None = Field(description="What the receiver answered")
    note: str | None
