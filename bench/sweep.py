"""The minute sweep at scale: every active campaign's rules evaluated, by 1, 2 and 4 workers.

    .venv/bin/python -m bench.sweep [--campaigns 1000 5000] [--workers 1 2 4] [--rules 20]

Fills N active campaigns (COPY) with `--rules` rules each, a mix of every kind (below
target, thresholds, drops, missing data, overdue tasks, budget over plan and pace),
three channels, goals, tasks, budget and expenses, and the last day of hourly figures
(with the day rollups of the week before). One campaign in ten has had no figures for
5 hours, one in seven has overdue tasks, one in five spends ahead of its days: they
breach, so sweeps open, hold, fire and keep alerts as in production.

Then for each worker count it starts that many `campaignops worker` processes, runs one
untimed sweep (the first opens the alerts), and times one sweep: from enqueueing the
cron's function (`watch_active_campaigns`, a fresh job id) until it has finished and
the queue holds no job, queued or in progress ("done": every campaign's evaluation has
committed). A sweep is started just after a minute's cron tick, so the workers' own
cron never runs one at the same time. Queries per campaign are counted in this
process, running the sweep's domain code on 200 campaigns (rolled back).
"""

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from arq.jobs import Job
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bench.servers import servers
from shared import jobs
from shared.alerts import sweep
from shared.alerts.models import Alert
from shared.campaigns.models import Campaign, CampaignStatus
from shared.config import Settings
from shared.db import create_engine, create_sessionmaker
from shared.metrics import service as metric_dictionary
from shared.timeutil import utcnow
from shared.workspaces import service as workspaces
from tests.live import live_worker

ZONE = ZoneInfo("Asia/Shanghai")
CHANNELS = 10  # in the workspace; each campaign runs on three of them
METRICS = {"impressions": 4000, "clicks": 80, "conversions": 6, "gmv": 900}
SWEEP = "watch_active_campaigns"


def _rule(name: str, condition: str, params: dict[str, Any], **options: Any) -> dict[str, Any]:
    return {"name": name, "condition": condition, "params": params} | options


# Every kind of rule, as campaign managers write them; cycled up to --rules.
RULES = [
    _rule("CTR under target", "below_target", {"metric": "ctr", "percent": "20"}),
    _rule(
        "Conversions behind plan",
        "below_target",
        {"metric": "conversions", "percent": "30", "basis": "expected_to_date"},
        hold_minutes=10,
        hold_evaluations=3,
    ),
    _rule("GMV under target", "below_target", {"metric": "gmv", "percent": "25"}, per_channel=True),
    _rule(
        "Click flood",
        "threshold",
        {"metric": "clicks", "op": ">", "value": "1000000"},
        per_channel=True,
    ),
    _rule(
        "Impressions stalled",
        "threshold",
        {"metric": "impressions", "op": "<", "value": "10", "window": "trailing", "hours": 3},
        hold_minutes=5,
        clear_minutes=5,
    ),
    _rule(
        "CTR collapse",
        "threshold",
        {"metric": "ctr", "op": "<", "value": "0.005"},
        min_sample_metric="clicks",
        min_sample_count=100,
    ),
    _rule("GMV ceiling", "threshold", {"metric": "gmv", "op": ">", "value": "1000000000"}),
    _rule(
        "Conversion spike",
        "threshold",
        {"metric": "conversions", "op": ">", "value": "100000", "window": "trailing", "hours": 24},
        per_channel=True,
    ),
    _rule("Clicks dropped", "change", {"metric": "clicks", "percent": "30"}),
    _rule(
        "Impressions below the week",
        "change",
        {"metric": "impressions", "percent": "50", "against": "trailing_mean", "periods": 7},
        per_channel=True,
    ),
    _rule(
        "Conversions swing",
        "change",
        {"metric": "conversions", "percent": "80", "direction": "any", "period": "hour"},
    ),
    _rule(
        "No impressions", "no_data", {"metric": "impressions", "within_hours": 3}, per_channel=True
    ),
    _rule("No clicks by 17:00", "no_data", {"metric": "clicks", "by_local_time": "17:00:00"}),
    _rule("No GMV today", "no_data", {"metric": "gmv", "within_hours": 24}),
    _rule("Tasks overdue", "task_overdue", {}),
    _rule("Urgent tasks overdue", "task_overdue", {"priorities": ["high"], "grace_days": 2}),
    _rule("Budget used up", "budget_burn", {"mode": "over_plan", "percent": "100"}),
    _rule(
        "Media budget nearly used",
        "budget_burn",
        {"mode": "over_plan", "category": "promotion_media", "percent": "90"},
    ),
    _rule("Spending ahead of days", "budget_burn", {"mode": "pace", "percent": "10"}),
    _rule(
        "Labour ahead of days",
        "budget_burn",
        {"mode": "pace", "category": "labour", "percent": "20"},
        hold_minutes=15,
    ),
]
RULE_DEFAULTS: dict[str, Any] = {
    "per_channel": False,
    "hold_minutes": 0,
    "hold_evaluations": 1,
    "auto_resolve": True,
    "clear_minutes": 0,
    "opens_issue": False,
    "enabled": True,
    "severity": "warning",
    "min_sample_metric": None,
    "min_sample_count": None,
}


