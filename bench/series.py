"""Series reads with 10 million hourly points in the table (target: p99 < 50 ms).

    .venv/bin/python -m bench.series [--campaigns 47] [--requests 200]

Fills metric_points with 47 campaigns x 90 days x 24 hours x 10 channels x 10 metrics
(10.2 million points) and their daily rollups, then times series reads of one campaign
through a live API process: a derived metric (CTR) per day over the 90 days and 10
channels, week and month totals, the daily report, and, for comparison, reads that
must come from the hourly points (hours over a week; a window cutting a day).
"""

import argparse
import asyncio
import statistics
import time
from datetime import UTC, date, datetime, timedelta

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from bench.ingest import METRICS
from bench.servers import servers
from shared.actor import Role
from shared.campaigns.models import Campaign, CampaignKind, CampaignStatus
from shared.db import create_engine
from shared.figures.models import CampaignChannel, Channel
from shared.metrics import service as metric_dictionary
from shared.workspaces import api_keys
from shared.workspaces import service as workspaces
from tests.live import live_api

DAYS, CHANNELS = 90, 10
START = date(2026, 6, 1)


async def seed(database_url: str, campaigns: int) -> tuple[str, str]:
    """Campaigns with their channels; returns an API key and the first campaign's id."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            session = AsyncSession(bind=connection)
            workspace = await workspaces.create_workspace(session, name="Bench")
            await metric_dictionary.seed_standard(session, workspace_id=workspace.id)
            _, token = await api_keys.create_api_key(
                session, workspace_id=workspace.id, name="bench", role=Role.viewer
            )
            channels = [
                Channel(workspace_id=workspace.id, key=f"channel_{i}", name=f"Channel {i}")
                for i in range(CHANNELS)
            ]
            rows = [
                Campaign(
                    workspace_id=workspace.id,
                    name=f"Campaign {i}",
                    kind=CampaignKind.other,
                    status=CampaignStatus.active,
                    timezone="Asia/Shanghai",
                    currency="CNY",
                    start_date=START,
                    end_date=START + timedelta(days=DAYS - 1),
                )
                for i in range(campaigns)
            ]
            session.add_all([*channels, *rows])
            await session.flush()
            session.add_all(
                CampaignChannel(workspace_id=workspace.id, campaign_id=c.id, channel_id=ch.id)
                for c in rows
                for ch in channels
            )
            await session.flush()
            await session.close()
        return token, str(rows[0].id)
    finally:
        await engine.dispose()


async def fill(database_url: str) -> int:
    """Every campaign, hour, channel and metric, written by PostgreSQL itself; then the
    rollups as the worker keeps them, and fresh statistics."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        start = datetime.combine(START, datetime.min.time(), UTC) - timedelta(hours=8)
        await connection.execute(
            """
            INSERT INTO metric_points (campaign_id, metric_key, channel_id, bucket,
                                       workspace_id, value, updated_at)
            SELECT c.id, m.key, ch.id, $1::timestamptz + make_interval(hours => h),
                   c.workspace_id, floor(random() * 1000), now()
            FROM campaigns c
            CROSS JOIN channels ch
            CROSS JOIN unnest($2::text[]) AS m(key)
            CROSS JOIN generate_series(0, $3 - 1) AS h
            ORDER BY 1, 2, 3, 4
            """,
            start,
            list(METRICS),
            DAYS * 24,
        )
        await connection.execute(
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
        await connection.execute("VACUUM ANALYZE metric_points, metric_days")
        count: int = await connection.fetchval("SELECT count(*) FROM metric_points")
        return count
    finally:
        await connection.close()


def timed(client: httpx.Client, url: str, params: dict[str, str], runs: int) -> list[float]:
    client.get(url, params=params).raise_for_status()  # warm-up
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url, params=params).raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
    return sorted(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--campaigns", type=int, default=47)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with servers("series") as (database_url, redis_url):
        token, campaign_id = asyncio.run(seed(database_url, args.campaigns))
        started = time.perf_counter()
        points = asyncio.run(fill(database_url))
        print(f"{points:,} hourly points written in {time.perf_counter() - started:.0f} s")
        env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING",
               "RATE_LIMIT_PER_MINUTE": "0"}  # fmt: skip
        first_day = datetime.combine(START, datetime.min.time(), UTC) - timedelta(hours=8)
        reads = {
            "ctr per day, 90 days x 10 channels": ("series", {"metric": "ctr"}),
            "clicks per week, 90 days x 10 channels": (
                "series",
                {"metric": "clicks", "granularity": "week"},
            ),
            "gmv per month": ("series", {"metric": "gmv", "granularity": "month"}),
            "daily report, one day": ("daily-report", {"date": "2026-07-15"}),
            "ctr per hour, one week (hourly points)": (
                "series",
                {
                    "metric": "ctr",
                    "granularity": "hour",
                    "from": (first_day + timedelta(days=30)).isoformat(),
                    "to": (first_day + timedelta(days=37)).isoformat(),
                },
            ),
            "ctr per day, a window cutting days (points)": (
                "series",
                {
                    "metric": "ctr",
                    "from": (first_day + timedelta(hours=12)).isoformat(),
                    "to": (first_day + timedelta(days=DAYS, hours=-12)).isoformat(),
                },
            ),
        }
        with (
            live_api(env) as base,
            httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client,
        ):
            for name, (path, params) in reads.items():
                url = f"{base}/v1/campaigns/{campaign_id}/{path}"
                samples = timed(client, url, params, args.requests)
                print(
                    f"  {name:<46} p50 {statistics.median(samples):6.1f} ms   "
                    f"p99 {samples[int(0.99 * (len(samples) - 1))]:6.1f} ms"
                )


if __name__ == "__main__":
    main()
