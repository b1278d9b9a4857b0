"""A campaign and its plan: goals, budget lines, expenses, phases and risks."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from shared.activity.tracking import Tracked
from shared.db import Base, WorkspaceScoped, str_enum


class CampaignStatus(StrEnum):
    draft = "draft"
    pending_approval = "pending_approval"
    approved = "approved"
    active = "active"
    completed = "completed"
    archived = "archived"
    rejected = "rejected"
    cancelled = "cancelled"


class CampaignKind(StrEnum):
    new_product_launch = "new_product_launch"
    brand_awareness = "brand_awareness"
    promotion = "promotion"  # shopping festivals such as 618 or Singles' Day
    regional_rollout = "regional_rollout"
    channel_expansion = "channel_expansion"
    other = "other"


class GoalType(StrEnum):
    user_growth = "user_growth"
    brand_awareness = "brand_awareness"
    sales_conversion = "sales_conversion"
    cost_efficiency = "cost_efficiency"
    engagement = "engagement"
    other = "other"


class TargetKind(StrEnum):
    absolute = "absolute"  # reach the target value
    relative_lift = "relative_lift"  # lift by target % over the baseline value


class Direction(StrEnum):
    higher_is_better = "higher_is_better"
    lower_is_better = "lower_is_better"


class BudgetCategory(StrEnum):
    labour = "labour"
    materials = "materials"
    promotion_media = "promotion_media"
    third_party_services = "third_party_services"
    contingency = "contingency"
    other = "other"


class Level(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class RiskStatus(StrEnum):
    open = "open"
    mitigated = "mitigated"
    occurred = "occurred"
    closed = "closed"


Money = Numeric(14, 2)
Quantity = Numeric(20, 4)


def member_ref() -> Mapped[uuid.UUID | None]:
    return mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), index=True)


# Money may name where it goes (a channel) and for what work (a strategy, module or task).
# By table name: channels and tasks are domains above this one. A channel or task that
# money names cannot be deleted (the money would silently lose its place).
def channel_ref() -> Mapped[uuid.UUID | None]:
    return mapped_column(ForeignKey("channels.id", ondelete="RESTRICT"), index=True)


def task_ref() -> Mapped[uuid.UUID | None]:
    return mapped_column(ForeignKey("tasks.id", ondelete="RESTRICT"), index=True)


class Campaign(Base, WorkspaceScoped, Tracked):
    __tablename__ = "campaigns"
    change_log_name = "campaign"
    change_log_deletions = False  # a deleted draft takes its whole log with it
    __table_args__ = (
        UniqueConstraint("workspace_id", "registration_number"),
        Index("ix_campaigns_tags", "tags", postgresql_using="gin"),
    )

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[CampaignKind] = mapped_column(str_enum(CampaignKind))
    status: Mapped[CampaignStatus] = mapped_column(
        str_enum(CampaignStatus), default=CampaignStatus.draft, index=True
    )
    background: Mapped[str | None] = mapped_column(Text)
    objective_summary: Mapped[str | None] = mapped_column(Text)
    target_audience: Mapped[str | None] = mapped_column(Text)
    core_message: Mapped[str | None] = mapped_column(Text)
    channels: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(50)), default=list)
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    timezone: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    owner_id: Mapped[uuid.UUID | None] = member_ref()
    registration_number: Mapped[str | None] = mapped_column(String(20))
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    activated_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # Set by the expense settlement (shared.settlements) when finance settles: the
    # expenses are frozen until a correction reopens the settlement.
    expenses_settled_at: Mapped[datetime | None]

    def change_log_campaign_id(self) -> uuid.UUID:
        return self.id

    def local_date(self, now: datetime) -> date:
        """The day it is for this campaign: its days are those of its own timezone."""
        return now.astimezone(ZoneInfo(self.timezone)).date()


class CampaignItem(Base, WorkspaceScoped, Tracked):
    """A row of a campaign's plan; it lives and dies with its campaign, in its log."""

    __abstract__ = True

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )

    def change_log_campaign_id(self) -> uuid.UUID:
        return self.campaign_id


class Goal(CampaignItem):
    """A SMART goal: one metric, one target, one owner, one due date."""

    __tablename__ = "goals"
    change_log_name = "goal"

    goal_type: Mapped[GoalType] = mapped_column(str_enum(GoalType))
    strategy: Mapped[str | None] = mapped_column(Text)
    metric_key: Mapped[str] = mapped_column(String(64))
    target_kind: Mapped[TargetKind] = mapped_column(str_enum(TargetKind))
    target_value: Mapped[Decimal | None] = mapped_column(Quantity)
    baseline_value: Mapped[Decimal | None] = mapped_column(Quantity)
    direction: Mapped[Direction] = mapped_column(str_enum(Direction))
    owner_id: Mapped[uuid.UUID | None] = member_ref()
    due_date: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)


class BudgetLine(CampaignItem):
    __tablename__ = "budget_lines"
    change_log_name = "budget_line"

    category: Mapped[BudgetCategory] = mapped_column(str_enum(BudgetCategory))
    planned_amount: Mapped[Decimal] = mapped_column(Money)
    note: Mapped[str | None] = mapped_column(Text)
    channel_id: Mapped[uuid.UUID | None] = channel_ref()
    task_id: Mapped[uuid.UUID | None] = task_ref()


class Expense(CampaignItem):
    __tablename__ = "expenses"
    change_log_name = "expense"

    category: Mapped[BudgetCategory] = mapped_column(str_enum(BudgetCategory))
    amount: Mapped[Decimal] = mapped_column(Money)
    spent_on: Mapped[date]
    vendor: Mapped[str | None] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    channel_id: Mapped[uuid.UUID | None] = channel_ref()
    task_id: Mapped[uuid.UUID | None] = task_ref()
    # The evidence finance checks the expense against at settlement.
    invoice_reference: Mapped[str | None] = mapped_column(String(100))
    contract_reference: Mapped[str | None] = mapped_column(String(100))


class Phase(CampaignItem):
    __tablename__ = "phases"
    change_log_name = "phase"

    name: Mapped[str] = mapped_column(String(100))
    start_date: Mapped[date]
    end_date: Mapped[date]
    core_actions: Mapped[str | None] = mapped_column(Text)
    executor_id: Mapped[uuid.UUID | None] = member_ref()
    resources: Mapped[str | None] = mapped_column(Text)


class Risk(CampaignItem):
    __tablename__ = "risks"
    change_log_name = "risk"

    description: Mapped[str] = mapped_column(Text)
    phase_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("phases.id", ondelete="SET NULL"), index=True
    )
    probability: Mapped[Level] = mapped_column(str_enum(Level))
    impact: Mapped[Level] = mapped_column(str_enum(Level))
    mitigation: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[uuid.UUID | None] = member_ref()
    status: Mapped[RiskStatus] = mapped_column(str_enum(RiskStatus), default=RiskStatus.open)
