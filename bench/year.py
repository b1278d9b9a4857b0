"""A year of figures: series and report reads with one month stored, then with twelve.

    .venv/bin/python -m bench.year [--campaigns 500] [--channels 1] [--requests 100]

Seeds campaigns (Asia/Shanghai) with their channels, makes the monthly partitions of the
year, and COPYs hourly points of two metrics (impressions, clicks) for the last 30 local
days, with their day rollups. Times the reads of the first campaign through a live API
process; then COPYs the eleven months before, and times the same reads again. With
partitions, a read of recent hours touches only its month; day, week and month reads and
the daily report come from the rollups. The table shows both runs side by side.
"""

import argparse
import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from bench.series import timed
from bench.servers import servers
from shared.actor import Role
from shared.campaigns.models import Campaign, CampaignKind, CampaignStatus
from shared.db import create_engine
from shared.figures import partitions
from shared.figures.models import CampaignChannel, Channel
from shared.metrics import service as metric_dictionary
from shared.workspaces import api_keys
from shared.workspaces import service as workspaces
from tests.live import live_api

ZONE = ZoneInfo("Asia/Shanghai")
METRICS = ("impressions", "clicks")
RECENT_DAYS, YEAR_DAYS = 30, 365
COLUMNS = ["campaign_id", "metric_key", "channel_id", "bucket", "workspace_id", "value"]


def local_midnight(days_ago: int, now: datetime) -> datetime:
    day = now.astimezone(ZONE).date() - timedelta(days=days_ago)
    return datetime.combine(day, clock(0), tzinfo=ZONE).astimezone(UTC)


