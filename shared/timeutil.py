from datetime import UTC, datetime
from functools import cache
from zoneinfo import available_timezones


def utcnow() -> datetime:
    return datetime.now(UTC)


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def is_timezone(name: str) -> bool:
    """True for an IANA zone name such as `Asia/Shanghai` (what every campaign's days use)."""
    return name in _zone_names()
