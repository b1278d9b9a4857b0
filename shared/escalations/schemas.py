import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import MISSING, ConfigDict, Field, StrictBool

from shared.escalations.levels import DEFAULT_LEVELS, DEFAULT_RESOLUTION_OVERDUE
from shared.schemas import LongText, Name, RequestModel, ResponseModel

POLICY_EXAMPLE: dict[str, Any] = {
    "name": "The manuals' escalation",
    "description": "Owner at once; approver after 4 h; management without a plan at 24 h",
    "levels": DEFAULT_LEVELS,
    "resolution_overdue": DEFAULT_RESOLUTION_OVERDUE,
    "repeat": 1,
    "repeat_after_minutes": 60,
    "group_seconds": 30,
    "is_default": True,
}


RESOLUTION_OVERDUE_GUIDE = (
    "Whom to tell, once, when an issue is still open or in progress past its "
    "`resolution_due_at`: {targets: [...]} (1-20, the same kinds as a level's; roles are "
    "read on the issue: issue_owner, task_owner of its related task). Null: nobody."
)


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
    resolution_overdue: dict[str, Any] | None = Field(
        default=None,
        description=RESOLUTION_OVERDUE_GUIDE,
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
    resolution_overdue: dict[str, Any] | MISSING | None = Field(
        default=MISSING, description=RESOLUTION_OVERDUE_GUIDE
    )
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
    resolution_overdue: dict[str, Any] | None = Field(
        description="Whom the policy tells when an issue is not resolved in time (null: nobody)"
    )
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
                    "trigger": "alert",
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
    trigger: Literal["alert", "resolution_overdue"] = Field(
        description="alert: a level of the alert's escalation; resolution_overdue: the issue "
        "was not resolved in time and the policy's `resolution_overdue` targets were told "
        "(level and round are then 1)"
    )
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
