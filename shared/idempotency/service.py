"""Idempotency-Key handling (IETF draft): replay a finished POST, refuse a reused key.

A request holds a transaction-scoped advisory lock on its key while it runs, and its
response is stored in the same transaction as its effects: a retry either sees the
finished response or finds the key in flight (409) — never a half-done first attempt.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

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


async def begin(session: AsyncSession, pending: PendingKey) -> IdempotentResponse | None:
    """Claim the key for this transaction; return the stored response when there is one."""
    locked = await session.scalar(
        select(func.pg_try_advisory_xact_lock(_lock_id(pending.api_key_id, pending.key)))
    )
    if not locked:
        raise Conflict(
            "A request with this Idempotency-Key is still in progress; retry later.",
            field="Idempotency-Key",
        )
    stored = await session.scalar(
        select(IdempotentResponse).where(
            IdempotentResponse.api_key_id == pending.api_key_id,
            IdempotentResponse.key == pending.key,
            IdempotentResponse.expires_at > func.now(),
        )
    )
    if stored is not None and stored.fingerprint != pending.fingerprint:
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
    return stored


async def store(
    session: AsyncSession,
    pending: PendingKey,
    *,
    status_code: int,
    headers: dict[str, str],
    body: bytes,
    ttl: timedelta,
) -> None:
    values = {
        "workspace_id": pending.workspace_id,
        "fingerprint": pending.fingerprint,
        "status_code": status_code,
        "headers": headers,
        "body": body,
        "created_at": func.now(),
        "expires_at": func.now() + ttl,
    }
    # An expired row of the same key may not be pruned yet: take its place.
    statement = insert(IdempotentResponse).values(
        api_key_id=pending.api_key_id, key=pending.key, **values
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[IdempotentResponse.api_key_id, IdempotentResponse.key], set_=values
        )
    )


async def prune_expired(session: AsyncSession, *, now: datetime) -> int:
    result = await session.execute(
        delete(IdempotentResponse).where(IdempotentResponse.expires_at <= now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
