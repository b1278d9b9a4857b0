"""metric points keyed naturally; daily rollups

Revision ID: 9c1f3e7a2b55
Revises: 4b38d7f3ff6a
Create Date: 2026-11-22 05:10:00

The points table loses its surrogate id, two indexes and two foreign keys (each is
paid for on every applied point) and gets the natural key, ordered for reads. Received
batches keep their points as plain, uncompressed JSON text: written once on the
webhook's path and read once by the worker. Daily rollups are added and
filled from the points already stored.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9c1f3e7a2b55"
down_revision: str | Sequence[str] | None = "4b38d7f3ff6a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NATURAL_KEY = ["campaign_id", "metric_key", "channel_id", "bucket"]


def upgrade() -> None:
    op.alter_column(
        "ingest_batches",
        "points",
        type_=sa.JSON(),
        postgresql_using="points::json",
        existing_nullable=False,
    )
    op.execute("ALTER TABLE ingest_batches ALTER COLUMN points SET STORAGE EXTERNAL")
    for column in ("campaign_id", "channel_id", "workspace_id"):
        op.drop_index(f"ix_metric_points_{column}", table_name="metric_points")
    op.drop_constraint("uq_metric_points_campaign_id_channel_id_metric_key_bucket", "metric_points")
    op.drop_constraint("pk_metric_points", "metric_points")
    for column in ("id", "created_at", "version"):
        op.drop_column("metric_points", column)
    # Checked through metric_days instead (see MetricPoint): half the cost of a write.
    for foreign_key in ("channel_id_channels", "workspace_id_workspaces"):
        op.drop_constraint(f"fk_metric_points_{foreign_key}", "metric_points")
    op.create_primary_key("pk_metric_points", "metric_points", NATURAL_KEY)

    op.create_table(
        "metric_days",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("metric_key", sa.String(length=64), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("total", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("maximum", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column("last_value", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column("last_bucket", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_metric_days_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_metric_days_channel_id_channels"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_metric_days_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "metric_key", "channel_id", "day", name=op.f("pk_metric_days")
        ),
    )
    op.execute(
        """
        INSERT INTO metric_days (campaign_id, metric_key, channel_id, day, workspace_id,
                                 total, samples, maximum, last_value, last_bucket)
        SELECT p.campaign_id, p.metric_key, p.channel_id,
               (p.bucket AT TIME ZONE c.timezone)::date, p.workspace_id,
               sum(p.value), count(*), max(p.value),
               (array_agg(p.value ORDER BY p.bucket DESC))[1], max(p.bucket)
        FROM metric_points p JOIN campaigns c ON c.id = p.campaign_id
        GROUP BY 1, 2, 3, 4, 5
        """
    )


def downgrade() -> None:
    op.execute("ALTER TABLE ingest_batches ALTER COLUMN points SET STORAGE EXTENDED")
    op.alter_column(
        "ingest_batches",
        "points",
        type_=postgresql.JSONB(),
        postgresql_using="points::jsonb",
        existing_nullable=False,
    )
    op.drop_table("metric_days")
    op.drop_constraint("pk_metric_points", "metric_points")
    op.add_column(
        "metric_points",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
    )
    op.add_column(
        "metric_points",
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
    op.add_column(
        "metric_points",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )
    op.create_primary_key("pk_metric_points", "metric_points", ["id"])
    op.create_foreign_key(
        "fk_metric_points_channel_id_channels",
        "metric_points",
        "channels",
        ["channel_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.create_foreign_key(
        "fk_metric_points_workspace_id_workspaces",
        "metric_points",
        "workspaces",
        ["workspace_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_unique_constraint(
        "uq_metric_points_campaign_id_channel_id_metric_key_bucket",
        "metric_points",
        ["campaign_id", "channel_id", "metric_key", "bucket"],
    )
    for column in ("campaign_id", "channel_id", "workspace_id"):
        op.create_index(f"ix_metric_points_{column}", "metric_points", [column])
