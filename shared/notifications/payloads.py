"""What a notification carries, whatever its format: `data` of a `webhook` body, the
`custom_details` of a PagerDuty event, what the chat formats are written from, and what a
delivery shows (`payload`). Documentation models: the payloads are built by the code that
sends (notifications.service.event_payload, escalations.service)."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.alerts.models import AlertStatus
from shared.rules.models import Severity
from shared.schemas import one_of

EVENT_DATA_EXAMPLE: dict[str, Any] = {
    "event_id": "01a2010c-c015-761b-9bc5-6ac427b850e1",
    "workspace_id": "01a2010c-c015-761b-9bc5-6ac427b85000",
    "subject_type": "alert",
    "subject_id": "01a2010c-c015-761b-9bc5-6ac427b850e0",
    "campaign_id": "01a2010c-3bd9-7716-be78-ba040ba1a6e8",
    "campaign_name": "618 push",
    "occurred_at": "2024-05-21T09:00:12Z",
    "link": "https://campaignops.example.com/v1/alerts/01a2010c-c015-761b-9bc5-6ac427b850e0",
    "severity": "warning",
    "status": "firing",
    "message": "CTR 1.2% is 20% below its 1.5% target",
    "rule_id": "01a2010c-c015-761b-9bc5-6ac427b850d0",
    "fingerprint": "rule:01a2010c...:campaign:01a2010c...:",
    "channel": None,
    "value": "0.012",
    "threshold": "0.015",
    "silenced": False,
}


class EventData(BaseModel):
    """`data` of every notification: the event, its subject and campaign, and a link."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [EVENT_DATA_EXAMPLE]},
    )

    event_id: uuid.UUID | None = Field(description="The event in `GET /v1/events`")
    workspace_id: uuid.UUID
    subject_type: str = Field(
        description="What the event is about (alert, issue, task, campaign, "
        "change_request, report; `notification_endpoint` for a test)"
    )
    subject_id: uuid.UUID | None
    campaign_id: uuid.UUID | None
    campaign_name: str | None = None
    occurred_at: datetime
    link: str | None = Field(default=None, description="The subject in the API")
    severity: Severity | None = Field(default=None, description="Alerts and issues")
    message: str | None = Field(default=None, description="Alerts: what breached")
    title: str | None = Field(default=None, description="Issues: their title")
    fingerprint: str | None = Field(default=None, description="Alerts: stable per rule and subject")


ESCALATED_ALERT_EXAMPLE: dict[str, Any] = {
    "subject_type": "alert",
    "subject_id": "01a2010c-c015-761b-9bc5-6ac427b850e0",
    "fingerprint": "rule:01a2010c-c015-761b-9bc5-6ac427b850d0:campaign:"
    "01a2010c-3bd9-7716-be78-ba040ba1a6e8:",
    "campaign_id": "01a2010c-3bd9-7716-be78-ba040ba1a6e8",
    "campaign_name": "618 push",
    "severity": "warning",
    "status": "firing",
    "channel": "social_feed",
    "message": "ctr 0.012 is 20% under its target 0.015",
    "value": "0.012",
    "threshold": "0.012",
    "escalation_level": 2,
    "escalation_round": 1,
}


class EscalatedAlert(BaseModel):
    """`data` of `alert.escalated` for one alert: the alert as it stands, and which level
    (and round) of its escalation policy reached the receiver. No link or event: an
    escalation is not an event of the feed."""

    model_config = ConfigDict(json_schema_extra={"examples": [ESCALATED_ALERT_EXAMPLE]})

    subject_type: Literal["alert"]
    subject_id: uuid.UUID = Field(description="The alert")
    fingerprint: str = Field(description="Stable per rule and subject")
    campaign_id: uuid.UUID
    campaign_name: str
    severity: Severity
    status: AlertStatus
    channel: str | None
    message: str = Field(description="What breached")
    value: str | None = Field(description="The value found (a decimal, as text)")
    threshold: str | None = Field(description="The threshold it was judged against")
    escalation_level: int = Field(ge=1, description="1-based")
    escalation_round: int = Field(ge=1, description="1-based")


class EscalatedAlerts(BaseModel):
    """`data` of `alert.escalated` for several alerts of one campaign whose levels came due
    together: one message, about the campaign, listing them (`alerts`)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subject_type": "campaign",
                    "subject_id": "01a2010c-3bd9-7716-be78-ba040ba1a6e8",
                    "campaign_id": "01a2010c-3bd9-7716-be78-ba040ba1a6e8",
                    "campaign_name": "618 push",
                    "severity": "warning",
                    "message": "2 alerts: ctr 0.012 is 20% under its target 0.015; no data "
                    "from offline_store",
                    "escalation_level": 2,
                    "escalation_round": 1,
                    "alerts": [
                        ESCALATED_ALERT_EXAMPLE,
                        ESCALATED_ALERT_EXAMPLE
                        | {
                            "subject_id": "01a2010c-c015-761b-9bc5-6ac427b850e2",
                            "fingerprint": "rule:01a2010c-c015-761b-9bc5-6ac427b850d1:"
                            "campaign:01a2010c-3bd9-7716-be78-ba040ba1a6e8:offline_store",
                            "channel": "offline_store",
                            "message": "no data from offline_store",
                            "value": None,
                            "threshold": None,
                        },
                    ],
                }
            ]
        }
    )

    subject_type: Literal["campaign"]
    subject_id: uuid.UUID = Field(description="The campaign")
    campaign_id: uuid.UUID
    campaign_name: str
    severity: Severity = Field(description="The worst of the alerts'")
    message: str = Field(description="How many alerts, and each one's message")
    escalation_level: int = Field(ge=1, description="1-based")
    escalation_round: int = Field(ge=1, description="1-based")
    alerts: list[EscalatedAlert] = Field(min_length=2)


EscalationData: Any = one_of("subject_type", [EscalatedAlert, EscalatedAlerts])
# A delivery's payload: a feed event's data, or an escalation's.
NotificationData: Any = EventData | EscalationData
