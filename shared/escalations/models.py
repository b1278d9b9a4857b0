"""Escalation policies, the escalations running on alerts, and their timelines."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, WorkspaceScoped, str_enum


class EscalationPolicy(Base, WorkspaceScoped):
    """Ordered levels of whom to notify, and when; at most one default per workspace."""

    __tablename__ = "escalation_policies"
    __table_args__ = (
        Index(
            "uq_escalation_policies_default",
            "workspace_id",
            unique=True,
            postgresql_where=sql("is_default"),
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    # Who is told when an issue is not resolved in time (None: nobody); see levels.py.
    resolution_overdue: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    repeat: Mapped[int] = mapped_column(Integer, default=1)  # times the whole policy runs
    repeat_after_minutes: Mapped[int] = mapped_column(Integer, default=60)
    # Alerts of one campaign firing within this wait go out as one notification.
    group_seconds: Mapped[int] = mapped_column(Integer, default=30)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class EscalationStatus(StrEnum):
    active = "active"
    stopped = "stopped"  # the alert resolved
    finished = "finished"  # every level of every round went out


class Escalation(Base, WorkspaceScoped):
    """A policy running on one alert: a durable timer. `next_due_at` lives in PostgreSQL,
    so it survives restarts, and workers claim due ones with SKIP LOCKED: each level
    goes out once however many workers look."""

    __tablename__ = "escalations"
    __table_args__ = (
        Index("ix_escalations_due", "next_due_at", postgresql_where=sql("status = 'active'")),
    )

    policy_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("escalation_policies.id", ondelete="CASCADE"), index=True
    )
    alert_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), unique=True
    )
    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[EscalationStatus] = mapped_column(str_enum(EscalationStatus))
    level: Mapped[int] = mapped_column(Integer, default=0)  # the next level to notify
    round: Mapped[int] = mapped_column(Integer, default=0)
    next_due_at: Mapped[datetime | None]
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(Text)


class EscalationStep(Base, WorkspaceScoped):
    """One line of an escalation timeline: who was notified at which level (the delivery
    shows what the receiver answered), or why a level was skipped or waits.

    A line is an alert's escalation (`escalation_id`, `alert_id`), or an issue's overdue
    resolution told to its policy's targets (`issue_id` alone).
    """

    __tablename__ = "escalation_steps"
    __table_args__ = (
        CheckConstraint(
            "escalation_id IS NOT NULL OR issue_id IS NOT NULL", name="about_something"
        ),
    )

    escalation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), index=True
    )
    alert_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), index=True
    )
    issue_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("issues.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(32))  # notified, skipped, waiting, unreachable
    target: Mapped[str] = mapped_column(String(300))
    endpoint_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("notification_endpoints.id", ondelete="SET NULL")
    )
    # Indexed for delivery retention: each delivery deleted clears its steps' reference.
    delivery_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL"), index=True
    )
    note: Mapped[str | None] = mapped_column(Text)
