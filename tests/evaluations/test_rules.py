"""The evaluation's pure rules: outcomes, the manuals' "1:X", sample minimums, ranking."""

from decimal import Decimal

import pytest

from shared.evaluations import rules
from shared.evaluations.rules import Rankable


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("90.00", "missed"),
        ("99.99", "missed"),
        ("100.00", "met"),
        ("150.00", "met"),
        (None, "unmeasured"),
    ],
)
def test_a_goal_is_met_at_100_percent_or_more(rate, expected):
    assert rules.outcome(None if rate is None else Decimal(rate)) == expected


@pytest.mark.parametrize(
    ("roi", "shown"),
    [("5.2", "1:5.2"), ("4", "1:4"), ("5.2000", "1:5.2"), ("4.6364", "1:4.64"), ("0.5", "1:0.5")],
)
def test_roi_is_written_as_the_manuals_do(roi, shown):
    assert rules.roi_display(Decimal(roi)) == shown


def test_ratios_and_costs_are_null_safe_on_zero():
    assert rules.ratio(Decimal(1_300_000), Decimal(0)) is None
    assert rules.ratio(Decimal(1_300_000), None) is None
    assert rules.ratio(Decimal(1_300_000), Decimal(250_000)) == Decimal("5.2000")
    assert rules.per_unit(Decimal(260_000), Decimal(0)) is None
    assert rules.per_unit(Decimal(260_000), Decimal(180_000)) == Decimal("1.44")
    assert rules.roi_display(None) is None


def test_shares_of_a_campaign_total():
    assert rules.share_percent(Decimal(120_000), Decimal(180_000)) == Decimal("66.67")
    assert rules.share_percent(Decimal(5), Decimal(0)) is None
    assert rules.share_percent(None, Decimal(10)) is None


def test_a_channel_with_twelve_clicks_has_too_small_a_sample():
    shortfalls = rules.sample_shortfalls(Decimal(12), Decimal(2))
    assert shortfalls == ["12 clicks, fewer than 100", "2 conversions, fewer than 30"]
    assert rules.sample_shortfalls(Decimal(100), Decimal(30)) == []


def test_a_channel_that_reports_no_clicks_is_judged_on_conversions():
    assert rules.sample_shortfalls(None, Decimal(160)) == []  # an offline store
    assert rules.sample_shortfalls(None, None) == ["0 conversions, fewer than 30"]


def test_small_samples_rank_after_every_sufficient_channel_whatever_their_roi():
    order = rules.ranked(
        [
            Rankable("short_video", Decimal(50), Decimal(5_000), insufficient_sample=True),
            Rankable("ecommerce", Decimal("4.6364"), Decimal(695_000), insufficient_sample=False),
            Rankable("offline_store", None, None, insufficient_sample=False),
            Rankable("social_feed", Decimal(6), Decimal(600_000), insufficient_sample=False),
        ]
    )
    assert [c.key for c in order] == ["social_feed", "ecommerce", "offline_store", "short_video"]


def test_equal_roi_ranks_by_revenue_then_key():
    order = rules.ranked(
        [
            Rankable("b", Decimal(2), Decimal(10), insufficient_sample=False),
            Rankable("a", Decimal(2), Decimal(10), insufficient_sample=False),
            Rankable("c", Decimal(2), Decimal(20), insufficient_sample=False),
        ]
    )
    assert [c.key for c in order] == ["c", "a", "b"]


def test_tally_counts_outcomes():
    assert rules.tally(["met", "missed", "met", "unmeasured"]) == rules.Tally(2, 1, 1)
