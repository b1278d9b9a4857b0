"""Task sign-off (in_review, accepted/returned) and task notification settings

Revision ID: 5dac9f8bd726
Revises: 0490003e717f
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "5dac9f8bd726"
down_revision: str | Sequence[str] | None = "0490003e717f"
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


def upgrade() -> None:
    # tasks.status is a VARCHAR of the enum's values: `in_review` needs no change to it.
    op.create_table(
        "task_reviews",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("link", sa.String(length=2048), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("submitted_by_member_id", sa.Uuid(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum("accepted", "returned", name="reviewoutcome", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("decided_by_member_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        *_entity_columns(),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_task_reviews_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_reviews_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_member_id"],
            ["members.id"],
            name=op.f("fk_task_reviews_submitted_by_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_member_id"],
            ["members.id"],
            name=op.f("fk_task_reviews_decided_by_member_id_members"),
            ondelete="SET NULL",
        ),
        _workspace_key("task_reviews"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_reviews")),
        sa.UniqueConstraint("task_id", "number", name=op.f("uq_task_reviews_task_id_number")),
    )
    op.create_index(op.f("ix_task_reviews_campaign_id"), "task_reviews", ["campaign_id"])
    op.create_index(op.f("ix_task_reviews_workspace_id"), "task_reviews", ["workspace_id"])
    # One open review per task, whatever races: the database says so.
    op.create_index(
        "uq_task_reviews_open_task_id",
        "task_reviews",
        ["task_id"],
        unique=True,
        postgresql_where=sa.text("outcome IS NULL"),
    )

    op.create_table(
        "task_reminder_settings",
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("due_soon_days", sa.SmallInteger(), nullable=False),
        *_entity_columns(),
        sa.CheckConstraint(
            "due_soon_days BETWEEN 0 AND 20",
            name=op.f("ck_task_reminder_settings_due_soon_days_range"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_task_reminder_settings_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        _workspace_key("task_reminder_settings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_reminder_settings")),
        sa.UniqueConstraint("campaign_id", name=op.f("uq_task_reminder_settings_campaign_id")),
    )
    op.create_index(
        op.f("ix_task_reminder_settings_workspace_id"), "task_reminder_settings", ["workspace_id"]
    )
    op.create_index(
        "uq_task_reminder_settings_workspace_default",
        "task_reminder_settings",
        ["workspace_id"],
        unique=True,
        postgresql_where=sa.text("campaign_id IS NULL"),
    )

    op.create_table(
        "task_due_soon_warnings",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("planned_end", sa.Date(), nullable=False),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=False),
        *_entity_columns(),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_due_soon_warnings_task_id_tasks"),
            ondelete="CASCADE",
        ),
        _workspace_key("task_due_soon_warnings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_due_soon_warnings")),
        # Once per task and due date: concurrent sweeps meet here.
        sa.UniqueConstraint(
            "task_id", "planned_end", name=op.f("uq_task_due_soon_warnings_task_id_planned_end")
        ),
    )
    op.create_index(
        op.f("ix_task_due_soon_warnings_workspace_id"), "task_due_soon_warnings", ["workspace_id"]
    )


def downgrade() -> None:
    # Tasks waiting for sign-off go back to work: the older schema has no `in_review`.
    op.execute("UPDATE tasks SET status = 'in_progress' WHERE status = 'in_review'")
    op.drop_index(
        op.f("ix_task_due_soon_warnings_workspace_id"), table_name="task_due_soon_warnings"
    )
    op.drop_table("task_due_soon_warnings")
    op.drop_index(
        "uq_task_reminder_settings_workspace_default",
        table_name="task_reminder_settings",
        postgresql_where=sa.text("campaign_id IS NULL"),
    )
    op.drop_index(
        op.f("ix_task_reminder_settings_workspace_id"), table_name="task_reminder_settings"
    )
    op.drop_table("task_reminder_settings")
    op.drop_index(
        "uq_task_reviews_open_task_id",
        table_name="task_reviews",
        postgresql_where=sa.text("outcome IS NULL"),
    )
    op.drop_index(op.f("ix_task_reviews_workspace_id"), table_name="task_reviews")
    op.drop_index(op.f("ix_task_reviews_campaign_id"), table_name="task_reviews")
    op.drop_table("task_reviews")
