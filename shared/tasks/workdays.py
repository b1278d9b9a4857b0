"""Working days (Monday to Friday) for due-soon warnings: pure arithmetic on local days.

A task is due soon when at most N working days are left before its planned end: counting
the working days after today up to and including the planned end. With N = 3, a task
ending on a Monday is due soon from the Wednesday before (Thursday, Friday, Monday left),
and a weekend in between counts for nothing.
"""

from datetime import date, datetime, time, timedelta

# Warnings go out on working days, from this local time on: people hear it at work.
WARNING_TIME = time(9, 0)
DEFAULT_DUE_SOON_DAYS = 3
MAX_DUE_SOON_DAYS = 20


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def working_days_left(today: date, end: date) -> int:
    """Working days after `today` up to and including `end` (0 when `end` is not later)."""
    if end <= today:
        return 0
    whole_weeks, rest = divmod((end - today).days, 7)
    count = whole_weeks * 5
    for offset in range(1, rest + 1):
        if is_working_day(today + timedelta(days=whole_weeks * 7 + offset)):
            count += 1
    return count


def last_due_soon_day(today: date, days: int) -> date:
    """The latest planned end that is due soon today: the day before the (days + 1)-th
    working day after today. Every end from today to this day has at most `days` left."""
    day, seen = today, 0
    while seen < days + 1:
        day += timedelta(days=1)
        if is_working_day(day):
            seen += 1
    return day - timedelta(days=1)


def is_due_soon(today: date, end: date, days: int) -> bool:
    """Whether a task ending on `end` is due soon on `today`; 0 days turns warnings off,
    and a task past its end is overdue, not due soon."""
    return days > 0 and today <= end and working_days_left(today, end) <= days


def warns_now(local_now: datetime) -> bool:
    """Whether warnings go out at this local moment: a working day, from 09:00."""
    return is_working_day(local_now.date()) and local_now.time() >= WARNING_TIME
