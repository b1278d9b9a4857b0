"""Per-request values kept in the ASGI scope, shared by middleware and dependencies."""

import re
from typing import Any

from shared.idempotency.service import PendingKey

REQUEST_ID = "campaignops.request_id"
UNIT_OF_WORK = "campaignops.unit_of_work"
PENDING_IDEMPOTENCY = "campaignops.pending_idempotency"
# Who calls, once worked out: a route may need it through several dependencies (its role,
# the campaign it names), and the rate limit counts the request once.
CALLER = "campaignops.caller"

_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
# A share link's token is the whole credential and travels in the path: logs never keep it.
_SHARE_TOKEN = re.compile(r"^/pages/s/[^/]+")


def loggable_path(path: str) -> str:
    """The request's path as logs may keep it."""
    return _SHARE_TOKEN.sub("/pages/s/<token>", path)


def accept_request_id(value: str | None) -> str | None:
    """Keep a client's X-Request-ID only when it is safe to log and echo."""
    if value and _REQUEST_ID_PATTERN.match(value):
        return value
    return None


def request_id_of(scope: Any) -> str | None:
    value = scope.get(REQUEST_ID)
    return value if isinstance(value, str) else None


def set_pending_idempotency(scope: Any, pending: PendingKey) -> None:
    scope[PENDING_IDEMPOTENCY] = pending


def pending_idempotency(scope: Any) -> PendingKey | None:
    value = scope.get(PENDING_IDEMPOTENCY)
    return value if isinstance(value, PendingKey) else None
