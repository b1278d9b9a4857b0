"""Where notifications go (endpoints) and the outbox of what is owed to them (deliveries)."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, SmallInteger, String, Text, Uuid
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, WorkspaceScoped, str_enum
from shared.rules.models import Severity


class EndpointFormat(StrEnum):
    webhook = "webhook"  # Standard Webhooks signed JSON
    slack = "slack"  # a Slack incoming-webhook message
    pagerduty = "pagerduty"  # PagerDuty Events API v2
    feishu = "feishu"  # a Feishu (Lark) custom bot, signed with the bot's own secret
    dingtalk = "dingtalk"  # a DingTalk custom robot, signed (加签) with the bot's own secret
    wecom = "wecom"  # a WeCom group bot (the key in its URL is the credential)


# Chat bots of the teams' own tools: they read their own JSON and answer `code`/`errcode`.
BOT_FORMATS = frozenset({EndpointFormat.feishu, EndpointFormat.dingtalk, EndpointFormat.wecom})
# The bots whose requests carry a signature by the bot's secret, when it has one.
SIGNED_BOT_FORMATS = frozenset({EndpointFormat.feishu, EndpointFormat.dingtalk})


class DeliveryStatus(StrEnum):
    pending = "pending"  # due at next_attempt_at
    delivered = "delivered"  # a 2xx answered
    dead = "dead"  # the retry schedule ran out (or the endpoint went away)


class NotificationEndpoint(Base, WorkspaceScoped):
    """A receiver of notifications, with the filter of the events it wants from the feed.

    For `webhook`, `slack` and `pagerduty` the secret is ours (`whsec_...`) and signs every
    request (Standard Webhooks; Slack and PagerDuty ignore the headers); during a rotation
    the previous one also signs until `previous_expires_at`. For the chat bots (`feishu`,
    `dingtalk`, `wecom`) it is the bot's own signing secret, copied by an admin from the
    bot's security settings, or empty when the bot does not sign (WeCom never does): those
    services check one secret at a time, so there is no previous one. HMAC needs the secret
    itself, so it is stored.
    """

    __tablename__ = "notification_endpoints"

    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2048))
    format: Mapped[EndpointFormat] = mapped_column(str_enum(EndpointFormat))
    description: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    event_kinds: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    min_severity: Mapped[Severity] = mapped_column(str_enum(Severity), default=Severity.info)
    campaign_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()), default=list)
    campaign_tags: Mapped[list[str]] = mapped_column(ARRAY(String(50)), default=list)
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_expires_at: Mapped[datetime | None]
    secret_rotated_at: Mapped[datetime | None]
    routing_key: Mapped[str | None] = mapped_column(String(100))  # PagerDuty integration key
    member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )

    @property
    def is_bot(self) -> bool:
        return self.format in BOT_FORMATS

    @property
    def webhook_secret(self) -> str | None:
        """Our Standard Webhooks secret; None for a chat bot (its secret is the bot's)."""
        return None if self.is_bot else self.secret

    @property
    def bot_secret_hint(self) -> str | None:
        """Enough of a bot's signing secret to tell which one is set, never the secret."""
        if not self.is_bot or not self.secret:
            return None
        # Its last 4 characters, and only of a secret long enough to keep most of it hidden.
        return "..." + self.secret[-4:] if len(self.secret) >= 16 else "..."


class Delivery(Base, WorkspaceScoped):
    """One notification owed to one endpoint: the transactional outbox.

    Written in the transaction of the change it reports, so a rolled-back change owes
    nothing and a committed one is never lost. The body is built at send time from the
    `payload` snapshot (the event may be gone by then); `webhook_id` stays the same on
    every attempt so receivers can drop duplicates.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        # What the sender scans: due pending rows, oldest first.
        Index(
            "ix_deliveries_due",
            "next_attempt_at",
            postgresql_where=sql("status = 'pending'"),
        ),
        Index("ix_deliveries_endpoint_id_created_at", "endpoint_id", "created_at", "id"),
        # enqueue_delivery(dedup_key=...): one delivery per endpoint and key.
        Index(
            "uq_deliveries_endpoint_id_dedup_key",
            "endpoint_id",
            "dedup_key",
            unique=True,
            postgresql_where=sql("dedup_key IS NOT NULL"),
        ),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notification_endpoints.id", ondelete="CASCADE")
    )
    event_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    event_kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    dedup_key: Mapped[str | None] = mapped_column(String(200))
    webhook_id: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus), default=DeliveryStatus.pending
    )
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(SmallInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]


class DeliveryAttempt(Base, WorkspaceScoped):
    """One try at a delivery: what the receiver answered, or why nothing came back."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (Index("ix_delivery_attempts_delivery_id_at", "delivery_id", "at"),)

    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    error: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[int] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(Text)  # at most 1 KB
