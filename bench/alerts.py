"""Alert latency, with 200 rules active, one API process and one worker:

- from a webhook's 202 to the alert firing in the database (target p99 < 500 ms);
- from just before the breaching webhook is sent to the signed `alert.fired` callback
  reaching a local receiver (target p95 <= 300 ms, p99 < 1 s);
each on an idle stack and under 1,000 points/s of background batches; and the cost of
evaluating the 200 rules after one batch.

    .venv/bin/python -m bench.alerts [--probes 30] [--rules 200]

Each probe posts 100 negative comments for today on the probe channel (the rule fires
above 50), waits until the alert is firing in the database (polled every 10 ms) and
its callback has arrived, then posts 0 and waits until it resolved.
"""

import argparse
import asyncio
import json
import os
import statistics
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bench.ingest import METRICS, batch_points, seed, signed_request
from bench.receivers import read_body, serve_in_thread
from bench.servers import servers
from shared.alerts import service as alerts
from shared.campaigns.models import Campaign
from shared.db import create_engine, create_sessionmaker
from shared.embedded import free_port
from shared.notifications import endpoints, urls
from shared.rules.models import Condition, Rule, Severity
from shared.timeutil import utcnow
from tests.live import live_api, live_worker


async def add_rules(database_url: str, count: int) -> str:
    """The probe rule and `count - 1` others that read the same figures and never fire;
    all workspace rules, so every campaign has all of them. Returns a campaign id."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            session = AsyncSession(bind=connection)
            first = select(Campaign.workspace_id, Campaign.id).order_by(
                Campaign.registration_number
            )
            workspace_id, campaign_id = (await connection.execute(first.limit(1))).one()

            def threshold(name: str, metric: str, value: str, **options: Any) -> Rule:
                return Rule(
                    workspace_id=workspace_id,
                    name=name,
                    condition=Condition.threshold,
                    params={"metric": metric, "op": ">", "value": value},
                    hold_minutes=0,
                    hold_evaluations=1,
                    auto_resolve=True,
                    clear_minutes=0,
                    opens_issue=False,
                    labels={},
                    enabled=True,
                    **options,
                )

            session.add(
                threshold(
                    "probe", "negative_comments", "50", per_channel=True, severity=Severity.critical
                )
            )
            metrics = [*METRICS, "negative_comments", "ctr", "conversion_rate"]
            session.add_all(
                threshold(
                    f"quiet {i}",
                    metrics[i % len(metrics)],
                    str(10**15 + i),
                    per_channel=i % 2 == 0,
                    severity=Severity.warning,
                )
                for i in range(count - 1)
            )
            await session.flush()
            await session.close()
        return str(campaign_id)
    finally:
        await engine.dispose()


class Receiver:
    """The ops team's endpoint: records when each alert's callback arrived, and the
    distinct deliveries (webhook-ids) it got per alert: more than one is a duplicate."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.deliveries: dict[str, set[str]] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = await read_body(receive)
        data = json.loads(body).get("data", {})
        subject = str(data.get("subject_id"))
        self.arrived.setdefault(subject, time.perf_counter())
        delivery = dict(scope["headers"]).get(b"webhook-id", b"").decode()
        self.deliveries.setdefault(subject, set()).add(delivery)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def start_receiver(receiver: Receiver) -> str:
    port = free_port()
    serve_in_thread(receiver, port)
    return f"http://127.0.0.1:{port}/ops"


