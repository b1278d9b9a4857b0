"""Bodies for signing tasks off (submit, accept, return) and for due-soon warnings."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AnyHttpUrl, ConfigDict, Field, StringConstraints, UrlConstraints

from shared.schemas import LongText, RequestModel, ResponseModel
from shared.tasks.models import ReviewOutcome
from shared.tasks.workdays import MAX_DUE_SOON_DAYS

Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
RequiredComment = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
]
DeliverableLink = Annotated[
    AnyHttpUrl,
    UrlConstraints(max_length=2048),
    Field(description="Where the approver finds the deliverable (http or https)"),
]
DueSoonDays = Annotated[
    int,
    Field(
        ge=0,
        le=MAX_DUE_SOON_DAYS,
        strict=True,
        description="Working days (Mon-Fri) before the planned end; 0 turns warnings off",
    ),
]


class SubmitIn(RequestModel):
    """A link to the deliverable, a note, or both (one at least)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "link": "https://docs.example.com/koc-publishing-schedule",
                    "note": "Schedule for 20 KOCs, 06-01..06-15, fees confirmed.",
                }
            ]
        }
    )

    link: DeliverableLink | None = None
    note: Comment | None = None
    force_reason: LongText | None = Field(
        default=None,
        description="Submit although a predecessor is not done; written to the execution log",
    )


class AcceptIn(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"comment": "Good to publish."}]})

    comment: Comment | None = None


class ReturnIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"comment": "Add each KOC's fee and the posting time slot."}]
        }
    )

    comment: RequiredComment = Field(description="What to change before submitting again")


class TaskReviewOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01a2010c-c015-761b-9bc5-6ac427b85200",
                    "task_id": "01a2010c-c015-761b-9bc5-6ac427b850dc",
                    "number": 1,
                    "link": "https://docs.example.com/koc-publishing-schedule",
                    "note": "Schedule for 20 KOCs, 06-01..06-15.",
                    "submitted_by_member_id": "01a2010c-5c6a-726e-a76a-f95b25ae53ba",
                    "submitted_at": "2024-05-29T09:30:00Z",
                    "outcome": "returned",
                    "decided_by_member_id": "01a2010c-5c6a-726e-a76a-f95b25ae53bb",
                    "decided_at": "2024-05-29T14:00:00Z",
                    "comment": "Add each KOC's fee and the posting time slot.",
                }
            ]
        }
    )

    id: uuid.UUID
    task_id: uuid.UUID
    number: int = Field(description="1 for the first submission, then 2, 3...")
    link: str | None
    note: str | None
    submitted_by_member_id: uuid.UUID | None
    submitted_at: datetime
    outcome: ReviewOutcome | None = Field(description="null while the approver has not decided")
    decided_by_member_id: uuid.UUID | None
    decided_at: datetime | None
    comment: str | None


class WorkspaceRemindersIn(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"due_soon_days": 3}]})

    due_soon_days: DueSoonDays


class WorkspaceRemindersOut(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"due_soon_days": 3}]})

    due_soon_days: int = Field(description="Working days ahead; the default is 3")


class CampaignRemindersIn(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"due_soon_days": 5}]})

    due_soon_days: DueSoonDays | None = Field(
        description="The campaign's own number; null follows the workspace's"
    )


class CampaignRemindersOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"due_soon_days": 5, "effective_due_soon_days": 5}]}
    )

    due_soon_days: int | None = Field(description="The campaign's own; null: the workspace's")
    effective_due_soon_days: int = Field(description="The number the warnings use")
