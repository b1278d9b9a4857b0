"""Identifiers: time-ordered UUIDv7, so new rows land at the end of their indexes."""

import uuid
from datetime import datetime

from uuid_utils.compat import uuid7


def new_id() -> uuid.UUID:
    return uuid7()


def first_id_at(moment: datetime) -> uuid.UUID:
    """The lowest UUIDv7 of `moment`'s millisecond: every id made earlier sorts below it,
    so "made before" is a range of the primary key (retention needs no time index)."""
    milliseconds = int(moment.timestamp() * 1000)
    return uuid.UUID(int=milliseconds << 80)
