"""issues

Revision ID: c38e5f7a1d24
Revises: 7f4a2e19c6b0
Create Date: 2026-11-22 05:40:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "c38e5f7a1d24"
down_revision: str | Sequence[str] | None = "7f4a2e19c6b0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATCHED = "sla_breached_at IS NULL AND responded_at IS NULL AND status IN ('open', 'in_progress')"


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


def _severity() -> sa.Enum:
    return sa.Enum("info", "warning", "critical", name="severity", native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "issue_response_times",
        sa.Column("severity", _severity(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        *_entity_columns(),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_issue_response_times_positive_minutes")),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_issue_response_times_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_response_times")),
        sa.UniqueConstraint(
            "workspace_id", "severity", name=op.f("uq_issue_response_times_workspace_id_severity")
        ),
    )
    op.create_index(
        op.f("ix_issue_response_times_workspace_id"), "issue_response_times", ["workspace_id"]
    )

    op.create_table(
        "issues",
        sa.Column("related_task_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("impact", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("action_plan", sa.Text(), nullable=True),
        sa.Column("expected_resolution_date", sa.Date(), nullable=True),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "in_progress",
                "resolved",
                "closed",
                name="issuestatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("severity", _severity(), nullable=False),
        sa.Column(
            "source",
            sa.Enum("manual", "alert", name="issuesource", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("alert_id", sa.Uuid(), nullable=True),
        sa.Column("response_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sla_breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        *_entity_columns(),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name=op.f("ck_issues_progress_percent")),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_issues_alert_id_alerts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_issues_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["members.id"],
            name=op.f("fk_issues_owner_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["related_task_id"],
            ["tasks.id"],
            name=op.f("fk_issues_related_task_id_tasks"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_issues_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issues")),
    )
    op.create_index(op.f("ix_issues_campaign_id"), "issues", ["campaign_id"])
    op.create_index(op.f("ix_issues_owner_id"), "issues", ["owner_id"])
    op.create_index(op.f("ix_issues_related_task_id"), "issues", ["related_task_id"])
    op.create_index(op.f("ix_issues_workspace_id"), "issues", ["workspace_id"])
    op.create_index(
        "ix_issues_response_watch",
        "issues",
        ["response_due_at"],
        postgresql_where=sa.text(WATCHED),
    )
    op.create_index(
        "uq_issues_alert_id",
        "issues",
        ["alert_id"],
        unique=True,
        postgresql_where=sa.text("alert_id IS NOT NULL"),
    )

    op.create_table(
        "issue_comments",
        sa.Column("issue_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("person", "system", name="commentkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("actor_api_key_id", sa.Uuid(), nullable=True),
        sa.Column("actor_member_id", sa.Uuid(), nullable=True),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        *_entity_columns(),
        sa.ForeignKeyConstraint(
            ["actor_api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_issue_comments_actor_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["actor_member_id"],
            ["members.id"],
            name=op.f("fk_issue_comments_actor_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_issue_comments_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issues.id"],
            name=op.f("fk_issue_comments_issue_id_issues"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_issue_comments_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_comments")),
    )
    op.create_index(op.f("ix_issue_comments_campaign_id"), "issue_comments", ["campaign_id"])
    op.create_index(op.f("ix_issue_comments_issue_id"), "issue_comments", ["issue_id"])
    op.create_index(op.f("ix_issue_comments_workspace_id"), "issue_comments", ["workspace_id"])


def downgrade() -> None:
    # Dropping a table drops its indexes and constraints with it.
    op.drop_table("issue_comments")
    op.drop_table("issues")
    op.drop_table("issue_response_times")
