"""A campaign's retrospective: its items (the manuals' table) and the decisions taken on
the suggestions drawn from the campaign's history."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.campaigns.models import CampaignItem
from shared.db import Base, WorkspaceScoped, str_enum


class RootCause(StrEnum):
    strategy = "strategy"
    execution = "execution"
    collaboration = "collaboration"
    budget = "budget"
    external = "external"


class SuggestionKind(StrEnum):
    goal_missed = "goal_missed"
    rule_fired = "rule_fired"
    issue_sla_breached = "issue_sla_breached"
    task_slipped = "task_slipped"
    budget_over_plan = "budget_over_plan"
    channel_low_roi = "channel_low_roi"


class SuggestionState(StrEnum):
    proposed = "proposed"  # computed, nobody decided yet (never stored)
    accepted = "accepted"  # an item was made of it
    dismissed = "dismissed"


class RetrospectiveItem(CampaignItem):
    """One row of the retrospective: a stage or area, what worked, what fell short, the
    root cause, the improvement action, its owner and due date."""

    __tablename__ = "retrospective_items"
    change_log_name = "retrospective_item"

    stage: Mapped[str] = mapped_column(String(200))
    what_worked: Mapped[str | None] = mapped_column(Text)
    shortfall: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[RootCause | None] = mapped_column(str_enum(RootCause, length=16))
    improvement_action: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), index=True
    )
    due_date: Mapped[date | None]
    suggestion_id: Mapped[str | None] = mapped_column(String(32))  # made from it, if any


class SuggestionDecision(Base, WorkspaceScoped):
    """Accepted or dismissed: a suggestion's state outlives its recomputation. An accepted
    one goes with its item (deleting the item makes the suggestion proposed again)."""

    __tablename__ = "retrospective_suggestions"
    __table_args__ = (UniqueConstraint("campaign_id", "suggestion_id"),)

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    suggestion_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[SuggestionKind] = mapped_column(str_enum(SuggestionKind))
    state: Mapped[SuggestionState] = mapped_column(str_enum(SuggestionState, length=16))
    reason: Mapped[str | None] = mapped_column(Text)
    item_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("retrospective_items.id", ondelete="CASCADE"), index=True
    )
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB)  # as it stood at the decision
    decided_at: Mapped[datetime]
    decided_by_member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    decided_by_api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )
