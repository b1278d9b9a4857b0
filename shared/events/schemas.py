import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from shared.events import stream_tokens
from shared.events.kinds import EventKind, SubjectType
from shared.events.service import EventFilters
from shared.schemas import DocumentedAs, RequestModel, ResponseModel

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
    kind: Annotated[str, DocumentedAs(EventKind)] = Field(
        description="`<subject type>.<what happened>`, e.g. `alert.fired`"
    )
    subject_type: Annotated[str, DocumentedAs(SubjectType)] = Field(
        description="What the event is about"
    )
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


# --- stream tokens (a browser's EventSource cannot send an API key) -----------------------

_SAMPLE = "cst_Hq3v0fS2mB8xkRzT1pWc9YdLnA4eJ7uG6iQoK5rVb0s"


class StreamTokenCreate(RequestModel):
    """What the token opens: every event of the workspace, or only these (fixed by the token)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": ["alert.fired", "alert.resolved"],
                    "campaign_id": "01a2010c-3bd9-7716-be78-ba040ba1a6e8",
                }
            ]
        }
    )

    kind: list[EventKind] | None = Field(
        default=None, min_length=1, max_length=len(EventKind), description="Only these kinds"
    )
    campaign_id: uuid.UUID | None = None
    subject_type: SubjectType | None = None
    subject_id: uuid.UUID | None = None
    expires_in_seconds: int = Field(
        default=int(stream_tokens.LIFETIME.total_seconds()),
        ge=int(stream_tokens.MIN_LIFETIME.total_seconds()),
        le=int(stream_tokens.MAX_LIFETIME.total_seconds()),
        strict=True,
        description="How long the token opens streams (an open stream stays open after)",
    )

    def filters(self) -> EventFilters | None:
        """The filters the token fixes; None when it leaves them to the stream's URL."""
        if not (self.kind or self.campaign_id or self.subject_type or self.subject_id):
            return None
        return EventFilters(
            kinds=tuple(dict.fromkeys(kind.value for kind in self.kind or ())),
            campaign_id=self.campaign_id,
            subject_type=self.subject_type.value if self.subject_type else None,
            subject_id=self.subject_id,
        )


class StreamTokenOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "token": _SAMPLE,
                    "expires_at": "2024-06-10T09:01:00Z",
                    "stream_url": f"/v1/events/stream?stream_token={_SAMPLE}",
                }
            ]
        }
    )

    token: str = Field(description="Shown once; it opens the events stream only")
    expires_at: datetime = Field(description="Streams must be opened before this")
    stream_url: str = Field(
        description="Relative URL for `new EventSource(...)`: add `after` to resume"
    )
