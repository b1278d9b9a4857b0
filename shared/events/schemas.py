import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.schemas import ResponseModel

EXAMPLE_EVENT: dict[str, Any] = {
    "id": "01a2010c-c015-761b-9bc5-6ac427b850e1",
    "position": "48213-1077",
    "kind": "alert.fired",
    "subject_type": "alert",
    "subject_id": "01a2010c-c015-761b-9bc5-6ac427b850e0",
    "campaign_id": "01a2010c-3bd9-7716-be78-ba040ba1a6e8",
    "occurred_at": "2024-05-21T09:00:12Z",
    "actor_api_key_id": None,
    "actor_member_id": None,
    "data": {"severity": "warning", "metric": "ctr", "value": "0.012", "threshold": "0.015"},
}


class EventOut(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_EVENT]})

    id: uuid.UUID
    position: str = Field(
        description="Where the event sits in the feed: pass it as `after` (or Last-Event-ID) "
        "to continue after it. Opaque; compare positions only through the feed's order."
    )
    kind: str = Field(description="`<subject type>.<what happened>`, e.g. `alert.fired`")
    subject_type: str = Field(description="alert, issue, task or campaign")
    subject_id: uuid.UUID
    campaign_id: uuid.UUID | None
    occurred_at: datetime
    actor_api_key_id: uuid.UUID | None = Field(description="Who acted; null for the worker")
    actor_member_id: uuid.UUID | None
    data: dict[str, Any] = Field(description="What the change was; its fields depend on `kind`")


class EventFeed(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [EXAMPLE_EVENT], "next": "48213-1077", "has_more": False}]
        }
    )

    items: list[EventOut] = Field(description="Oldest first")
    next: str | None = Field(
        description="Pass as `after` in the next poll; it may move past events your filters "
        "left out. Null only while the workspace has no event at all."
    )
    has_more: bool = Field(description="More events are ready now: poll again without waiting")
