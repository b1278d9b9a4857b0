"""rules, alerts and silences

Revision ID: 7f4a2e19c6b0
Revises: 5d2b8c41e903
Create Date: 2026-11-22 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "7f4a2e19c6b0"
down_revision: str | Sequence[str] | None = "5d2b8c41e903"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rules",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column(
            "campaign_kind",
            sa.Enum(
                "new_product_launch",
                "brand_awareness",
                "promotion",
                "regional_rollout",
                "channel_expansion",
                "other",
                name="campaignkind",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("campaign_tag", sa.String(length=50), nullable=True),
        sa.Column("per_channel", sa.Boolean(), nullable=False),
        sa.Column(
            "condition",
            sa.Enum(
                "threshold",
                "below_target",
                "change",
                "no_data",
                "task_overdue",
                "budget_burn",
                name="condition",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "severity",
            sa.Enum("info", "warning", "critical", name="severity", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("min_sample_metric", sa.String(length=64), nullable=True),
        sa.Column("min_sample_count", sa.Integer(), nullable=True),
        sa.Column("hold_minutes", sa.Integer(), nullable=False),
        sa.Column("hold_evaluations", sa.Integer(), nullable=False),
        sa.Column("auto_resolve", sa.Boolean(), nullable=False),
        sa.Column("clear_minutes", sa.Integer(), nullable=False),
        sa.Column("opens_issue", sa.Boolean(), nullable=False),
        sa.Column("escalation_policy_id", sa.Uuid(), nullable=True),
        sa.Column("labels", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("template_key", sa.String(length=64), nullable=True),
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
            name=op.f("fk_rules_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_rules_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules")),
    )
    op.create_index(op.f("ix_rules_campaign_id"), "rules", ["campaign_id"], unique=False)
    op.create_index(op.f("ix_rules_workspace_id"), "rules", ["workspace_id"], unique=False)
    op.create_table(
        "silences",
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("rule_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column(
            "severity",
            sa.Enum("info", "warning", "critical", name="severity", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("labels", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("weekdays", postgresql.ARRAY(sa.SmallInteger()), nullable=True),
        sa.Column("window_start", sa.Time(), nullable=True),
        sa.Column("window_end", sa.Time(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_by_api_key_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_member_id", sa.Uuid(), nullable=True),
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
            name=op.f("fk_silences_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["rules.id"], name=op.f("fk_silences_rule_id_rules"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_silences_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_silences")),
    )
    op.create_index(op.f("ix_silences_campaign_id"), "silences", ["campaign_id"], unique=False)
    op.create_index(op.f("ix_silences_workspace_id"), "silences", ["workspace_id"], unique=False)
    op.create_table(
        "alerts",
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("task_id", sa.Uuid(), nullable=True),
        sa.Column("fingerprint", sa.String(length=160), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "firing",
                "acknowledged",
                "resolved",
                name="alertstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "severity",
            sa.Enum("info", "warning", "critical", name="severity", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("value", sa.Numeric(precision=30, scale=8), nullable=True),
        sa.Column("threshold", sa.Numeric(precision=30, scale=8), nullable=True),
        sa.Column("labels", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolve_note", sa.Text(), nullable=True),
        sa.Column("breaches", sa.Integer(), nullable=False),
        sa.Column("consecutive", sa.Integer(), nullable=False),
        sa.Column("clear_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("silenced", sa.Boolean(), nullable=False),
        sa.Column("silence_id", sa.Uuid(), nullable=True),
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
            name=op.f("fk_alerts_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["rules.id"], name=op.f("fk_alerts_rule_id_rules"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["silence_id"],
            ["silences.id"],
            name=op.f("fk_alerts_silence_id_silences"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_alerts_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_alerts_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(op.f("ix_alerts_campaign_id"), "alerts", ["campaign_id"], unique=False)
    op.create_index(op.f("ix_alerts_rule_id"), "alerts", ["rule_id"], unique=False)
    op.create_index(op.f("ix_alerts_task_id"), "alerts", ["task_id"], unique=False)
    op.create_index(op.f("ix_alerts_workspace_id"), "alerts", ["workspace_id"], unique=False)
    op.create_index(
        "ix_alerts_workspace_id_status", "alerts", ["workspace_id", "status"], unique=False
    )
    op.create_index(
        "uq_alerts_open_fingerprint",
        "alerts",
        ["fingerprint"],
        unique=True,
        postgresql_where=sa.text("status <> 'resolved'"),
    )
    op.create_table(
        "alert_transitions",
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "pending",
                "firing",
                "acknowledged",
                "resolved",
                name="alertstatus",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "pending",
                "firing",
                "acknowledged",
                "resolved",
                name="alertstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Numeric(precision=30, scale=8), nullable=True),
        sa.Column("threshold", sa.Numeric(precision=30, scale=8), nullable=True),
        sa.Column("api_key_id", sa.Uuid(), nullable=True),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
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
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_transitions_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_alert_transitions_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_transitions")),
    )
    op.create_index(
        op.f("ix_alert_transitions_alert_id"), "alert_transitions", ["alert_id"], unique=False
    )
    op.create_index(
        op.f("ix_alert_transitions_workspace_id"),
        "alert_transitions",
        ["workspace_id"],
        unique=False,
    )


def downgrade() -> None:
    for table in ("alert_transitions", "alerts", "silences", "rules"):
        op.drop_table(table)
