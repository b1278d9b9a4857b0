"""The monthly partitions of `metric_points`: made ahead of the points, dropped when old.

Each month (UTC) of `bucket` is a table `metric_partitions.metric_points_YYYY_MM`. A
point whose month has no partition yet lands in `metric_partitions.metric_points_default`
rather than failing its batch; making that month's partition later moves such points
into it. The worker keeps the current month and a few ahead made (and the months of the
late-data window), so the DEFAULT partition normally stays empty.

DDL takes locks the ingest path also needs: each statement waits at most LOCK_WAIT and
runs in a savepoint, so a busy table postpones the change to the next run instead of
queueing every batch behind it.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

logger = structlog.get_logger(__name__)

SCHEMA = "metric_partitions"
PARENT = "public.metric_points"
DEFAULT = f"{SCHEMA}.metric_points_default"
LOCK_WAIT = "3s"
LOCK_NOT_AVAILABLE = "55P03"
_NAME = re.compile(r"^metric_points_(\d{4})_(\d{2})$")
# Partition changes never run side by side (two workers starting at once).
_SERIALISE = text("SELECT pg_advisory_xact_lock(hashtext('metric_points partitions'))")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in UTC: one partition's range [start, end)."""

    year: int
    month: int

    @classmethod
    def of(cls, moment: datetime) -> "Month":
        utc = moment.astimezone(UTC)
        return cls(utc.year, utc.month)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.plus(1).start

    def plus(self, months: int) -> "Month":
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    @property
    def table(self) -> str:
        return f"metric_points_{self.year:04d}_{self.month:02d}"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def months_between(first: Month, last: Month) -> list[Month]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = month.plus(1)
    return months


def _literal(moment: datetime) -> str:
    """A bound for DDL (which takes no parameters); ours, never a caller's text."""
    return f"'{moment.astimezone(UTC).isoformat()}'"


async def existing(session: AsyncSession) -> list[Month]:
    """The monthly partitions there are, oldest first (the DEFAULT one aside)."""
    names = await session.scalars(
        text(
            """
            SELECT c.relname FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = CAST(:parent AS regclass)
            """
        ),
        {"parent": PARENT},
    )
    found = [_NAME.match(name) for name in names]
    return sorted(Month(int(m[1]), int(m[2])) for m in found if m)


async def _ddl(session: AsyncSession, statements: list[str]) -> bool:
    """Run the statements together, or none of them if a lock is not to be had now."""
    await session.execute(text("SAVEPOINT partitions"))
    try:
        await session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
        for statement in statements:
            await session.execute(text(statement))
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        await session.execute(text("ROLLBACK TO SAVEPOINT partitions"))
        await session.execute(text("RELEASE SAVEPOINT partitions"))
        return False
    await session.execute(text("SET LOCAL lock_timeout = 0"))
    await session.execute(text("RELEASE SAVEPOINT partitions"))
    return True


def create_statements(month: Month) -> list[str]:
    """Make the month's partition, taking over the points the DEFAULT partition holds for
    it. Built beside the parent and attached, so inserts into other months go on."""
    table = f"{SCHEMA}.{month.table}"
    start, end = _literal(month.start), _literal(month.end)
    return [
        f"CREATE TABLE {table} (LIKE {PARENT} INCLUDING DEFAULTS)",
        f"WITH moved AS (DELETE FROM {DEFAULT} WHERE bucket >= {start} AND bucket < {end} "  # noqa: S608
        f"RETURNING *) INSERT INTO {table} SELECT * FROM moved",
        f"ALTER TABLE {PARENT} ATTACH PARTITION {table} FOR VALUES FROM ({start}) TO ({end})",
    ]


async def ensure(session: AsyncSession, *, months: list[Month]) -> list[Month]:
    """Make the partitions of `months` that are missing; returns those made."""
    await session.execute(_SERIALISE)
    there = set(await existing(session))
    made = []
    for month in sorted(set(months) - there):
        if await _ddl(session, create_statements(month)):
            made.append(month)
        else:
            logger.warning("metric partition postponed: table busy", month=str(month))
    return made


async def drop_before(session: AsyncSession, *, cutoff: datetime) -> list[Month]:
    """Drop the partitions wholly before `cutoff` (detached first, then dropped: no row
    is deleted one by one), and the DEFAULT partition's points before it. Returns the
    months dropped."""
    await session.execute(_SERIALISE)
    dropped = []
    for month in await existing(session):
        if month.end > cutoff:
            break
        table = f"{SCHEMA}.{month.table}"
        if await _ddl(
            session, [f"ALTER TABLE {PARENT} DETACH PARTITION {table}", f"DROP TABLE {table}"]
        ):
            dropped.append(month)
        else:
            logger.warning("metric partition drop postponed: table busy", month=str(month))
    await session.execute(
        text(f"DELETE FROM {DEFAULT} WHERE bucket < :cutoff"),  # noqa: S608 (our names)
        {"cutoff": cutoff},
    )
    return dropped


def months_to_keep_made(*, now: datetime, since: datetime, ahead: int) -> list[Month]:
    """From the month of `since` (the oldest a point may still arrive for) through `ahead`
    months after the current one."""
    return months_between(Month.of(since), Month.of(now).plus(ahead))
