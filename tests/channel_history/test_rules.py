"""The channel history's pure rules: the month window, the spread across campaigns, and
pooling that never averages ratios."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from shared.allocations.summary import ChannelMoney
from shared.channel_history import rules
from shared.channel_history.rules import CampaignChannel
from shared.evaluations.rules import CENT, RATIO

D = Decimal


@pytest.mark.parametrize(
    ("now", "months", "since"),
    [
        ("2024-12-02T09:30:00", 12, "2023-12-02T09:30:00"),
        ("2024-12-02T09:30:00", 1, "2024-11-02T09:30:00"),
        ("2024-01-15T00:00:00", 1, "2023-12-15T00:00:00"),
        ("2024-03-31T12:00:00", 1, "2024-02-29T12:00:00"),  # 2024 is a leap year
        ("2025-03-31T12:00:00", 1, "2025-02-28T12:00:00"),
        ("2024-12-02T09:30:00", 60, "2019-12-02T09:30:00"),
    ],
)
def test_the_window_starts_the_same_day_and_time_months_before(now, months, since):
    moment = datetime.fromisoformat(now).replace(tzinfo=UTC)
    assert rules.months_before(moment, months) == datetime.fromisoformat(since).replace(tzinfo=UTC)


def test_the_spread_interpolates_between_campaigns():
    found = rules.spread([D("3.0000"), None, D("6.0000"), D("4.1667")], RATIO)
    assert found == rules.Spread(
        campaigns=3,
        minimum=D("3.0000"),
        p25=D("3.5834"),  # halfway between 3 and 4.1667, half up
        median=D("4.1667"),
        p75=D("5.0834"),
        maximum=D("6.0000"),
    )
    one = rules.spread([D("48")], CENT)
    assert (one.campaigns, one.minimum, one.median, one.maximum) == (
        1,
        D("48.00"),
        D("48.00"),
        D("48.00"),
    )
    assert rules.spread([None, None], CENT) == rules.Spread(0, None, None, None, None, None)


def _roi(inputs):
    revenue, spend = inputs.get("revenue"), inputs.get("spend")
    return None if revenue is None or not spend else revenue / spend


def _conversion_rate(inputs):
    conversions, clicks = inputs.get("conversions"), inputs.get("clicks")
    return None if conversions is None or not clicks else conversions / clicks


def campaign(
    *, expenses=None, spend=None, revenue=None, clicks=None, conversions=None
) -> CampaignChannel:
    """A campaign's channel as the budget by channel computes it."""
    pushed = {"spend": spend, "revenue": revenue, "clicks": clicks, "conversions": conversions}
    pushed = {k: None if v is None else D(v) for k, v in pushed.items()}
    spent = D(expenses) if expenses is not None else pushed["spend"]
    roi = _roi({**pushed, "spend": spent})
    money = ChannelMoney(
        key="social_feed",
        name="Social feed",
        planned=D(0),
        expenses=None if expenses is None else D(expenses),
        pushed_spend=pushed["spend"],
        revenue=pushed["revenue"],
        gmv=None,
        roi=None if roi is None else roi.quantize(RATIO),
    )
    return rules.campaign_channel(money, pushed=pushed, conversion_rate=_conversion_rate)


def test_ratios_are_pooled_from_the_campaigns_figures_never_averaged():
    found = [
        campaign(
            expenses="120000", spend="100000", revenue="500000", clicks="50000", conversions="2500"
        ),
        campaign(spend="80000", revenue="480000", clicks="40000", conversions="1600"),
        campaign(spend="50000", revenue="150000", clicks="10000", conversions="400"),
    ]
    pooled = rules.pool(found, roi=_roi, conversion_rate=_conversion_rate)
    assert pooled.campaigns == 3
    assert pooled.spend == D("250000")  # finance's 120,000, then the pushed spends
    assert dict(pooled.spend_sources) == {"expenses": 1, "pushed": 2, "none": 0}
    assert (pooled.expenses, pooled.pushed_spend) == (D("120000"), D("230000"))
    assert pooled.roi == D("4.5200")  # 1,130,000 / 250,000; the mean of the ROIs is 4.39
    assert pooled.cpa == D("55.56")  # 250,000 / 4,500
    assert pooled.conversion_rate == D("0.0450")  # 4,500 / 100,000
    assert not pooled.insufficient_sample
    assert pooled.cpa_spread.median == D("50.00")


def test_a_campaign_without_spend_or_clicks_does_not_bend_the_ratios():
    found = [
        campaign(spend="100000", revenue="500000", clicks="50000", conversions="2500"),
        campaign(revenue="900000", conversions="300"),  # a store: no spend, no clicks
    ]
    pooled = rules.pool(found, roi=_roi, conversion_rate=_conversion_rate)
    assert pooled.revenue == D("1400000")
    assert dict(pooled.spend_sources) == {"expenses": 0, "pushed": 1, "none": 1}
    assert pooled.roi == D("5.0000")  # over the campaign with a spend only
    assert pooled.roi_spread.campaigns == 1
    assert pooled.conversion_rate == D("0.0500")  # the store's 300 are not over its clicks
    assert pooled.cpa == D("40.00")
    assert pooled.conversions == D("2800")


def test_thin_evidence_is_flagged_by_the_evaluations_rule():
    pooled = rules.pool(
        [campaign(spend="100", revenue="5000", clicks="12", conversions="2")],
        roi=_roi,
        conversion_rate=_conversion_rate,
    )
    assert pooled.insufficient_sample
    assert pooled.sample_shortfalls == ["12 clicks, fewer than 100", "2 conversions, fewer than 30"]
    nothing = rules.pool([campaign(revenue="1000")], roi=_roi, conversion_rate=_conversion_rate)
    assert (nothing.spend, nothing.roi, nothing.cpa, nothing.conversion_rate) == (
        D(0),
        None,
        None,
        None,
    )


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 10, 101])
def test_a_spread_from_the_ranks_postgresql_picks_equals_the_spread_of_every_value(size):
    """PostgreSQL returns of a long sorted sample only the values at `ranks_read`: the
    spread read from them is the spread of them all."""
    values = [D(7 * i % 13) + D(i) / 3 for i in range(size)]
    ordered = sorted(values)
    picked = rules.Ranked(size, {rank: ordered[rank] for rank in rules.ranks_read(size)})
    assert rules.spread_of(picked, RATIO) == rules.spread(values, RATIO)
