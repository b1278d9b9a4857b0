"""When reports are due: local times in each campaign's timezone, across daylight saving."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared.reports.schedule import (
    Language,
    ReportKind,
    Schedule,
    due_now,
    language_of,
    latest_daily,
    latest_weekly,
    local_instant,
    next_daily,
    next_weekly,
    parse_week,
    week_label,
)

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def first_due_instants(
    zone: ZoneInfo, at: time, start: datetime, end: datetime, step: timedelta
) -> dict[date, datetime]:
    """Stepping a clock from start to end: when each day's report first became due."""
    seen: dict[date, datetime] = {}
    now = start
    while now <= end:
        due = latest_daily(now, zone, at)
        seen.setdefault(due.period_start, now)
        now += step
    return seen


def test_17_00_in_berlin_moves_an_hour_in_utc_when_the_clocks_spring_forward():
    # 2024-03-31: 02:00 CET becomes 03:00 CEST. 17:00 is 16:00 UTC before, 15:00 after.
    seen = first_due_instants(
        BERLIN, time(17), utc(2024, 3, 29, 12), utc(2024, 4, 1, 20), timedelta(minutes=1)
    )
    assert seen == {
        date(2024, 3, 28): utc(2024, 3, 29, 12),  # the clock started before the 29th's time
        date(2024, 3, 29): utc(2024, 3, 29, 16),
        date(2024, 3, 30): utc(2024, 3, 30, 16),
        date(2024, 3, 31): utc(2024, 3, 31, 15),
        date(2024, 4, 1): utc(2024, 4, 1, 15),
    }


def test_17_00_in_berlin_moves_back_when_the_clocks_fall_back():
    # 2024-10-27: 03:00 CEST becomes 02:00 CET again.
    seen = first_due_instants(
        BERLIN, time(17), utc(2024, 10, 26, 15, 1), utc(2024, 10, 28, 16), timedelta(minutes=1)
    )
    assert seen == {
        date(2024, 10, 26): utc(2024, 10, 26, 15, 1),
        date(2024, 10, 27): utc(2024, 10, 27, 16),
        date(2024, 10, 28): utc(2024, 10, 28, 16),
    }


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # 02:30 does not exist on 03-31 in Berlin: the report goes at 03:30 CEST (01:30 UTC).
        (date(2024, 3, 31), utc(2024, 3, 31, 1, 30)),
        # 02:30 happens twice on 10-27: the first one (CEST, 00:30 UTC) counts.
        (date(2024, 10, 27), utc(2024, 10, 27, 0, 30)),
        (date(2024, 10, 28), utc(2024, 10, 28, 1, 30)),
    ],
)
def test_a_skipped_or_repeated_local_time_is_still_one_instant(day, expected):
    assert local_instant(day, time(2, 30), BERLIN) == expected


def test_a_time_the_clocks_skip_or_repeat_sends_each_day_once():
    for start, end in (
        (utc(2024, 3, 30), utc(2024, 4, 1, 6)),
        (utc(2024, 10, 26), utc(2024, 10, 28, 6)),
    ):
        seen = first_due_instants(BERLIN, time(2, 30), start, end, timedelta(minutes=5))
        days = sorted(seen)
        assert days == [days[0] + timedelta(days=i) for i in range(len(days))]


def test_shanghai_has_no_daylight_saving_17_00_is_always_09_00_utc():
    for day in (date(2024, 1, 15), date(2024, 6, 10), date(2024, 10, 27)):
        assert local_instant(day, time(17), SHANGHAI) == datetime.combine(day, time(9), tzinfo=UTC)


def test_the_weekly_report_on_monday_09_00_covers_the_week_before_across_a_dst_change():
    # The week 2024-03-25..31 holds Berlin's spring change. Monday 09:00 CEST = 07:00 UTC.
    before = latest_weekly(utc(2024, 4, 1, 6, 59), BERLIN, time(9))
    assert (before.period_start, before.due_at) == (date(2024, 3, 18), utc(2024, 3, 25, 8))
    after = latest_weekly(utc(2024, 4, 1, 7), BERLIN, time(9))
    assert after.kind == ReportKind.weekly
    assert (after.period_start, after.due_at) == (date(2024, 3, 25), utc(2024, 4, 1, 7))
    assert next_weekly(utc(2024, 3, 27), BERLIN, time(9)) == utc(2024, 4, 1, 7)
    assert next_daily(utc(2024, 3, 30, 16), BERLIN, time(17)) == utc(2024, 3, 31, 15)


