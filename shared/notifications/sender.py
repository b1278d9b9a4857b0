"""Sending what the outbox owes: claim due deliveries, call the receivers, record the answers.

Three short transactions per batch, none of them open during an HTTP call:

1. claim: lock due pending rows (`FOR UPDATE SKIP LOCKED`, so workers never claim the
   same row) and push their `next_attempt_at` a lease ahead. That is all a claim
   changes: the row stays `pending`, nothing says it was sent.
2. send, outside any transaction, each call bounded by the client's timeout (10 s).
3. record: the attempt rows, and each delivery's new state (delivered, retry later,
   dead), only where the row still carries our lease.

A worker killed between 1 and 3 leaves its rows pending; once the lease (well over the
timeout) has passed, any worker's next run sends them again with the same webhook-id.
So nothing is lost, and a receiver may see a duplicate it can drop by that id.
"""

import asyncio
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.notifications import bots, formats, urls
from shared.notifications.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    NotificationEndpoint,
)
from shared.timeutil import utcnow

# Waits after a failed attempt: the first attempt is immediate, then 5 s, 5 min, 30 min,
# 2 h, 5 h, 10 h, 10 h (8 attempts over about 28 hours); after the last, the delivery is dead.
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2  # +-20%: receivers coming back up are not hit by every sender at once
# A claimed delivery waits at most GATE_WAIT_SECONDS for a slot, then its exchange takes
# at most TOTAL_SECONDS: the lease outlasts both, with room for a busy event loop, so no
# other worker claims it while it may still be sent.
GATE_WAIT_SECONDS = 20.0
TOTAL_SECONDS = 15.0
LEASE = timedelta(seconds=60)
BATCH = 100
LANES = 2  # batches at once per run: while one is recorded, the other is being sent
EXCERPT_BYTES = 1024
DRAIN_BYTES = 64 * 1024  # read small answers to the end so the connection is reused
JUDGED_BYTES = 16 * 1024  # a chat bot's answer is read this far for its result code


@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    workspace_id: uuid.UUID
    endpoint_id: uuid.UUID
    event_kind: str
    payload: dict[str, Any]
    webhook_id: str
    created_at: datetime
    attempts: int
    lease: datetime


@dataclass(frozen=True)
class Answer:
    at: datetime
    status_code: int | None
    error: str | None
    latency_ms: int
    excerpt: str | None
    deferred: bool = False  # never sent: no slot for its receiver in time
    throttle: timedelta | None = None  # the receiver said "too many": not again before this

    @property
    def ok(self) -> bool:
        # A chat bot's 200 carrying a non-zero code has `error` set: not a success.
        return self.status_code is not None and 200 <= self.status_code < 300 and not self.error


@dataclass
class RunStats:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    deferred: int = 0  # not sent, due again at once (their receiver's slots were busy)

    @property
    def attempted(self) -> int:
        return self.delivered + self.failed


def next_delay(attempts: int, rng: random.Random | None = None) -> timedelta | None:
    """The wait after the `attempts`-th failure, with jitter; None when none is left."""
    if attempts >= MAX_ATTEMPTS:
        return None
    base = RETRY_DELAYS[attempts - 1]
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    return base * factor


def held_back(throttle: timedelta, rng: random.Random | None = None) -> timedelta:
    """The wait a rate-limited receiver asked for, plus up to 20%: never earlier."""
    return throttle * (1 + (rng or random).uniform(0, JITTER))


async def earliest_due(session: AsyncSession) -> datetime | None:
    """When the next pending delivery falls due (a claimed one: when its lease ends)."""
    return await session.scalar(
        select(func.min(Delivery.next_attempt_at)).where(Delivery.status == DeliveryStatus.pending)
    )


