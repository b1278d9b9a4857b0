"""What goes on the wire for each endpoint format, built from a delivery's stored payload.

The body depends only on stored fields, so every retry sends the same message under the
same `webhook-id`; only the signature and its timestamp are fresh per attempt (a
receiver's tolerance window is measured against them): the `webhook-*` headers for the
Standard Webhooks formats, the body's `timestamp` and `sign` for a Feishu bot, the URL's
for a DingTalk robot.

Every chat format (slack, feishu, dingtalk, wecom) shows what `messages.message()` says;
see `bots` for the Chinese teams' bots.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from shared.events import kinds
from shared.integrations import signing
from shared.notifications import bots, messages
from shared.notifications.messages import Dialect
from shared.notifications.models import EndpointFormat, NotificationEndpoint

PAYLOAD_VERSION = 1
TEST_KIND = messages.TEST_KIND
USER_AGENT = "campaignops-notifications/1"
SLACK_SECTION_CHARS = 3000  # Slack's limit for a section's text

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


@dataclass(frozen=True)
class Outgoing:
    url: str
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


def slack_message(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """An incoming-webhook message: `text` for notifications, blocks for the channel."""
    message = messages.message(kind, payload)
    emoji = SLACK_EMOJI.get(message.severity or "", "")
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"{emoji} *{messages.slack_escape(message.title)}*".strip(),
            },
        }
    ]
    if message.facts:
        fields = [f"*{label}*\n{messages.slack_escape(value)}" for label, value in message.facts]
        blocks.append(
            {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields[:10]]}
        )
    if message.body.strip():
        text = messages.dialect(message.body, Dialect.slack)
        if len(text) > SLACK_SECTION_CHARS:
            text = text[: SLACK_SECTION_CHARS - 1] + messages.ELLIPSIS
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    if message.link:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"<{message.link}|{message.link_text}>"}],
            }
        )
    return {"text": message.title, "blocks": blocks}


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
        "summary": messages.summary(kind, payload)[:1024],
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
    """The body of the Standard Webhooks formats (webhook, slack, pagerduty)."""
    if endpoint.format == EndpointFormat.slack:
        document = slack_message(kind, payload)
    elif endpoint.format == EndpointFormat.pagerduty:
        document = pagerduty_event(kind, payload, endpoint.routing_key or "", created_at)
    else:
        document = envelope(kind, payload, created_at)
    return orjson.dumps(document)


def bot_body(
    endpoint: NotificationEndpoint, kind: str, payload: dict[str, Any], now: datetime
) -> bytes:
    """A chat bot's body, in Chinese (a Feishu body carries its signature)."""
    message = messages.message(kind, payload, language="zh")
    if endpoint.format == EndpointFormat.feishu:
        return bots.feishu_body(message, secret=endpoint.secret, now=now)
    if endpoint.format == EndpointFormat.dingtalk:
        return bots.dingtalk_body(message)
    return bots.wecom_body(message)


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
    if endpoint.is_bot:
        # The services check their own signature, made with the bot's secret; ours would
        # be noise to them. `webhook-id` stays: a relay in between can drop duplicates.
        headers = {
            "content-type": "application/json; charset=utf-8",
            "user-agent": USER_AGENT,
            "webhook-id": webhook_id,
        }
        url = bots.signed_url(endpoint.format, endpoint.url, endpoint.secret, now)
        return Outgoing(url, bot_body(endpoint, kind, payload, now), headers)
    body = body_of(endpoint, kind, payload, created_at)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature(endpoint, webhook_id, now, body),
    }
    return Outgoing(endpoint.url, body, headers)


def new_webhook_id() -> str:
    return f"msg_{uuid.uuid4().hex}"
