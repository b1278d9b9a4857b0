"""Exports of a big campaign: the task table of 2,000 tasks and 5,000 dependencies, and a
whole year of the daily report over 5 channels (366 days x 6 rows).

    .venv/bin/python -m bench.exports [--tasks 2000] [--channels 5] [--runs 5]

Prints each download end to end against a live API process (embedded PostgreSQL and
Redis unless the URLs are set), with the file's size; then the workbook writer alone on
50,000 rows, with the peak of Python memory it allocated (tracemalloc).
"""

import argparse
import asyncio
import random
import time as clock
import tracemalloc
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import httpx
from sqlalchemy import insert, select, update

from bench.schedule import random_dag, report, seed
from bench.servers import servers
from shared.campaigns.models import Campaign
from shared.db import create_engine
from shared.exports import writers
from shared.exports.table import Column, Kind, Table
from shared.figures.models import CampaignChannel, Channel, MetricDay
from shared.ids import new_id
from tests.live import live_api

YEAR = (date(2024, 1, 1), date(2024, 12, 31))  # 366 days
METRICS = ("impressions", "clicks", "conversions", "new_users", "gmv")


async def add_figures(database_url: str, campaign_id: str, channels: int) -> None:
    """A year of daily rollups on `channels` channels, attached to the campaign."""
    rng = random.Random(11)
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            campaign = (
                await connection.execute(select(Campaign).where(Campaign.id == campaign_id))
            ).one()
            workspace_id = campaign.workspace_id
            await connection.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id)
                .values(start_date=YEAR[0], end_date=YEAR[1])
            )
            ids = [new_id() for _ in range(channels)]
            await connection.execute(
                insert(Channel),
                [
                    {"id": i, "workspace_id": workspace_id, "key": f"ch_{n}", "name": f"渠道 {n}"}
                    | {"version": 1}
                    for n, i in enumerate(ids)
                ],
            )
            await connection.execute(
                insert(CampaignChannel),
                [
                    {"id": new_id(), "workspace_id": workspace_id, "campaign_id": campaign_id}
                    | {"channel_id": i, "version": 1}
                    for i in ids
                ],
            )
            rows = []
            day = YEAR[0]
            while day <= YEAR[1]:
                for channel in ids:
                    for metric in METRICS:
                        value = Decimal(rng.randrange(100, 100_000))
                        rows.append(
                            {
                                "campaign_id": campaign_id,
                                "metric_key": metric,
                                "channel_id": channel,
                                "day": day,
                                "workspace_id": workspace_id,
                                "total": value,
                                "samples": 1,
                                "maximum": value,
                                "last_value": value,
                                "last_bucket": datetime.combine(day, time(1), UTC),
                            }
                        )
                day += timedelta(days=1)
            await connection.execute(insert(MetricDay), rows)
    finally:
        await engine.dispose()


def writer_alone(rows: int) -> None:
    table = Table(
        "bench",
        [
            Column("code"),
            Column("name", width=30),
            Column("day", Kind.date),
            Column("amount", Kind.money),
            Column("rate", Kind.fraction),
            Column("progress", Kind.integer),
        ],
        [
            [
                f"T-{i:05d}",
                f"任务 {i} KOC 种草",
                date(2024, 5, 1) + timedelta(days=i % 90),
                Decimal(i) + Decimal("0.18"),
                Decimal("0.021"),
                i % 101,
            ]
            for i in range(rows)
        ],
    )
    for name, write in (("xlsx", writers.write_xlsx), ("csv", writers.write_csv)):
        tracemalloc.start()
        started = clock.perf_counter()
        content = write(table)
        elapsed = (clock.perf_counter() - started) * 1000
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"writer alone, {rows:,} rows to {name:<4} {elapsed:8.1f} ms   "
            f"{len(content) / 1e6:5.2f} MB file   peak {peak / 1e6:6.1f} MB allocated"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--dependencies", type=int, default=5000)
    parser.add_argument("--channels", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    nodes, edges = random_dag(args.tasks, args.dependencies)

    with servers("exports") as (database_url, redis_url):
        token, campaign_id = asyncio.run(seed(database_url, nodes, edges))
        asyncio.run(add_figures(database_url, campaign_id, args.channels))
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "LOG_LEVEL": "WARNING",
            "RATE_LIMIT_PER_MINUTE": "0",
        }
        with live_api(env) as base:
            url = f"{base}/v1/campaigns/{campaign_id}/exports"
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(headers=headers, timeout=120) as client:
                for name, params in (
                    ("tasks.xlsx", {}),
                    ("tasks.csv", {}),
                    ("daily-report.xlsx", {"from": str(YEAR[0]), "to": str(YEAR[1])}),
                    ("daily-report.csv", {"from": str(YEAR[0]), "to": str(YEAR[1])}),
                ):
                    client.get(f"{url}/{name}", params=params).raise_for_status()  # warm-up
                    samples = []
                    for _ in range(args.runs):
                        started = clock.perf_counter()
                        response = client.get(f"{url}/{name}", params=params)
                        samples.append((clock.perf_counter() - started) * 1000)
                        response.raise_for_status()
                    size = len(response.content) / 1e6
                    report(f"GET .../exports/{name} ({size:.2f} MB)", samples)
    writer_alone(50_000)


if __name__ == "__main__":
    main()
