"""Identifiers: time-ordered UUIDv7, so new rows land at the end of their indexes."""

import uuid

from uuid_utils.compat import uuid7


def new_id() -> uuid.UUID:
    return uuid7()
