"""What must hold after the chaos, read from PostgreSQL."""

from collections.abc import Callable
from decimal import Decimal

from tests.faults.seed import Scenario
from tests.faults.stack import FaultStack, eventually
from tests.faults.traffic import Ingest

SETTLE_SECONDS = 45  # the sweeper re-queues a lost batch within ~5 s; a loaded machine


async def settled(
    stack: FaultStack, scenario: Scenario, ingest: Ingest, *, alive: Callable[[], None]
) -> None:
    """Every acknowledged batch applied (none failed, none still waiting)."""
    seen: dict[str, int] = {}

    async def check() -> bool:
        rows = await stack.query(
            "SELECT status, count(*) AS n FROM ingest_batches"
            " WHERE integration_id = $1::uuid GROUP BY status",
            scenario.integration_id,
        )
        counts = {row["status"]: row["n"] for row in rows}
        seen.clear()
        seen.update(counts)
        assert set(counts) <= {"received", "applied"}, counts  # none failed nor rejected
        assert sum(counts.values()) == ingest.batches, (counts, ingest.batches)
        return counts.get("applied") == ingest.batches

    try:
        await eventually(check, "every accepted batch applied", within=SETTLE_SECONDS, alive=alive)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; batches by status: {seen}, sent {ingest.batches}") from None


async def assert_totals_equal_sent(stack: FaultStack, scenario: Scenario, ingest: Ingest) -> None:
    """The stored figures, hourly and their day rollups, add up to exactly what was sent."""
    hours = await stack.query(
        "SELECT metric_key, sum(value) AS total FROM metric_points"
        " WHERE campaign_id = $1 GROUP BY metric_key",
        scenario.campaign_id,
    )
    days = await stack.query(
        "SELECT metric_key, sum(total) AS total FROM metric_days"
        " WHERE campaign_id = $1 GROUP BY metric_key",
        scenario.campaign_id,
    )
    sent = {metric: Decimal(total) for metric, total in ingest.sent.items()}
    assert {row["metric_key"]: row["total"] for row in hours} == sent
    assert {row["metric_key"]: row["total"] for row in days} == sent


async def assert_no_duplicate_alert(stack: FaultStack, scenario: Scenario, *, rules: int) -> None:
    """Each rule fired one alert, told once (one `alert.fired` event each)."""
    alerts = await stack.query(
        "SELECT a.rule_id, a.status, count(e.id) AS told FROM alerts a"
        " LEFT JOIN events e ON e.subject_id = a.id AND e.kind = 'alert.fired'"
        " WHERE a.workspace_id = $1 GROUP BY a.id, a.rule_id, a.status",
        scenario.workspace_id,
    )
    assert len(alerts) == rules, alerts
    assert len({row["rule_id"] for row in alerts}) == rules, alerts
    assert all(row["status"] == "firing" and row["told"] == 1 for row in alerts), alerts
