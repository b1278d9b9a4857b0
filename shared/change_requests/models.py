"""Change requests on an active campaign, their decisions, and the plan's versions."""

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.activity.tracking import Tracked
from shared.approvals.models import Decision
from shared.db import Base, WorkspaceScoped, str_enum


class RequestStatus(StrEnum):
    pending = "pending"  # waiting for its approvers
    applied = "applied"  # approved, and the plan changed with it (one transaction)
    rejected = "rejected"
    withdrawn = "withdrawn"


class ApprovalScope(StrEnum):
    first_step = "first_step"  # the chain's first step alone (the department head)
    full_chain = "full_chain"  # every step (management as well)


class ChangeRequest(Base, WorkspaceScoped, Tracked):
    """Changes to an active campaign's plan, decided together and applied together.

    `plan_version` is the version of the plan the changes were written against: they
    apply to that version only (optimistic concurrency on the plan as a whole).
    """

    __tablename__ = "change_requests"
    change_log_name = "change_request"
    __table_args__ = (UniqueConstraint("campaign_id", "number"),)

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[RequestStatus] = mapped_column(str_enum(RequestStatus), index=True)
    plan_version: Mapped[int] = mapped_column(Integer)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    approval_scope: Mapped[ApprovalScope] = mapped_column(str_enum(ApprovalScope))
    approval_reasons: Mapped[list[str]] = mapped_column(JSONB, default=list)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)  # copied from the chain
    current_step: Mapped[int] = mapped_column(Integer, default=0)
    submitted_by_member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    submitted_by_api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )
    applied_plan_version: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None]

    def change_log_campaign_id(self) -> uuid.UUID:
        return self.campaign_id


class ChangeRequestDecision(Base, WorkspaceScoped):
    __tablename__ = "change_request_decisions"

    change_request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("change_requests.id", ondelete="CASCADE"), index=True
    )
    step_index: Mapped[int] = mapped_column(Integer)
    step_name: Mapped[str] = mapped_column(String(100))
    decision: Mapped[Decision] = mapped_column(str_enum(Decision))
    comment: Mapped[str | None] = mapped_column(Text)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )


class PlanVersion(Base, WorkspaceScoped):
    """The whole plan (dates, goals, budget lines) as it stood at one version.

    Version 1 is the approved baseline; each applied change request adds the next one.
    Snapshots, not diffs: any version reads in one row, and a diff is computed between
    any two of them. A plan is a few dozen rows, and versions come a few per campaign.
    """

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("campaign_id", "number"),)

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    plan: Mapped[dict[str, Any]] = mapped_column(JSONB)
    change_request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("change_requests.id", ondelete="SET NULL")
    )


class ChangeApprovalRule(Base, WorkspaceScoped):
    """A workspace's own threshold; without a row, the default applies."""

    __tablename__ = "change_approval_rules"
    __table_args__ = (
        UniqueConstraint("workspace_id"),
        CheckConstraint(
            "move_share_percent > 0 AND move_share_percent <= 100", name="share_in_range"
        ),
    )

    # A single budget move larger than this share of the total planned needs the full chain.
    move_share_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
