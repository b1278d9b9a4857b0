"""Metric points partitioned by month; retention of hourly points, raw batches, deliveries and events.

Revision ID: a1c4e7f20b36
Revises: 6d2f9a0b3e54

PostgreSQL cannot turn a table into a partitioned one: the partitioned table is made
beside it, the rows are copied (INSERT ... SELECT), and the names swapped. Partitions
live in the `metric_partitions` schema, one per UTC month: every month holding points,
the late-data window's and three ahead, and a DEFAULT one so that no point ever fails
for want of its month (the worker keeps months made ahead and moves any such point into
its month when it makes it). Received batches' points become nullable (NULL: pruned),
with a partial index on those still holding them, which retention scans; escalation
steps get an index on the delivery they name, which deleting old deliveries needs.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

from alembic import op

revision: str = "a1c4e7f20b36"
down_revision: str | None = "6d2f9a0b3e54"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "metric_partitions"
COLUMNS = "campaign_id, metric_key, channel_id, bucket, workspace_id, value, updated_at"
TABLE = """
    CREATE TABLE {name} (
        campaign_id uuid NOT NULL,
        metric_key varchar(64) NOT NULL,
        channel_id uuid NOT NULL,
        bucket timestamptz NOT NULL,
        workspace_id uuid NOT NULL,
        value numeric(24, 6) NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_metric_points PRIMARY KEY (campaign_id, metric_key, channel_id, bucket),
        CONSTRAINT fk_metric_points_campaign_id_campaigns FOREIGN KEY (campaign_id)
            REFERENCES campaigns (id) ON DELETE CASCADE
    ){partitioning}
"""
AHEAD = 3  # months; the worker keeps its own setting's worth made from then on
BEHIND = 2  # months: the 30-day late-data window reaches into the previous one or two


def _month_index(moment: datetime) -> int:
    return moment.year * 12 + moment.month - 1


def _month_start(index: int) -> datetime:
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def upgrade() -> None:
    connection = op.get_bind()
    op.execute("ALTER TABLE metric_points RENAME TO metric_points_unpartitioned")
    op.execute("ALTER INDEX pk_metric_points RENAME TO pk_metric_points_unpartitioned")
    op.execute(
        "ALTER TABLE metric_points_unpartitioned RENAME CONSTRAINT "
        "fk_metric_points_campaign_id_campaigns TO fk_metric_points_unpartitioned_campaign"
    )
    op.execute(TABLE.format(name="metric_points", partitioning=" PARTITION BY RANGE (bucket)"))
    op.execute(f"CREATE SCHEMA {SCHEMA}")
    op.execute(f"CREATE TABLE {SCHEMA}.metric_points_default PARTITION OF metric_points DEFAULT")

    now = datetime.now(UTC)
    months = {_month_index(now) + offset for offset in range(-BEHIND, AHEAD + 1)}
    held = connection.exec_driver_sql(
        "SELECT DISTINCT date_trunc('month', bucket AT TIME ZONE 'UTC') "
        "FROM metric_points_unpartitioned"
    )
    months |= {_month_index(month) for (month,) in held}
    for index in sorted(months):
        start, end = _month_start(index), _month_start(index + 1)
        op.execute(
            f"CREATE TABLE {SCHEMA}.metric_points_{start:%Y_%m} PARTITION OF metric_points "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
    op.execute(
        f"INSERT INTO metric_points ({COLUMNS}) SELECT {COLUMNS} FROM metric_points_unpartitioned"  # noqa: S608
    )
    op.execute("DROP TABLE metric_points_unpartitioned")
    op.execute("ANALYZE metric_points")

    op.alter_column("ingest_batches", "points", nullable=True)
    op.execute(
        "CREATE INDEX ix_ingest_batches_unpruned ON ingest_batches (id) WHERE points IS NOT NULL"
    )
    # Deleting a delivery clears the escalation steps that name it: without an index,
    # every deleted delivery would scan them all.
    op.create_index("ix_escalation_steps_delivery_id", "escalation_steps", ["delivery_id"])


def downgrade() -> None:
    op.drop_index("ix_escalation_steps_delivery_id", table_name="escalation_steps")
    op.drop_index("ix_ingest_batches_unpruned", table_name="ingest_batches")
    op.execute("UPDATE ingest_batches SET points = '[]' WHERE points IS NULL")
    op.alter_column("ingest_batches", "points", nullable=False)

    op.execute("ALTER INDEX pk_metric_points RENAME TO pk_metric_points_partitioned")
    op.execute(TABLE.format(name="metric_points_unpartitioned", partitioning=""))
    op.execute(
        f"INSERT INTO metric_points_unpartitioned ({COLUMNS}) SELECT {COLUMNS} "  # noqa: S608
        "FROM metric_points ORDER BY campaign_id, metric_key, channel_id, bucket"
    )
    op.execute("DROP TABLE metric_points")  # and its partitions
    op.execute(f"DROP SCHEMA {SCHEMA}")
    op.execute("ALTER TABLE metric_points_unpartitioned RENAME TO metric_points")