class Filler:
    """Rows for COPY: ids, versions and timestamps filled in like the ORM would."""

    def __init__(self, workspace_id: uuid.UUID, now: datetime) -> None:
        self.workspace_id, self.now = workspace_id, now
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def add(self, table: str, entity: bool = True, **values: Any) -> uuid.UUID:
        row_id = uuid.uuid4()
        filled: dict[str, Any] = {"workspace_id": self.workspace_id}
        if entity:
            filled |= {"id": row_id, "created_at": self.now, "updated_at": self.now, "version": 1}
        self.rows[table].append(filled | values)
        return row_id

    async def copy(self, connection: asyncpg.Connection) -> None:
        for table, rows in self.rows.items():
            columns = list(rows[0])
            await connection.copy_records_to_table(
                table, records=[tuple(r[c] for c in columns) for r in rows], columns=columns
            )
        self.rows.clear()


def hours(now: datetime, count: int) -> Iterator[datetime]:
    last = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    for back in range(count):
        yield last - timedelta(hours=back)


def fill_campaign(
    filler: Filler, index: int, channels: list[uuid.UUID], rules: int, today: date
) -> None:
    now = filler.now
    campaign = filler.add(
        "campaigns",
        name=f"Campaign {index}",
        kind="other",
        status="active",
        channels=[],
        tags=[],
        timezone="Asia/Shanghai",
        currency="CNY",
        registration_number=f"CMP-{index:06d}",
        start_date=today - timedelta(days=20),
        end_date=today + timedelta(days=40),
    )
    mine = [channels[(index + k) % len(channels)] for k in range(3)]
    for channel in mine:
        filler.add("campaign_channels", campaign_id=campaign, channel_id=channel)
    for metric, target in (("ctr", "0.02"), ("conversions", "9000"), ("gmv", "1500000")):
        filler.add(
            "goals",
            campaign_id=campaign,
            goal_type="sales_conversion",
            metric_key=metric,
            target_kind="absolute",
            target_value=Decimal(target),
            direction="higher_is_better",
        )
    for spec in (RULES * (rules // len(RULES) + 1))[:rules]:
        filler.add("rules", campaign_id=campaign, labels={}, **(RULE_DEFAULTS | spec))
    late = index % 7 == 0
    for t in range(8):
        filler.add(
            "tasks",
            campaign_id=campaign,
            level="task",
            code=f"T{t + 1}",
            name=f"Task {t + 1}",
            supporting_departments=[],
            priority=("high", "medium", "low")[t % 3],
            status="in_progress" if late and t < 2 else ("done" if t < 4 else "todo"),
            progress=50,
            planned_start=today - timedelta(days=15),
            planned_end=today + timedelta(days=t - 5),
        )
    plan = {"promotion_media": 60000, "labour": 30000, "materials": 10000}
    for category, amount in plan.items():
        filler.add(
            "budget_lines", campaign_id=campaign, category=category, planned_amount=Decimal(amount)
        )
    spend = 0.7 if index % 5 == 0 else 0.3  # a third of the days gone
    for category, amount in plan.items():
        filler.add(
            "expenses",
            campaign_id=campaign,
            category=category,
            amount=Decimal(int(amount * spend)),
            spent_on=today - timedelta(days=3),
        )
    silent = 5 if index % 10 == 0 else 0  # no figures for the last 5 hours
    days: dict[tuple[str, uuid.UUID, date], list[tuple[datetime, Decimal]]] = defaultdict(list)
    for bucket in hours(now, 24):
        if bucket > now - timedelta(hours=silent + 1):
            continue
        for c, channel in enumerate(mine):
            for metric, base in METRICS.items():
                value = Decimal(base * (1 + (index + c + bucket.hour) % 5 / 10))
                filler.add(
                    "metric_points",
                    entity=False,
                    campaign_id=campaign,
                    metric_key=metric,
                    channel_id=channel,
                    bucket=bucket,
                    value=value,
                    updated_at=now,
                )
                days[(metric, channel, bucket.astimezone(ZONE).date())].append((bucket, value))
    for back in range(1, 10):
        day = today - timedelta(days=back)
        for channel in mine:
            for metric, base in METRICS.items():
                if (metric, channel, day) not in days:
                    noon = datetime(day.year, day.month, day.day, 12, tzinfo=ZONE)
                    days[(metric, channel, day)] = [(noon, Decimal(base * 24))]
    for (metric, channel, day), values in days.items():
        last_bucket, last_value = max(values)
        filler.add(
            "metric_days",
            entity=False,
            campaign_id=campaign,
            metric_key=metric,
            channel_id=channel,
            day=day,
            total=sum((v for _, v in values), Decimal(0)),
            samples=len(values),
            maximum=max(v for _, v in values),
            last_value=last_value,
            last_bucket=last_bucket,
        )


async def fill(database_url: str, campaigns: int, rules: int, start: int = 0) -> None:
    """`campaigns` more active campaigns (numbered from `start`) in the bench workspace."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            session = AsyncSession(bind=connection)
            workspace_id = await session.scalar(select(Campaign.workspace_id).limit(1))
            if workspace_id is None:
                workspace = await workspaces.create_workspace(session, name="Sweep bench")
                await metric_dictionary.seed_standard(session, workspace_id=workspace.id)
                workspace_id = workspace.id
            await session.flush()
            await session.close()
    finally:
        await engine.dispose()
    now = utcnow()
    filler = Filler(workspace_id, now)
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    await connection.set_type_codec(  # COPY is binary: jsonb is a version byte and text
        "jsonb",
        encoder=lambda value: b"\x01" + json.dumps(value).encode(),
        decoder=lambda raw: json.loads(raw[1:]),
        schema="pg_catalog",
        format="binary",
    )
    try:
        channels = [
            row["id"]
            for row in await connection.fetch(
                "SELECT id FROM channels WHERE workspace_id = $1 ORDER BY key", workspace_id
            )
        ]
        if not channels:
            channels = [
                filler.add("channels", key=f"channel_{i}", name=f"Channel {i}")
                for i in range(CHANNELS)
            ]
            await filler.copy(connection)
        today = now.astimezone(ZONE).date()
        for index in range(start, start + campaigns):
            fill_campaign(filler, index, channels, rules, today)
            if (index + 1) % 500 == 0:
                await filler.copy(connection)
        await filler.copy(connection)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def count_queries(database_url: str, sample: int) -> float:
    """Statements the sweep's domain code sends per campaign, on `sample` campaigns."""
    engine = create_engine(database_url)
    statements = 0

    def counted(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine.sync_engine, "before_cursor_execute", counted)
    try:
        async with create_sessionmaker(engine)() as session:
            ids = list(
                await session.scalars(
                    select(Campaign.id)
                    .where(Campaign.status == CampaignStatus.active)
                    .order_by(Campaign.id)
                    .limit(sample)
                )
            )
            statements = 0
            for start in range(0, len(ids), sweep.CHUNK):  # as the workers' chunk jobs
                chunk = ids[start : start + sweep.CHUNK]
                await sweep.watch_campaigns(session, campaign_ids=chunk, now=utcnow())
            await session.rollback()
        return statements / len(ids)
    finally:
        await engine.dispose()


async def _busy(redis: Any, queue: str) -> list[str]:
    """The sweep's jobs still queued or running: its chunks and the bench's own job
    (not the other crons' ticks, nor a daily report falling due meanwhile)."""
    queued = await redis.zrangebyscore(queue, "-inf", time.time() * 1000)
    running = [
        key[len(b"arq:in-progress:") :]
        async for key in redis.scan_iter("arq:in-progress:*", count=10_000)
    ]
    return [i.decode() for i in [*queued, *running] if i.startswith((b"sweep:", b"bench-sweep:"))]


async def _drained(redis: Any, queue: str, limit: float) -> None:
    """Until no sweep job is queued or running: a sweep left over from an earlier minute
    (the first one, opening every alert, runs for minutes) would share the cores."""
    deadline = time.monotonic() + limit
    while busy := await _busy(redis, queue):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the sweeps did not finish in {limit:.0f} s: {busy[:5]}")
        await asyncio.sleep(0.5)


async def _chunk_results(redis: Any, minute: str) -> list[Any]:
    found = []
    async for key in redis.scan_iter(f"arq:result:sweep:{minute}:*", count=10_000):
        job_id = key.decode().removeprefix("arq:result:")
        info = await Job(job_id, redis, _deserializer=jobs.deserialize).result_info()
        if info is not None:
            found.append(info)
    return found


async def run_sweep(redis_url: str, settings: Settings, limit: float = 300) -> tuple[float, int]:
    """One sweep, on workers with nothing else of the sweep's to do: seconds from the
    enqueueing of its first chunk job to the end of its last (as the worker's own
    `campaignops_sweep_last_duration_seconds`), and how many chunk jobs failed (a failed
    chunk leaves its campaigns unwatched: the time of such a sweep says nothing). Gives
    up after `limit` seconds.

    It is the sweep of the minute just begun: the bench enqueues the cron's function a
    second or so after the minute's tick, and whichever of it and the workers' own cron
    comes first enqueues the chunks (the other's are the same job ids: no-ops)."""
    redis = jobs.create_redis(redis_url, queue_name=settings.queue_name)
    try:
        await _drained(redis, settings.queue_name, limit)
        second = datetime.now(UTC).second + datetime.now(UTC).microsecond / 1e6
        if not 1 <= second < 4:
            await asyncio.sleep((61 - second) % 60)
        job = await redis.enqueue_job(SWEEP, _job_id=f"bench-sweep:{uuid.uuid4().hex}")
        assert job is not None
        await job.result(timeout=limit)  # raises if it failed
        ran = await job.result_info()
        assert ran is not None
        chunks, minute = ran.result, ran.start_time.astimezone(UTC).strftime("%Y%m%d%H%M")
        deadline = time.monotonic() + limit
        while len(results := await _chunk_results(redis, minute)) < chunks:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(results)} of {chunks} chunks done in {limit:.0f} s")
            await asyncio.sleep(0.2)  # this process and Redis share the cores measured
        first = min(r.enqueue_time for r in results)
        seconds = (max(r.finish_time for r in results) - first).total_seconds()
        return seconds, sum(not r.success for r in results)
    finally:
        await redis.aclose()


async def wait_for_workers(redis_url: str, settings: Settings, count: int) -> None:
    redis = jobs.create_redis(redis_url, queue_name=settings.queue_name)
    try:
        deadline = time.monotonic() + 60
        while await redis.zcard(f"{settings.redis_prefix}:workers") < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{count} workers did not start")
            await asyncio.sleep(0.1)
    finally:
        await redis.aclose()


async def alert_counts(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = await session.execute(select(Alert.status, func.count()).group_by(Alert.status))
            counts = {status.value: count for status, count in rows}
            return dict(counts)
    finally:
        await engine.dispose()


def measure(
    database_url: str, redis_url: str, workers: Sequence[int], log: Path
) -> list[tuple[int, float, int]]:
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING"}
    settings = Settings(database_url=database_url, redis_url=redis_url)
    timed = []
    for count in workers:
        with ExitStack() as stack:
            for _ in range(count):
                stack.enter_context(live_worker(env, log=log))
            asyncio.run(wait_for_workers(redis_url, settings, count))
            # Untimed: the first opens every alert the campaigns breach, a storm that
            # takes longer than a sweep (given up to 15 minutes); then caches are warm.
            asyncio.run(run_sweep(redis_url, settings, limit=900))
            timed.append((count, *asyncio.run(run_sweep(redis_url, settings))))
        print(f"  {count} worker(s): {timed[-1][1]:.2f} s, {timed[-1][2]} jobs failed", flush=True)
    return timed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--campaigns", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--rules", type=int, default=20)
    args = parser.parse_args()
    table = []
    with servers("sweep") as (database_url, redis_url):
        log = Path(tempfile.gettempdir()) / "campaignops-bench-sweep-workers.log"
        filled = 0
        for campaigns in sorted(args.campaigns):
            started = time.perf_counter()
            asyncio.run(fill(database_url, campaigns - filled, args.rules, start=filled))
            filled = campaigns
            print(f"{campaigns} campaigns filled in {time.perf_counter() - started:.1f} s")
            queries = asyncio.run(count_queries(database_url, min(200, campaigns)))
            for workers, seconds, failed in measure(database_url, redis_url, args.workers, log):
                per_campaign = seconds * 1000 / campaigns
                table.append((campaigns, workers, seconds, per_campaign, queries, failed))
            print(f"  alerts: {asyncio.run(alert_counts(database_url))}")
    print(
        f"\n{args.rules} rules per campaign, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.2f}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    print(
        "| campaigns | workers | sweep seconds | per-campaign ms | queries per campaign "
        "| sweep jobs failed |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for campaigns, workers, seconds, per_campaign, queries, failed in table:
        print(
            f"| {campaigns:,} | {workers} | {seconds:.2f} | {per_campaign:.2f} "
            f"| {queries:.1f} | {failed} |"
        )


if __name__ == "__main__":
    main()
