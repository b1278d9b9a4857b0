"""Request and response models of notification endpoints and deliveries, and the documented
payloads receivers get (they appear in the OpenAPI document's `webhooks` section)."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    MISSING,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StringConstraints,
    field_validator,
)

from shared.events.kinds import ALERT_ESCALATED, ALERT_FIRED, ALERT_RESOLVED, ALL_KINDS, EventKind
from shared.notifications import formats
from shared.notifications.messages import TEST_KIND
from shared.notifications.models import DeliveryStatus, EndpointFormat
from shared.notifications.payloads import (
    ESCALATED_ALERT_EXAMPLE,
    EVENT_DATA_EXAMPLE,
    EscalationData,
    EventData,
    NotificationData,
)
from shared.rules.models import Severity
from shared.schemas import (
    DocumentedAs,
    LongText,
    Name,
    RequestModel,
    ResponseModel,
    Variants,
    one_of,
    variant,
)

# What a delivery is about: a feed event's kind, an escalation, or an endpoint's test.
NotificationKind = EventKind | Literal["alert.escalated", "test"]
EventKinds = DocumentedAs(list[EventKind])

Url = Annotated[AnyHttpUrl, Field(description="https (http only for allowlisted networks)")]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
RoutingKey = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
# What DingTalk shows under 加签: SEC and 64 hex digits (examples, not real secrets).
_BOT_SECRET = "SEC3d5c1c0e3f2a4b7d9e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4"  # noqa: S105
_NEW_BOT_SECRET = "SECa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2"  # noqa: S105
BotSecret = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=8, max_length=100, pattern=r"^[!-~]+$"),
    Field(
        description="feishu and dingtalk only: the signing secret shown in the bot's security "
        "settings (Feishu 签名校验, DingTalk 加签, `SEC...`). Never shown back; "
        "`bot_secret_hint` tells which one is set",
        examples=[_BOT_SECRET],
    ),
]


def _known_kinds(values: list[str]) -> list[str]:
    unknown = [v for v in values if v not in ALL_KINDS]
    if unknown:
        raise ValueError(f"unknown event kinds {unknown}; kinds are {', '.join(ALL_KINDS)}")
    return list(dict.fromkeys(values))


_ENDPOINT_EXAMPLE: dict[str, JsonValue] = {
    "id": "01a2010c-c015-761b-9bc5-6ac427b85100",
    "name": "Ops team webhook",
    "url": "https://ops.example.com/hooks/campaignops",
    "format": "webhook",
    "description": "Alerts for the 618 festival",
    "enabled": True,
    "disabled_reason": None,
    "event_kinds": ["alert.fired", "alert.resolved"],
    "min_severity": "warning",
    "campaign_ids": [],
    "campaign_tags": ["618"],
    "routing_key": None,
    "bot_secret_hint": None,
    "member_id": None,
    "secret_rotated_at": None,
    "previous_expires_at": None,
    "created_at": "2024-05-20T08:00:00Z",
    "updated_at": "2024-05-20T08:00:00Z",
    "version": 1,
}


class EndpointCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Ops team webhook",
                    "url": "https://ops.example.com/hooks/campaignops",
                    "format": "webhook",
                    "event_kinds": ["alert.fired", "alert.resolved"],
                    "min_severity": "warning",
                },
                {
                    "name": "618 大促 DingTalk group",
                    "url": "https://oapi.dingtalk.com/robot/send?access_token=8d1f0e3c2b4a59687f6e5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2f1e0",
                    "format": "dingtalk",
                    "bot_secret": _BOT_SECRET,
                    "event_kinds": ["alert.fired", "report.daily"],
                    "campaign_tags": ["618"],
                },
            ]
        }
    )

    name: Name
    url: Url
    format: EndpointFormat = EndpointFormat.webhook
    description: LongText | None = None
    enabled: StrictBool = True
    event_kinds: Annotated[list[str], EventKinds] = Field(
        default_factory=list, max_length=50, description="Event kinds to send; empty: every kind"
    )
    min_severity: Severity = Field(
        default=Severity.info, description="Events without a severity count as info"
    )
    campaign_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=200, description="Only these campaigns' events"
    )
    campaign_tags: list[Tag] = Field(
        default_factory=list,
        max_length=50,
        description="Only events of campaigns with one of these tags (or listed by id)",
    )
    routing_key: RoutingKey | None = Field(
        default=None, description="PagerDuty integration key; required for `pagerduty`"
    )
    bot_secret: BotSecret | None = None
    member_id: uuid.UUID | None = Field(
        default=None,
        description="A member's personal endpoint: reached by escalations, not the event feed",
    )

    _kinds = field_validator("event_kinds")(_known_kinds)


class EndpointUpdate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"enabled": False},
                {"min_severity": "critical"},
                {"bot_secret": _NEW_BOT_SECRET},
            ]
        }
    )

    name: Name | MISSING = MISSING
    url: Url | MISSING = MISSING
    format: EndpointFormat | MISSING = MISSING
    description: LongText | MISSING | None = MISSING
    enabled: StrictBool | MISSING = MISSING
    event_kinds: Annotated[list[str], Field(max_length=50), EventKinds] | MISSING = MISSING
    min_severity: Severity | MISSING = MISSING
    campaign_ids: Annotated[list[uuid.UUID], Field(max_length=200)] | MISSING = MISSING
    campaign_tags: Annotated[list[Tag], Field(max_length=50)] | MISSING = MISSING
    routing_key: RoutingKey | MISSING | None = MISSING
    bot_secret: BotSecret | MISSING | None = MISSING

    @field_validator("event_kinds")
    @classmethod
    def _kinds(cls, values: list[str]) -> list[str]:
        return _known_kinds(values)


class EndpointSecretRotation(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"overlap_minutes": 1440}]})

    overlap_minutes: Annotated[int, Field(ge=0, le=60 * 24 * 7, strict=True)] = Field(
        default=1440, description="How long requests are also signed with the previous secret"
    )


class EndpointOut(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_ENDPOINT_EXAMPLE]})

    id: uuid.UUID
    name: str
    url: str
    format: EndpointFormat
    description: str | None
    enabled: bool
    disabled_reason: str | None = Field(description="Why it was disabled (e.g. a 410 answer)")
    event_kinds: Annotated[list[str], EventKinds] = Field(description="Empty: every kind")
    min_severity: Severity
    campaign_ids: list[uuid.UUID]
    campaign_tags: list[str]
    routing_key: str | None
    bot_secret_hint: str | None = Field(
        description="feishu and dingtalk: `...` and the last 4 characters of the bot's signing "
        "secret; null when the bot does not sign"
    )
    member_id: uuid.UUID | None
    secret_rotated_at: datetime | None
    previous_expires_at: datetime | None = Field(
        description="Until when requests are also signed with the previous secret"
    )
    created_at: datetime
    updated_at: datetime
    version: int


class EndpointWithSecret(EndpointOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _ENDPOINT_EXAMPLE | {"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBD+Z1Yb3bXU="}
            ]
        }
    )

    secret: str | None = Field(
        validation_alias="webhook_secret",
        description="Standard Webhooks signing secret (webhook, slack, pagerduty). Shown only "
        "now. null for the chat bots (feishu, dingtalk, wecom), signed by the bot's own secret",
    )


class AttemptOut(ResponseModel):
    at: datetime
    status_code: int | None = Field(description="The receiver's HTTP status; null: no answer")
    error: str | None = Field(description="Why no answer came (timeout, refused address...)")
    latency_ms: int
    response_excerpt: str | None = Field(description="The first 1 KB of the answer")


_ATTEMPT_EXAMPLE: dict[str, JsonValue] = {
    "at": "2024-05-21T09:00:13Z",
    "status_code": 200,
    "error": None,
    "latency_ms": 84,
    "response_excerpt": "ok",
}
_DELIVERY_EXAMPLE: dict[str, JsonValue] = {
    "id": "01a2010c-c015-761b-9bc5-6ac427b85200",
    "endpoint_id": "01a2010c-c015-761b-9bc5-6ac427b85100",
    "event_id": "01a2010c-c015-761b-9bc5-6ac427b850e1",
    "event_kind": "alert.fired",
    "webhook_id": "msg_4f0b6f1e2c7d4c8e9a3b5d6f7a8b9c0d",
    "status": "delivered",
    "attempts": 1,
    "next_attempt_at": None,
    "last_status_code": 200,
    "last_error": None,
    "delivered_at": "2024-05-21T09:00:13Z",
    "created_at": "2024-05-21T09:00:12Z",
    "payload": EVENT_DATA_EXAMPLE,
    "attempt_log": [_ATTEMPT_EXAMPLE],
}


class DeliveryOut(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_DELIVERY_EXAMPLE]})

    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID | None
    event_kind: Annotated[str, DocumentedAs(NotificationKind)]
    webhook_id: str = Field(description="The `webhook-id` header: the same on every attempt")
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None = Field(description="When it is tried next (pending only)")
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    payload: Annotated[dict[str, Any], DocumentedAs(NotificationData)] = Field(
        description="What was sent: `data` of a `webhook` body (the other formats are "
        "written from it)"
    )
    attempt_log: list[AttemptOut] = Field(description="Every attempt, oldest first")


class TestResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "delivered": True,
                    "status_code": 204,
                    "error": None,
                    "latency_ms": 91,
                    "response_excerpt": "",
                    "webhook_id": "msg_1b0c2d3e4f5a4b6c8d9e0f1a2b3c4d5e",
                }
            ]
        }
    )

    delivered: bool = Field(description="The receiver answered 2xx")
    status_code: int | None
    error: str | None
    latency_ms: int
    response_excerpt: str | None
    webhook_id: str


# --- documented payloads (OpenAPI `webhooks`) ----------------------------------------------

# The examples are what the sending code writes for this sample alert.
_SAMPLE_AT = datetime(2024, 5, 21, 9, 0, 12, tzinfo=UTC)
_ROUTING_KEY = "R0UT1NGK3Y0000000000000000000000"
_SAMPLE_ALERT = EVENT_DATA_EXAMPLE


class WebhookMessage(Variants, BaseModel):
    """The `webhook` format (Standard Webhooks): headers `webhook-id` (the same on every
    retry), `webhook-timestamp`, `webhook-signature` (HMAC-SHA256 of
    `<id>.<timestamp>.<body>` with the endpoint's secret). `type` says what `data` holds:
    a feed event's data (its kind, or `test`), or an escalation's (`alert.escalated`)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "alert.fired",
                    "version": 1,
                    "timestamp": "2024-05-21T09:00:12Z",
                    "data": _SAMPLE_ALERT,
                },
                {
                    "type": ALERT_ESCALATED,
                    "version": 1,
                    "timestamp": "2024-05-21T13:00:12Z",
                    "data": ESCALATED_ALERT_EXAMPLE,
                },
            ]
        }
    )

    type: Annotated[str, DocumentedAs(NotificationKind)] = Field(
        description="What happened: the event kind, `alert.escalated` or `test`"
    )
    version: Literal[1] = Field(description="Payload version; a breaking change gets a new one")
    timestamp: datetime = Field(description="When the notification was created")
    data: dict[str, Any]


