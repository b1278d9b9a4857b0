"""Channel history for planning: each finished campaign's figures per channel, stored

Revision ID: 9c5b1e3d2a47
Revises: 7a4d2c8e9f10
Create Date: 2026-12-02 22:00:00

No backfill here: the figures are computed by the application's own rules
(`shared.channel_history.figures`), so the worker's sweep totals every finished campaign
that has no row yet (500 per minute, the oldest first). Until then a history read
computes those campaigns live, as it did before this table existed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9c5b1e3d2a47"
down_revision: str | Sequence[str] | None = "7a4d2c8e9f10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIGURES = (
    "spend",
    "expenses",
    "pushed_spend",
    "revenue",
    "clicks",
    "conversions",
    "roi",
    "cpa",
    "conversion_rate",
)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "channel_history_campaigns",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("totalled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dictionary", sa.String(length=64), nullable=False),
        sa.Column("expenses_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expense_changes", sa.Integer(), nullable=False),
        sa.Column("figures_final", sa.Boolean(), nullable=False),
        sa.Column("channel_count", sa.Integer(), nullable=False),
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
        _fk("channel_history_campaigns", "campaign_id", "campaigns"),
        _fk("channel_history_campaigns", "workspace_id", "workspaces"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_history_campaigns")),
        sa.UniqueConstraint("campaign_id", name=op.f("uq_channel_history_campaigns_campaign_id")),
    )
    op.create_index(
        op.f("ix_channel_history_campaigns_workspace_id"),
        "channel_history_campaigns",
        ["workspace_id"],
        unique=False,
    )

    op.create_table(
        "channel_history_totals",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("spend_source", sa.String(length=16), nullable=False),
        *(sa.Column(name, sa.Numeric(), nullable=True) for name in FIGURES),
        sa.Column("roi_inputs", postgresql.ARRAY(sa.Numeric()), nullable=False),
        sa.Column("rate_inputs", postgresql.ARRAY(sa.Numeric()), nullable=False),
        _fk("channel_history_totals", "campaign_id", "campaigns"),
        _fk("channel_history_totals", "channel_id", "channels"),
        _fk("channel_history_totals", "workspace_id", "workspaces"),
        sa.PrimaryKeyConstraint(
            "campaign_id", "channel_id", name=op.f("pk_channel_history_totals")
        ),
    )
    op.create_index(
        op.f("ix_channel_history_totals_workspace_id"),
        "channel_history_totals",
        ["workspace_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_channel_history_totals_workspace_id"), table_name="channel_history_totals"
    )
    op.drop_table("channel_history_totals")
    op.drop_index(
        op.f("ix_channel_history_campaigns_workspace_id"), table_name="channel_history_campaigns"
    )
    op.drop_table("channel_history_campaigns")
