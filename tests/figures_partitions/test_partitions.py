"""Monthly partitions of the hourly points: a point always finds a home, the worker's
months take over what the DEFAULT partition caught, and old months go whole while the
day rollups keep answering for them."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shared.errors import Invalid
from shared.figures import partitions, retention, series
from shared.figures.models import MetricDay, MetricPoint
from shared.figures.partitions import Month
from shared.metrics import service as metrics
from tests.figures_partitions.data import (
    SHANGHAI,
    at,
    campaign_with_channel,
    partition_of_points,
    write_hours,
)

DEFAULT = "metric_partitions.metric_points_default"


def test_months_run_from_the_late_window_through_the_months_ahead():
    now = at(2031, 1, 15, 9)
    months = partitions.months_to_keep_made(now=now, since=now - timedelta(days=30), ahead=3)
    assert [str(m) for m in months] == ["2030-12", "2031-01", "2031-02", "2031-03", "2031-04"]
    assert Month(2030, 12).end == at(2031, 1, 1)


async def test_a_point_beyond_every_month_lands_in_default_then_moves_into_its_month(
    session, tenant
):
    campaign, channel = await campaign_with_channel(session, tenant.workspace_id)
    await write_hours(session, campaign, channel, metric="clicks", start=at(2031, 5, 10), hours=3)
    assert await partition_of_points(session, campaign) == {DEFAULT: 3}

    made = await partitions.ensure(session, months=[Month(2031, 5), Month(2031, 6)])
    assert made == [Month(2031, 5), Month(2031, 6)]
    assert await partition_of_points(session, campaign) == {
        "metric_partitions.metric_points_2031_05": 3
    }
    assert await partitions.ensure(session, months=[Month(2031, 5)]) == []  # already there
    # The moved points are the same figures, and new ones go straight to their month.
    await write_hours(session, campaign, channel, metric="clicks", start=at(2031, 5, 10), hours=4)
    assert await partition_of_points(session, campaign) == {
        "metric_partitions.metric_points_2031_05": 4
    }


async def test_old_months_go_whole_and_days_still_answer_for_them(session, tenant):
    await partitions.ensure(
        session, months=partitions.months_between(Month(2020, 1), Month(2020, 3))
    )
    campaign, channel = await campaign_with_channel(session, tenant.workspace_id)
    for start in (at(2020, 1, 10), at(2020, 2, 10), at(2020, 3, 10)):
        await write_hours(session, campaign, channel, metric="clicks", start=start, hours=24)
    # Caught by DEFAULT (no such month made): dropped with the months before the cutoff.
    await write_hours(session, campaign, channel, metric="clicks", start=at(2019, 6, 1), hours=2)

    # 400 days before 2021-03-20 is 2020-02-13: January goes, February has younger hours.
    now = at(2021, 3, 20)
    dropped = await retention.drop_old_hours(session, now=now, days=400)
    assert dropped == [Month(2020, 1)]
    assert await partition_of_points(session, campaign) == {
        "metric_partitions.metric_points_2020_02": 24,
        "metric_partitions.metric_points_2020_03": 24,
    }
    assert Month(2020, 1) not in await partitions.existing(session)
    days = await session.scalar(
        select(func.count()).select_from(MetricDay).where(MetricDay.campaign_id == campaign.id)
    )
    assert days == 3 * 2 + 1  # each 24 UTC hours straddle two Shanghai days; 2019's one day

    dictionary = await metrics.dictionary(session, workspace_id=campaign.workspace_id)
    january = await series.read_series(
        session,
        campaign=campaign,
        dictionary=dictionary,
        metric_key="clicks",
        granularity="month",
        start=datetime(2020, 1, 1, tzinfo=SHANGHAI),
        end=datetime(2020, 2, 1, tzinfo=SHANGHAI),
        hourly_since=retention.hourly_horizon(now, days=400),
    )
    assert [p.value for p in january.total] == [Decimal(24)]

    with pytest.raises(Invalid) as refused:
        await series.read_series(
            session,
            campaign=campaign,
            dictionary=dictionary,
            metric_key="clicks",
            granularity="hour",
            start=at(2020, 1, 10),
            end=at(2020, 1, 11),
            hourly_since=retention.hourly_horizon(now, days=400),
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("from", "beyond_hourly_retention")
    ]
    # Hours within the horizon still read from the points.
    march = await series.read_series(
        session,
        campaign=campaign,
        dictionary=dictionary,
        metric_key="clicks",
        granularity="hour",
        start=at(2020, 3, 10),
        end=at(2020, 3, 10, 6),
        hourly_since=retention.hourly_horizon(at(2021, 3, 1), days=400),
    )
    assert [p.value for p in march.total] == [Decimal(1)] * 6


async def test_caught_points_across_a_month_end_each_go_to_their_month(session, tenant):
    campaign, channel = await campaign_with_channel(session, tenant.workspace_id)
    start = at(2033, 2, 28, 20)
    await write_hours(session, campaign, channel, metric="impressions", start=start, hours=8)
    await partitions.ensure(session, months=[Month(2033, 2), Month(2033, 3)])
    assert await partition_of_points(session, campaign) == {
        "metric_partitions.metric_points_2033_02": 4,
        "metric_partitions.metric_points_2033_03": 4,
    }
    total = await session.scalar(
        select(func.sum(MetricPoint.value)).where(MetricPoint.campaign_id == campaign.id)
    )
    assert total == 8
    assert datetime(2033, 3, 1, tzinfo=UTC) == Month(2033, 3).start
