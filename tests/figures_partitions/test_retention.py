"""Retention of what nobody reads again: raw batch points, finished deliveries, events;
and the bounds that keep hourly points through the late-data window."""

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from shared.config import Settings
from shared.events import retention as event_retention
from shared.events.models import Event
from shared.ingestion import retention as batch_retention
from shared.ingestion.apply import LATE_WINDOW
from shared.ingestion.models import BatchStatus, IngestBatch
from shared.notifications import retention as delivery_retention
from shared.notifications.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    EndpointFormat,
    NotificationEndpoint,
)
from tests.figures_partitions.data import at, id_made_at

CUTOFF = at(2026, 9, 1)
OLD, RECENT = CUTOFF - timedelta(days=3), CUTOFF + timedelta(hours=1)
POINTS = [{"campaign": "CMP-1", "channel": "tv", "metric": "clicks", "value": 1}]


async def test_old_finished_batches_lose_their_raw_points_and_keep_the_rest(session, tenant):
    def batch(made, status: BatchStatus, name: str) -> IngestBatch:
        return IngestBatch(
            id=id_made_at(made),
            workspace_id=tenant.workspace_id,
            webhook_id=name,
            status=status,
            points=POINTS,
            point_count=1,
            accepted_count=1,
        )

    batches = [
        batch(OLD, BatchStatus.applied, "old-applied"),
        batch(OLD, BatchStatus.failed, "old-failed"),
        batch(OLD, BatchStatus.received, "old-waiting"),  # the sweeper's, not retention's
        batch(RECENT, BatchStatus.applied, "recent"),
    ]
    session.add_all(batches)
    await session.flush()

    assert await batch_retention.prune_raw_points(session, before=CUTOFF) == 2
    assert await batch_retention.prune_raw_points(session, before=CUTOFF) == 0  # done once
    kept = {
        name: (points, status, count)
        for name, points, status, count in await session.execute(
            select(
                IngestBatch.webhook_id,
                IngestBatch.points,
                IngestBatch.status,
                IngestBatch.accepted_count,
            ).where(IngestBatch.workspace_id == tenant.workspace_id)
        )
    }
    assert kept == {
        "old-applied": (None, BatchStatus.applied, 1),
        "old-failed": (None, BatchStatus.failed, 1),
        "old-waiting": (POINTS, BatchStatus.received, 1),
        "recent": (POINTS, BatchStatus.applied, 1),
    }


async def test_old_finished_deliveries_go_with_their_attempts_pending_ones_stay(session, tenant):
    endpoint = NotificationEndpoint(
        workspace_id=tenant.workspace_id,
        name="Ops",
        url="https://ops.example.com/hook",
        format=EndpointFormat.webhook,
        secret="whsec_" + "A" * 32,
    )
    session.add(endpoint)
    await session.flush()

    def delivery(made, status: DeliveryStatus, name: str) -> Delivery:
        return Delivery(
            id=id_made_at(made),
            workspace_id=tenant.workspace_id,
            endpoint_id=endpoint.id,
            event_kind="alert.fired",
            payload={},
            webhook_id=name,
            status=status,
        )

    rows = [
        delivery(OLD, DeliveryStatus.delivered, "old-delivered"),
        delivery(OLD, DeliveryStatus.dead, "old-dead"),
        delivery(OLD, DeliveryStatus.pending, "old-pending"),
        delivery(RECENT, DeliveryStatus.delivered, "recent"),
    ]
    session.add_all(rows)
    await session.flush()
    session.add(
        DeliveryAttempt(
            workspace_id=tenant.workspace_id, delivery_id=rows[0].id, at=OLD, latency_ms=12
        )
    )
    await session.flush()

    assert await delivery_retention.prune_deliveries(session, before=CUTOFF) == 2
    left = await session.scalars(
        select(Delivery.webhook_id).where(Delivery.endpoint_id == endpoint.id)
    )
    assert set(left) == {"old-pending", "recent"}
    attempts = await session.scalars(
        select(DeliveryAttempt.id).where(DeliveryAttempt.delivery_id == rows[0].id)
    )
    assert list(attempts) == []


async def test_events_older_than_the_period_leave_the_feed(session, tenant):
    def recorded(made, kind: str) -> Event:
        return Event(
            id=id_made_at(made),
            workspace_id=tenant.workspace_id,
            kind=kind,
            subject_type="campaign",
            subject_id=id_made_at(made),
        )

    session.add_all([recorded(OLD, "campaign.activated"), recorded(RECENT, "campaign.completed")])
    await session.flush()
    assert await event_retention.prune_events(session, before=CUTOFF) >= 1
    kinds = await session.scalars(
        select(Event.kind).where(Event.workspace_id == tenant.workspace_id)
    )
    assert list(kinds) == ["campaign.completed"]


def test_hourly_points_outlive_the_late_data_window_and_its_local_days():
    shortest = Settings(hourly_points_retention_days=35)
    assert timedelta(days=shortest.hourly_points_retention_days) >= LATE_WINDOW + timedelta(days=2)
    for setting, value in (
        ("hourly_points_retention_days", 34),
        ("raw_batch_retention_days", 6),
        ("delivery_retention_days", 0),
        ("event_retention_days", 3651),
        ("metric_partitions_ahead_months", 0),
    ):
        with pytest.raises(ValidationError, match=setting):
            Settings.model_validate({setting: value})
