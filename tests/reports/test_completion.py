"""Completion rates against the day's share of each goal, computed by hand."""

from datetime import date
from decimal import Decimal

import pytest

from shared.campaigns.models import Direction, TargetKind
from shared.reports.completion import (
    GoalTerms,
    achievement_rate,
    basis,
    change_percent,
    completion_rate,
    day_target,
)

# A 20-day campaign: 2024-06-01..06-20.
START, END = date(2024, 6, 1), date(2024, 6, 20)
JUNE_10 = date(2024, 6, 10)


def goal(
    key: str,
    target: str | None,
    *,
    cumulative: bool = True,
    kind: TargetKind = TargetKind.absolute,
    baseline: str | None = None,
    lower: bool = False,
) -> GoalTerms:
    return GoalTerms(
        metric_key=key,
        target_kind=kind,
        target_value=None if target is None else Decimal(target),
        baseline_value=None if baseline is None else Decimal(baseline),
        direction=Direction.lower_is_better if lower else Direction.higher_is_better,
        cumulative=cumulative,
    )


def rate(terms: GoalTerms, actual: str | None, day: date = JUNE_10) -> Decimal | None:
    target = day_target(terms, day=day, start_date=START, end_date=END)
    return completion_rate(terms, actual=None if actual is None else Decimal(actual), target=target)


NEW_USERS = goal("new_users", "4000")  # 4,000 over 20 days: 200 a day
GMV = goal("gmv", "1000000")  # 50,000 a day
CTR = goal("ctr", "0.015", cumulative=False)  # a rate: every day against 1.5%


@pytest.mark.parametrize(
    ("terms", "actual", "expected"),
    [
        # The brief's 2024-06-10 rows: social feed, offline store, then the total.
        (NEW_USERS, "175", "87.50"),  # 175 / 200
        (NEW_USERS, "160", "80.00"),
        (NEW_USERS, "335", "167.50"),  # the channels' rates add up to the total's
        (GMV, "35000", "70.00"),  # 35,000 / 50,000
        (GMV, "32000", "64.00"),
        (GMV, "67000", "134.00"),
        (CTR, "0.021", "140.00"),  # 2.1% / 1.5%
        (CTR, str(Decimal(1050) / Decimal(52000)), "134.62"),  # the total's CTR, 2.019%
        (CTR, None, None),  # the offline store measures no CTR: no rate, not 0%
    ],
)
def test_the_brief_day_against_its_share_of_each_goal(terms, actual, expected):
    assert rate(terms, actual) == (None if expected is None else Decimal(expected))


def test_day_targets_and_their_basis():
    assert day_target(NEW_USERS, day=JUNE_10, start_date=START, end_date=END) == 200
    assert basis(NEW_USERS) == "day_share"
    assert day_target(CTR, day=JUNE_10, start_date=START, end_date=END) == Decimal("0.015")
    assert basis(CTR) == "target"
    # A third of 1,000 over a 3-day campaign: unrounded, so rates come out exact.
    thirds = day_target(
        goal("gmv", "1000"), day=date(2024, 6, 2), start_date=START, end_date=date(2024, 6, 3)
    )
    assert completion_rate(GMV, actual=Decimal("1000") / 3, target=thirds) == Decimal("100.00")


def test_a_lift_goal_aims_at_the_lifted_baseline():
    # +30% over a baseline of 10,000 searches in the period: 13,000, so 650 a day.
    searches = goal("search_volume", "30", kind=TargetKind.relative_lift, baseline="10000")
    assert day_target(searches, day=JUNE_10, start_date=START, end_date=END) == 650
    assert rate(searches, "520") == Decimal("80.00")
    # A lift of a rate is not shared out: 2% lifted by 25% is 2.5% every day.
    ctr_lift = goal("ctr", "25", kind=TargetKind.relative_lift, baseline="0.02", cumulative=False)
    assert rate(ctr_lift, "0.03") == Decimal("120.00")
    no_baseline = goal("search_volume", "30", kind=TargetKind.relative_lift)
    assert rate(no_baseline, "520") is None


def test_lower_is_better_inverts_so_100_still_means_on_target():
    cpa = goal("cpa", "20", cumulative=False, lower=True)
    assert rate(cpa, "25") == Decimal("80.00")  # 20 / 25: a fifth over the target cost
    assert rate(cpa, "16") == Decimal("125.00")
    assert rate(cpa, "0") is None
    complaints = goal("negative_comments", "50", lower=True)  # at most 50: 2.5 a day
    assert rate(complaints, "5") == Decimal("50.00")


def test_no_rate_outside_the_campaign_or_without_a_target():
    assert rate(NEW_USERS, "175", day=date(2024, 5, 31)) is None
    assert rate(NEW_USERS, "175", day=date(2024, 6, 21)) is None
    assert rate(goal("new_users", None), "175") is None
    assert day_target(NEW_USERS, day=JUNE_10, start_date=None, end_date=END) is None
    # A rate goal needs no dates: each day is judged against the target.
    assert day_target(CTR, day=JUNE_10, start_date=None, end_date=None) == Decimal("0.015")


def test_achievement_and_week_over_week_change():
    assert achievement_rate(NEW_USERS, actual=Decimal(180000) / 100) == Decimal("45.00")
    searches = goal("search_volume", "30", kind=TargetKind.relative_lift, baseline="10000")
    assert achievement_rate(searches, actual=Decimal(14500)) == Decimal("150.00")  # +45% of +30%
    assert achievement_rate(goal("cpa", "20", lower=True), actual=Decimal(25)) == Decimal("80.00")
    assert change_percent(Decimal(2450), Decimal(2100)) == Decimal("16.67")
    assert change_percent(Decimal(90), Decimal(100)) == Decimal("-10.00")
    assert change_percent(Decimal(5), Decimal(0)) is None
    assert change_percent(Decimal(5), None) is None
