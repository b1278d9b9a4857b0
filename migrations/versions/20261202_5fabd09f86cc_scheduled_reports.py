"""Daily and weekly reports: one run per campaign and period

Revision ID: 5fabd09f86cc
Revises: 286cd31c5618
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "5fabd09f86cc"
down_revision: str | Sequence[str] | None = "286cd31c5618"
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


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"],
        ["workspaces.id"],
        name=op.f(f"fk_{table}_workspace_id_workspaces"),
        ondelete="CASCADE",
    )


def _campaign_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["campaign_id"],
        ["campaigns.id"],
        name=op.f(f"fk_{table}_campaign_id_campaigns"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    # The unique key is the claim: two workers racing for a period insert one row.
    op.create_table(
        "report_runs",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("daily", "weekly", name="reportkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        *_entity_columns(),
        _campaign_fk("report_runs"),
        _workspace_fk("report_runs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_runs")),
        sa.UniqueConstraint(
            "campaign_id",
            "kind",
            "period_start",
            name=op.f("uq_report_runs_campaign_id_kind_period_start"),
        ),
    )
    op.create_index(op.f("ix_report_runs_workspace_id"), "report_runs", ["workspace_id"])
    op.create_index(
        "ix_report_runs_campaign_created", "report_runs", ["campaign_id", "created_at", "id"]
    )

    # The workspace's row (no campaign) and campaigns' own; a NULL field is inherited.
    op.create_table(
        "report_schedules",
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("daily_enabled", sa.Boolean(), nullable=True),
        sa.Column("daily_time", sa.Time(), nullable=True),
        sa.Column("weekly_enabled", sa.Boolean(), nullable=True),
        sa.Column("weekly_time", sa.Time(), nullable=True),
        sa.Column(
            "language",
            sa.Enum("zh", "en", name="language", native_enum=False, length=8),
            nullable=True,
        ),
        *_entity_columns(),
        _campaign_fk("report_schedules"),
        _workspace_fk("report_schedules"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_schedules")),
    )
    op.create_index(op.f("ix_report_schedules_workspace_id"), "report_schedules", ["workspace_id"])
    op.create_index(
        "uq_report_schedules_workspace",
        "report_schedules",
        ["workspace_id"],
        unique=True,
        postgresql_where=sa.text("campaign_id IS NULL"),
    )
    op.create_index(
        "uq_report_schedules_campaign",
        "report_schedules",
        ["campaign_id"],
        unique=True,
        postgresql_where=sa.text("campaign_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("report_schedules")
    op.drop_table("report_runs")
