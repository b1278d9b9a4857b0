"""Channels, and the figures stored per campaign, channel and metric: hourly points and
their day rollups."""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, WorkspaceScoped


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


class MetricPoint(Base):
    """One metric of one campaign on one channel for one hour (UTC hour start).

    The busiest table, so every constraint and index here is paid for on each applied
    point. Its key is the natural one, ordered for the reads (a campaign's metric across
    channels and time); there is no other index. Only the campaign is a foreign key (its
    deletion removes the points). Channel and workspace are not: each point's day row in
    `metric_days` carries both keys, so a channel with figures still cannot be deleted,
    and a workspace's deletion reaches the points through its campaigns. Checking them
    per point too cost half the time of writing a batch.

    Partitioned by month of `bucket` (UTC), so reads of a period touch only its months
    and old hours go a month at a time (shared/figures/partitions.py). The partitions live
    in the `metric_partitions` schema, with a DEFAULT one catching a point whose month has
    no partition yet; the migration and the worker make them.
    """

    __tablename__ = "metric_points"
    __table_args__ = {"postgresql_partition_by": "RANGE (bucket)"}

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    metric_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    bucket: Mapped[datetime] = mapped_column(primary_key=True)
    workspace_id: Mapped[uuid.UUID]
    value: Mapped[Decimal] = mapped_column(Numeric(24, 6))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class MetricDay(Base):
    """The rollup of a metric's hourly points to one of the campaign's local days.

    Kept by the worker in the transaction that writes the points, so that day, week and
    month reads and totals touch one row per day instead of 24. It holds what every
    aggregation needs: sum and count (sum, average), the maximum, and the latest value.
    """

    __tablename__ = "metric_days"

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    metric_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("channels.id", ondelete="RESTRICT"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    total: Mapped[Decimal] = mapped_column(Numeric(24, 6))
    samples: Mapped[int] = mapped_column(Integer)
    maximum: Mapped[Decimal] = mapped_column(Numeric(24, 6))
    last_value: Mapped[Decimal] = mapped_column(Numeric(24, 6))
    last_bucket: Mapped[datetime]
