"""API keys verified a moment ago, held in the process so a request skips their lookup.

Looking the key up was a round trip on every request. An entry lives `ttl` seconds:
a revocation made through this process takes effect at once (`forget`), one made
through another process within `ttl`. Expiry is checked on every use.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from shared.actor import Role

MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class VerifiedKey:
    """What a request needs of its API key: who calls, with which role."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    prefix: str
    role: Role
    member_id: uuid.UUID | None
    expires_at: datetime | None
    last_used_at: datetime | None

    def is_active(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


class VerifiedKeys:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[bytes, tuple[float, VerifiedKey]] = {}

    def get(self, key_hash: bytes) -> VerifiedKey | None:
        entry = self._entries.get(key_hash)
        if entry is None:
            return None
        if self._clock() - entry[0] >= self.ttl:
            del self._entries[key_hash]
            return None
        return entry[1]

    def put(self, key_hash: bytes, key: VerifiedKey) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()  # rare; a full lookup per key refills it
        self._entries[key_hash] = (self._clock(), key)

    def used(self, key_hash: bytes, at: datetime) -> None:
        """Record the last use written to the database, keeping the entry's age."""
        entry = self._entries.get(key_hash)
        if entry is not None:
            self._entries[key_hash] = (entry[0], replace(entry[1], last_used_at=at))

    def forget(self, api_key_id: uuid.UUID) -> None:
        for key_hash, (_, key) in list(self._entries.items()):
            if key.id == api_key_id:
                del self._entries[key_hash]
