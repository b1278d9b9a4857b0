"""Scale-out: N API processes and M workers on one PostgreSQL and Redis.

    .venv/bin/python -m bench.scale [--configs 1+1,2+3,2+6] [--seconds 10] [--quick] [--peer]

Per configuration, on fresh servers (rules active, an ops endpoint for `alert.fired`):
1. ingest flat out: signed 1,000-point batches on 8 connections spread over the APIs;
   points applied per second, first batch sent to last batch applied, against asyncpg
   COPY of the same rows with a transaction per batch (on the same server, afterwards);
2. the same pipeline offered 60% of that rate: webhook answer p50/p99 (from when each
   request was due), and meanwhile breach -> callback probes (bench.alerts.probe);
3. duplicates, from the database and the receiver: alerts whose episodes overlap,
   deliveries per (endpoint, event), callbacks per alert, reports per period,
   registration numbers.
`--peer` also runs Prometheus + Pushgateway + Alertmanager at 1 s intervals (bench.peer).
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.queues import Queue
from typing import Any

import asyncpg

from bench import peer
from bench.alerts import Receiver, add_endpoint, add_rules, probe, start_receiver
from bench.cluster import cluster
from bench.ingest import (
    batch_points,
    copy_reference,
    percentile,
    seed,
    send,
    signed_request,
    wait_applied,
)
from bench.servers import servers

# What a user would see twice: each query counts the groups that hold a duplicate.
DUPLICATES = {
    "alerts": """SELECT count(*) FROM alerts a JOIN alerts b
                 ON a.fingerprint = b.fingerprint AND a.id < b.id
                 AND a.first_seen_at < coalesce(b.resolved_at, 'infinity')
                 AND b.first_seen_at < coalesce(a.resolved_at, 'infinity')""",
    "deliveries": """SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE event_id IS NOT NULL
                     GROUP BY endpoint_id, event_id HAVING count(*) > 1) d""",
    "reports": """SELECT count(*) FROM (SELECT 1 FROM report_runs
                  GROUP BY campaign_id, kind, period_start HAVING count(*) > 1) r""",
    "registration numbers": """SELECT count(*) FROM (SELECT 1 FROM campaigns
                               WHERE registration_number IS NOT NULL
                               GROUP BY workspace_id, registration_number
                               HAVING count(*) > 1) c""",
}
ROWS = {
    "alerts": "alerts",
    "deliveries": "deliveries",
    "reports": "report_runs",
    "registration numbers": "campaigns",
}


@dataclass
class Row:
    apis: int
    workers: int
    ingest: float  # points/s end to end, flat out
    copy: float  # points/s, asyncpg COPY per batch
    offered: float  # points/s in the latency phase
    webhook: list[float]  # ms
    callbacks: list[float]  # ms, breach -> callback under load
    duplicates: dict[str, tuple[int, int]]  # what -> (duplicated groups, rows checked)
    failed: int  # webhooks not answered 202


def run_sender(
    urls: list[str], requests: list[tuple[bytes, bytes]], rate: float, batch: int
) -> dict[str, Any]:
    """bench.ingest's sender, in a process of its own, on 8 connections."""
    context = multiprocessing.get_context("spawn")
    results: Queue[dict[str, Any]] = context.Queue()
    sender = context.Process(target=send, args=(urls, requests, rate, batch, 8, results))
    sender.start()
    outcome: dict[str, Any] = results.get()
    sender.join()
    return outcome


async def duplicates(database_url: str, receiver: Receiver) -> dict[str, tuple[int, int]]:
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        found = {
            what: (
                int(await connection.fetchval(query)),
                int(await connection.fetchval(f"SELECT count(*) FROM {ROWS[what]}")),  # noqa: S608 - our own table names
            )
            for what, query in DUPLICATES.items()
        }
    finally:
        await connection.close()
    callbacks = receiver.deliveries.values()
    found["callbacks"] = (sum(len(ids) > 1 for ids in callbacks), len(callbacks))
    return found


