"""Stream tokens: how a browser's EventSource opens the live feed without an API key.

EventSource cannot send an Authorization header, so a page asks for a stream token with its
API key (`POST /v1/events/stream-tokens`) and opens `GET /v1/events/stream?stream_token=...`.
A token opens streams of one workspace, on behalf of one API key, for `LIFETIME` (60 s by
default: enough for the page to open the stream, and for EventSource's own reconnections
after a drop); it opens nothing else. An open stream is not cut when the token expires.

A token is `cst_` + 256 random bits. Only its SHA-256 is kept, in Redis, with an expiry
Redis enforces, so neither a Redis dump nor a log (tokens travel in URLs; see
services/api/middleware.py, which logs paths without their query) opens a stream. The
key it was made with is checked again at every opening: a revoked or expired key's tokens
open nothing.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from shared.events.service import EventFilters

SCHEME = "cst"
LIFETIME = timedelta(seconds=60)
MIN_LIFETIME = timedelta(seconds=10)
MAX_LIFETIME = timedelta(minutes=5)


@dataclass(frozen=True)
class StreamGrant:
    """What a token lets its bearer open."""

    workspace_id: uuid.UUID
    api_key_id: uuid.UUID
    filters: EventFilters | None  # fixed by the token; None: the stream's URL chooses


def redis_key(prefix: str, token: str) -> str:
    return f"{prefix}:stream-token:{hashlib.sha256(token.encode()).hexdigest()}"


async def issue(
    redis: Any,
    *,
    prefix: str,
    workspace_id: uuid.UUID,
    api_key_id: uuid.UUID,
    filters: EventFilters | None,
    lifetime: timedelta,
    now: datetime,
) -> tuple[str, datetime]:
    """A new token and when it stops opening streams. The caller bounds `lifetime`."""
    assert MIN_LIFETIME <= lifetime <= MAX_LIFETIME, lifetime
    token = f"{SCHEME}_{secrets.token_urlsafe(32)}"
    grant: dict[str, Any] = {"workspace_id": str(workspace_id), "api_key_id": str(api_key_id)}
    if filters is not None:
        grant["filters"] = {
            "kinds": list(filters.kinds),
            "campaign_id": _text(filters.campaign_id),
            "subject_type": filters.subject_type,
            "subject_id": _text(filters.subject_id),
        }
    milliseconds = int(lifetime.total_seconds() * 1000)
    await redis.set(redis_key(prefix, token), orjson.dumps(grant), px=milliseconds)
    return token, now + lifetime


async def redeem(redis: Any, *, prefix: str, token: str) -> StreamGrant | None:
    """What `token` opens, or None when it is unknown, malformed or expired."""
    if not token.startswith(f"{SCHEME}_") or len(token) > 100:
        return None
    stored = await redis.get(redis_key(prefix, token))
    if stored is None:
        return None
    grant = orjson.loads(stored)
    filters = grant.get("filters")
    return StreamGrant(
        workspace_id=uuid.UUID(grant["workspace_id"]),
        api_key_id=uuid.UUID(grant["api_key_id"]),
        filters=None
        if filters is None
        else EventFilters(
            kinds=tuple(filters["kinds"]),
            campaign_id=_uuid(filters["campaign_id"]),
            subject_type=filters["subject_type"],
            subject_id=_uuid(filters["subject_id"]),
        ),
    )


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def _uuid(value: str | None) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(value)
