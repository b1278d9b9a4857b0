"""Received batches of figures, kept as received until they are applied."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, WorkspaceScoped, str_enum


class BatchStatus(StrEnum):
    received = "received"  # stored, waiting for the worker
    applied = "applied"  # every point applied
    partially_applied = "partially_applied"  # some points rejected, the rest applied
    failed = "failed"  # no point could apply, or applying it kept failing (see last_error)

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
    __table_args__ = (
        UniqueConstraint("integration_id", "webhook_id"),
        # What raw-batch retention scans (shared/ingestion/retention.py): batches still
        # holding their points. One entry per batch, dropped with the points.
        Index("ix_ingest_batches_unpruned", "id", postgresql_where=text("points IS NOT NULL")),
    )

    integration_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), index=True
    )
    webhook_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[BatchStatus] = mapped_column(str_enum(BatchStatus), index=True)
    # Plain JSON text, stored uncompressed: the batch is written once on the webhook's
    # path and read once by the worker, so PostgreSQL should neither convert nor
    # compress it (JSONB and compression took a third of the webhook's database time).
    # None once pruned: RAW_BATCH_RETENTION_DAYS after it was received, when applied or failed.
    points: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    point_count: Mapped[int] = mapped_column(Integer)
    accepted_count: Mapped[int | None] = mapped_column(Integer)
    rejected: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    applied_at: Mapped[datetime | None]
    # Tries at applying it. A try that fails for a reason other than its points (the
    # database refused, a bug) rolls back with everything it did, so it is counted, with
    # its error, in a transaction of its own; at INGEST_MAX_ATTEMPTS the batch is `failed`
    # and the sweeper leaves it alone.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