WebhookMessage.__variants__ = one_of(
    "type",
    [
        variant(
            WebhookMessage,
            "EventMessage",
            "A feed event (or an endpoint's `test`): `data` is the event's.",
            type=(Literal[(*ALL_KINDS, TEST_KIND)], Field(description="The event's kind")),
            data=EventData,
        ),
        variant(
            WebhookMessage,
            "EscalationMessage",
            "A level of an escalation policy reached this endpoint: `data` is the alert (or, "
            "for several alerts of a campaign due together, the campaign and its alerts).",
            type=Literal["alert.escalated"],
            data=EscalationData,
        ),
    ],
)


class SlackText(BaseModel):
    type: Literal["mrkdwn"]
    text: str = Field(description="Slack's mrkdwn")


class SlackSection(BaseModel):
    """The title (`text`), the key facts (`fields`, at most 10), or the text."""

    type: Literal["section"]
    text: SlackText | None = None
    fields: list[SlackText] | None = Field(default=None, max_length=10)


class SlackContext(BaseModel):
    """The link to the subject."""

    type: Literal["context"]
    elements: list[SlackText]


class SlackMessage(BaseModel):
    """The `slack` format: an incoming-webhook message."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [formats.slack_message(ALERT_FIRED, _SAMPLE_ALERT)],
        }
    )

    text: str = Field(description="The summary line (shown in notifications)")
    blocks: list[one_of("type", [SlackSection, SlackContext])] = Field(  # type: ignore[valid-type]
        description="The title, the key facts, the text and a link"
    )


class PagerDutyLink(BaseModel):
    href: str
    text: str


class PagerDutyPayload(BaseModel):
    summary: str = Field(max_length=1024)
    source: Literal["campaignops"]
    severity: Literal["info", "warning", "critical"]
    timestamp: datetime
    component: str | None = Field(description="The campaign's name")
    group: str | None = Field(description="The campaign's id")
    class_: str = Field(alias="class", description="The kind (`alert.fired`...)")
    custom_details: Annotated[dict[str, Any], DocumentedAs(NotificationData)] = Field(
        description="The notification's data, as a `webhook` endpoint receives it"
    )


class PagerDutyEvent(BaseModel):
    """The `pagerduty` format: an Events API v2 event. `alert.fired` triggers,
    `alert.acknowledged` acknowledges, `alert.resolved` resolves, all with the alert's
    fingerprint as `dedup_key`; other kinds trigger."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                formats.pagerduty_event(ALERT_FIRED, _SAMPLE_ALERT, _ROUTING_KEY, _SAMPLE_AT),
                formats.pagerduty_event(ALERT_RESOLVED, _SAMPLE_ALERT, _ROUTING_KEY, _SAMPLE_AT),
            ]
        }
    )

    routing_key: str
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str = Field(max_length=255)
    payload: PagerDutyPayload | None = Field(default=None, description="trigger only")
    links: list[PagerDutyLink] | None = Field(default=None, description="trigger only")
