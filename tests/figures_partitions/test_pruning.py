"""Partition pruning on real PostgreSQL: a series read touches only the months it asks
for (EXPLAIN ANALYZE of the very statements the read sends)."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from shared.figures import partitions, series
from shared.figures.partitions import Month
from shared.metrics import service as metrics
from tests.figures_partitions.data import SHANGHAI, at, campaign_with_channel, write_hours

TABLES = re.compile(r"metric_points_(?:\d{4}_\d{2}|default)|metric_days")  # tables or their indexes


@contextmanager
def statements_of(session: AsyncSession) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the session sends while the block runs, with its parameters."""
    sent: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def tables_read(session: AsyncSession, sent: list[tuple[str, Any]]) -> set[str]:
    """The tables the statements' plans actually scan (pruned ones are not in the plan)."""
    connection = await session.connection()
    found: set[str] = set()
    for statement, parameters in sent:
        plan = await connection.exec_driver_sql(
            f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {statement}", parameters
        )
        for (line,) in plan:
            if "never executed" not in line:
                found |= set(TABLES.findall(line))
    return found


async def read(session: AsyncSession, tenant: Any, **window: Any) -> set[str]:
    await partitions.ensure(
        session, months=partitions.months_between(Month(2030, 1), Month(2030, 12))
    )
    campaign, channel = await campaign_with_channel(session, tenant.workspace_id)
    for month in range(1, 13):
        start = at(2030, month, 10)
        await write_hours(session, campaign, channel, metric="clicks", start=start, hours=48)
    dictionary = await metrics.dictionary(session, workspace_id=campaign.workspace_id)
    with statements_of(session) as sent:
        answer = await series.read_series(
            session, campaign=campaign, dictionary=dictionary, metric_key="clicks", **window
        )
    assert answer.total, "the read found figures"
    return await tables_read(session, sent)


async def test_hours_of_a_week_read_only_their_month(session, tenant):
    tables = await read(
        session, tenant, granularity="hour", start=at(2030, 3, 9), end=at(2030, 3, 16)
    )
    assert tables == {"metric_points_2030_03"}


async def test_hours_across_a_month_end_read_both_months_and_no_other(session, tenant):
    tables = await read(
        session, tenant, granularity="hour", start=at(2030, 4, 28), end=at(2030, 5, 12)
    )
    assert tables == {"metric_points_2030_04", "metric_points_2030_05"}


async def test_a_window_cutting_a_day_reads_its_months_only(session, tenant):
    tables = await read(
        session,
        tenant,
        granularity="day",
        start=datetime(2030, 6, 10, 12, tzinfo=SHANGHAI),
        end=datetime(2030, 6, 11, 12, tzinfo=SHANGHAI),
    )
    assert tables == {"metric_points_2030_06"}


async def test_whole_days_read_the_rollups_and_no_hour(session, tenant):
    tables = await read(
        session,
        tenant,
        granularity="month",
        start=datetime(2030, 1, 1, tzinfo=SHANGHAI),
        end=datetime(2031, 1, 1, tzinfo=SHANGHAI),
    )
    assert tables == {"metric_days"}
