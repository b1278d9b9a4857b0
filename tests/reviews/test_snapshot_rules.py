"""The pure rules of a review's snapshot: goal pace and the campaign's days (no database)."""

from datetime import date
from decimal import Decimal

import pytest

from shared.campaigns.models import Direction
from shared.figures.progress import pace_percent
from shared.reviews.snapshot import campaign_days

HIGHER, LOWER = Direction.higher_is_better, Direction.lower_is_better


def number(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


@pytest.mark.parametrize(
    ("direction", "actual", "expected", "pace"),
    [
        # The brief's 200,000 new users on day 42 of 76: 110,526.32 expected, 98,000 reached.
        (HIGHER, "98000", "110526.32", "88.67"),
        (HIGHER, "110526.32", "110526.32", "100.00"),
        (HIGHER, "0", "1000", "0.00"),
        # At most 500 negative comments over the campaign: 250 by mid-term, 100 so far is
        # well ahead, 500 is twice the allowance.
        (LOWER, "100", "250", "250.00"),
        (LOWER, "500", "250", "50.00"),
    ],
)
def test_pace_is_actual_against_expected_to_date_and_inverted_when_lower_is_better(
    direction, actual, expected, pace
):
    assert pace_percent(direction, Decimal(actual), Decimal(expected)) == Decimal(pace)


@pytest.mark.parametrize(
    ("actual", "expected", "direction"),
    [
        (None, "1000", HIGHER),  # nothing reported
        ("10", None, HIGHER),  # a rate or a lift: not pro-rated, no pace
        ("10", "0", HIGHER),  # day 0 of nothing expected
        ("0", "250", LOWER),  # nothing yet of what should stay low: no ratio to show
    ],
)
def test_no_pace_without_both_figures(actual, expected, direction):
    assert pace_percent(direction, number(actual), number(expected)) is None


def test_pace_over_a_tiny_expected_figure_does_not_overflow():
    assert pace_percent(HIGHER, Decimal("1e20"), Decimal("0.01")) == Decimal("1e24")


@pytest.mark.parametrize(
    ("day", "number", "elapsed"),
    [
        (date(2024, 5, 1), 1, "1.32"),  # the first day counts once it is under way
        (date(2024, 6, 11), 42, "55.26"),
        (date(2024, 7, 15), 76, "100.00"),
        (date(2024, 4, 20), None, "0.00"),  # before the start: preparation
        (date(2024, 8, 1), None, "100.00"),  # after the end
    ],
)
def test_campaign_days_number_the_day_and_share_the_time_gone(day, number, elapsed):
    assert campaign_days(date(2024, 5, 1), date(2024, 7, 15), day) == (
        number,
        76,
        Decimal(elapsed),
    )


def test_a_campaign_without_dates_has_no_days():
    assert campaign_days(None, date(2024, 7, 15), date(2024, 6, 1)) == (None, None, None)
    assert campaign_days(date(2024, 7, 15), date(2024, 5, 1), date(2024, 6, 1)) == (
        None,
        None,
        None,
    )
