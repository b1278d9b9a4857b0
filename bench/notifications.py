"""Notification delivery throughput: one worker sending the outbox to a fast local receiver,
against a bare aiohttp client sending the same signed requests to the same receiver
(target: the worker at >= 0.5x the bare client).

    .venv/bin/python -m bench.notifications [--deliveries 5000] [--endpoints 1]

Starts its own embedded servers (unless DATABASE_URL / REDIS_URL are set), a receiver
process (a bare asyncio HTTP/1.1 server answering 200 with keep-alive, so the receiver
is not what is measured), and one `campaignops worker` process. Inserts N pending
signed-webhook deliveries in one transaction, enqueues one `send_due_deliveries` job and
times until every delivery is recorded delivered in PostgreSQL (polled every 50 ms).
Then, in this process, a bare aiohttp client signs and sends the same deliveries (no
database, no guard) with as many requests in flight per receiver as the worker allows.
"""

import argparse
import asyncio
import multiprocessing
import os
import time
import uuid
from typing import Any

import aiohttp
from sqlalchemy import func, insert, select

import shared.models  # noqa: F401 - every model mapped (foreign keys resolve)
from bench.servers import servers
from shared import jobs
from shared.db import create_engine, create_sessionmaker
from shared.embedded import free_port
from shared.integrations import signing
from shared.metrics import service as metric_dictionary
from shared.notifications import client, formats
from shared.notifications.models import Delivery, DeliveryStatus, NotificationEndpoint
from shared.timeutil import utcnow
from shared.workspaces import service as workspaces
from tests.live import live_worker

RESPONSE = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"


class _Receiver(asyncio.Protocol):
    """Just enough HTTP/1.1: read headers, skip content-length bytes, answer 200."""

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            length = 0
            for line in head.split(b"\r\n"):
                if line.startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self.transport.write(RESPONSE)


def run_receiver(port: int) -> None:
    async def serve() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Receiver, "127.0.0.1", port, backlog=1024)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


async def seed(database_url: str, receiver_url: str, deliveries: int, endpoints: int) -> None:
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session, session.begin():
        workspace = await workspaces.create_workspace(
            session,
            name=f"bench {uuid.uuid4().hex[:6]}",
            default_timezone="UTC",
            default_currency="CNY",
        )
        await metric_dictionary.seed_standard(session, workspace_id=workspace.id)
        targets = []
        for i in range(endpoints):
            endpoint = NotificationEndpoint(
                workspace_id=workspace.id,
                name=f"receiver {i}",
                url=f"{receiver_url}/hook/{i}",
                format="webhook",
                secret=signing.new_secret(),
                event_kinds=[],
                campaign_ids=[],
                campaign_tags=[],
            )
            session.add(endpoint)
            targets.append(endpoint)
        await session.flush()
        now = utcnow()
        rows = [
            {
                "id": uuid.uuid4(),
                "workspace_id": workspace.id,
                "endpoint_id": targets[n % endpoints].id,
                "event_kind": "alert.fired",
                "payload": {
                    "severity": "warning",
                    "message": f"CTR 1.2% is 20% below target ({n})",
                    "subject_type": "alert",
                    "subject_id": str(uuid.uuid4()),
                },
                "webhook_id": formats.new_webhook_id(),
                "status": DeliveryStatus.pending,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "version": 1,
            }
            for n in range(deliveries)
        ]
        for start in range(0, len(rows), 1000):
            await session.execute(insert(Delivery), rows[start : start + 1000])
    await engine.dispose()


async def measure(database_url: str, redis_url: str, queue: str, total: int) -> float:
    engine = create_engine(database_url)
    redis = jobs.create_redis(redis_url, queue_name=queue)
    try:
        started = time.perf_counter()
        await redis.enqueue_job("send_due_deliveries", _queue_name=queue)
        async with engine.connect() as connection:
            while True:
                count = await connection.scalar(
                    select(func.count())
                    .select_from(Delivery)
                    .where(Delivery.status == DeliveryStatus.delivered)
                )
                await connection.rollback()
                if (count or 0) >= total:
                    return time.perf_counter() - started
                await asyncio.sleep(0.05)
    finally:
        await redis.aclose()
        await engine.dispose()


async def bare_client(database_url: str, endpoints: int) -> float:
    """Seconds for a bare aiohttp client to sign and send every delivery, PER_ORIGIN in
    flight per endpoint (what the worker's gates allow)."""
    engine = create_engine(database_url)
    async with create_sessionmaker(engine)() as session:
        targets = {e.id: e for e in await session.scalars(select(NotificationEndpoint))}
        owed = (await session.scalars(select(Delivery))).all()
    await engine.dispose()
    queue: asyncio.Queue[Delivery] = asyncio.Queue()
    for delivery in owed:
        queue.put_nowait(delivery)

    async def sender(http: aiohttp.ClientSession) -> None:
        while not queue.empty():
            delivery = queue.get_nowait()
            outgoing = formats.outgoing(
                targets[delivery.endpoint_id],
                kind=delivery.event_kind,
                payload=delivery.payload,
                webhook_id=delivery.webhook_id,
                created_at=delivery.created_at,
                now=utcnow(),
            )
            async with http.post(
                outgoing.url, data=outgoing.body, headers=outgoing.headers
            ) as answer:
                await answer.read()
                assert answer.status == 200

    async with aiohttp.ClientSession() as http:
        started = time.perf_counter()
        await asyncio.gather(*(sender(http) for _ in range(client.PER_ORIGIN * endpoints)))
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--endpoints", type=int, default=1)
    args = parser.parse_args()
    port = free_port()
    receiver = multiprocessing.Process(target=run_receiver, args=(port,), daemon=True)
    receiver.start()
    with servers("notifications") as (database_url, redis_url):
        queue = f"bench{uuid.uuid4().hex[:6]}:queue"
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "QUEUE_NAME": queue,
            "LOG_LEVEL": "WARNING",
            "NOTIFY_ALLOWED_NETWORKS": "127.0.0.0/8",
        }
        try:
            with live_worker(env) as worker:
                asyncio.run(
                    seed(database_url, f"http://127.0.0.1:{port}", args.deliveries, args.endpoints)
                )
                time.sleep(2)  # the worker is up and idle
                cpu_before = _cpu(worker.pid)
                seconds = asyncio.run(measure(database_url, redis_url, queue, args.deliveries))
                cpu = _cpu(worker.pid) - cpu_before
            bare = asyncio.run(bare_client(database_url, args.endpoints))
        finally:
            receiver.terminate()
    worker_rate, bare_rate = args.deliveries / seconds, args.deliveries / bare
    print(
        f"{args.deliveries} deliveries to {args.endpoints} endpoint(s) in {seconds:.2f} s: "
        f"{worker_rate:,.0f} callbacks/s with one worker "
        f"(worker CPU {cpu:.2f} s, {cpu / seconds * 100:.0f}% of one core)\n"
        f"bare aiohttp client, same signed requests, same receiver: {bare:.2f} s, "
        f"{bare_rate:,.0f} callbacks/s\n"
        f"worker / bare client: {worker_rate / bare_rate:.2f}x (target >= 0.50x)"
    )


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
