"""What goes on the wire for each endpoint format, built from a delivery's stored payload.

The body depends only on stored fields, so every retry sends the same bytes under the
same `webhook-id`; only `webhook-timestamp` and the signature are fresh per attempt (a
receiver's tolerance window is measured against them).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from shared.events import kinds
from shared.integrations import signing
from shared.notifications.models import EndpointFormat, NotificationEndpoint

PAYLOAD_VERSION = 1
TEST_KIND = "test"

# Our states to PagerDuty's: the incident follows the alert (dedup_key = fingerprint).
PAGERDUTY_ACTIONS = {
    kinds.ALERT_FIRED: "trigger",
    kinds.ALERT_ACKNOWLEDGED: "acknowledge",
    kinds.ALERT_RESOLVED: "resolve",
}
PAGERDUTY_SEVERITIES = {"info": "info", "warning": "warning", "critical": "critical"}
SLACK_EMOJI = {
    "info": ":information_source:",
    "warning": ":warning:",
    "critical": ":rotating_light:",
}

_TITLES = {
    kinds.ALERT_FIRED: "Alert firing",
    kinds.ALERT_ACKNOWLEDGED: "Alert acknowledged",
    kinds.ALERT_RESOLVED: "Alert resolved",
    "alert.escalated": "Alert escalated",
    kinds.ISSUE_CREATED: "Issue opened",
    kinds.ISSUE_SLA_BREACHED: "Issue without an action plan past its deadline",
    kinds.TASK_OVERDUE: "Task overdue",
    kinds.CAMPAIGN_SUBMITTED: "Campaign submitted for approval",
    kinds.CAMPAIGN_APPROVED: "Campaign approved",
    kinds.CAMPAIGN_REJECTED: "Campaign rejected",
    kinds.CAMPAIGN_ACTIVATED: "Campaign activated",
    TEST_KIND: "Test notification",
}


@dataclass(frozen=True)
class Outgoing:
    body: bytes
    headers: dict[str, str]


def envelope(kind: str, payload: dict[str, Any], created_at: datetime) -> dict[str, Any]:
    """The `webhook` format's body (see WebhookMessage for its documented schema)."""
    return {
        "type": kind,
        "version": PAYLOAD_VERSION,
        "timestamp": created_at.isoformat().replace("+00:00", "Z"),
        "data": payload,
    }


def summary(kind: str, payload: dict[str, Any]) -> str:
    """One line a person understands: what happened, to what."""
    title = _TITLES.get(kind, kind)
    what = payload.get("message") or payload.get("title") or payload.get("campaign_name") or ""
    severity = payload.get("severity")
    prefix = f"[{severity}] " if severity else ""
    campaign = payload.get("campaign_name")
    where = f" ({campaign})" if campaign and campaign != what else ""
    return f"{prefix}{title}: {what}{where}" if what else f"{prefix}{title}{where}"


def slack_message(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """An incoming-webhook message: `text` for notifications, blocks for the channel."""
    text = summary(kind, payload)
    severity = str(payload.get("severity") or "")
    fields = [
        f"*{label}*\n{payload[key]}"
        for key, label in (
            ("severity", "Severity"),
            ("campaign_name", "Campaign"),
            ("channel", "Channel"),
            ("value", "Value"),
            ("threshold", "Threshold"),
            ("status", "Status"),
        )
        if payload.get(key) not in (None, "")
    ]
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"{SLACK_EMOJI.get(severity, '')} *{text}*".strip()},
        }
    ]
    if fields:
        blocks.append(
            {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields[:10]]}
        )
    if payload.get("link"):
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"<{payload['link']}|Open in campaignops>"}
                ],
            }
        )
    return {"text": text, "blocks": blocks}


def pagerduty_event(
    kind: str, payload: dict[str, Any], routing_key: str, created_at: datetime
) -> dict[str, Any]:
    """An Events API v2 event. Alerts map to trigger/acknowledge/resolve of one incident."""
    action = PAGERDUTY_ACTIONS.get(kind, "trigger")
    dedup_key = str(
        payload.get("fingerprint") or f"{payload.get('subject_type')}:{payload.get('subject_id')}"
    )
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": action,
        "dedup_key": dedup_key[:255],
    }
    if action != "trigger":
        return event  # PagerDuty reads only the key for acknowledge and resolve
    event["payload"] = {
        "summary": summary(kind, payload)[:1024],
        "source": "campaignops",
        "severity": PAGERDUTY_SEVERITIES.get(str(payload.get("severity")), "info"),
        "timestamp": created_at.isoformat(),
        "component": payload.get("campaign_name"),
        "group": payload.get("campaign_id"),
        "class": kind,
        "custom_details": payload,
    }
    if payload.get("link"):
        event["links"] = [{"href": payload["link"], "text": "Open in campaignops"}]
    return event


def body_of(
    endpoint: NotificationEndpoint, kind: str, payload: dict[str, Any], created_at: datetime
) -> bytes:
    if endpoint.format == EndpointFormat.slack:
        document = slack_message(kind, payload)
    elif endpoint.format == EndpointFormat.pagerduty:
        document = pagerduty_event(kind, payload, endpoint.routing_key or "", created_at)
    else:
        document = envelope(kind, payload, created_at)
    return orjson.dumps(document)


def signature(endpoint: NotificationEndpoint, webhook_id: str, at: datetime, body: bytes) -> str:
    """`webhook-signature`: by the current secret, and by the previous one during a
    rotation's overlap (Standard Webhooks lists several, space-separated), so a receiver
    still holding the old secret keeps verifying until it switches."""
    signatures = [signing.sign(endpoint.secret, webhook_id, at, body)]
    if (
        endpoint.previous_secret
        and endpoint.previous_expires_at is not None
        and endpoint.previous_expires_at > at
    ):
        signatures.append(signing.sign(endpoint.previous_secret, webhook_id, at, body))
    return " ".join(signatures)


def outgoing(
    endpoint: NotificationEndpoint,
    *,
    kind: str,
    payload: dict[str, Any],
    webhook_id: str,
    created_at: datetime,
    now: datetime,
) -> Outgoing:
    body = body_of(endpoint, kind, payload, created_at)
    headers = {
        "content-type": "application/json",
        "user-agent": "campaignops-notifications/1",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature(endpoint, webhook_id, now, body),
    }
    return Outgoing(body, headers)


def new_webhook_id() -> str:
    return f"msg_{uuid.uuid4().hex}"
