"""The evaluation's stored parts: per-goal analyses (the draft), finalised versions (frozen
documents), and the workspace's mapping of dictionary metrics to evaluation dimensions.

The figures themselves are not stored while the evaluation is a draft: they are computed
from the campaign's figures, plan and money on every read. Finalising freezes the whole
evaluation, analyses included, as one JSON document (as reviews freeze their snapshot).
"""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.activity.tracking import Tracked
from shared.db import Base, WorkspaceScoped, str_enum


class CauseCategory(StrEnum):
    """Why a goal came out as it did: the manuals' strategy or execution problem, or
    something outside the team's hands."""

    strategy = "strategy"
    execution = "execution"
    external = "external"


class Dimension(StrEnum):
    """The evaluation dimensions a workspace may map extra dictionary metrics to (goal
    achievement is the goals themselves)."""

    roi = "roi"
    user_value = "user_value"
    brand_impact = "brand_impact"


class EvaluationDimensionMetric(Base, WorkspaceScoped):
    """One dictionary metric shown under one dimension of every evaluation of the workspace."""

    __tablename__ = "evaluation_dimension_metrics"
    __table_args__ = (UniqueConstraint("workspace_id", "metric_key"),)

    metric_key: Mapped[str] = mapped_column(String(64))
    dimension: Mapped[Dimension] = mapped_column(str_enum(Dimension, length=16))


class EvaluationGoalAnalysis(Base, WorkspaceScoped, Tracked):
    """The analysis of one goal's outcome: the draft's, edited until (and after) finalising.

    Tracked: the execution log shows each edit, field by field, with who made it.
    """

    __tablename__ = "evaluation_goal_analyses"
    __table_args__ = (UniqueConstraint("goal_id"),)
    change_log_name = "evaluation_analysis"

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    goal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    cause_category: Mapped[CauseCategory | None] = mapped_column(str_enum(CauseCategory, length=16))
    analysis: Mapped[str | None] = mapped_column(Text)
    improvement_proposal: Mapped[str | None] = mapped_column(Text)
    edited_at: Mapped[datetime]
    edited_by_member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    edited_by_api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )

    def change_log_campaign_id(self) -> uuid.UUID:
        return self.campaign_id


class EvaluationVersion(Base, WorkspaceScoped):
    """A finalised evaluation: 1, 2, 3... per campaign, written once and never updated.

    Not `Tracked`: the log gets one note per finalised version, not the whole document.
    """

    __tablename__ = "evaluation_versions"
    __table_args__ = (
        UniqueConstraint("campaign_id", "number"),
        Index("ix_evaluation_versions_campaign_created", "campaign_id", "created_at", "id"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    finalised_at: Mapped[datetime]
    finalised_by_member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    finalised_by_api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )
