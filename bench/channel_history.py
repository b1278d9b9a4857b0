"""Channel history reads over a workspace's past campaigns.

    .venv/bin/python -m bench.channel_history [--campaigns 1000] [--requests 100]

Fills a workspace with `--campaigns` finished campaigns spread evenly over the last five
years (so a fifth of them end within the default 12 months), in the six campaign kinds,
each on 10 channels for 60 days with the day rollups of spend, revenue, clicks and
conversions, and finance's expenses on half of the channels. The rows are written by
PostgreSQL directly, so no campaign was totalled when it finished: one read of 60 months
shows what computing every campaign live costs, then every campaign is totalled as the
worker's sweep would (one transaction per campaign). Then times, through a live API
process: the history over 12 months, over 60 months (every campaign), one kind and one
channel, and a draft's budget by channel with its lines' history.
"""

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from bench.servers import servers
from shared.actor import Role
from shared.campaigns.models import (
    BudgetCategory,
    BudgetLine,
    Campaign,
    CampaignKind,
    CampaignStatus,
)
from shared.channel_history import totals
from shared.db import create_engine, create_sessionmaker
from shared.figures.models import CampaignChannel, Channel
from shared.metrics import service as metric_dictionary
from shared.workspaces import api_keys
from shared.workspaces import service as workspaces
from tests.live import live_api

DAYS, CHANNELS = 60, 10
METRICS = ("spend", "revenue", "clicks", "conversions")
KINDS = list(CampaignKind)


