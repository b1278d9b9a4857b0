"""Warning rules: what to watch on which campaigns, and when it becomes an alert."""

import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.campaigns.models import CampaignKind
from shared.db import Base, WorkspaceScoped, str_enum


class Condition(StrEnum):
    threshold = "threshold"
    below_target = "below_target"
    change = "change"
    no_data = "no_data"
    task_overdue = "task_overdue"
    budget_burn = "budget_burn"


class Severity(StrEnum):
    info = "info"
    warning = "warning"
    critical = "critical"


class Rule(Base, WorkspaceScoped):
    """One campaign's rule, or a workspace template (no campaign) that applies to every
    active campaign matching its kind and tag filters."""

    __tablename__ = "rules"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    campaign_kind: Mapped[CampaignKind | None] = mapped_column(str_enum(CampaignKind))
    campaign_tag: Mapped[str | None] = mapped_column(String(50))
    per_channel: Mapped[bool] = mapped_column(Boolean, default=False)
    condition: Mapped[Condition] = mapped_column(str_enum(Condition))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    severity: Mapped[Severity] = mapped_column(str_enum(Severity))
    # Ignore a figure computed from too little: e.g. a conversion rate from < 100 clicks.
    min_sample_metric: Mapped[str | None] = mapped_column(String(64))
    min_sample_count: Mapped[int | None] = mapped_column(Integer)
    # Pending until the breach has held this long and this many evaluations in a row.
    hold_minutes: Mapped[int] = mapped_column(Integer, default=0)
    hold_evaluations: Mapped[int] = mapped_column(Integer, default=1)
    auto_resolve: Mapped[bool] = mapped_column(Boolean, default=True)
    clear_minutes: Mapped[int] = mapped_column(Integer, default=0)  # clear this long first
    opens_issue: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_policy_id: Mapped[uuid.UUID | None]  # issue 7's policies
    labels: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    template_key: Mapped[str | None] = mapped_column(String(64))
