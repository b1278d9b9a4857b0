"""The live feed as server-sent events, read with short transactions of its own.

A stream may stay open for hours: it must not hold a transaction (and with it a pooled
connection, and the cluster's xmin horizon) open all that time, so each poll opens a
session, reads, and closes it.
"""

import asyncio
import time
import uuid
from collections.abc import AsyncGenerator, Callable

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.events import service
from shared.events.models import Event
from shared.events.positions import Position
from shared.events.schemas import EventOut
from shared.events.service import EventFilters

POLL_SECONDS = 0.5
HEARTBEAT_SECONDS = 15.0
RETRY_MILLISECONDS = 2_000  # how soon a browser's EventSource reconnects after a drop
BATCH = 500


def format_event(event: Event) -> str:
    data = orjson.dumps(EventOut.model_validate(event).model_dump(mode="json")).decode()
    return f"id: {event.position}\nevent: {event.kind}\ndata: {data}\n\n"


async def stream_events(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    workspace_id: uuid.UUID,
    filters: EventFilters,
    after: Position,
    max_events: int | None = None,
    end_after_seconds: float | None = None,
    poll_seconds: float = POLL_SECONDS,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncGenerator[str]:
    """SSE messages: events after `after` as they settle, a comment when nothing is sent.

    Ends after `max_events` events or `end_after_seconds` seconds when given; otherwise it runs
    until the consumer stops iterating (the client disconnected).
    """
    yield f"retry: {RETRY_MILLISECONDS}\n\n"
    started = last_sent = clock()
    sent = 0
    while True:
        async with sessionmaker() as session:
            page = await service.list_events(
                session, workspace_id=workspace_id, filters=filters, after=after, limit=BATCH
            )
        for event in page.items:
            yield format_event(event)
            sent += 1
            if max_events is not None and sent >= max_events:
                return
        if page.items:
            last_sent = clock()
        after = page.next or after
        if page.has_more:
            continue
        now = clock()
        if end_after_seconds is not None and now - started >= end_after_seconds:
            return
        if now - last_sent >= heartbeat_seconds:
            # Proxies close quiet connections, and only a write shows the client is gone.
            yield ": heartbeat\n\n"
            last_sent = now
        wait = poll_seconds
        if end_after_seconds is not None:
            wait = min(wait, max(0.0, started + end_after_seconds - now))
        await asyncio.sleep(wait)
