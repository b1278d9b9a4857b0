"""The settlement statement's rules, without a database: variance, variance %, which lines
need an explanation, baseline beside the current plan."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from shared.campaigns.models import BudgetCategory
from shared.settlements.statement import (
    NO_CHANNEL,
    Explanation,
    Money,
    build,
    needs_explanation,
    variance_percent,
)

D = Decimal
PROMO, LABOUR, MATERIALS = (
    BudgetCategory.promotion_media,
    BudgetCategory.labour,
    BudgetCategory.materials,
)


def money(category, channel, amount) -> Money:
    return Money(category, channel, D(amount))


BASELINE = [
    money(PROMO, "offline_store", "200000"),
    money(PROMO, "social_feed", "250000"),
    money(LABOUR, None, "150000"),
]
# An approved change request moved 50,000 from the store to the feed.
CURRENT = [
    money(PROMO, "offline_store", "150000"),
    money(PROMO, "social_feed", "300000"),
    money(LABOUR, None, "150000"),
]
ACTUAL = [
    money(PROMO, "offline_store", "150000"),
    money(PROMO, "social_feed", "330000"),  # 10% over the current plan
    money(LABOUR, None, "151000"),  # 0.67% over
    money(MATERIALS, None, "8000"),  # nothing planned
]


def statement(threshold="5", explanations=None, baseline=BASELINE):
    return build(
        currency="CNY",
        baseline=baseline,
        current=CURRENT,
        actual=ACTUAL,
        threshold_percent=D(threshold),
        explanations=explanations or {},
    )


def test_variance_and_percent_per_category_against_the_current_plan():
    lines = {line.key: line for line in statement().categories}
    assert list(lines) == ["labour", "materials", "promotion_media"]  # the categories' order
    promo = lines["promotion_media"]
    assert (promo.baseline_planned, promo.planned, promo.actual) == (
        D("450000"),
        D("450000"),
        D("480000"),
    )
    assert promo.variance == D("30000")
    assert promo.variance_percent == D("6.67")
    assert promo.needs_explanation
    assert lines["labour"].variance_percent == D("0.67")
    assert not lines["labour"].needs_explanation


def test_per_channel_the_baseline_and_the_current_plan_both_show_a_budget_move():
    lines = {line.key: line for line in statement().channels}
    assert list(lines) == ["channel:offline_store", "channel:social_feed", NO_CHANNEL]
    store, feed = lines["channel:offline_store"], lines["channel:social_feed"]
    assert (store.baseline_planned, store.planned, store.plan_change) == (
        D("200000"),
        D("150000"),
        D("-50000"),
    )
    assert (feed.baseline_planned, feed.planned, feed.plan_change) == (
        D("250000"),
        D("300000"),
        D("50000"),
    )
    # Judged against the current plan: exactly as moved, the store needs nothing.
    assert store.variance == 0
    assert not store.needs_explanation
    assert feed.variance_percent == D("10.00")
    assert feed.needs_explanation
    assert lines[NO_CHANNEL].actual == D("159000")


def test_nothing_planned_has_no_percentage_and_any_spending_needs_an_explanation():
    materials = statement().lines_by_key["materials"]
    assert materials.planned == 0
    assert materials.variance_percent is None
    assert "Nothing was planned" in (materials.variance_note or "")
    assert materials.needs_explanation
    assert variance_percent(D("0"), D("0")) is None
    assert not needs_explanation(D("0"), D("0"), D("5"))


def test_the_threshold_decides_which_lines_need_one():
    at_five = {line.key for line in statement("5").missing_explanations}
    at_ten = {line.key for line in statement("10").missing_explanations}
    assert at_five == {"promotion_media", "materials", "channel:social_feed", NO_CHANNEL}
    # 10% over is not above 10%, nor 6% (no channel); materials (nothing planned) still is.
    assert at_ten == {"materials"}


@pytest.mark.parametrize(
    ("actual", "planned", "needed"),
    [
        ("105000.00", "100000.00", False),  # exactly 5%: not above it
        ("105000.01", "100000.00", True),  # a cent above: judged exactly, not rounded
        ("94999.99", "100000.00", True),  # under-spending counts too
        ("95000.00", "100000.00", False),
    ],
)
def test_the_threshold_is_judged_exactly(actual, planned, needed):
    assert needs_explanation(D(actual), D(planned), D("5")) is needed


def test_explained_lines_are_not_missing():
    written = Explanation("加投信息流广告", None, datetime(2024, 7, 1, tzinfo=UTC))
    done = statement(explanations={"materials": written})
    assert done.lines_by_key["materials"].explanation == written
    assert "materials" not in {line.key for line in done.missing_explanations}


def test_totals_and_a_plan_never_approved():
    drafted = statement(baseline=None)
    assert drafted.totals.baseline_planned is None
    assert all(line.baseline_planned is None for line in drafted.categories)
    totals = statement().totals
    assert (totals.planned, totals.actual, totals.variance) == (
        D("600000"),
        D("639000"),
        D("39000"),
    )
    assert totals.variance_percent == D("6.50")
