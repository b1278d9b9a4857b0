"""Idempotency-Key handling (IETF draft): replay a finished POST, refuse a reused key.

A request holds a transaction-scoped advisory lock on its key while it runs, and its
response is stored in the same transaction as its effects: a retry either sees the
finished response or finds the key in flight (409) — never a half-done first attempt.

Every idempotent POST takes these statements, so they are plain SQL. The lock and the
lookup are one round trip by a function (`idempotency_claim`, see its migration): one
statement would read with the snapshot it started with, which may predate the commit of
the request that held the lock a moment before.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from shared import plain_sql
from shared.db import to_json
from shared.errors import BadRequest, Conflict, FieldError, Invalid
from shared.idempotency.models import IdempotentResponse

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class PendingKey:
    """A key seen for the first time: the response is stored under it if the request succeeds."""

    workspace_id: uuid.UUID
    api_key_id: uuid.UUID
    key: str
    fingerprint: bytes


@dataclass(frozen=True)
class StoredResponse:
    """The response of the first request with a key, replayed to its retries."""

    status_code: int
    headers: dict[str, str]
    body: bytes


_CLAIM = "SELECT locked, fingerprint, status_code, headers, body FROM idempotency_claim($1, $2, $3)"
# An expired row of the same key may not be pruned yet: the new response takes its place.
_STORE = (
    "INSERT INTO idempotent_responses AS stored (api_key_id, key, workspace_id, fingerprint, "
    "status_code, headers, body, created_at, expires_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, now(), now() + $8::interval) "
    "ON CONFLICT (api_key_id, key) DO UPDATE SET workspace_id = excluded.workspace_id, "
    "fingerprint = excluded.fingerprint, status_code = excluded.status_code, "
    "headers = excluded.headers, body = excluded.body, created_at = excluded.created_at, "
    "expires_at = excluded.expires_at"
)


def parse_key(header: str) -> str:
    """Accept `"abc"` (a structured-field string, as the draft writes it) and plain `abc`."""
    key = header.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise BadRequest(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters.",
            field="Idempotency-Key",
        )
    return key


def fingerprint(method: str, path: str, query: str, body: bytes) -> bytes:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.digest()


def _lock_id(api_key_id: uuid.UUID, key: str) -> int:
    raw = hashlib.blake2b(f"idem:{api_key_id}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(raw, "big", signed=True)


async def begin(session: AsyncSession, pending: PendingKey) -> StoredResponse | None:
    """Claim the key for this transaction; return the stored response when there is one."""
    lock_id = _lock_id(pending.api_key_id, pending.key)
    stored = await plain_sql.fetch_one(
        session, _CLAIM, lock_id, pending.api_key_id, pending.key, write=True
    )
    if not (stored and stored["locked"]):
        raise Conflict(
            "A request with this Idempotency-Key is still in progress; retry later.",
            field="Idempotency-Key",
        )
    if stored["fingerprint"] is None:
        return None
    if stored["fingerprint"] != pending.fingerprint:
        raise Invalid(
            "This Idempotency-Key was already used for a different request.",
            [
                FieldError(
                    "Idempotency-Key",
                    "reused with another method, path or body",
                    code="idempotency_key_reused",
                    location="header",
                )
            ],
        )
    return StoredResponse(stored["status_code"], stored["headers"], stored["body"])


async def store(
    session: AsyncSession,
    pending: PendingKey,
    *,
    status_code: int,
    headers: dict[str, str],
    body: bytes,
    ttl: timedelta,
) -> None:
    arguments: tuple[Any, ...] = (
        pending.api_key_id,
        pending.key,
        pending.workspace_id,
        pending.fingerprint,
        status_code,
        to_json(headers),
        body,
        ttl,
    )
    await plain_sql.execute(session, _STORE, *arguments)


async def prune_expired(session: AsyncSession, *, now: datetime) -> int:
    result = await session.execute(
        delete(IdempotentResponse).where(IdempotentResponse.expires_at <= now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
