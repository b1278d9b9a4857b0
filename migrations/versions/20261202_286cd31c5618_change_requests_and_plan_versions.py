"""Change requests on active campaigns and plan versions

Revision ID: 286cd31c5618
Revises: a67922e816ec
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "286cd31c5618"
down_revision: str | Sequence[str] | None = "a67922e816ec"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _entity_columns() -> list[sa.Column[Any]]:
    return [
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
    ]


def _workspace_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"],
        ["workspaces.id"],
        name=op.f(f"fk_{table}_workspace_id_workspaces"),
        ondelete="CASCADE",
    )


def _index(table: str, column: str) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "change_requests",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "applied",
                "rejected",
                "withdrawn",
                name="requeststatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "approval_scope",
            sa.Enum("first_step", "full_chain", name="approvalscope", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("approval_reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("steps", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("current_step", sa.Integer(), nullable=False),
        sa.Column("submitted_by_member_id", sa.Uuid(), nullable=True),
        sa.Column("submitted_by_api_key_id", sa.Uuid(), nullable=True),
        sa.Column("applied_plan_version", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        *_entity_columns(),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_change_requests_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_change_requests_submitted_by_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_member_id"],
            ["members.id"],
            name=op.f("fk_change_requests_submitted_by_member_id_members"),
            ondelete="SET NULL",
        ),
        _workspace_key("change_requests"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_requests")),
        sa.UniqueConstraint(
            "campaign_id", "number", name=op.f("uq_change_requests_campaign_id_number")
        ),
    )
    for column in ("campaign_id", "status", "workspace_id"):
        _index("change_requests", column)

    op.create_table(
        "change_request_decisions",
        sa.Column("change_request_id", sa.Uuid(), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("step_name", sa.String(length=100), nullable=False),
        sa.Column(
            "decision",
            sa.Enum("approve", "reject", name="decision", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("api_key_id", sa.Uuid(), nullable=True),
        *_entity_columns(),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_change_request_decisions_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["change_request_id"],
            ["change_requests.id"],
            name=op.f("fk_change_request_decisions_change_request_id_change_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_change_request_decisions_member_id_members"),
            ondelete="RESTRICT",
        ),
        _workspace_key("change_request_decisions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_request_decisions")),
    )
    for column in ("change_request_id", "workspace_id"):
        _index("change_request_decisions", column)

    op.create_table(
        "plan_versions",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("plan", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("change_request_id", sa.Uuid(), nullable=True),
        *_entity_columns(),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_plan_versions_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["change_request_id"],
            ["change_requests.id"],
            name=op.f("fk_plan_versions_change_request_id_change_requests"),
            ondelete="SET NULL",
        ),
        _workspace_key("plan_versions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_versions")),
        sa.UniqueConstraint(
            "campaign_id", "number", name=op.f("uq_plan_versions_campaign_id_number")
        ),
    )
    for column in ("campaign_id", "workspace_id"):
        _index("plan_versions", column)

    op.create_table(
        "change_approval_rules",
        sa.Column("move_share_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        *_entity_columns(),
        sa.CheckConstraint(
            "move_share_percent > 0 AND move_share_percent <= 100",
            name=op.f("ck_change_approval_rules_share_in_range"),
        ),
        _workspace_key("change_approval_rules"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_approval_rules")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_change_approval_rules_workspace_id")),
    )
    _index("change_approval_rules", "workspace_id")


def downgrade() -> None:
    op.drop_table("change_approval_rules")
    op.drop_table("plan_versions")
    op.drop_table("change_request_decisions")
    op.drop_table("change_requests")
