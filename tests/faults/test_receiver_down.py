"""A receiver down for longer than several retry steps: every notification reaches it
once it is back, under the webhook-id it was first sent with, and none twice."""

import json
from datetime import UTC, datetime

import httpx
import pytest

from shared.embedded import free_port
from tests.faults.checks import assert_no_duplicate_alert, assert_totals_equal_sent, settled
from tests.faults.seed import seed
from tests.faults.stack import FAST_RECOVERY, FaultStack, Workers, eventually
from tests.faults.traffic import Ingest, Receiver, ReceiverServer

pytestmark = pytest.mark.faults

# Two rules, each passed by the first batch (~600 clicks, ~600 impressions): two alerts.
THRESHOLDS = {"clicks": 10, "impressions": 20}
RETRY_STEPS = len(json.loads(FAST_RECOVERY["NOTIFY_RETRY_DELAYS_SECONDS"]))
FAILED_STEPS = 3  # attempts each delivery fails while the receiver is down


async def test_every_alert_reaches_a_receiver_that_was_down(
    api: str, servers_back: FaultStack, workers: Workers
) -> None:
    stack = servers_back
    receiver = Receiver()
    server = ReceiverServer(receiver, free_port())  # nothing listens there yet
    now = datetime.now(UTC)
    scenario = await seed(
        stack.database_url, name="receiver down", now=now, thresholds=THRESHOLDS,
        receiver_url=server.url,
    )  # fmt: skip
    workers.start()
    ingest = Ingest(api, scenario, now)
    async with httpx.AsyncClient(timeout=10) as client:
        for _ in range(3):
            await ingest.send_one(client)
    assert not ingest.unexpected, ingest.unexpected

    async def failed_steps() -> bool:
        rows = await stack.query(
            "SELECT d.status, d.attempts FROM deliveries d WHERE d.workspace_id = $1",
            scenario.workspace_id,
        )
        assert all(row["status"] == "pending" for row in rows), rows  # none dead, none sent
        return len(rows) == len(THRESHOLDS) and all(row["attempts"] >= FAILED_STEPS for row in rows)

    await eventually(failed_steps, "attempts while the receiver is down", within=30,
                     alive=workers.assert_alive)  # fmt: skip
    # Back, on the same address; still failing the first request of each delivery.
    receiver.refusing = len(THRESHOLDS)
    await server.start()
    try:

        async def delivered() -> bool:
            rows = await stack.query(
                "SELECT status FROM deliveries WHERE workspace_id = $1", scenario.workspace_id
            )
            assert all(row["status"] != "dead" for row in rows), rows
            return all(row["status"] == "delivered" for row in rows)

        await eventually(delivered, "every delivery delivered", within=30,
                         alive=workers.assert_alive)  # fmt: skip
    finally:
        await server.stop()

    alerts = await stack.query(
        "SELECT id FROM alerts WHERE workspace_id = $1", scenario.workspace_id
    )
    assert {str(row["id"]) for row in alerts} == set(receiver.requests)
    for alert_id, webhook_ids in receiver.requests.items():
        # Refused once, then taken: the same webhook-id both times, never another.
        assert len(webhook_ids) >= 2, (alert_id, webhook_ids)
        assert len(set(webhook_ids)) == 1, (alert_id, webhook_ids)
    assert receiver.answered[204] == len(THRESHOLDS), receiver.answered
    attempts = await stack.query(
        "SELECT d.attempts, count(a.id) AS logged FROM deliveries d"
        " JOIN delivery_attempts a ON a.delivery_id = d.id WHERE d.workspace_id = $1"
        " GROUP BY d.id, d.attempts",
        scenario.workspace_id,
    )
    assert all(FAILED_STEPS + 2 <= row["attempts"] <= RETRY_STEPS for row in attempts), attempts
    await settled(stack, scenario, ingest, alive=workers.assert_alive)
    await assert_totals_equal_sent(stack, scenario, ingest)
    await assert_no_duplicate_alert(stack, scenario, rules=len(THRESHOLDS))