async def claim(
    session: AsyncSession, *, now: datetime, limit: int = BATCH
) -> tuple[list[Claimed], dict[uuid.UUID, NotificationEndpoint]]:
    """Lease up to `limit` due deliveries; returns them with their (enabled) endpoints.

    Deliveries whose endpoint is disabled are not sent: they end dead, with the reason,
    and can be redelivered once the endpoint is enabled again.
    """
    due = (
        select(Delivery.id)
        .where(Delivery.status == DeliveryStatus.pending, Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    lease = now + LEASE
    rows = (
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(due.scalar_subquery()))
            .values(next_attempt_at=lease, version=Delivery.version + 1)
            .returning(
                Delivery.id,
                Delivery.workspace_id,
                Delivery.endpoint_id,
                Delivery.event_kind,
                Delivery.payload,
                Delivery.webhook_id,
                Delivery.created_at,
                Delivery.attempts,
            )
            .execution_options(synchronize_session=False)
        )
    ).all()
    claimed = [Claimed(**row._asdict(), lease=lease) for row in rows]
    if not claimed:
        return [], {}
    endpoint_ids = {c.endpoint_id for c in claimed}
    endpoints = {
        e.id: e
        for e in await session.scalars(
            select(NotificationEndpoint).where(NotificationEndpoint.id.in_(endpoint_ids))
        )
    }
    disabled = [c.id for c in claimed if not endpoints[c.endpoint_id].enabled]
    if disabled:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(disabled))
            .values(
                status=DeliveryStatus.dead,
                next_attempt_at=None,
                last_error="endpoint disabled",
                version=Delivery.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
    sendable = [c for c in claimed if endpoints[c.endpoint_id].enabled]
    return sendable, endpoints


async def call(
    client: httpx.AsyncClient,
    endpoint: NotificationEndpoint,
    *,
    kind: str,
    payload: dict[str, Any],
    webhook_id: str,
    created_at: datetime,
    allowed: Sequence[urls.IPNetwork],
) -> Answer:
    """One signed request; never raises for what the receiver (or the network) does.

    A chat bot's service answers 200 to failures too: its answer's result code decides,
    and the code with the service's message goes to the attempt's `error`.
    """
    at = utcnow()  # the real clock: receivers check the signature's timestamp against theirs
    outgoing = formats.outgoing(
        endpoint, kind=kind, payload=payload, webhook_id=webhook_id, created_at=created_at, now=at
    )
    started = time.perf_counter()
    status_code: int | None = None
    error: str | None = None
    throttle: timedelta | None = None
    kept: bytes = b""
    try:
        # httpx's timeouts bound each read and write; this bounds the whole exchange, so a
        # receiver trickling its answer cannot hold the delivery past its lease.
        async with asyncio.timeout(TOTAL_SECONDS):
            if not endpoint.url.startswith("https://"):
                # Plain http only inside allowlisted networks: checked again, as at creation.
                await urls.check_url(endpoint.url, allowed)
            async with client.stream(
                "POST", outgoing.url, content=outgoing.body, headers=outgoing.headers
            ) as response:
                status_code = response.status_code
                read = 0
                async for chunk in response.aiter_raw():
                    if len(kept) < JUDGED_BYTES:
                        kept += chunk[: JUDGED_BYTES - len(kept)]
                    read += len(chunk)
                    if read > DRAIN_BYTES:
                        break  # a large answer: not worth reading for an excerpt
            if endpoint.is_bot and 200 <= status_code < 300:
                verdict = bots.judge(endpoint.format, kept)
                error, throttle = verdict.error, verdict.throttle
    except (httpx.TimeoutException, TimeoutError):
        error = "timeout"
    except (httpx.HTTPError, urls.UnsafeUrl) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
    latency_ms = round((time.perf_counter() - started) * 1000)
    excerpt = kept[:EXCERPT_BYTES]
    text = excerpt.decode("utf-8", "replace").replace("\x00", "") if status_code else None
    return Answer(at, status_code, error, latency_ms, text, throttle=throttle)


def _outcome(claimed: Claimed, answer: Answer, now: datetime) -> dict[str, Any]:
    attempts = claimed.attempts + (0 if answer.deferred else 1)
    values: dict[str, Any] = {
        "b_id": claimed.id,
        "b_lease": claimed.lease,
        "b_attempts": attempts,
        "b_code": answer.status_code,
        "b_error": answer.error,
        "b_delivered_at": None,
        "b_next": None,
    }
    if answer.deferred:  # due again at once; the gate throttles it, no attempt counted
        return values | {"b_status": DeliveryStatus.pending.value, "b_next": answer.at}
    if answer.ok:
        return values | {"b_status": DeliveryStatus.delivered.value, "b_delivered_at": answer.at}
    delay = None if answer.status_code == 410 else next_delay(attempts)
    if delay is not None and answer.throttle is not None:
        # A bot's rate limit (DingTalk holds a robot back 10 minutes): an earlier try
        # would only be refused again and spend an attempt.
        delay = max(delay, held_back(answer.throttle))
    if delay is None:
        return values | {"b_status": DeliveryStatus.dead.value}
    return values | {"b_status": DeliveryStatus.pending.value, "b_next": now + delay}


async def record(
    session: AsyncSession,
    results: Sequence[tuple[Claimed, Answer]],
    endpoints: dict[uuid.UUID, NotificationEndpoint],
    *,
    now: datetime,
) -> RunStats:
    """Attempts and new states for one batch, in one transaction (bulk statements)."""
    stats = RunStats()
    if not results:
        return stats
    attempts = [
        {
            "id": uuid.uuid4(),
            "workspace_id": claimed.workspace_id,
            "delivery_id": claimed.id,
            "at": answer.at,
            "status_code": answer.status_code,
            "error": answer.error,
            "latency_ms": answer.latency_ms,
            "response_excerpt": answer.excerpt,
            "created_at": answer.at,
            "version": 1,
        }
        for claimed, answer in results
        if not answer.deferred
    ]
    if attempts:
        await session.execute(insert(DeliveryAttempt), attempts)
    outcomes = [_outcome(claimed, answer, now) for claimed, answer in results]
    table = Delivery.__table__
    assert isinstance(table, Table)
    # Only rows still carrying our lease: if a stall let the lease run out and another
    # worker claimed the row again, its claim owns the state now (our attempt is logged).
    await session.execute(
        update(table)
        .where(
            table.c.id == bindparam("b_id"),
            table.c.status == DeliveryStatus.pending.value,
            table.c.next_attempt_at == bindparam("b_lease"),
        )
        .values(
            status=bindparam("b_status"),
            attempts=bindparam("b_attempts"),
            last_status_code=bindparam("b_code"),
            last_error=bindparam("b_error"),
            delivered_at=bindparam("b_delivered_at"),
            next_attempt_at=bindparam("b_next"),
            version=table.c.version + 1,
        ),
        outcomes,
    )
    gone = {claimed.endpoint_id for claimed, answer in results if answer.status_code == 410}
    for endpoint_id in gone:
        # 410 Gone: the receiver says it will never want these again.
        await session.execute(
            update(NotificationEndpoint)
            .where(NotificationEndpoint.id == endpoint_id, NotificationEndpoint.enabled.is_(True))
            .values(
                enabled=False,
                disabled_reason=f"the receiver answered 410 Gone at {now.isoformat()}",
                version=NotificationEndpoint.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
    for (_, answer), outcome in zip(results, outcomes, strict=True):
        if answer.deferred:
            stats.deferred += 1
        elif outcome["b_status"] == DeliveryStatus.delivered.value:
            stats.delivered += 1
        else:
            stats.failed += 1
            stats.dead += outcome["b_status"] == DeliveryStatus.dead.value
    return stats


async def send_batch(
    sessionmaker: async_sessionmaker[AsyncSession],
    clients: urls.CallbackClients,
    *,
    now: datetime,
    limit: int = BATCH,
) -> RunStats | None:
    """Claim, send, record one batch; None when nothing was due."""
    async with sessionmaker() as session, session.begin():
        claimed, endpoints = await claim(session, now=now, limit=limit)
    if not claimed:
        return None

    async def gated(c: Claimed) -> Answer:
        endpoint = endpoints[c.endpoint_id]
        try:
            slot = await clients.slot(endpoint.url, wait=GATE_WAIT_SECONDS)
        except TimeoutError:
            # Its receiver's slots stayed busy (a slow receiver, other batches): give it
            # back rather than let the lease run out while it waits.
            return Answer(utcnow(), None, "deferred: receiver busy", 0, None, deferred=True)
        async with slot:
            return await call(
                clients.for_url(endpoint.url),
                endpoint,
                kind=c.event_kind,
                payload=c.payload,
                webhook_id=c.webhook_id,
                created_at=c.created_at,
                allowed=clients.allowed,
            )

    answers = await asyncio.gather(*(gated(c) for c in claimed))
    async with sessionmaker() as session, session.begin():
        return await record(session, list(zip(claimed, answers, strict=True)), endpoints, now=now)


async def send_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    clients: urls.CallbackClients,
    *,
    clock: Callable[[], datetime] = utcnow,
    lanes: int = LANES,
    limit: int = BATCH,
    max_batches: int | None = None,
) -> RunStats:
    """Send until nothing is due, `lanes` batches at a time; what `clock` says is "now".

    `clients` also carry the networks besides the public internet callbacks may reach.
    """
    total = RunStats()
    batches = 0

    async def lane() -> None:
        nonlocal batches
        while max_batches is None or batches < max_batches:
            batches += 1
            stats = await send_batch(sessionmaker, clients, now=clock(), limit=limit)
            if stats is None:
                return
            total.delivered += stats.delivered
            total.failed += stats.failed
            total.dead += stats.dead
            total.deferred += stats.deferred

    await asyncio.gather(*(lane() for _ in range(lanes)))
    return total
