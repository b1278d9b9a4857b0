"""/metrics/cluster: the deployment's queue, ingest lag, outbox and alerts, read at NOW."""

import dataclasses
from datetime import timedelta

from redis.asyncio import Redis
from sqlalchemy import event

from services.api.runtime import Runtime
from shared.actor import Role
from shared.alerts.models import Alert, AlertStatus
from shared.embedded import free_port
from shared.ingestion.models import BatchStatus, IngestBatch
from shared.notifications.models import (
    Delivery,
    DeliveryStatus,
    EndpointFormat,
    NotificationEndpoint,
)
from shared.rules.models import Condition, Rule, Severity
from tests.helpers import Tenant
from tests.telemetry.conftest import NOW, Monotonic, id_at, value


async def scrape(client) -> str:
    response = await client.get("/metrics/cluster")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return str(response.text)


def ms(seconds_from_now: float) -> int:
    return int((NOW.timestamp() + seconds_from_now) * 1000)


async def test_queue_depth_and_the_age_of_the_oldest_due_job(cluster_app, client, runtime):
    queue = runtime.settings.queue_name
    await runtime.redis.zadd(queue, {"old": ms(-30), "new": ms(-5), "retry-later": ms(60)})
    text = await scrape(client)
    assert value(text, "campaignops_queue_jobs", state="due") == 2
    assert value(text, "campaignops_queue_jobs", state="scheduled") == 1
    assert value(text, "campaignops_queue_oldest_due_age_seconds") == 30


def batch(tenant: Tenant, status: BatchStatus, received_ago: float, **fields) -> IngestBatch:
    received = NOW - timedelta(seconds=received_ago)
    return IngestBatch(
        id=id_at(received),
        created_at=received,
        workspace_id=tenant.workspace_id,
        webhook_id=f"msg_{id_at(received).hex}",
        status=status,
        points=[],
        point_count=0,
        **fields,
    )


async def test_ingest_lag_from_received_to_applied(cluster_app, client, session, tenant):
    def applied(received_ago: float, lag: float) -> IngestBatch:
        at = NOW - timedelta(seconds=received_ago - lag)
        return batch(tenant, BatchStatus.applied, received_ago, applied_at=at)

    session.add_all(
        [
            batch(tenant, BatchStatus.received, 120),
            batch(tenant, BatchStatus.received, 30),
            batch(tenant, BatchStatus.failed, 86_400, attempts=5),
            applied(10, lag=3),
            applied(20, lag=1),
            applied(7200, lag=1),  # applied two hours ago: not in the last 5 minutes
        ]
    )
    await session.flush()
    text = await scrape(client)
    assert value(text, "campaignops_ingest_batches", status="received") == 2
    assert value(text, "campaignops_ingest_batches", status="failed") == 1
    assert value(text, "campaignops_ingest_oldest_unapplied_age_seconds") == 120
    assert value(text, "campaignops_ingest_recently_applied_batches") == 2
    assert value(text, "campaignops_ingest_lag_seconds", quantile="1.0") == 3
    assert value(text, "campaignops_ingest_lag_seconds", quantile="0.5") == 2


async def test_nothing_waiting_reads_zero_not_absent(cluster_app, client):
    text = await scrape(client)
    assert value(text, "campaignops_ingest_oldest_unapplied_age_seconds") == 0
    assert value(text, "campaignops_queue_oldest_due_age_seconds") == 0
    assert value(text, "campaignops_alerts_open", status="firing", severity="critical") == 0


