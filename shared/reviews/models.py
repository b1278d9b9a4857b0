"""Reviews held while a campaign runs: the daily stand-up, the weekly review and the
mid-campaign review; and the final review once it is completed. Each has the campaign's
state frozen as it stood at the meeting."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, WorkspaceScoped, str_enum


class ReviewKind(StrEnum):
    daily = "daily"  # the daily stand-up
    weekly = "weekly"  # the weekly review of overall progress
    mid_term = "mid_term"  # the mid-campaign review, where the plan is adjusted
    final = "final"  # the final review of a completed campaign, at most one


class CampaignReview(Base, WorkspaceScoped):
    """One review: its notes, the adjustments decided, and the snapshot.

    The snapshot is a document, not references: figures, alerts and tasks keep changing
    after the meeting, and the review must still show what the meeting saw. It is written
    once and never updated. Not `Tracked`: the execution log gets one readable note per
    review instead of the whole snapshot as a field change.
    """

    __tablename__ = "campaign_reviews"
    __table_args__ = (
        UniqueConstraint("campaign_id", "number"),
        Index("ix_campaign_reviews_campaign_created", "campaign_id", "created_at", "id"),
        Index(
            "uq_campaign_reviews_final",
            "campaign_id",
            unique=True,
            postgresql_where=sql("kind = 'final'"),
        ),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3... per campaign
    kind: Mapped[ReviewKind] = mapped_column(str_enum(ReviewKind, length=16))
    as_of: Mapped[datetime]  # the moment the snapshot was taken
    day: Mapped[date]  # that moment's day in the campaign's timezone
    notes: Mapped[str | None] = mapped_column(Text)
    adjustments: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)
    recorded_by_member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    recorded_by_api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )
