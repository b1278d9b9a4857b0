"""Issue resolution SLA: resolution_due_at and its overdue mark

Revision ID: 554c9869d508
Revises: 5dac9f8bd726
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "554c9869d508"
down_revision: str | Sequence[str] | None = "5dac9f8bd726"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RESOLUTION_WATCHED = "resolution_overdue_at IS NULL AND status IN ('open', 'in_progress')"


def upgrade() -> None:
    op.create_table(
        "issue_resolution_times",
        sa.Column(
            "severity",
            sa.Enum("info", "warning", "critical", name="severity", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("minutes", sa.Integer(), nullable=False),
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
        sa.CheckConstraint("minutes > 0", name=op.f("ck_issue_resolution_times_positive_minutes")),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_issue_resolution_times_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_resolution_times")),
        sa.UniqueConstraint(
            "workspace_id",
            "severity",
            name=op.f("uq_issue_resolution_times_workspace_id_severity"),
        ),
    )
    op.create_index(
        op.f("ix_issue_resolution_times_workspace_id"), "issue_resolution_times", ["workspace_id"]
    )

    # Issues opened before the resolution SLA existed get the default 48 hours.
    op.add_column("issues", sa.Column("resolution_due_at", sa.DateTime(timezone=True)))
    op.add_column("issues", sa.Column("resolution_overdue_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE issues SET resolution_due_at = opened_at + interval '48 hours'")
    # Those already overdue are marked now, without an event: an upgrade must not page
    # everyone about old problems at once.
    op.execute(
        f"UPDATE issues SET resolution_overdue_at = now() "  # noqa: S608 (a constant)
        f"WHERE {RESOLUTION_WATCHED} AND resolution_due_at <= now()"
    )
    op.alter_column("issues", "resolution_due_at", nullable=False)
    op.create_index(
        "ix_issues_resolution_watch",
        "issues",
        ["resolution_due_at"],
        postgresql_where=sa.text(RESOLUTION_WATCHED),
    )

    # What a policy does when an issue's resolution is overdue.
    op.add_column(
        "escalation_policies",
        sa.Column("resolution_overdue", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    # Timeline lines about an issue rather than an alert's escalation.
    op.add_column("escalation_steps", sa.Column("issue_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_escalation_steps_issue_id_issues"),
        "escalation_steps",
        "issues",
        ["issue_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index(op.f("ix_escalation_steps_issue_id"), "escalation_steps", ["issue_id"])
    op.alter_column("escalation_steps", "escalation_id", nullable=True)
    op.alter_column("escalation_steps", "alert_id", nullable=True)
    op.create_check_constraint(
        op.f("ck_escalation_steps_about_something"),
        "escalation_steps",
        "escalation_id IS NOT NULL OR issue_id IS NOT NULL",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("ck_escalation_steps_about_something"), "escalation_steps", type_="check"
    )
    op.execute("DELETE FROM escalation_steps WHERE escalation_id IS NULL")
    op.alter_column("escalation_steps", "alert_id", nullable=False)
    op.alter_column("escalation_steps", "escalation_id", nullable=False)
    op.drop_index(op.f("ix_escalation_steps_issue_id"), table_name="escalation_steps")
    op.drop_constraint(
        op.f("fk_escalation_steps_issue_id_issues"), "escalation_steps", type_="foreignkey"
    )
    op.drop_column("escalation_steps", "issue_id")
    op.drop_column("escalation_policies", "resolution_overdue")
    op.drop_index(
        "ix_issues_resolution_watch",
        table_name="issues",
        postgresql_where=sa.text(RESOLUTION_WATCHED),
    )
    op.drop_column("issues", "resolution_overdue_at")
    op.drop_column("issues", "resolution_due_at")
    op.drop_table("issue_resolution_times")
