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

import aiohttp
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.notifications import bots, client, formats, urls
from shared.notifications.models import (
    Delivery,
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
BATCH = 250  # amortises the two transactions; each send stays bounded by the gate and timeout
LANES = 2  # batches at once per run: while one is recorded, the other is being sent
EXCERPT_BYTES = 1024
DRAIN_BYTES = 64 * 1024  # read small answers to the end so the connection is reused
JUDGED_BYTES = 16 * 1024  # a chat bot's answer is read this far for its result code
# Answers are read raw (never decompressed): ask for them uncompressed.
PLAIN_ANSWER = {"Accept-Encoding": "identity"}


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


def next_delay(
    attempts: int, rng: random.Random | None = None, delays: Sequence[timedelta] = RETRY_DELAYS
) -> timedelta | None:
    """The wait after the `attempts`-th failure, with jitter; None when none is left."""
    if attempts > len(delays):
        return None
    base = delays[attempts - 1]
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
    session: aiohttp.ClientSession,
    endpoint: NotificationEndpoint,
    *,
    kind: str,
    payload: dict[str, Any],
    webhook_id: str,
    created_at: datetime,
    allowed: Sequence[urls.IPNetwork],
    url_checked: bool = False,
) -> Answer:
    """One signed request through a guarded session (client.py); never raises for what the
    receiver (or the network) does. `url_checked`: the caller applied `urls.check_url`.

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
        # The session's timeouts bound connecting and each read; this bounds the whole
        # exchange, so a receiver trickling its answer cannot hold the delivery past its lease.
        async with asyncio.timeout(TOTAL_SECONDS):
            if not url_checked and not endpoint.url.startswith("https://"):
                # Plain http only inside allowlisted networks: checked again, as at creation.
                await urls.check_url(endpoint.url, allowed)
            async with session.post(
                outgoing.url,
                data=outgoing.body,
                headers=outgoing.headers | PLAIN_ANSWER,
                allow_redirects=False,
            ) as response:
                status_code = response.status
                read = 0
                async for chunk in response.content.iter_any():
                    if len(kept) < JUDGED_BYTES:
                        kept += chunk[: JUDGED_BYTES - len(kept)]
                    read += len(chunk)
                    if read > DRAIN_BYTES:
                        response.close()  # a large answer: not worth reading, nor reusing
                        break
            if endpoint.is_bot and 200 <= status_code < 300:
                verdict = bots.judge(endpoint.format, kept)
                error, throttle = verdict.error, verdict.throttle
    except TimeoutError:
        error = "timeout"
    except (aiohttp.ClientError, OSError, urls.UnsafeUrl) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
    latency_ms = round((time.perf_counter() - started) * 1000)
    excerpt = kept[:EXCERPT_BYTES]
    text = excerpt.decode("utf-8", "replace").replace("\x00", "") if status_code else None
    return Answer(at, status_code, error, latency_ms, text, throttle=throttle)


# The states as the record statement takes them: an enum member's `.value` is a property
# lookup, a visible share of a batch's CPU at thousands of callbacks a second.
_PENDING, _DELIVERED, _DEAD = (
    DeliveryStatus.pending.value,
    DeliveryStatus.delivered.value,
    DeliveryStatus.dead.value,
)


def _outcome(
    claimed: Claimed, answer: Answer, now: datetime, delays: Sequence[timedelta]
) -> dict[str, Any]:
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
        return values | {"b_status": _PENDING, "b_next": answer.at}
    if answer.ok:
        return values | {"b_status": _DELIVERED, "b_delivered_at": answer.at}
    delay = None if answer.status_code == 410 else next_delay(attempts, delays=delays)
    if delay is not None and answer.throttle is not None:
        # A bot's rate limit (DingTalk holds a robot back 10 minutes): an earlier try
        # would only be refused again and spend an attempt.
        delay = max(delay, held_back(answer.throttle))
    if delay is None:
        return values | {"b_status": _DEAD}
    return values | {"b_status": _PENDING, "b_next": now + delay}


# One statement, one round trip, whatever the batch's size: the outcomes travel as arrays
# (a prepared statement of fixed shape, unlike a VALUES list of as many rows as the batch),
# each delivery is updated only where it still carries our lease (if a stall let the lease
# run out and another worker claimed the row again, its claim owns the state now), and
# every attempt made is logged, ours included.
RECORD = text("""
WITH outcome AS (
    SELECT * FROM unnest(
        CAST(:ids AS uuid[]), CAST(:leases AS timestamptz[]), CAST(:statuses AS text[]),
        CAST(:attempts AS smallint[]), CAST(:codes AS smallint[]), CAST(:errors AS text[]),
        CAST(:delivered_at AS timestamptz[]), CAST(:next_at AS timestamptz[]),
        CAST(:counted AS boolean[]), CAST(:at AS timestamptz[]), CAST(:latency AS integer[]),
        CAST(:excerpts AS text[]), CAST(:workspace_ids AS uuid[]), CAST(:attempt_ids AS uuid[])
    ) AS o(id, lease, status, attempts, code, error, delivered_at, next_at, counted, at,
           latency, excerpt, workspace_id, attempt_id)
), recorded AS (
    UPDATE deliveries AS d
    SET status = o.status, attempts = o.attempts, last_status_code = o.code,
        last_error = o.error, delivered_at = o.delivered_at, next_attempt_at = o.next_at,
        version = d.version + 1
    FROM outcome AS o
    WHERE d.id = o.id AND d.status = 'pending' AND d.next_attempt_at = o.lease
    RETURNING d.id
)
INSERT INTO delivery_attempts (id, workspace_id, delivery_id, at, status_code, error,
                               latency_ms, response_excerpt, created_at, version)
SELECT attempt_id, workspace_id, id, at, code, error, latency, excerpt, at, 1
FROM outcome WHERE counted
""")  # fmt: skip


async def record(
    session: AsyncSession,
    results: Sequence[tuple[Claimed, Answer]],
    endpoints: dict[uuid.UUID, NotificationEndpoint],
    *,
    now: datetime,
    delays: Sequence[timedelta] = RETRY_DELAYS,
) -> RunStats:
    """Attempts and new states for one batch, in one transaction (one statement)."""
    stats = RunStats()
    if not results:
        return stats
    outcomes = [_outcome(claimed, answer, now, delays) for claimed, answer in results]
    await session.execute(
        RECORD,
        {
            "ids": [o["b_id"] for o in outcomes],
            "leases": [o["b_lease"] for o in outcomes],
            "statuses": [o["b_status"] for o in outcomes],
            "attempts": [o["b_attempts"] for o in outcomes],
            "codes": [o["b_code"] for o in outcomes],
            "errors": [o["b_error"] for o in outcomes],
            "delivered_at": [o["b_delivered_at"] for o in outcomes],
            "next_at": [o["b_next"] for o in outcomes],
            "counted": [not answer.deferred for _, answer in results],
            "at": [answer.at for _, answer in results],
            "latency": [answer.latency_ms for _, answer in results],
            "excerpts": [answer.excerpt for _, answer in results],
            "workspace_ids": [claimed.workspace_id for claimed, _ in results],
            "attempt_ids": [uuid.uuid4() for _ in results],
        },
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
        elif outcome["b_status"] == _DELIVERED:
            stats.delivered += 1
        else:
            stats.failed += 1
            stats.dead += outcome["b_status"] == _DEAD
    return stats


async def send_batch(
    sessionmaker: async_sessionmaker[AsyncSession],
    clients: client.CallbackClients,
    *,
    now: datetime,
    limit: int = BATCH,
    delays: Sequence[timedelta] = RETRY_DELAYS,
) -> RunStats | None:
    """Claim, send, record one batch; None when nothing was due."""
    async with sessionmaker() as session, session.begin():
        claimed, endpoints = await claim(session, now=now, limit=limit)
    if not claimed:
        return None

    # Plain http only inside allowlisted networks: checked again, as at creation, once per
    # endpoint and batch (the connection's address is checked at every connect anyway).
    refused: dict[uuid.UUID, str] = {}
    for endpoint in endpoints.values():
        if not endpoint.url.startswith("https://"):
            try:
                await urls.check_url(endpoint.url, clients.allowed)
            except urls.UnsafeUrl as exc:
                refused[endpoint.id] = f"UnsafeUrl: {exc}"[:500]

    async def gated(c: Claimed) -> Answer:
        endpoint = endpoints[c.endpoint_id]
        if endpoint.id in refused:
            return Answer(utcnow(), None, refused[endpoint.id], 0, None)
        try:
            slot = await clients.slot(endpoint.url, wait=GATE_WAIT_SECONDS)
        except TimeoutError:
            # Its receiver's slots stayed busy (a slow receiver, other batches): give it
            # back rather than let the lease run out while it waits.
            return Answer(utcnow(), None, "deferred: receiver busy", 0, None, deferred=True)
        async with slot:
            return await call(
                clients.session,
                endpoint,
                kind=c.event_kind,
                payload=c.payload,
                webhook_id=c.webhook_id,
                created_at=c.created_at,
                allowed=clients.allowed,
                url_checked=True,
            )

    answers = await asyncio.gather(*(gated(c) for c in claimed))
    async with sessionmaker() as session, session.begin():
        results = list(zip(claimed, answers, strict=True))
        return await record(session, results, endpoints, now=now, delays=delays)


async def send_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    clients: client.CallbackClients,
    *,
    clock: Callable[[], datetime] = utcnow,
    lanes: int = LANES,
    limit: int = BATCH,
    max_batches: int | None = None,
    delays: Sequence[timedelta] = RETRY_DELAYS,
) -> RunStats:
    """Send until nothing is due, `lanes` batches at a time; what `clock` says is "now".

    `clients` also carry the networks besides the public internet callbacks may reach;
    `delays` are the waits after each failed attempt (the standard schedule by default).
    """
    total = RunStats()
    batches = 0

    async def lane() -> None:
        nonlocal batches
        while max_batches is None or batches < max_batches:
            batches += 1
            stats = await send_batch(sessionmaker, clients, now=clock(), limit=limit, delays=delays)
            if stats is None:
                return
            total.delivered += stats.delivered
            total.failed += stats.failed
            total.dead += stats.dead
            total.deferred += stats.deferred

    await asyncio.gather(*(lane() for _ in range(lanes)))
    return total
