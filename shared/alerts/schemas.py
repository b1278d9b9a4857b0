import uuid
from datetime import datetime, time
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from shared.alerts.models import AlertStatus
from shared.rules.models import Severity
from shared.rules.schemas import Labels
from shared.schemas import DocumentedAs, Instant, LongText, RequestModel, ResponseModel

ALERT_EXAMPLE: dict[str, Any] = {
    "id": "01a2010c-c015-761b-9bc5-6ac427b850dc",
    "rule_id": "01a2010c-c015-761b-9bc5-6ac427b850dd",
    "campaign_id": "01a2010c-c015-761b-9bc5-6ac427b850de",
    "subject": "social_feed",
    "channel": "social_feed",
    "task_id": None,
    "status": "firing",
    "severity": "warning",
    "message": "ctr 0.012 is 20% under its target 0.015",
    "value": "0.012",
    "threshold": "0.012",
    "labels": {"team": "growth"},
    "first_seen_at": "2024-06-10T09:00:00Z",
    "last_seen_at": "2024-06-10T10:00:00Z",
    "fired_at": "2024-06-10T09:00:00Z",
    "acknowledged_at": None,
    "resolved_at": None,
    "resolve_note": None,
    "breaches": 2,
    "silenced": False,
    "silence_id": None,
    "version": 3,
}


class AlertOut(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ALERT_EXAMPLE]})

    id: uuid.UUID
    rule_id: uuid.UUID
    campaign_id: uuid.UUID
    subject: str = Field(description="'' for the campaign total, a channel key or a task id")
    channel: str | None
    task_id: uuid.UUID | None
    status: AlertStatus
    severity: Severity
    message: str
    value: Decimal | None
    threshold: Decimal | None
    labels: dict[str, str] = Field(description="Its rule's labels, which silences match")
    first_seen_at: datetime
    last_seen_at: datetime
    fired_at: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    resolve_note: str | None
    breaches: int = Field(description="Evaluations that found the breach while it was open")
    silenced: bool = Field(description="Recorded and visible, but notifies nobody")
    silence_id: uuid.UUID | None
    version: int


class TransitionOut(ResponseModel):
    from_status: AlertStatus | None
    to_status: AlertStatus
    at: datetime
    value: Decimal | None
    threshold: Decimal | None
    api_key_id: uuid.UUID | None = Field(description="Who, for a person's transition")
    member_id: uuid.UUID | None
    note: str | None


class AlertDetailOut(AlertOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                ALERT_EXAMPLE
                | {
                    "transitions": [
                        {
                            "from_status": None,
                            "to_status": "pending",
                            "at": "2024-06-10T09:00:00Z",
                            "value": "0.012",
                            "threshold": "0.012",
                            "api_key_id": None,
                            "member_id": None,
                            "note": None,
                        }
                    ]
                }
            ]
        }
    )

    transitions: list[TransitionOut]


class AcknowledgeIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"comment": "Looking at the live-stream budget"}]}
    )

    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class ResolveIn(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"note": "Budget moved to live"}]})

    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


TimeZoneName = Annotated[str, StringConstraints(max_length=64)]


SILENCE_EXAMPLE: dict[str, Any] = {
    "channel": "offline_store",
    "starts_at": "2024-06-01T00:00:00+08:00",
    "weekdays": [0, 1, 2, 3, 4, 5, 6],
    "window_start": "22:00:00",
    "window_end": "08:00:00",
    "timezone": "Asia/Shanghai",
    "comment": "The store is closed at night",
}


class SilenceCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SILENCE_EXAMPLE]})

    campaign_id: uuid.UUID | None = None
    rule_id: uuid.UUID | None = None
    channel: Annotated[str, StringConstraints(max_length=64)] | None = None
    severity: Severity | None = None
    labels: Labels = Field(
        default_factory=dict,
        description="Matchers: the silence covers an alert whose labels (its rule's) have "
        "each of these values",
    )
    starts_at: Instant = Field(description="With an offset")
    ends_at: Instant | None = Field(default=None, description="None: until ended")
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] | None = Field(
        default=None, description="0 = Monday; with a daily window"
    )
    window_start: time | None = None
    window_end: time | None = Field(default=None, description="Before start: past midnight")
    timezone: TimeZoneName | None = None
    comment: LongText

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and value not in available_timezones():
            raise ValueError(f"unknown timezone '{value}'")
        return value


class SilenceOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                SILENCE_EXAMPLE
                | {
                    "id": "01a2010c-c015-761b-9bc5-6ac427b850dc",
                    "campaign_id": None,
                    "rule_id": None,
                    "severity": None,
                    "labels": {},
                    "ends_at": None,
                    "created_at": "2024-06-01T08:00:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    campaign_id: uuid.UUID | None
    rule_id: uuid.UUID | None
    channel: str | None
    severity: Severity | None
    labels: Annotated[dict[str, Any], DocumentedAs(Labels)] = Field(
        description="Matchers on the alert's labels (empty: any labels)"
    )
    starts_at: datetime
    ends_at: datetime | None
    weekdays: list[int] | None
    window_start: time | None
    window_end: time | None
    timezone: str | None
    comment: str
    created_at: datetime
