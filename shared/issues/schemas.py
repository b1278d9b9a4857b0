"""Bodies for issues, their comments, their history and the workspace's response and
resolution times."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Self

from pydantic import MISSING, ConfigDict, Field, JsonValue, StringConstraints

from shared.issues.models import CommentKind, IssueSource, IssueStatus, Severity
from shared.schemas import CalendarDay, LongText, Name, RequestModel, ResponseModel

Paragraph = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)
]
Percent = Annotated[int, Field(ge=0, le=100, strict=True)]
# Up to a year: anything longer is not a response time but a backlog.
Minutes = Annotated[int, Field(ge=1, le=525_600, strict=True, examples=[240])]

SAMPLE_ISSUE: dict[str, JsonValue] = {
    "campaign_id": "01a2010c-3bd9-7716-be78-ba040ba1a6e8",
    "related_task_id": "01a2010c-c015-761b-9bc5-6ac427b850dc",
    "title": "CTR 1.2% on the social feed, 20% under the 1.5% target",
    "description": "Click-through on the social feed has stayed at 1.2% for three days.",
    "impact": "New users 30% behind pace; the 618 week is at risk.",
    "owner_id": "01a2010c-5c6a-726e-a76a-f95b25ae53ba",
    "action_plan": None,
    "expected_resolution_date": "2024-06-05",
    "severity": "warning",
}


class IssueCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SAMPLE_ISSUE]})

    campaign_id: uuid.UUID
    related_task_id: uuid.UUID | None = Field(
        default=None, description="A task of the same campaign"
    )
    title: Name
    description: Paragraph = Field(description="The problem")
    impact: LongText | None = None
    owner_id: uuid.UUID = Field(description="The one member responsible for resolving it")
    action_plan: Paragraph | None = Field(
        default=None, description="Given now, the response is on time (`responded_at`)"
    )
    expected_resolution_date: CalendarDay | None = None
    progress: Percent = 0
    severity: Severity = Severity.warning


class IssueUpdate(RequestModel):
    """Send only the fields to change; `null` clears an optional one.

    `status` moves along open <-> in_progress -> resolved -> closed (any open state may
    also go straight to resolved or closed). Back from resolved or closed is
    `POST /v1/issues/{id}/reopen`. A closed issue cannot be edited until reopened.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "action_plan": "Swap the creatives for the two best-performing KOC posts.",
                    "status": "in_progress",
                    "progress": 30,
                }
            ]
        }
    )

    title: Name | MISSING = MISSING
    description: Paragraph | MISSING = MISSING
    impact: LongText | MISSING | None = MISSING
    owner_id: uuid.UUID | MISSING = MISSING
    related_task_id: uuid.UUID | MISSING | None = MISSING
    action_plan: Paragraph | MISSING | None = MISSING
    expected_resolution_date: CalendarDay | MISSING | None = MISSING
    progress: Percent | MISSING = MISSING
    status: IssueStatus | MISSING = MISSING
    severity: Severity | MISSING = MISSING


class ReopenRequest(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "CTR dropped again after the creative swap."}]}
    )

    reason: Paragraph = Field(description="Kept as a comment on the issue")


class IssueOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                SAMPLE_ISSUE
                | {
                    "id": "01a2010c-d1a0-7a3e-8f21-3c2b1a0e9f11",
                    "progress": 0,
                    "status": "open",
                    "source": "manual",
                    "alert_id": None,
                    "retrospective_item_id": None,
                    "response_due_at": "2024-05-21T09:00:00Z",
                    "responded_at": None,
                    "sla_breached_at": None,
                    "response_overdue": False,
                    "resolution_due_at": "2024-05-22T09:00:00Z",
                    "resolution_overdue_at": None,
                    "resolution_overdue": False,
                    "opened_at": "2024-05-20T09:00:00Z",
                    "resolved_at": None,
                    "closed_at": None,
                    "allowed_statuses": ["in_progress", "resolved", "closed"],
                    "created_at": "2024-05-20T09:00:00Z",
                    "updated_at": "2024-05-20T09:00:00Z",
                    "version": 1,
                }
            ]
        }
    )

    id: uuid.UUID
    campaign_id: uuid.UUID
    related_task_id: uuid.UUID | None
    title: str
    description: str
    impact: str | None
    owner_id: uuid.UUID
    action_plan: str | None
    expected_resolution_date: date | None
    progress: int
    status: IssueStatus
    severity: Severity
    source: IssueSource = Field(
        description="manual; alert: opened by the alert `alert_id`; retrospective: the "
        "action of the retrospective item `retrospective_item_id` (a follow-up for after "
        "the campaign)"
    )
    alert_id: uuid.UUID | None
    retrospective_item_id: uuid.UUID | None = Field(
        description="The retrospective item whose improvement action this issue tracks"
    )
    response_due_at: datetime = Field(description="The action plan is due by then")
    responded_at: datetime | None = Field(description="When the action plan was first given")
    sla_breached_at: datetime | None = Field(
        description="When the response time was found exceeded (recorded once)"
    )
    response_overdue: bool = Field(description="No action plan, not resolved, and past due now")
    resolution_due_at: datetime = Field(
        description="The issue should be resolved by then: opening + the workspace's "
        "resolution time for the severity (48 hours by default)"
    )
    resolution_overdue_at: datetime | None = Field(
        description="When the resolution time was found exceeded (recorded once, with an "
        "`issue.resolution_overdue` event; kept if the issue is resolved later)"
    )
    resolution_overdue: bool = Field(
        description="Neither resolved nor closed, and past `resolution_due_at` now"
    )
    opened_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    allowed_statuses: list[IssueStatus] = Field(description="What PATCH `status` accepts next")
    created_at: datetime
    updated_at: datetime
    version: int


class CommentCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"body": "New creatives go live tomorrow at 10:00."}]}
    )

    body: Paragraph


class CommentOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01a2010c-d1a0-7a3e-8f21-3c2b1a0e9f12",
                    "issue_id": "01a2010c-d1a0-7a3e-8f21-3c2b1a0e9f11",
                    "kind": "person",
                    "body": "New creatives go live tomorrow at 10:00.",
                    "actor_api_key_id": "01a2010c-5c6a-726e-a76a-f95b25ae53bb",
                    "actor_member_id": "01a2010c-5c6a-726e-a76a-f95b25ae53ba",
                    "created_at": "2024-05-20T11:30:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    issue_id: uuid.UUID
    kind: CommentKind = Field(description="person, or system (written by campaignops)")
    body: str
    actor_api_key_id: uuid.UUID | None
    actor_member_id: uuid.UUID | None
    created_at: datetime


class FieldChangeOut(ResponseModel):
    field: str
    old: Any
    new: Any


class HistoryEntryOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01a2010c-d1a0-7a3e-8f21-3c2b1a0e9f13",
                    "at": "2024-05-20T10:02:00Z",
                    "entity_type": "issue",
                    "entity_id": "01a2010c-d1a0-7a3e-8f21-3c2b1a0e9f11",
                    "action": "updated",
                    "actor_api_key_id": "01a2010c-5c6a-726e-a76a-f95b25ae53bb",
                    "actor_member_id": "01a2010c-5c6a-726e-a76a-f95b25ae53ba",
                    "changes": [
                        {"field": "status", "old": "open", "new": "in_progress"},
                        {"field": "progress", "old": 0, "new": 30},
                    ],
                }
            ]
        }
    )

    id: uuid.UUID
    at: datetime
    entity_type: str = Field(description="issue, or issue_comment")
    entity_id: uuid.UUID
    action: str = Field(description="created, updated or deleted")
    actor_api_key_id: uuid.UUID | None = Field(description="Null: campaignops itself (a job)")
    actor_member_id: uuid.UUID | None
    changes: list[FieldChangeOut]


# The response and resolution times are both minutes per severity; their bodies differ
# only in what they say (descriptions, examples, defaults).


class SeverityMinutesIn(RequestModel):
    info: Minutes | None = None
    warning: Minutes | None = None
    critical: Minutes | None = None

    def by_severity(self) -> dict[Severity, int | None]:
        return {
            Severity.info: self.info,
            Severity.warning: self.warning,
            Severity.critical: self.critical,
        }


class SeverityMinutesOut(ResponseModel):
    info: int = Field(description="Minutes")
    warning: int = Field(description="Minutes")
    critical: int = Field(description="Minutes")
    defaulted: list[Severity]  # each body says which default

    @classmethod
    def of(cls, minutes: dict[Severity, int], defaulted: list[Severity]) -> Self:
        return cls(
            info=minutes[Severity.info],
            warning=minutes[Severity.warning],
            critical=minutes[Severity.critical],
            defaulted=defaulted,
        )


class ResponseTimesIn(SeverityMinutesIn):
    """Minutes an issue of each severity may wait for its action plan; a severity left
    out (or null) uses the default of 24 hours. Applies to issues opened from now on."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"critical": 240, "warning": 1440, "info": 2880}]}
    )


class ResponseTimesOut(SeverityMinutesOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"info": 1440, "warning": 1440, "critical": 240, "defaulted": ["info", "warning"]}
            ]
        }
    )

    defaulted: list[Severity] = Field(description="Severities on the default (1,440 minutes)")


class ResolutionTimesIn(SeverityMinutesIn):
    """Minutes an issue of each severity may stay unresolved; a severity left out (or null)
    uses the default of 48 hours (the manuals' emergency window). Applies to issues opened
    from now on, and to those whose severity changes before they are found overdue."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"critical": 1440, "warning": 2880, "info": 4320}]}
    )


class ResolutionTimesOut(SeverityMinutesOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"info": 2880, "warning": 2880, "critical": 1440, "defaulted": ["info", "warning"]}
            ]
        }
    )

    defaulted: list[Severity] = Field(description="Severities on the default (2,880 minutes)")
