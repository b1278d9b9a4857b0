"""The daily report over a range of the campaign's days: the manuals' Table 3 (date,
channel, impressions, CTR, conversion, new users, sales, note) with each goal's
completion rate beside it, one row per channel per day and the day's total.

Each day is the daily report the API shows for it (`GET .../daily-report?date=`), so the
file and the screen never disagree."""

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign
from shared.errors import FieldError, Invalid
from shared.exports.table import Column, Kind, Table, Value
from shared.metrics import service as metrics
from shared.metrics.models import FRACTION_UNITS, Unit
from shared.reports import daily, render
from shared.reports.schedule import Language as ReportLanguage
from shared.reports.schemas import DailyReportOut
from shared.workspaces import labels
from shared.workspaces.models import Language

MAX_DAYS = 366  # a year of days, leap or not, in one file


def day_range(
    campaign: Campaign, *, start: date | None, end: date | None, now: datetime
) -> tuple[date, date]:
    """The days asked for; by default the campaign's days up to today (its local day)."""
    if start is None:
        start = campaign.start_date
    if start is None:
        raise Invalid(
            "The campaign has no start date yet: say which days to export.",
            [FieldError("from", "required while the campaign has no dates", location="query")],
        )
    if end is None:
        today = campaign.local_date(now)
        end = max(min(campaign.end_date or today, today), start)
    if end < start:
        raise Invalid(
            "The range ends before it starts.",
            [FieldError("to", f"must be {start} or later", location="query")],
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise Invalid(
            f"A daily report file covers at most {MAX_DAYS} days.",
            [
                FieldError(
                    "to",
                    f"at most {MAX_DAYS} days from {start}: "
                    f"{start + timedelta(days=MAX_DAYS - 1)} or earlier",
                    location="query",
                )
            ],
        )
    return start, end


def _kind(unit: str) -> Kind:
    if unit in FRACTION_UNITS:
        return Kind.fraction
    if unit == Unit.currency:
        return Kind.money
    return Kind.number


async def daily_table(
    session: AsyncSession,
    *,
    campaign: Campaign,
    language: Language,
    start: date,
    end: date,
) -> Table:
    dictionary = await metrics.dictionary(session, workspace_id=campaign.workspace_id)
    reports: list[DailyReportOut] = []
    day = start
    while day <= end:
        reports.append(
            await daily.daily_report(session, campaign=campaign, dictionary=dictionary, day=day)
        )
        day += timedelta(days=1)

    names = render.Dictionary(
        names={k: m.name for k, m in dictionary.items()},
        units={k: m.unit.value for k, m in dictionary.items()},
    )
    words = ReportLanguage.zh if language == Language.zh_cn else ReportLanguage.en
    first = reports[0]
    columns = [
        Column(labels.header("date", language), Kind.date),
        Column(labels.header("channel", language), width=16),
        *[
            Column(names.label(key, words), _kind(names.units.get(key, "count")))
            for key in first.metrics
        ],
        *[
            Column(
                labels.header("completion", language, metric=names.label(goal.metric_key, words)),
                Kind.percent,
            )
            for goal in first.goals
        ],
        Column(labels.header("note", language), width=40),
    ]
    total = labels.value("word", "total", language)
    rows: list[list[Value]] = []
    for report in reports:
        for row in report.rows:
            rates = {c.goal_id: c.rate for c in row.completion}
            rows.append(
                [
                    report.date,
                    row.channel_name or row.channel or total,
                    *[row.figures.get(key) for key in first.metrics],
                    *[rates.get(goal.goal_id) for goal in first.goals],
                    row.anomaly_note,
                ]
            )
    return Table(labels.title("daily-report", language), columns, rows)
