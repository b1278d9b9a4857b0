"""Channels, received batches and the hourly figures they add up to."""

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, WorkspaceScoped, str_enum


class Channel(Base, WorkspaceScoped):
    """A place campaigns run: social feed, short video, e-commerce, offline store..."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)


class CampaignChannel(Base, WorkspaceScoped):
    __tablename__ = "campaign_channels"
    __table_args__ = (UniqueConstraint("campaign_id", "channel_id"),)

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("channels.id", ondelete="RESTRICT"), index=True
    )


class BatchStatus(StrEnum):
    received = "received"  # stored, waiting for the worker
    applied = "applied"  # every point applied
    partially_applied = "partially_applied"  # some points rejected, the rest applied
    failed = "failed"  # no point could apply

    @classmethod
    def of_outcome(cls, points: int, rejected: int) -> "BatchStatus":
        if rejected == 0:
            return cls.applied
        return cls.failed if rejected == points else cls.partially_applied


class IngestBatch(Base, WorkspaceScoped):
    """A signed delivery (or a manual entry), stored as received before anything is applied.

    (integration, webhook-id) is unique: a delivery sent twice is stored once. Manual
    entries have no integration.
    """

    __tablename__ = "ingest_batches"
    __table_args__ = (UniqueConstraint("integration_id", "webhook_id"),)

    integration_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), index=True
    )
    webhook_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[BatchStatus] = mapped_column(str_enum(BatchStatus), index=True)
    points: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    point_count: Mapped[int] = mapped_column(Integer)
    accepted_count: Mapped[int | None] = mapped_column(Integer)
    rejected: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    applied_at: Mapped[datetime | None]


class MetricPoint(Base, WorkspaceScoped):
    """One metric of one campaign on one channel for one hour (UTC hour start)."""

    __tablename__ = "metric_points"
    __table_args__ = (UniqueConstraint("campaign_id", "channel_id", "metric_key", "bucket"),)

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("channels.id", ondelete="RESTRICT"), index=True
    )
    metric_key: Mapped[str] = mapped_column(String(64))
    bucket: Mapped[datetime]
    value: Mapped[Decimal] = mapped_column(Numeric(24, 6))
