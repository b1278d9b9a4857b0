"""Sustained ingest through a worker killed again and again, Redis killed, PostgreSQL
stopped: every batch the API acknowledged is applied exactly once, the API answers 202
or a clear 503 within a bound, and the processes recover by themselves."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
import pytest

from tests.faults.checks import assert_no_duplicate_alert, assert_totals_equal_sent, settled
from tests.faults.seed import Scenario, seed
from tests.faults.stack import FaultStack, Workers, eventually
from tests.faults.traffic import ANSWER_BOUND_SECONDS, Ingest

pytestmark = pytest.mark.faults

KILLS = 3
CLICKS_THRESHOLD = 3000  # passed after a few batches (each adds ~600 clicks)


async def applied(stack: FaultStack, scenario: Scenario) -> int:
    rows = await stack.query(
        "SELECT count(*) AS n FROM ingest_batches WHERE integration_id = $1::uuid"
        " AND status <> 'received'",
        scenario.integration_id,
    )
    return int(rows[0]["n"])


def more_applied_than(
    stack: FaultStack, scenario: Scenario, count: int
) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return await applied(stack, scenario) > count

    return check


async def start(
    api: str, stack: FaultStack, workers: Workers, name: str
) -> tuple[Scenario, Ingest, asyncio.Event, asyncio.Task[None]]:
    """A scenario's workspace, a worker, and batches streaming in; returns once the
    worker has applied some."""
    now = datetime.now(UTC)
    scenario = await seed(
        stack.database_url, name=name, now=now, thresholds={"clicks": CLICKS_THRESHOLD}
    )
    ingest = Ingest(api, scenario, now)
    workers.start()
    stop = asyncio.Event()
    sending = asyncio.create_task(ingest.run(stop))
    await eventually(
        more_applied_than(stack, scenario, 2),
        "the worker applying batches",
        within=40,
        alive=workers.assert_alive,
    )
    return scenario, ingest, stop, sending


async def finish(
    stack: FaultStack, workers: Workers, scenario: Scenario, ingest: Ingest, stop: asyncio.Event,
    sending: asyncio.Task[None],
) -> None:  # fmt: skip
    """Stop sending, wait until every acknowledged batch is applied, check the figures."""
    stop.set()
    await asyncio.wait_for(sending, 4 * ANSWER_BOUND_SECONDS)
    assert not ingest.unexpected, ingest.unexpected[:5]
    assert ingest.slowest < ANSWER_BOUND_SECONDS, f"an answer took {ingest.slowest:.1f} s"
    await settled(stack, scenario, ingest, alive=workers.assert_alive)
    await assert_totals_equal_sent(stack, scenario, ingest)
    await assert_no_duplicate_alert(stack, scenario, rules=1)


async def test_a_worker_killed_again_and_again_loses_and_doubles_no_point(
    api: str, servers_back: FaultStack, workers: Workers
) -> None:
    stack = servers_back
    scenario, ingest, stop, sending = await start(api, stack, workers, "worker kills")
    for _ in range(KILLS):
        # Killed while it works: a batch is applied since it (re)started.
        await eventually(
            more_applied_than(stack, scenario, await applied(stack, scenario)),
            "the worker applying batches",
            within=40,
            alive=workers.assert_alive,
        )
        workers.kill_and_restart()
    await finish(stack, workers, scenario, ingest, stop, sending)
    assert set(ingest.statuses) == {202}, ingest.statuses
    assert len(workers.processes) == KILLS + 1


async def test_redis_killed_and_restarted_during_ingest(
    api: str, servers_back: FaultStack, workers: Workers
) -> None:
    stack = servers_back
    scenario, ingest, stop, sending = await start(api, stack, workers, "redis outage")
    worker = workers.current
    stack.kill_redis()
    accepted = ingest.batches
    async with httpx.AsyncClient(base_url=api, timeout=ANSWER_BOUND_SECONDS) as client:
        # Batches keep being accepted (PostgreSQL holds them); reads keep working.
        await eventually(
            _accepted_beyond(ingest, accepted + 5), "batches accepted while Redis is down",
            within=20, alive=workers.assert_alive,
        )  # fmt: skip
        read = await client.get(
            "/v1/ingest/batches/" + str(await _any_batch(stack, scenario)),
            headers={"Authorization": f"Bearer {scenario.api_key}"},
        )
        assert read.status_code == 200, read.text
        ready = await client.get("/readyz")
        assert ready.status_code == 503, ready.text
        assert "redis" in ready.text
        stack.start_redis()
        await eventually(_ready(client), "/readyz once Redis is back", within=20)
    await finish(stack, workers, scenario, ingest, stop, sending)
    assert set(ingest.statuses) == {202}, ingest.statuses
    assert workers.processes == [worker]  # the same process came back by itself
    assert ingest.batches > accepted + 5


async def test_postgres_stopped_and_restarted_during_ingest(
    api: str, servers_back: FaultStack, workers: Workers
) -> None:
    stack = servers_back
    scenario, ingest, stop, sending = await start(api, stack, workers, "postgres outage")
    worker = workers.current
    refused = ingest.statuses[503]
    stack.stop_postgres()
    await eventually(
        _refused_beyond(ingest, refused + 3), "clear 503s while PostgreSQL is down", within=20
    )
    async with httpx.AsyncClient(base_url=api, timeout=ANSWER_BOUND_SECONDS) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 503, ready.text
        stack.start_postgres()
        accepted = ingest.batches
        await eventually(
            _accepted_beyond(ingest, accepted + 5), "batches accepted again", within=30,
            alive=workers.assert_alive,
        )  # fmt: skip
        await eventually(_ready(client), "/readyz once PostgreSQL is back", within=20)
    await finish(stack, workers, scenario, ingest, stop, sending)
    assert set(ingest.statuses) == {202, 503}, ingest.statuses
    assert workers.processes == [worker]  # the same process came back by itself


def _accepted_beyond(ingest: Ingest, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return ingest.batches > count

    return check


def _refused_beyond(ingest: Ingest, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        assert not ingest.unexpected, ingest.unexpected[:5]
        return ingest.statuses[503] > count

    return check


def _ready(client: httpx.AsyncClient) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await client.get("/readyz")).status_code == 200

    return check


async def _any_batch(stack: FaultStack, scenario: Scenario) -> object:
    rows = await stack.query(
        "SELECT id FROM ingest_batches WHERE integration_id = $1::uuid LIMIT 1",
        scenario.integration_id,
    )
    return rows[0]["id"]