async def seed(
    database_url: str, campaigns: int, channels: int, year_start: datetime
) -> tuple[str, list[tuple[uuid.UUID, uuid.UUID]], list[uuid.UUID], uuid.UUID]:
    """Returns a viewer's key, (campaign, workspace) ids, channel ids, and the workspace."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            session = AsyncSession(bind=connection)
            workspace = await workspaces.create_workspace(session, name="Bench")
            await metric_dictionary.seed_standard(session, workspace_id=workspace.id)
            _, token = await api_keys.create_api_key(
                session, workspace_id=workspace.id, name="bench", role=Role.viewer
            )
            made = [
                Channel(workspace_id=workspace.id, key=f"channel_{i}", name=f"Channel {i}")
                for i in range(channels)
            ]
            rows = [
                Campaign(
                    workspace_id=workspace.id,
                    name=f"Campaign {i}",
                    kind=CampaignKind.other,
                    status=CampaignStatus.active,
                    timezone=ZONE.key,
                    currency="CNY",
                    start_date=year_start.astimezone(ZONE).date(),
                )
                for i in range(campaigns)
            ]
            session.add_all([*made, *rows])
            await session.flush()
            session.add_all(
                CampaignChannel(workspace_id=workspace.id, campaign_id=c.id, channel_id=ch.id)
                for c in rows
                for ch in made
            )
            await session.flush()
            await partitions.ensure(
                session,
                months=partitions.months_between(
                    partitions.Month.of(year_start), partitions.Month.of(datetime.now(UTC))
                ),
            )
            await session.close()
        return token, [(c.id, workspace.id) for c in rows], [ch.id for ch in made], workspace.id
    finally:
        await engine.dispose()


def records(
    campaigns: list[tuple[uuid.UUID, uuid.UUID]],
    channels: list[uuid.UUID],
    start: datetime,
    end: datetime,
) -> Iterator[tuple[object, ...]]:
    hours = int((end - start).total_seconds() // 3600)
    buckets = [start + timedelta(hours=h) for h in range(hours)]
    values = [Decimal(random.randrange(1000)) for _ in range(997)]
    n = 0
    for campaign_id, workspace_id in campaigns:
        for metric in METRICS:
            for channel_id in channels:
                for bucket in buckets:
                    n += 1
                    yield campaign_id, metric, channel_id, bucket, workspace_id, values[n % 997]


async def fill(
    database_url: str,
    campaigns: list[tuple[uuid.UUID, uuid.UUID]],
    channels: list[uuid.UUID],
    start: datetime,
    end: datetime,
) -> tuple[int, float]:
    """COPY the hours of [start, end) into metric_points (routed to their months), then
    their day rollups as the worker keeps them; returns rows and seconds."""
    started = time.perf_counter()
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        count = 0
        for i in range(0, len(campaigns), 50):  # one COPY per 50 campaigns
            chunk = list(records(campaigns[i : i + 50], channels, start, end))
            await connection.copy_records_to_table("metric_points", records=chunk, columns=COLUMNS)
            count += len(chunk)
        await connection.execute(
            """
            INSERT INTO metric_days (campaign_id, metric_key, channel_id, day, workspace_id,
                                     total, samples, maximum, last_value, last_bucket)
            SELECT p.campaign_id, p.metric_key, p.channel_id,
                   (p.bucket AT TIME ZONE c.timezone)::date, p.workspace_id,
                   sum(p.value), count(*), max(p.value),
                   (array_agg(p.value ORDER BY p.bucket DESC))[1], max(p.bucket)
            FROM metric_points p JOIN campaigns c ON c.id = p.campaign_id
            WHERE p.bucket >= $1 AND p.bucket < $2
            GROUP BY 1, 2, 3, 4, 5
            """,
            start,
            end,
        )
        copied = time.perf_counter()
        await connection.execute("VACUUM ANALYZE metric_points, metric_days")
        print(
            f"  copy {copied - started:.1f} s (COPY and rollups), "
            f"vacuum analyze {time.perf_counter() - copied:.1f} s"
        )
    finally:
        await connection.close()
    return count, time.perf_counter() - started


def reads(now: datetime) -> dict[str, tuple[str, dict[str, str]]]:
    """The same reads for both runs: all within the last 30 days."""
    month_start, today = local_midnight(RECENT_DAYS, now), local_midnight(0, now)
    week = local_midnight(8, now)
    yesterday = (now.astimezone(ZONE) - timedelta(days=1)).date().isoformat()
    return {
        "ctr per day, 30 days (rollups)": (
            "series",
            {"metric": "ctr", "from": month_start.isoformat(), "to": today.isoformat()},
        ),
        "clicks per week, 30 days (rollups)": (
            "series",
            {
                "metric": "clicks",
                "granularity": "week",
                "from": month_start.isoformat(),
                "to": today.isoformat(),
            },
        ),
        "ctr per hour, 7 days (hourly points)": (
            "series",
            {
                "metric": "ctr",
                "granularity": "hour",
                "from": week.isoformat(),
                "to": (week + timedelta(days=7)).isoformat(),
            },
        ),
        "clicks, window cutting days (points)": (
            "series",
            {
                "metric": "clicks",
                "from": (week + timedelta(hours=12)).isoformat(),
                "to": (today - timedelta(hours=12)).isoformat(),
            },
        ),
        "daily report, yesterday (rollups)": ("daily-report", {"date": yesterday}),
    }


def measure(
    base: str, token: str, campaign_id: uuid.UUID, now: datetime, runs: int
) -> dict[str, tuple[float, float]]:
    found = {}
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for name, (path, params) in reads(now).items():
            url = f"{base}/v1/campaigns/{campaign_id}/{path}"
            samples = timed(client, url, params, runs)
            found[name] = (statistics.median(samples), samples[int(0.99 * (len(samples) - 1))])
    return found


@contextmanager
def api(env: dict[str, str], tries: int = 3) -> Iterator[str]:
    """A live API process; on a loaded machine its start can outlast live_api's 30 s."""
    for attempt in range(1, tries + 1):
        with ExitStack() as stack:
            try:
                base = stack.enter_context(live_api(env))
            except RuntimeError:
                if attempt == tries:
                    raise
                continue
            yield base
            return


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--campaigns", type=int, default=500)
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    now = datetime.now(UTC)
    split, year_start = local_midnight(RECENT_DAYS, now), local_midnight(YEAR_DAYS, now)
    hour_now = now.replace(minute=0, second=0, microsecond=0)
    with servers("year") as (database_url, redis_url):
        token, campaigns, channels, _ = asyncio.run(
            seed(database_url, args.campaigns, args.channels, year_start)
        )
        env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING",
               "RATE_LIMIT_PER_MINUTE": "0"}  # fmt: skip
        results = {}
        with api(env) as base:  # one API process for both runs
            for label, start, end in (
                ("one month", split, hour_now),
                ("a year", year_start, split),
            ):
                rows, seconds = asyncio.run(fill(database_url, campaigns, channels, start, end))
                print(f"{label}: {rows:,} more hourly points stored in {seconds:.0f} s")
                results[label] = measure(base, token, campaigns[0][0], now, args.requests)
        total = (hour_now - year_start).total_seconds() // 3600
        stored = int(total * len(campaigns) * len(channels) * len(METRICS))
        months = len(
            partitions.months_between(
                partitions.Month.of(year_start), partitions.Month.of(hour_now)
            )
        )
        print(
            f"\n{len(campaigns)} campaigns x {len(channels)} channels x {len(METRICS)} metrics;"
            f" a year = {stored:,} hourly points in {months} monthly partitions"
        )
        head = ("read (first campaign), ms", "one month p50 / p99", "a year p50 / p99")
        print(f"{head[0]:<40} {head[1]:>20} {head[2]:>19}")
        for name in results["one month"]:
            (m50, m99), (y50, y99) = results["one month"][name], results["a year"][name]
            print(f"{name:<40} {m50:>9.1f} / {m99:>7.1f}  {y50:>8.1f} / {y99:>7.1f}")


if __name__ == "__main__":
    main()
