"""The migration moves the points already stored into their months, and back."""

import asyncio
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from shared import migrate

BEFORE = "6d2f9a0b3e54"  # the revision before the partitions
WHERE = text(
    "SELECT c.relname, n.nspname, count(*) FROM metric_points p "
    "JOIN pg_class c ON c.oid = p.tableoid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "GROUP BY 1, 2 ORDER BY 1"
)


async def test_points_move_into_months_and_back(empty_database_url):
    url = empty_database_url
    await asyncio.to_thread(migrate.upgrade, url, BEFORE)
    engine = create_async_engine(url, poolclass=NullPool)
    workspace, campaign, gone, channel = (uuid.uuid4() for _ in range(4))
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO workspaces (id, name, slug, default_timezone, "
                    "default_currency, version) VALUES (:w, 'Old', 'old', 'UTC', 'USD', 1)"
                ),
                {"w": workspace},
            )
            for made, name in ((campaign, "Spring"), (gone, "Gone")):
                await connection.execute(
                    text(
                        "INSERT INTO campaigns (id, workspace_id, name, kind, status, channels, "
                        "tags, timezone, currency, version) VALUES (:c, :w, :name, 'other', "
                        "'active', '{}', '{}', 'UTC', 'USD', 1)"
                    ),
                    {"c": made, "w": workspace, "name": name},
                )
            await connection.execute(
                text(
                    "INSERT INTO metric_points (campaign_id, metric_key, channel_id, bucket, "
                    "workspace_id, value) SELECT :c, 'clicks', :ch, b, :w, 7 FROM unnest("
                    "ARRAY['2020-03-31 23:00+00', '2020-04-01 00:00+00', '2020-04-30 10:00+00']"
                    "::timestamptz[]) AS b"
                ),
                {"c": campaign, "ch": channel, "w": workspace},
            )
            await connection.execute(
                text(
                    "INSERT INTO metric_points (campaign_id, metric_key, channel_id, bucket, "
                    "workspace_id, value) VALUES (:c, 'clicks', :ch, '2020-04-02 00:00+00', :w, 1)"
                ),
                {"c": gone, "ch": channel, "w": workspace},
            )

        await asyncio.to_thread(migrate.upgrade, url)
        async with engine.connect() as connection:
            placed = (await connection.execute(WHERE)).all()
            kind = await connection.scalar(
                text("SELECT relkind::text FROM pg_class WHERE oid = 'metric_points'::regclass")
            )
        assert kind == "p"
        assert placed == [
            ("metric_points_2020_03", "metric_partitions", 1),
            ("metric_points_2020_04", "metric_partitions", 3),
        ]
        async with engine.begin() as connection:  # the foreign key still takes points along
            await connection.execute(text("DELETE FROM campaigns WHERE id = :c"), {"c": gone})

        await asyncio.to_thread(migrate.downgrade, url, BEFORE)
        async with engine.connect() as connection:
            placed = (await connection.execute(WHERE)).all()
            schemas = await connection.scalar(
                text("SELECT count(*) FROM pg_namespace WHERE nspname = 'metric_partitions'")
            )
        assert placed == [("metric_points", "public", 3)]
        assert schemas == 0
    finally:
        await engine.dispose()