async def test_deliveries_per_endpoint_and_alerts_firing(cluster_app, client, session, tenant):
    endpoint = NotificationEndpoint(
        workspace_id=tenant.workspace_id,
        name="Ops Slack",
        url="https://hooks.example.com/ops",
        format=EndpointFormat.webhook,
        secret="whsec_" + "A" * 32,
    )
    session.add(endpoint)
    await session.flush()

    def delivery(status: DeliveryStatus, attempts: int, created_ago: timedelta) -> Delivery:
        made = id_at(NOW - created_ago)
        return Delivery(
            id=made,
            workspace_id=tenant.workspace_id,
            endpoint_id=endpoint.id,
            event_kind="alert.fired",
            payload={},
            webhook_id=f"msg_{made.hex}",
            status=status,
            attempts=attempts,
        )

    minutes, days = timedelta(minutes=1), timedelta(days=1)
    session.add_all(
        [
            delivery(DeliveryStatus.pending, 0, minutes),
            delivery(DeliveryStatus.pending, 3, 90 * minutes),
            delivery(DeliveryStatus.pending, 1, minutes),
            delivery(DeliveryStatus.dead, 8, days),
            delivery(DeliveryStatus.dead, 8, 5 * days),  # died long ago: outside the window
            delivery(DeliveryStatus.delivered, 1, minutes),
        ]
    )
    campaign = await client.post(
        "/v1/campaigns",
        json={"name": "618 skincare push", "kind": "promotion"},
        headers=tenant.auth(Role.editor),
    )
    assert campaign.status_code == 201, campaign.text
    rule = Rule(
        workspace_id=tenant.workspace_id,
        name="CTR under target",
        condition=Condition.below_target,
        params={"metric": "ctr", "percent": "20"},
        severity=Severity.critical,
    )
    session.add(rule)
    await session.flush()
    for number, status in enumerate(
        [AlertStatus.firing, AlertStatus.firing, AlertStatus.acknowledged, AlertStatus.resolved]
    ):
        session.add(
            Alert(
                workspace_id=tenant.workspace_id,
                rule_id=rule.id,
                campaign_id=campaign.json()["id"],
                subject=str(number),
                fingerprint=f"{rule.id}:{number}",
                status=status,
                severity=Severity.critical,
                message="ctr under target",
                first_seen_at=NOW,
                last_seen_at=NOW,
            )
        )
    await session.flush()

    text = await scrape(client)
    endpoint_id = str(endpoint.id)
    assert value(text, "campaignops_deliveries", endpoint_id=endpoint_id, state="pending") == 1
    assert value(text, "campaignops_deliveries", endpoint_id=endpoint_id, state="failed") == 2
    assert value(text, "campaignops_deliveries", endpoint_id=endpoint_id, state="dead") == 1
    assert value(text, "campaignops_alerts_open", status="firing", severity="critical") == 2
    assert value(text, "campaignops_alerts_open", status="acknowledged", severity="critical") == 1


async def test_a_scrape_reads_the_database_once_per_cache_period(
    cluster_app, client, session, tenant, monotonic: Monotonic, engine
):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        first = await scrape(client)
        reads = len(statements)
        session.add(batch(tenant, BatchStatus.received, 60))
        await session.flush()
        statements.clear()
        again = await scrape(client)  # within 5 s: the same figures, no query
        assert statements == []
        assert again == first
        monotonic.seconds += 5
        later = await scrape(client)
        assert len(statements) == reads
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert value(first, "campaignops_ingest_batches", status="received") == 0
    assert value(later, "campaignops_ingest_batches", status="received") == 1
    # Ingest: waiting/failed and recent lag; outbox: owed and dead; open alerts.
    assert reads == 5


async def test_every_query_of_a_scrape_is_served_by_an_index(cluster_app, client, session, engine):
    queries: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            queries.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", keep)
    try:
        await scrape(client)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", keep)
    assert len(queries) == 5
    connection = await session.connection()
    # Tables are tiny here, so forbid what a big table would make slow: with sequential
    # scans priced out, a plan that still has one found no index to use.
    await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    for statement, parameters in queries:
        plan = await connection.exec_driver_sql("EXPLAIN " + statement, parameters)
        text = "\n".join(row[0] for row in plan)
        assert "Seq Scan" not in text, f"{statement}\n{text}"


async def test_redis_unreachable_still_serves_the_database_figures(
    cluster_app, client, runtime: Runtime
):
    unreachable = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    cluster_app.state.runtime = dataclasses.replace(runtime, redis=unreachable)
    try:
        text = await scrape(client)
    finally:
        await unreachable.aclose()
    assert value(text, "campaignops_cluster_source_up", source="redis") == 0
    assert value(text, "campaignops_cluster_source_up", source="database") == 1
    assert value(text, "campaignops_queue_jobs", state="due") is None
    assert value(text, "campaignops_ingest_batches", status="received") == 0
