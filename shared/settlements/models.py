"""The expense settlement: the workspace's policy, each campaign's settlement with its
explanations and numbered records, and the files that evidence expenses."""

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.activity.tracking import Tracked
from shared.actor import Role
from shared.db import Base, WorkspaceScoped, str_enum


class SettlementStatus(StrEnum):
    open = "open"  # expenses may still change; explanations are written
    verified = "verified"  # finance checked the expenses against invoices and contracts
    settled = "settled"  # the final account: expenses frozen, a numbered record kept
    signed_off = "signed_off"  # management signed the record off


def member_ref() -> Mapped[uuid.UUID | None]:
    return mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


def api_key_ref() -> Mapped[uuid.UUID | None]:
    return mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))


def campaign_ref() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))


class SettlementPolicy(Base, WorkspaceScoped):
    """A workspace's own settlement rules; without a row, the defaults apply."""

    __tablename__ = "settlement_policies"
    __table_args__ = (
        UniqueConstraint("workspace_id"),
        CheckConstraint(
            "threshold_percent >= 0 AND threshold_percent <= 100", name="threshold_in_range"
        ),
    )

    # A line whose |variance %| is above this needs an explanation.
    threshold_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    finance_role: Mapped[Role] = mapped_column(str_enum(Role, length=16))
    management_role: Mapped[Role] = mapped_column(str_enum(Role, length=16))


class Settlement(Base, WorkspaceScoped):
    """A campaign's settlement as it stands: one row per campaign, made on first need."""

    __tablename__ = "settlements"
    __table_args__ = (UniqueConstraint("campaign_id"),)

    campaign_id: Mapped[uuid.UUID] = campaign_ref()
    status: Mapped[SettlementStatus] = mapped_column(
        str_enum(SettlementStatus, length=16), default=SettlementStatus.open
    )
    verified_at: Mapped[datetime | None]
    verified_by_member_id: Mapped[uuid.UUID | None] = member_ref()
    verified_by_api_key_id: Mapped[uuid.UUID | None] = api_key_ref()
    # What finance saw when verifying (each expense's id and version): settling compares
    # it, so an expense changed since needs another verification.
    verified_expenses: Mapped[str | None] = mapped_column(String(64))
    current_record_number: Mapped[int | None] = mapped_column(Integer)


class SettlementExplanation(Base, WorkspaceScoped, Tracked):
    """Why a line ran over or under its plan, in the execution log like the plan itself."""

    __tablename__ = "settlement_explanations"
    change_log_name = "settlement_explanation"
    __table_args__ = (UniqueConstraint("campaign_id", "line_key"),)

    campaign_id: Mapped[uuid.UUID] = campaign_ref()
    line_key: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    written_by_member_id: Mapped[uuid.UUID | None] = member_ref()
    written_by_api_key_id: Mapped[uuid.UUID | None] = api_key_ref()

    def change_log_campaign_id(self) -> uuid.UUID:
        return self.campaign_id


class SettlementRecord(Base, WorkspaceScoped):
    """One settlement, numbered per campaign, with its lines frozen as settled. A sign-off
    refers to one record; a reopening closes it (the history stays)."""

    __tablename__ = "settlement_records"
    __table_args__ = (UniqueConstraint("campaign_id", "number"),)

    campaign_id: Mapped[uuid.UUID] = campaign_ref()
    number: Mapped[int] = mapped_column(Integer)
    statement: Mapped[dict[str, Any]] = mapped_column(JSONB)  # lines and totals as settled
    settled_at: Mapped[datetime]
    settled_by_member_id: Mapped[uuid.UUID | None] = member_ref()
    settled_by_api_key_id: Mapped[uuid.UUID | None] = api_key_ref()
    signed_off_at: Mapped[datetime | None]
    signed_off_by_member_id: Mapped[uuid.UUID | None] = member_ref()
    signed_off_by_api_key_id: Mapped[uuid.UUID | None] = api_key_ref()
    sign_off_comment: Mapped[str | None] = mapped_column(Text)
    reopened_at: Mapped[datetime | None]
    reopened_by_member_id: Mapped[uuid.UUID | None] = member_ref()
    reopened_by_api_key_id: Mapped[uuid.UUID | None] = api_key_ref()
    reopen_reason: Mapped[str | None] = mapped_column(Text)


class ExpenseAttachment(Base, WorkspaceScoped):
    """A file evidencing an expense (invoice scan, contract, statement); its bytes live in
    `expense_attachment_contents`, read only when downloaded."""

    __tablename__ = "expense_attachments"
    __table_args__ = (
        Index("ix_expense_attachments_expense_created", "expense_id", "created_at", "id"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    campaign_id: Mapped[uuid.UUID] = campaign_ref()
    expense_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("expenses.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_member_id: Mapped[uuid.UUID | None] = member_ref()
    uploaded_by_api_key_id: Mapped[uuid.UUID | None] = api_key_ref()


class ExpenseAttachmentContent(Base):
    """The bytes of one attachment (bytea), apart so that lists never load them."""

    __tablename__ = "expense_attachment_contents"

    attachment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("expense_attachments.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)