def active_june(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "timezone": "Asia/Shanghai",
        "schedule": Schedule(),
        "start_date": date(2024, 6, 1),
        "end_date": date(2024, 6, 30),
        "activated_at": None,
    }
    return fields | changes


def test_only_the_latest_report_is_owed_never_a_backlog():
    # A worker back on Wednesday 06-12 10:00 Shanghai after days away sends the 11th's
    # daily report (the latest due) and the week 06-03..09, nothing older.
    owed = due_now(utc(2024, 6, 12, 2), **active_june())
    assert [(d.kind, d.period_start) for d in owed] == [
        (ReportKind.daily, date(2024, 6, 11)),
        (ReportKind.weekly, date(2024, 6, 3)),
    ]


def test_nothing_is_owed_outside_the_campaign_dates_or_before_its_activation():
    may_31_evening = utc(2024, 5, 31, 10)  # 18:00 in Shanghai: the 31st is before the start
    assert [d.kind for d in due_now(may_31_evening, **active_june())] == []
    # The week 05-27..06-02 meets the campaign's first two days: its weekly report is owed.
    june_3 = utc(2024, 6, 3, 1)  # Monday 09:00 Shanghai
    assert [(d.kind, d.period_start) for d in due_now(june_3, **active_june())] == [
        (ReportKind.daily, date(2024, 6, 2)),
        (ReportKind.weekly, date(2024, 5, 27)),
    ]
    # Activated at 18:00 on the 10th: the 10th's 17:00 report was never owed.
    activated = active_june(activated_at=utc(2024, 6, 10, 10))
    assert due_now(utc(2024, 6, 10, 11), **activated) == []
    late = due_now(utc(2024, 7, 1, 10), **active_june())
    assert [(d.kind, d.period_start) for d in late] == [(ReportKind.weekly, date(2024, 6, 24))]


def test_a_disabled_report_is_never_owed_and_the_time_is_the_campaigns():
    schedule = Schedule(daily_time=time(18, 30), weekly_enabled=False)
    at_18_29 = due_now(utc(2024, 6, 10, 10, 29), **active_june(schedule=schedule))
    assert [(d.kind, d.period_start) for d in at_18_29] == [(ReportKind.daily, date(2024, 6, 9))]
    at_18_30 = due_now(utc(2024, 6, 10, 10, 30), **active_june(schedule=schedule))
    assert [(d.kind, d.period_start, d.due_at) for d in at_18_30] == [
        (ReportKind.daily, date(2024, 6, 10), utc(2024, 6, 10, 10, 30))
    ]


def test_settings_take_the_level_above_where_they_are_not_set():
    workspace = Schedule().over(daily_time=time(18), language=None, weekly_enabled=None)
    campaign = workspace.over(daily_time=None, weekly_enabled=False, language=Language.en)
    assert (workspace.daily_time, workspace.weekly_enabled, workspace.language) == (
        time(18),
        True,
        None,
    )
    assert (campaign.daily_time, campaign.weekly_enabled, campaign.language) == (
        time(18),
        False,
        Language.en,
    )


@pytest.mark.parametrize(
    ("setting", "currency", "timezone", "expected"),
    [
        (None, "CNY", "Asia/Shanghai", Language.zh),
        (None, "USD", "Asia/Shanghai", Language.zh),  # a Chinese clock
        (None, "HKD", "UTC", Language.zh),  # Chinese money
        (None, "JPY", "Asia/Tokyo", Language.en),  # Asia is not China
        (None, "EUR", "Europe/Berlin", Language.en),
        (Language.en, "CNY", "Asia/Shanghai", Language.en),  # the setting wins
        (Language.zh, "EUR", "Europe/Berlin", Language.zh),
    ],
)
def test_the_language_is_the_setting_else_chinese_for_chinese_money_or_clocks(
    setting, currency, timezone, expected
):
    assert language_of(setting=setting, currency=currency, timezone=timezone) == expected


def test_iso_weeks_name_and_parse_mondays():
    assert week_label(date(2024, 6, 10)) == "2024-W24"
    assert parse_week("2024-W24") == date(2024, 6, 10)
    assert week_label(date(2024, 12, 30)) == "2025-W01"  # ISO years start on a Monday
    assert parse_week("2020-W53") == date(2020, 12, 28)
    assert parse_week("2021-W53") is None  # 2021 has 52 ISO weeks
    assert parse_week("2024-W00") is None
    assert parse_week("2024-24") is None
