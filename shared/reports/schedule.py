"""When reports are due: the scheduling arithmetic, in each campaign's own timezone.

Pure rules (no database): which period a campaign owes a report for at a given instant,
how a local time of day becomes an instant across daylight-saving changes, ISO weeks,
and which language a report is written in.
"""

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

DEFAULT_DAILY_TIME = time(17, 0)  # the manuals' collection time
DEFAULT_WEEKLY_TIME = time(9, 0)  # Monday morning: the weekly review


class ReportKind(StrEnum):
    daily = "daily"
    weekly = "weekly"


class Language(StrEnum):
    zh = "zh"
    en = "en"


# A campaign counts as Chinese-speaking when its money or its clock is China's
# (mainland, Hong Kong, Macau, Taiwan): Asia/* alone would also take Tokyo or Delhi.
CHINESE_CURRENCIES = frozenset({"CNY", "HKD", "MOP", "TWD"})
CHINESE_TIMEZONES = frozenset(
    {
        "Asia/Shanghai",
        "Asia/Chongqing",
        "Asia/Chungking",
        "Asia/Harbin",
        "Asia/Urumqi",
        "Asia/Kashgar",
        "Asia/Hong_Kong",
        "Asia/Macau",
        "Asia/Macao",
        "Asia/Taipei",
        "PRC",
        "ROC",
        "Hongkong",
    }
)


def language_of(*, setting: Language | None, currency: str, timezone: str) -> Language:
    """The setting when there is one; otherwise Chinese for a campaign in Chinese money
    or a Chinese timezone, English for any other."""
    if setting is not None:
        return setting
    if currency.upper() in CHINESE_CURRENCIES or timezone in CHINESE_TIMEZONES:
        return Language.zh
    return Language.en


@dataclass(frozen=True)
class Schedule:
    """When a campaign's reports go out, in its local time. Stored settings leave a field
    None to take it from the level above (campaign -> workspace -> these defaults)."""

    daily_enabled: bool = True
    daily_time: time = DEFAULT_DAILY_TIME
    weekly_enabled: bool = True
    weekly_time: time = DEFAULT_WEEKLY_TIME
    language: Language | None = None  # None: chosen by the campaign (language_of)

    def over(self, **stored: object) -> "Schedule":
        """This schedule with the stored values that are set (not None) put over it."""
        return replace(self, **{k: v for k, v in stored.items() if v is not None})  # type: ignore[arg-type]


@dataclass(frozen=True)
class Due:
    """A report owed: which kind, for which period (the day, or the week's Monday), and
    the instant it became due."""

    kind: ReportKind
    period_start: date
    due_at: datetime


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`at` on `day` in `zone`, in UTC. A time the clocks skip (02:30 when they spring
    forward) falls the gap's length later (03:30); a time they pass twice (02:30 when
    they fall back) is its first occurrence. Either way one instant per day."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def week_start(day: date) -> date:
    return day - timedelta(days=day.isoweekday() - 1)


def latest_daily(now: datetime, zone: ZoneInfo, at: time) -> Due:
    """The most recent daily report due at or before `now`: today's once its time has
    passed, else yesterday's."""
    today = now.astimezone(zone).date()
    due = local_instant(today, at, zone)
    if due > now:
        today -= timedelta(days=1)
        due = local_instant(today, at, zone)
    return Due(ReportKind.daily, today, due)


def latest_weekly(now: datetime, zone: ZoneInfo, at: time) -> Due:
    """The most recent weekly report due at or before `now` (Mondays at `at`), for the
    full week (Monday to Sunday) before that Monday."""
    monday = week_start(now.astimezone(zone).date())
    due = local_instant(monday, at, zone)
    if due > now:
        monday -= timedelta(days=7)
        due = local_instant(monday, at, zone)
    return Due(ReportKind.weekly, monday - timedelta(days=7), due)


def overlaps(first: date, last: date, start_date: date | None, end_date: date | None) -> bool:
    """Whether the days first..last meet the campaign's dates (open-ended when unset)."""
    return (start_date is None or last >= start_date) and (end_date is None or first <= end_date)


def due_now(
    now: datetime,
    *,
    timezone: str,
    schedule: Schedule,
    start_date: date | None,
    end_date: date | None,
    activated_at: datetime | None,
) -> list[Due]:
    """What an active campaign owes at `now`: at most the latest daily and the latest
    weekly report, never older ones (a worker back after a long outage sends the latest
    report, not a backlog), and only for periods within the campaign's dates that came
    due after it was activated (a campaign activated at 18:00 starts with tomorrow's)."""
    zone = ZoneInfo(timezone)
    owed = []
    if schedule.daily_enabled:
        daily = latest_daily(now, zone, schedule.daily_time)
        if overlaps(daily.period_start, daily.period_start, start_date, end_date):
            owed.append(daily)
    if schedule.weekly_enabled:
        weekly = latest_weekly(now, zone, schedule.weekly_time)
        last = weekly.period_start + timedelta(days=6)
        if overlaps(weekly.period_start, last, start_date, end_date):
            owed.append(weekly)
    return [d for d in owed if activated_at is None or d.due_at >= activated_at]


# --- naming periods -----------------------------------------------------------------------

_ISO_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text: str) -> date | None:
    """The Monday of an ISO week written `2024-W24`; None when it is not one (W53 exists
    only in long years)."""
    match = _ISO_WEEK.fullmatch(text)
    if match is None:
        return None
    year, week = int(match[1]), int(match[2])
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError:
        return None


def period_label(kind: ReportKind, period_start: date) -> str:
    return period_start.isoformat() if kind == ReportKind.daily else week_label(period_start)


def next_daily(now: datetime, zone: ZoneInfo, at: time) -> datetime:
    """The first daily report time after `now`."""
    latest = latest_daily(now, zone, at)
    return local_instant(latest.period_start + timedelta(days=1), at, zone)


def next_weekly(now: datetime, zone: ZoneInfo, at: time) -> datetime:
    """The first weekly report time (a Monday) after `now`."""
    latest = latest_weekly(now, zone, at)
    return local_instant(latest.period_start + timedelta(days=14), at, zone)
