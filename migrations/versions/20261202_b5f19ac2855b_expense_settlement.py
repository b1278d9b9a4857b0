"""Settlement: expense evidence and attachments, verification, sign-off

Revision ID: b5f19ac2855b
Revises: cc345e2025de
Create Date: 2026-12-02 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b5f19ac2855b"
down_revision: str | Sequence[str] | None = "cc345e2025de"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "settlement_policies",
        sa.Column("threshold_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column(
            "finance_role",
            sa.Enum(
                "viewer", "editor", "approver", "admin", name="role", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column(
            "management_role",
            sa.Enum(
                "viewer", "editor", "approver", "admin", name="role", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "threshold_percent >= 0 AND threshold_percent <= 100",
            name=op.f("ck_settlement_policies_threshold_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_settlement_policies_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_policies")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_settlement_policies_workspace_id")),
    )
    op.create_index(
        op.f("ix_settlement_policies_workspace_id"),
        "settlement_policies",
        ["workspace_id"],
        unique=False,
    )
    op.create_table(
        "settlement_explanations",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("line_key", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_by_member_id", sa.Uuid(), nullable=True),
        sa.Column("written_by_api_key_id", sa.Uuid(), nullable=True),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_settlement_explanations_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_settlement_explanations_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["written_by_api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_settlement_explanations_written_by_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["written_by_member_id"],
            ["members.id"],
            name=op.f("fk_settlement_explanations_written_by_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_explanations")),
        sa.UniqueConstraint(
            "campaign_id", "line_key", name=op.f("uq_settlement_explanations_campaign_id_line_key")
        ),
    )
    op.create_index(
        op.f("ix_settlement_explanations_workspace_id"),
        "settlement_explanations",
        ["workspace_id"],
        unique=False,
    )
    op.create_table(
        "settlement_records",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("statement", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_by_member_id", sa.Uuid(), nullable=True),
        sa.Column("settled_by_api_key_id", sa.Uuid(), nullable=True),
        sa.Column("signed_off_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_off_by_member_id", sa.Uuid(), nullable=True),
        sa.Column("signed_off_by_api_key_id", sa.Uuid(), nullable=True),
        sa.Column("sign_off_comment", sa.Text(), nullable=True),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopened_by_member_id", sa.Uuid(), nullable=True),
        sa.Column("reopened_by_api_key_id", sa.Uuid(), nullable=True),
        sa.Column("reopen_reason", sa.Text(), nullable=True),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_settlement_records_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reopened_by_api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_settlement_records_reopened_by_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reopened_by_member_id"],
            ["members.id"],
            name=op.f("fk_settlement_records_reopened_by_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["settled_by_api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_settlement_records_settled_by_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["settled_by_member_id"],
            ["members.id"],
            name=op.f("fk_settlement_records_settled_by_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["signed_off_by_api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_settlement_records_signed_off_by_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["signed_off_by_member_id"],
            ["members.id"],
            name=op.f("fk_settlement_records_signed_off_by_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_settlement_records_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_records")),
        sa.UniqueConstraint(
            "campaign_id", "number", name=op.f("uq_settlement_records_campaign_id_number")
        ),
    )
    op.create_index(
        op.f("ix_settlement_records_workspace_id"),
        "settlement_records",
        ["workspace_id"],
        unique=False,
    )
    op.create_table(
        "settlements",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "verified",
                "settled",
                "signed_off",
                name="settlementstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by_member_id", sa.Uuid(), nullable=True),
        sa.Column("verified_by_api_key_id", sa.Uuid(), nullable=True),
        sa.Column("verified_expenses", sa.String(length=64), nullable=True),
        sa.Column("current_record_number", sa.Integer(), nullable=True),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_settlements_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["verified_by_api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_settlements_verified_by_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["verified_by_member_id"],
            ["members.id"],
            name=op.f("fk_settlements_verified_by_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_settlements_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
        sa.UniqueConstraint("campaign_id", name=op.f("uq_settlements_campaign_id")),
    )
    op.create_index(
        op.f("ix_settlements_workspace_id"), "settlements", ["workspace_id"], unique=False
    )
    op.create_table(
        "expense_attachments",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("expense_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_member_id", sa.Uuid(), nullable=True),
        sa.Column("uploaded_by_api_key_id", sa.Uuid(), nullable=True),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_expense_attachments_size_positive")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_expense_attachments_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["expense_id"],
            ["expenses.id"],
            name=op.f("fk_expense_attachments_expense_id_expenses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_expense_attachments_uploaded_by_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_member_id"],
            ["members.id"],
            name=op.f("fk_expense_attachments_uploaded_by_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_expense_attachments_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expense_attachments")),
    )
    op.create_index(
        "ix_expense_attachments_expense_created",
        "expense_attachments",
        ["expense_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_expense_attachments_workspace_id"),
        "expense_attachments",
        ["workspace_id"],
        unique=False,
    )
    op.create_table(
        "expense_attachment_contents",
        sa.Column("attachment_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["expense_attachments.id"],
            name=op.f("fk_expense_attachment_contents_attachment_id_expense_attachments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attachment_id", name=op.f("pk_expense_attachment_contents")),
    )
    op.add_column(
        "campaigns", sa.Column("expenses_settled_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("expenses", sa.Column("invoice_reference", sa.String(length=100), nullable=True))
    op.add_column("expenses", sa.Column("contract_reference", sa.String(length=100), nullable=True))


def downgrade() -> None:
    op.drop_column("expenses", "contract_reference")
    op.drop_column("expenses", "invoice_reference")
    op.drop_column("campaigns", "expenses_settled_at")
    op.drop_table("expense_attachment_contents")
    op.drop_index(op.f("ix_expense_attachments_workspace_id"), table_name="expense_attachments")
    op.drop_index("ix_expense_attachments_expense_created", table_name="expense_attachments")
    op.drop_table("expense_attachments")
    op.drop_index(op.f("ix_settlements_workspace_id"), table_name="settlements")
    op.drop_table("settlements")
    op.drop_index(op.f("ix_settlement_records_workspace_id"), table_name="settlement_records")
    op.drop_table("settlement_records")
    op.drop_index(
        op.f("ix_settlement_explanations_workspace_id"), table_name="settlement_explanations"
    )
    op.drop_table("settlement_explanations")
    op.drop_index(op.f("ix_settlement_policies_workspace_id"), table_name="settlement_policies")
    op.drop_table("settlement_policies")
