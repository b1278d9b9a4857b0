"""The workspace's approval chain, and each campaign's rounds of decisions on it."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, WorkspaceScoped, str_enum


class ApprovalStep(Base, WorkspaceScoped):
    """One level of the chain. Who may decide: listed members, or members with this title."""

    __tablename__ = "approval_steps"
    __table_args__ = (UniqueConstraint("workspace_id", "position"),)

    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    approver_title: Mapped[str | None] = mapped_column(String(200))
    approver_member_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()), default=list)


class RoundStatus(StrEnum):
    in_progress = "in_progress"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"  # the campaign was cancelled while pending


class Decision(StrEnum):
    approve = "approve"
    reject = "reject"


class ApprovalRound(Base, WorkspaceScoped):
    """One submission. The chain is copied in: later edits of the chain do not move it."""

    __tablename__ = "approval_rounds"
    __table_args__ = (UniqueConstraint("campaign_id", "number"),)

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[RoundStatus] = mapped_column(str_enum(RoundStatus))
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    current_step: Mapped[int] = mapped_column(Integer, default=0)
    submitted_by_member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    submitted_by_api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )
    closed_at: Mapped[datetime | None]


class ApprovalDecision(Base, WorkspaceScoped):
    __tablename__ = "approval_decisions"

    round_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("approval_rounds.id", ondelete="CASCADE"), index=True
    )
    step_index: Mapped[int] = mapped_column(Integer)
    step_name: Mapped[str] = mapped_column(String(100))
    decision: Mapped[Decision] = mapped_column(str_enum(Decision))
    comment: Mapped[str | None] = mapped_column(Text)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )


class RegistrationCounter(Base):
    """The last registration number given per workspace and year.

    Incremented inside the approving transaction: concurrent approvals queue on the row
    lock, and a rolled-back approval gives its number back, so numbers have no gaps.
    """

    __tablename__ = "registration_counters"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)