async def add_endpoint(database_url: str, url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            session = AsyncSession(bind=connection)
            workspace_id = await session.scalar(select(Campaign.workspace_id).limit(1))
            assert workspace_id is not None
            await endpoints.create_endpoint(
                session,
                workspace_id=workspace_id,
                data={
                    "name": "Ops",
                    "url": url,
                    "format": "webhook",
                    "event_kinds": ["alert.fired"],
                },
                allowed=urls.parse_networks("127.0.0.0/8"),
            )
            await session.close()
    finally:
        await engine.dispose()


async def evaluation_cost(database_url: str, campaign_id: str, runs: int) -> list[float]:
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    samples = []
    try:
        for _ in range(runs):
            async with sessionmaker() as session:
                started = time.perf_counter()
                await alerts.watch_campaign(
                    session,
                    campaign_id=uuid.UUID(campaign_id),
                    now=utcnow(),
                    touched_metrics=list(METRICS),
                )
                samples.append((time.perf_counter() - started) * 1000)
                await session.rollback()
    finally:
        await engine.dispose()
    return samples


def _headers(head: bytes) -> dict[str, str]:
    lines = head.decode().split("\r\n")[1:]
    return dict(line.split(": ", 1) for line in lines if ": " in line)


def background(url: str, secret: str, numbers: list[str], stop: threading.Event) -> None:
    """A 1,000-point signed batch every second, spread over the campaigns."""
    with httpx.Client(timeout=30) as client:
        index = 0
        while not stop.is_set():
            started = time.perf_counter()
            body = json.dumps({"points": batch_points(index, 1000, numbers)}).encode()
            headers = _headers(signed_request(url, secret, body))
            client.post(url, content=body, headers=headers).raise_for_status()
            index += 1
            stop.wait(max(0.0, 1.0 - (time.perf_counter() - started)))


async def probe(
    url: str,
    secret: str,
    number: str,
    database_url: str,
    value: int,
    want: str,
    receiver: Receiver | None = None,
) -> tuple[float, float | None]:
    """(202 -> alert in the database, send -> callback received) in ms."""
    day = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date()
    point = {
        "campaign": number,
        "channel": "channel_0",
        "metric": "negative_comments",
        "date": day.isoformat(),
        "value": value,
    }
    body = json.dumps({"points": [point]}).encode()
    headers = _headers(signed_request(url, secret, body))
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            sent = time.perf_counter()
            answer = await client.post(url, content=body, headers=headers)
            accepted = time.perf_counter()
            answer.raise_for_status()
        in_database = None
        while True:
            row = await connection.fetchrow(
                "SELECT id, status FROM alerts WHERE channel = 'channel_0' "
                "ORDER BY first_seen_at DESC LIMIT 1"
            )
            if in_database is None and row is not None and row["status"] == want:
                in_database = (time.perf_counter() - accepted) * 1000
            if in_database is not None:
                if receiver is None or want != "firing":
                    return in_database, None
                arrived = receiver.arrived.get(str(row["id"]))
                if arrived is not None:
                    return in_database, (arrived - sent) * 1000
            if time.perf_counter() - accepted > 30:
                raise TimeoutError(f"no {want} alert (or callback) after 30 s")
            await asyncio.sleep(0.005)
    finally:
        await connection.close()


def run_probes(
    url: str, secret: str, number: str, database_url: str, receiver: Receiver, count: int
) -> tuple[list[float], list[float], list[float]]:
    fired: list[float] = []
    callbacks: list[float] = []
    cleared: list[float] = []
    for _ in range(count):
        stored, called = asyncio.run(
            probe(url, secret, number, database_url, 100, "firing", receiver)
        )
        fired.append(stored)
        assert called is not None
        callbacks.append(called)
        cleared.append(asyncio.run(probe(url, secret, number, database_url, 0, "resolved"))[0])
    return fired, callbacks, cleared


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--probes", type=int, default=30)
    parser.add_argument("--rules", type=int, default=200)
    args = parser.parse_args()
    receiver = Receiver()
    ops_url = start_receiver(receiver)
    with servers("alerts") as (database_url, redis_url):
        integration_id, secret, numbers = asyncio.run(seed(database_url))
        campaign_id = asyncio.run(add_rules(database_url, args.rules))
        asyncio.run(add_endpoint(database_url, ops_url))
        env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING",
               "RATE_LIMIT_PER_MINUTE": "0", "NOTIFY_ALLOWED_NETWORKS": "127.0.0.0/8"}  # fmt: skip
        stop = threading.Event()
        with live_worker(env), live_api(env) as base:
            url = f"{base}/v1/ingest/{integration_id}"
            idle = run_probes(url, secret, numbers[0], database_url, receiver, args.probes)
            sender = threading.Thread(
                target=background, args=(url, secret, numbers, stop), daemon=True
            )
            sender.start()
            time.sleep(3)
            loaded = run_probes(url, secret, numbers[0], database_url, receiver, args.probes)
            stop.set()
            sender.join()
        cost = sorted(asyncio.run(evaluation_cost(database_url, campaign_id, 20)))

    def line(name: str, samples: list[float]) -> str:
        ordered = sorted(samples)

        def at(share: float) -> float:
            return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

        return (
            f"  {name:<46} p50 {statistics.median(ordered):7.1f}   p95 {at(0.95):7.1f}   "
            f"p99 {at(0.99):7.1f} ms"
        )

    print(
        f"{args.probes} probes each, {args.rules} rules active on {len(numbers)} campaigns, "
        f"{os.cpu_count()} cores; {datetime.now(UTC):%Y-%m-%d}"
    )
    for title, (fired, callbacks, cleared) in (("idle", idle), ("1,000 points/s", loaded)):
        print(f" {title}:")
        print(line("webhook 202 -> alert firing in the database", fired))
        print(line("webhook sent -> signed callback received", callbacks))
        print(line("webhook 202 -> alert resolved", cleared))
    print(line(f"evaluating {args.rules} rules after a batch", cost))


if __name__ == "__main__":
    main()