def measure(apis: int, workers: int, args: argparse.Namespace) -> Row:
    receiver = Receiver()
    ops_url = start_receiver(receiver)
    with servers(f"scale-{apis}-{workers}") as (database_url, redis_url):
        integration_id, secret, numbers = asyncio.run(seed(database_url))
        asyncio.run(add_rules(database_url, args.rules))
        asyncio.run(add_endpoint(database_url, ops_url))
        env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING",
               "RATE_LIMIT_PER_MINUTE": "0", "NOTIFY_ALLOWED_NETWORKS": "127.0.0.0/8"}  # fmt: skip
        flat_out = int(args.seconds * 25_000 / args.batch)
        batches = [batch_points(i, args.batch, numbers) for i in range(flat_out)]
        with cluster(env, apis=apis, workers=workers) as bases:
            urls = [f"{base}/v1/ingest/{integration_id}" for base in bases]

            def signed(points: list[list[dict[str, Any]]]) -> list[tuple[bytes, bytes]]:
                bodies = [json.dumps({"points": p}).encode() for p in points]
                return [(signed_request(urls[0], secret, body), body) for body in bodies]

            # Warm every API and worker (first requests pay for imports), off the clock.
            warm = [batch_points(10_000 + i, 10, numbers) for i in range(4 * (apis + workers))]
            run_sender(urls, signed(warm), 0, 10)
            done = len(warm)
            asyncio.run(wait_applied(database_url, done, 60))

            outcome = run_sender(urls, signed(batches), 0, args.batch)
            done += len(batches)
            finished, _, _ = asyncio.run(wait_applied(database_url, done, 600))
            ingest = flat_out * args.batch / (finished - outcome["first"])
            failed = len(outcome["failed"])

            offered = 0.6 * ingest
            loaded = int(args.seconds * offered / args.batch)
            later = [batch_points(flat_out + i, args.batch, numbers) for i in range(loaded)]
            callbacks: list[float] = []
            probing = threading.Thread(
                target=probes,
                args=(urls[-1], secret, numbers[0], database_url, receiver, args, callbacks),
            )
            requests = signed(later)  # signed before the clock starts
            probing.start()
            outcome = run_sender(urls, requests, offered, args.batch)
            probing.join()
            failed += len(outcome["failed"])
            # each probe posted two batches of its own
            asyncio.run(wait_applied(database_url, done + loaded + 2 * args.probes, 600))
        found = asyncio.run(duplicates(database_url, receiver))
        per_batch, _ = asyncio.run(copy_reference(database_url, batches))
    return Row(apis, workers, ingest, per_batch, offered, outcome["latencies"], callbacks,
               found, failed)  # fmt: skip


def probes(
    url: str,
    secret: str,
    number: str,
    database_url: str,
    receiver: Receiver,
    args: argparse.Namespace,
    callbacks: list[float],
) -> None:
    """Breach -> callback, then clear, `args.probes` times, while the load runs."""
    time.sleep(1)  # let the offered load settle first
    for _ in range(args.probes):
        _, called = asyncio.run(probe(url, secret, number, database_url, 100, "firing", receiver))
        assert called is not None
        callbacks.append(called)
        asyncio.run(probe(url, secret, number, database_url, 0, "resolved"))


def print_table(rows: list[Row], peer_samples: list[float] | None) -> None:
    def p(samples: list[float], share: float) -> str:
        return f"{percentile(samples, share):.0f}" if samples else "-"

    print("| configuration | ingest pts/s | ratio vs per-batch COPY | webhook p50/p99 ms "
          "(offered pts/s) | breach->callback p50/p95 ms | duplicates found |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for row in rows:
        dups = sum(found for found, _ in row.duplicates.values())
        checked = ", ".join(f"{what} {rows}" for what, (_, rows) in row.duplicates.items())
        note = f"; {row.failed} webhooks not 202" if row.failed else ""
        print(
            f"| {row.apis} API + {row.workers} worker{'s' if row.workers > 1 else ''} "
            f"| {row.ingest:,.0f} | {row.ingest / row.copy:.2f}x of {row.copy:,.0f} "
            f"| {statistics.median(row.webhook):.1f} / {percentile(row.webhook, 0.99):.1f} "
            f"({row.offered:,.0f}) | {p(row.callbacks, 0.5)} / {p(row.callbacks, 0.95)} "
            f"| {dups} (rows checked: {checked}){note} |"
        )
    if peer_samples:
        print(f"| Prometheus + Pushgateway + Alertmanager, 1 s | | | | "
              f"{p(peer_samples, 0.5)} / {p(peer_samples, 0.95)} | |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--configs", default="1+1,2+3,2+6", help="APIs+workers, comma-separated")
    parser.add_argument("--seconds", type=float, default=10, help="length of each load phase")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--peer", action="store_true", help="also the Prometheus stack")
    parser.add_argument("--quick", action="store_true", help="1+1 and 2+3, short phases")
    args = parser.parse_args()
    if args.quick:
        args.configs, args.seconds, args.probes = "1+1,2+3", 3, 5
    configs = [tuple(int(n) for n in c.split("+")) for c in args.configs.split(",")]
    rows = [measure(apis, workers, args) for apis, workers in configs]
    peer_samples = None
    if args.peer:
        if peer.available():
            peer_samples = peer.probe_peer(args.probes)
        else:
            print("--peer: prometheus, prometheus-pushgateway or prometheus-alertmanager "
                  "missing; recorded peer figures: p50 990 ms, p95 1,600 ms")  # fmt: skip
    with open("/proc/loadavg") as load:
        average = load.read().split()[0]
    print(
        f"\n{args.seconds:g} s phases, {args.batch}-point batches, {args.rules} rules, "
        f"{args.probes} probes, {os.cpu_count()} cores, load average {average} at the end; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    print_table(rows, peer_samples)


if __name__ == "__main__":
    main()
