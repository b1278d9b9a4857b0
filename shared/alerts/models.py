"""Alerts raised by rules, their transitions, and silences."""

import uuid
from datetime import datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, SmallInteger, String, Text
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, WorkspaceScoped, str_enum
from shared.rules.models import Severity


class AlertStatus(StrEnum):
    pending = "pending"  # breached, waiting out the rule's hold
    firing = "firing"
    acknowledged = "acknowledged"  # someone is on it
    resolved = "resolved"


OPEN = (AlertStatus.pending, AlertStatus.firing, AlertStatus.acknowledged)


class Alert(Base, WorkspaceScoped):
    """One breach of one rule on one campaign's subject (the total, a channel or a task).

    At most one alert per fingerprint is open, enforced by a partial unique index: a
    breach that comes back while it is open updates it; after it resolved, a new one.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        Index(
            "uq_alerts_open_fingerprint",
            "fingerprint",
            unique=True,
            postgresql_where=sql("status <> 'resolved'"),
        ),
        Index("ix_alerts_workspace_id_status", "workspace_id", "status"),
    )

    rule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rules.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    subject: Mapped[str] = mapped_column(String(64))  # "" (total), a channel key, a task id
    channel: Mapped[str | None] = mapped_column(String(64))
    task_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), index=True
    )
    fingerprint: Mapped[str] = mapped_column(String(160))
    status: Mapped[AlertStatus] = mapped_column(str_enum(AlertStatus))
    severity: Mapped[Severity] = mapped_column(str_enum(Severity))
    message: Mapped[str] = mapped_column(Text)
    value: Mapped[Decimal | None] = mapped_column(Numeric(30, 8))
    threshold: Mapped[Decimal | None] = mapped_column(Numeric(30, 8))
    labels: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolve_note: Mapped[str | None] = mapped_column(Text)
    breaches: Mapped[int] = mapped_column(Integer, default=0)  # evaluations in breach
    consecutive: Mapped[int] = mapped_column(Integer, default=0)  # ... in a row, lately
    clear_since: Mapped[datetime | None]
    silenced: Mapped[bool] = mapped_column(Boolean, default=False)
    silence_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("silences.id", ondelete="SET NULL")
    )


class AlertTransition(Base, WorkspaceScoped):
    """Every change of an alert's state: when, at what value, and who (if a person)."""

    __tablename__ = "alert_transitions"

    alert_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[AlertStatus | None] = mapped_column(str_enum(AlertStatus))
    to_status: Mapped[AlertStatus] = mapped_column(str_enum(AlertStatus))
    at: Mapped[datetime]
    value: Mapped[Decimal | None] = mapped_column(Numeric(30, 8))
    threshold: Mapped[Decimal | None] = mapped_column(Numeric(30, 8))
    api_key_id: Mapped[uuid.UUID | None]
    member_id: Mapped[uuid.UUID | None]
    note: Mapped[str | None] = mapped_column(Text)


class Silence(Base, WorkspaceScoped):
    """Alerts matching every given matcher notify nobody while the silence is on (they
    are still recorded, marked silenced). Optionally only inside a weekly window: nights,
    weekends, a store's closed hours, in a timezone."""

    __tablename__ = "silences"

    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    rule_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"))
    channel: Mapped[str | None] = mapped_column(String(64))
    severity: Mapped[Severity | None] = mapped_column(str_enum(Severity))
    labels: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    weekdays: Mapped[list[int] | None] = mapped_column(ARRAY(SmallInteger))  # 0 = Monday
    window_start: Mapped[time | None]
    window_end: Mapped[time | None]
    timezone: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text)
    created_by_api_key_id: Mapped[uuid.UUID | None]
    created_by_member_id: Mapped[uuid.UUID | None]
