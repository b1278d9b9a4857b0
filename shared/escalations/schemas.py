import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import MISSING, BaseModel, ConfigDict, Field, StrictBool

from shared.escalations.levels import (
    DEFAULT_LEVELS,
    DEFAULT_RESOLUTION_OVERDUE,
    Level,
    ResolutionOverdue,
    Role,
)
from shared.schemas import (
    DocumentedAs,
    LongText,
    Name,
    RequestModel,
    ResponseModel,
    one_of,
    variant,
)

# --- levels and targets, as the OpenAPI document shows them --------------------------------
# The service reads `levels` and `resolution_overdue` itself (levels.parse_levels: a 422
# names `levels.0.targets.1`) and stores them as given; the document shows their shape.


class EndpointTarget(BaseModel):
    """A notification endpoint of the workspace (a team's webhook or chat group)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["endpoint"]
    endpoint_id: uuid.UUID


class MemberTarget(BaseModel):
    """A member, reached through their own enabled endpoints."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["member"]
    member_id: uuid.UUID


class RoleTarget(BaseModel):
    """A role read on the campaign (or the issue): `campaign_owner`, `task_owner` (of the
    alert's task), `goal_owner` (of the goals measuring the rule's metric), `issue_owner`,
    `first_approver` and `final_approver` (the first and last steps of the campaign's
    approval chain), `approvers` (every step)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["role"]
    role: Role


Target: Any = one_of("type", [EndpointTarget, MemberTarget, RoleTarget])
Targets: Any = Annotated[list[Target], Field(min_length=1, max_length=20)]
EscalationLevel = variant(
    Level,
    "EscalationLevel",
    "One level of a policy: after `after_minutes` (after the previous level; the first, "
    "after the alert fired) its `targets` are told, unless the alert was acknowledged by "
    "then (`unless: acknowledged`) or its issue has an action plan (`unless: "
    "action_plan`). With `working_hours` it waits for the next window (in the campaign's "
    "timezone unless one is given); `critical_overrides` lets a critical alert through at "
    "any hour.",
    targets=Targets,
)
EscalationResolutionOverdue = variant(
    ResolutionOverdue,
    "EscalationResolutionOverdue",
    "Whom to tell, once, when an issue is still open past its `resolution_due_at`; roles "
    "are read on the issue (`issue_owner`, `task_owner` of its related task).",
    targets=Targets,
)
Levels = DocumentedAs(
    Annotated[list[EscalationLevel], Field(min_length=1, max_length=10)]  # type: ignore[valid-type]
)
Overdue = DocumentedAs(EscalationResolutionOverdue | None)

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
    levels: Annotated[list[dict[str, Any]], Levels] = Field(
        min_length=1, max_length=10, description="The levels, in order"
    )
    resolution_overdue: Annotated[dict[str, Any] | None, Overdue] = Field(
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
    levels: Annotated[list[dict[str, Any]], Levels] | MISSING = MISSING
    resolution_overdue: Annotated[dict[str, Any] | None, Overdue] | MISSING = Field(
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
    levels: Annotated[list[dict[str, Any]], Levels]
    resolution_overdue: Annotated[dict[str, Any] | None, Overdue] = Field(
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
