"""Working-day arithmetic of due-soon warnings: Monday to Friday, weekends count for nothing."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.tasks import workdays

# A week of June 2024: Monday the 3rd ... Sunday the 9th.
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2024, 6, day) for day in range(3, 10))
NEXT_MON, NEXT_TUE = date(2024, 6, 10), date(2024, 6, 11)


def test_the_week_has_five_working_days():
    assert [workdays.is_working_day(d) for d in (MON, TUE, WED, THU, FRI, SAT, SUN)] == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
    ]


@pytest.mark.parametrize(
    ("today", "end", "left"),
    [
        (MON, MON, 0),  # due today
        (MON, TUE, 1),
        (THU, NEXT_MON, 2),  # Friday, Monday
        (FRI, NEXT_MON, 1),  # the weekend counts for nothing
        (SAT, NEXT_MON, 1),
        (SUN, NEXT_MON, 1),
        (FRI, SUN, 0),  # ends on the weekend: no working day left after Friday
        (WED, NEXT_TUE, 4),
        (MON, MON + timedelta(days=28), 20),  # four whole weeks
        (TUE, MON, 0),  # past its end: nothing left (overdue, not due soon)
    ],
)
def test_working_days_left_up_to_and_including_the_end(today, end, left):
    assert workdays.working_days_left(today, end) == left


def test_the_manuals_three_days_across_a_weekend():
    """Due on Tuesday with N = 3: Thursday has Friday, Monday, Tuesday left."""
    assert not workdays.is_due_soon(WED, NEXT_TUE, 3)
    assert workdays.is_due_soon(THU, NEXT_TUE, 3)
    assert workdays.is_due_soon(FRI, NEXT_TUE, 3)
    assert workdays.is_due_soon(NEXT_TUE, NEXT_TUE, 3)  # the day itself
    assert not workdays.is_due_soon(NEXT_TUE + timedelta(days=1), NEXT_TUE, 3)  # overdue
    assert not workdays.is_due_soon(THU, NEXT_TUE, 0)  # 0 turns warnings off


@pytest.mark.parametrize(
    ("today", "days", "last"),
    [
        (WED, 3, NEXT_MON),  # Thu, Fri, Mon left; Tuesday would be 4
        (THU, 3, NEXT_TUE),
        (FRI, 1, NEXT_MON),  # Monday, and the weekend before it
        (MON, 1, TUE),
        (SAT, 1, NEXT_MON),
    ],
)
def test_the_last_due_soon_day_agrees_with_the_days_left(today, days, last):
    assert workdays.last_due_soon_day(today, days) == last
    for offset in range(40):
        end = today + timedelta(days=offset)
        assert workdays.is_due_soon(today, end, days) == (end <= last), end


def test_warnings_go_out_on_working_days_from_nine_local_time():
    shanghai = ZoneInfo("Asia/Shanghai")
    assert not workdays.warns_now(datetime(2024, 6, 6, 8, 59, tzinfo=shanghai))
    assert workdays.warns_now(datetime(2024, 6, 6, 9, 0, tzinfo=shanghai))
    assert not workdays.warns_now(datetime(2024, 6, 8, 10, 0, tzinfo=shanghai))  # Saturday
    # Monday 01:30 UTC is 09:30 on Monday in Shanghai, still Sunday evening in New York.
    instant = datetime(2024, 6, 3, 1, 30, tzinfo=ZoneInfo("UTC"))
    assert workdays.warns_now(instant.astimezone(shanghai))
    assert not workdays.warns_now(instant.astimezone(ZoneInfo("America/New_York")))
