"""Receiving batches: the webhook's envelope, and a batch as stored and applied."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, field_validator

from shared.errors import FieldError, Invalid
from shared.ingestion.models import BatchStatus
from shared.schemas import CalendarDay, DocumentedAs, ResponseModel, contains_nul

MAX_POINTS = 10_000

POINT_EXAMPLE: dict[str, JsonValue] = {
    "campaign": "CMP-2024-0007",
    "channel": "social_feed",
    "metric": "clicks",
    "ts": "2024-06-10T09:00:00+08:00",
    "value": 1050,
    "mode": "increment",
}


# --- a point, as the OpenAPI document shows it ----------------------------------------------
# Points are checked one by one when the batch is applied (apply.Point, and the campaign,
# channel and metric looked up), each refused on its own with a reason: the envelope only
# checks that they are objects. The document shows what a point holds.


class EnteredPoint(BaseModel):
    """One figure of a metric on a channel, at an hour (`ts`) or on a day (`date`):
    exactly one of the two. Hourly buckets: `ts` counts in its hour, `date` at the day's
    midnight in the campaign's timezone. Up to 30 days late; not in the future."""

    model_config = ConfigDict(extra="forbid")

    channel: str = Field(description="The channel's key", examples=["social_feed"])
    metric: str = Field(
        description="A base metric of the dictionary by key (derived ones are computed)",
        examples=["clicks"],
    )
    ts: AwareDatetime | None = Field(default=None, description="An instant, with an offset")
    date: CalendarDay | None = Field(default=None, description="A day of the campaign")
    value: Decimal = Field(description="A finite number; stored with 6 decimals")
    mode: Literal["set", "increment"] = Field(
        default="set",
        description="set: the bucket's value (replacing); increment: added to it",
    )


class IngestPoint(EnteredPoint):
    """A point pushed by an integration: it names its campaign."""

    campaign: str = Field(
        description="The campaign's id or registration number", examples=["CMP-2024-0007"]
    )


class IngestBatchIn(BaseModel):
    """The envelope only: each point is checked by the worker and rejected on its own."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "points": [
                        POINT_EXAMPLE,
                        {
                            "campaign": "CMP-2024-0007",
                            "channel": "offline_store",
                            "metric": "visitors",
                            "date": "2024-06-10",
                            "value": 2000,
                        },
                    ]
                }
            ]
        }
    )

    points: Annotated[
        list[dict[str, Any]],
        DocumentedAs(Annotated[list[IngestPoint], Field(min_length=1, max_length=MAX_POINTS)]),
    ] = Field(
        min_length=1,
        max_length=MAX_POINTS,
        description="Each rejected on its own when it cannot apply (see the batch)",
    )

    @field_validator("points", mode="after")
    @classmethod
    def _no_nul_characters(cls, points: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if contains_nul(points):  # JSONB cannot store U+0000
            raise ValueError("must not contain NUL (\\u0000) characters")
        return points


class MetricPointsIn(IngestBatchIn):
    """People's own figures for one campaign (the one in the path): points as ingestion's,
    without `campaign`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "points": [
                        {
                            "channel": "social_feed",
                            "metric": "clicks",
                            "date": "2024-06-10",
                            "value": 1050,
                        },
                        {
                            "channel": "offline_store",
                            "metric": "visitors",
                            "ts": "2024-06-10T17:00:00+08:00",
                            "value": "2000",
                            "mode": "increment",
                        },
                    ]
                }
            ]
        }
    )

    points: Annotated[
        list[dict[str, Any]],
        DocumentedAs(Annotated[list[EnteredPoint], Field(min_length=1, max_length=MAX_POINTS)]),
    ] = Field(
        min_length=1,
        max_length=MAX_POINTS,
        description="Any point that cannot apply refuses the entry (unless partial=true)",
    )


def envelope_points(body: bytes) -> list[dict[str, Any]]:
    """The points of a signed batch body, checked as IngestBatchIn describes.

    Hand-written rather than `IngestBatchIn.model_validate_json`: at 25 batches of
    1,000 points a second the model's per-point work was a third of the API's time.
    """
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedJson(str(exc)) from exc
    points = envelope.get("points") if isinstance(envelope, dict) else None
    if not isinstance(points, list):
        where, problem = ("points", "a list of points is required")
        if not isinstance(envelope, dict):
            where, problem = ("body", "must be an object with a list of points")
        raise Invalid("The batch envelope is not valid.", [FieldError(where, problem)])
    if not 1 <= len(points) <= MAX_POINTS:
        raise Invalid(
            "The batch envelope is not valid.",
            [FieldError("points", f"from 1 to {MAX_POINTS:,} points, not {len(points):,}")],
        )
    not_objects = [i for i, point in enumerate(points) if not isinstance(point, dict)]
    if not_objects:
        raise Invalid(
            "The batch envelope is not valid.",
            [FieldError(f"points.{i}", "must be an object") for i in not_objects[:50]],
        )
    # JSON can only carry U+0000 escaped; JSONB cannot store it at all.
    if b"\\u0000" in body and contains_nul(points):
        raise Invalid(
            "The batch envelope is not valid.",
            [FieldError("points", "must not contain NUL (\\u0000) characters")],
        )
    return points


class MalformedJson(ValueError):
    """The body is not JSON at all (a 400, unlike a wrong shape, a 422)."""


class IngestAccepted(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "batch_id": "01a2010c-c015-761b-9bc5-6ac427b850dc",
                    "status": "received",
                    "points": 2,
                    "duplicate": False,
                }
            ]
        }
    )

    batch_id: uuid.UUID
    status: BatchStatus
    points: int
    duplicate: bool = Field(description="This webhook-id was received before: nothing stored")


class RejectedPoint(ResponseModel):
    index: int
    reason: str


class IngestBatchOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01a2010c-c015-761b-9bc5-6ac427b850dc",
                    "integration_id": "01a2010c-c015-761b-9bc5-6ac427b850dd",
                    "webhook_id": "msg_2Lxa",
                    "status": "applied",
                    "point_count": 2,
                    "accepted_count": 1,
                    "rejected": [{"index": 1, "reason": "unknown channel 'tv'"}],
                    "created_at": "2024-06-10T09:00:01Z",
                    "applied_at": "2024-06-10T09:00:01Z",
                    "attempts": 1,
                    "last_error": None,
                }
            ]
        }
    )

    id: uuid.UUID
    integration_id: uuid.UUID | None = Field(description="null for a manual entry")
    webhook_id: str
    status: BatchStatus = Field(
        description="failed: no point could apply (see rejected), or applying it failed "
        "attempts times for another reason (see last_error) and it is not retried"
    )
    point_count: int
    accepted_count: int | None
    rejected: list[RejectedPoint] | None
    created_at: datetime
    applied_at: datetime | None
    attempts: int = Field(description="Tries at applying it so far; a failed one is retried")
    last_error: str | None = Field(
        description="Why the last failed try failed (not a rejected point: the batch as a whole)"
    )