async def seed(database_url: str, campaigns: int) -> tuple[str, str]:
    """The workspace, its channels and campaigns; returns an API key and a draft's id."""
    engine = create_engine(database_url)
    now = datetime.now(UTC)
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
            ended = [now - timedelta(days=1 + i * 5 * 365 // campaigns) for i in range(campaigns)]
            rows = [
                Campaign(
                    workspace_id=workspace.id,
                    name=f"Campaign {i}",
                    kind=KINDS[i % len(KINDS)],
                    status=CampaignStatus.archived if i % 2 else CampaignStatus.completed,
                    timezone="Asia/Shanghai",
                    currency="CNY",
                    completed_at=ended[i],
                    archived_at=ended[i] if i % 2 else None,
                )
                for i in range(campaigns)
            ]
            draft = Campaign(
                workspace_id=workspace.id,
                name="Next launch",
                kind=CampaignKind.new_product_launch,
                status=CampaignStatus.draft,
                timezone="Asia/Shanghai",
                currency="CNY",
            )
            session.add_all([*channels, *rows, draft])
            await session.flush()
            session.add_all(
                CampaignChannel(workspace_id=workspace.id, campaign_id=c.id, channel_id=ch.id)
                for c in [*rows, draft]
                for ch in channels
            )
            session.add_all(
                BudgetLine(
                    workspace_id=workspace.id,
                    campaign_id=draft.id,
                    category=BudgetCategory.promotion_media,
                    planned_amount=100_000,
                    channel_id=ch.id,
                )
                for ch in channels
            )
            await session.flush()
            await session.close()
        return token, str(draft.id)
    finally:
        await engine.dispose()


async def fill(database_url: str) -> int:
    """Day rollups for every finished campaign, channel and metric, and expenses on the
    even channels, written by PostgreSQL itself; then fresh statistics."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        await connection.execute(
            """
            INSERT INTO metric_days (campaign_id, metric_key, channel_id, day, workspace_id,
                                     total, samples, maximum, last_value, last_bucket)
            SELECT c.id, m.key, ch.id, (c.completed_at - make_interval(days => d))::date,
                   c.workspace_id, v.value, 24, v.value, v.value,
                   c.completed_at - make_interval(days => d)
            FROM campaigns c
            CROSS JOIN channels ch
            CROSS JOIN unnest($1::text[]) AS m(key)
            CROSS JOIN generate_series(0, $2 - 1) AS d
            CROSS JOIN LATERAL (SELECT floor(random() * 1000) + 1 AS value) v
            WHERE c.status IN ('completed', 'archived')
            ORDER BY 1, 2, 3, 4
            """,
            list(METRICS),
            DAYS,
        )
        await connection.execute(
            """
            INSERT INTO expenses (id, workspace_id, campaign_id, category, amount, spent_on,
                                  channel_id, version)
            SELECT gen_random_uuid(), c.workspace_id, c.id, 'promotion_media', 20000,
                   c.completed_at::date, ch.id, 1
            FROM campaigns c CROSS JOIN channels ch
            WHERE c.status IN ('completed', 'archived') AND right(ch.key, 1)::int % 2 = 0
            """
        )
        await connection.execute("VACUUM ANALYZE metric_days, expenses, campaigns")
        count: int = await connection.fetchval("SELECT count(*) FROM metric_days")
        return count
    finally:
        await connection.close()


async def total_all(database_url: str) -> int:
    """Every finished campaign totalled, as the worker's sweep and jobs do; then fresh
    statistics. Returns how many."""
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    done: set[uuid.UUID] = set()
    try:
        while True:  # sweep after sweep (500 each), as the worker's minutes would
            async with sessions() as session:
                stale = set(await totals.stale_campaigns(session)) - done
            if not stale:
                break  # those found again are open to late figures
            for campaign_id in sorted(stale):
                async with sessions() as session, session.begin():
                    campaign = await session.get(Campaign, campaign_id)
                    assert campaign is not None
                    await totals.total_campaign(
                        session, campaign=campaign, now=datetime.now(UTC), wait=False
                    )
            done |= stale
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.exec_driver_sql(
                "VACUUM ANALYZE channel_history_totals, channel_history_campaigns"
            )
        return len(done)
    finally:
        await engine.dispose()


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
    parser.add_argument("--campaigns", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    with servers("channel-history") as (database_url, redis_url):
        token, draft = asyncio.run(seed(database_url, args.campaigns))
        started = time.perf_counter()
        rows = asyncio.run(fill(database_url))
        print(
            f"{args.campaigns:,} finished campaigns, {rows:,} day rollups written in "
            f"{time.perf_counter() - started:.0f} s"
        )
        env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING",
               "RATE_LIMIT_PER_MINUTE": "0"}  # fmt: skip
        in_year = sum(1 for i in range(args.campaigns) if 1 + i * 5 * 365 // args.campaigns < 365)
        reads = {
            f"history, 12 months ({in_year} campaigns)": ("/v1/channels/history", {}),
            f"history, 60 months ({args.campaigns} campaigns)": (
                "/v1/channels/history",
                {"months": "60"},
            ),
            "history, 60 months, one kind and channel": (
                "/v1/channels/history",
                {"months": "60", "kind": "promotion", "channel": "channel_3"},
            ),
            "draft's budget by channel with history": (
                f"/v1/campaigns/{draft}/budget/channels",
                {"with_history": "true"},
            ),
        }
        with (
            live_api(env) as base,
            httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client,
        ):
            client.get(f"{base}/v1/channels/history").raise_for_status()  # warm-up
            started = time.perf_counter()
            client.get(f"{base}/v1/channels/history", params={"months": "60"}).raise_for_status()
            print(
                f"  {'history, 60 months, every campaign live':<46} "
                f"{(time.perf_counter() - started) * 1000:7.1f} ms (one read)"
            )
            started = time.perf_counter()
            count = asyncio.run(total_all(database_url))
            print(
                f"{count:,} campaigns totalled in {time.perf_counter() - started:.1f} s "
                "(one transaction each)"
            )
            for name, (path, params) in reads.items():
                samples = timed(client, f"{base}{path}", params, args.requests)
                print(
                    f"  {name:<46} p50 {statistics.median(samples):7.1f} ms   "
                    f"p99 {samples[int(0.99 * (len(samples) - 1))]:7.1f} ms"
                )


if __name__ == "__main__":
    main()
