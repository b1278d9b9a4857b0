"""Reports as the API shows them and as their events carry them (the same JSON)."""

# ruff: noqa: RUF001 - the examples' Chinese text uses full-width punctuation

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, PlainSerializer, StrictBool

from shared.reports.schedule import Language, ReportKind
from shared.schemas import RequestModel, ResponseModel

_CAMPAIGN = "01a2010c-c015-761b-9bc5-6ac427b850de"
_GOAL = "01a2010c-c015-761b-9bc5-6ac427b850dc"


# --- the daily channel report (the manuals' Table 3) ----------------------------------------


class AnomalyOut(ResponseModel):
    source: Literal["log", "alert"] = Field(
        description="`log`: a note of the execution log (the daily report's 备注 column, or a "
        "log entry of the day naming the channel); `alert`: an alert that fired that day"
    )
    text: str
    alert_id: uuid.UUID | None = None
    severity: str | None = None
    at: datetime | None = Field(default=None, description="When it was written or fired")


class CompletionOut(ResponseModel):
    goal_id: uuid.UUID
    metric_key: str
    actual: Decimal | None = Field(description="The row's figure of the goal's metric that day")
    rate: Decimal | None = Field(
        description="% of the day's target (see the report's `goals`); null when it cannot "
        "be computed or nothing was reported"
    )


class DailyReportRow(ResponseModel):
    channel: str | None = Field(description="null for the campaign's total")
    channel_name: str | None = Field(default=None, description="The channel's name")
    figures: dict[str, Decimal | None]
    anomaly_note: str | None = Field(
        default=None, description="备注: the day's anomalies of this row in one line"
    )
    anomalies: list[AnomalyOut] = Field(default_factory=list)
    completion: list[CompletionOut] = Field(default_factory=list)


class DayGoalOut(ResponseModel):
    goal_id: uuid.UUID
    metric_key: str
    metric_name: str
    target_kind: str
    target_value: Decimal | None
    direction: str
    basis: Literal["day_share", "target"] = Field(
        description="`day_share`: a cumulative goal, its target (or lifted baseline) shared "
        "out over the campaign's days; `target`: a rate or level, each day against the target"
    )
    day_target: Decimal | None = Field(
        description="What the day should bring (day_share, to the cent) or reach (target); "
        "null outside the campaign's dates or without a target"
    )


_DAILY_EXAMPLE: dict[str, Any] = {
    "date": "2024-06-10",
    "metrics": ["impressions", "ctr", "conversion_rate", "new_users", "gmv"],
    "rows": [
        {
            "channel": "offline_store",
            "channel_name": "Offline store",
            "figures": {
                "impressions": "2000",
                "ctr": None,
                "conversion_rate": None,
                "new_users": "160",
                "gmv": "32000",
            },
            "anomaly_note": "traffic 20% under expectation",
            "anomalies": [
                {
                    "source": "log",
                    "text": "traffic 20% under expectation",
                    "alert_id": None,
                    "severity": None,
                    "at": "2024-06-10T09:12:00Z",
                }
            ],
            "completion": [
                {"goal_id": _GOAL, "metric_key": "new_users", "actual": "160", "rate": "80.00"}
            ],
        }
    ],
    "goals": [
        {
            "goal_id": _GOAL,
            "metric_key": "new_users",
            "metric_name": "New users",
            "target_kind": "absolute",
            "target_value": "4000.0000",
            "direction": "higher_is_better",
            "basis": "day_share",
            "day_target": "200.00",
        }
    ],
}


class DailyReportOut(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_DAILY_EXAMPLE]})

    date: date
    metrics: list[str]
    rows: list[DailyReportRow]
    goals: list[DayGoalOut] = Field(
        default_factory=list, description="Each goal's target for the day (completion rates)"
    )


class _Message(ResponseModel):
    campaign_id: uuid.UUID
    campaign_name: str
    period: str = Field(description="`2024-06-10` (daily) or `2024-W24` (weekly, ISO week)")
    title: str = Field(description="One line, e.g. 【日报】618 大促 2024-06-10")
    language: Language
    text: str = Field(description="The report as a Markdown table, in `language`")


class DailyReportMessageOut(_Message, DailyReportOut):
    """The daily report as sent: the table's data with its title and Markdown text."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "report": "daily",
                    "campaign_id": _CAMPAIGN,
                    "campaign_name": "618 大促",
                    "period": "2024-06-10",
                    "title": "【日报】618 大促 2024-06-10",
                    "language": "zh",
                    "text": "**【日报】618 大促 2024-06-10**\n\n| 日期 | 渠道 | 曝光量 | ... |",
                    **_DAILY_EXAMPLE,
                }
            ]
        }
    )

    report: Literal["daily"] = "daily"


# --- the weekly report ------------------------------------------------------------------------


class WeeklyMetricOut(ResponseModel):
    metric_key: str
    metric_name: str
    this_week: Decimal | None
    previous_week: Decimal | None
    change_percent: Decimal | None = Field(
        description="(this - previous) / previous x 100; null without a previous figure"
    )


class GoalPaceOut(ResponseModel):
    goal_id: uuid.UUID
    metric_key: str
    metric_name: str
    target_value: Decimal | None
    actual_to_date: Decimal | None = Field(description="From the start to the week's end")
    expected_to_date: Decimal | None = Field(
        description="Cumulative goals: the target pro-rated to the week's last day"
    )
    pace_percent: Decimal | None = Field(description="actual / expected x 100")
    achievement_rate: Decimal | None = Field(
        description="% of the whole target reached (inverted if lower is better; lift goals "
        "on their lift over the baseline)"
    )


class BudgetBurnOut(ResponseModel):
    currency: str
    planned: Decimal
    spent: Decimal = Field(description="Expenses recorded up to the week's end")
    spent_this_week: Decimal
    burn_percent: Decimal | None = Field(description="spent / planned x 100")
    time_elapsed_percent: Decimal | None = Field(
        description="Share of the campaign's days gone by the week's end"
    )


class WeekAlertOut(ResponseModel):
    alert_id: uuid.UUID
    severity: str
    status: str
    channel: str | None
    message: str
    fired_at: datetime


class WeekIssueOut(ResponseModel):
    issue_id: uuid.UUID
    title: str
    severity: str
    status: str
    owner_id: uuid.UUID
    opened_at: datetime


class WeekIssuesOut(ResponseModel):
    opened: list[WeekIssueOut] = Field(description="Opened during the week (at most 50)")
    opened_count: int
    resolved_count: int = Field(description="Resolved during the week")
    open_count: int = Field(description="Still open or in progress now")


class SlippedTaskOut(ResponseModel):
    task_id: uuid.UUID
    code: str
    name: str
    owner_id: uuid.UUID | None
    owner_name: str | None
    status: str
    planned_end: date | None
    slip_days: int
    overdue: bool


_WEEKLY_EXAMPLE: dict[str, Any] = {
    "report": "weekly",
    "campaign_id": _CAMPAIGN,
    "campaign_name": "618 大促",
    "period": "2024-W24",
    "title": "【周报】618 大促 2024-W24",
    "language": "zh",
    "text": "**【周报】618 大促 2024-W24（06-10 至 06-16）**\n\n...",
    "week_start": "2024-06-10",
    "week_end": "2024-06-16",
    "metrics": [
        {
            "metric_key": "new_users",
            "metric_name": "New users",
            "this_week": "2450",
            "previous_week": "2100",
            "change_percent": "16.67",
        }
    ],
    "goals": [
        {
            "goal_id": _GOAL,
            "metric_key": "new_users",
            "metric_name": "New users",
            "target_value": "200000.0000",
            "actual_to_date": "98000",
            "expected_to_date": "106666.67",
            "pace_percent": "91.87",
            "achievement_rate": "49.00",
        }
    ],
    "budget": {
        "currency": "CNY",
        "planned": "450000.00",
        "spent": "210000.00",
        "spent_this_week": "65000.00",
        "burn_percent": "46.67",
        "time_elapsed_percent": "53.33",
    },
    "alerts": [],
    "alerts_count": 0,
    "issues": {"opened": [], "opened_count": 0, "resolved_count": 1, "open_count": 2},
    "slipped_tasks": [],
    "slipped_count": 0,
}


class WeeklyReportOut(_Message):
    model_config = ConfigDict(json_schema_extra={"examples": [_WEEKLY_EXAMPLE]})

    report: Literal["weekly"] = "weekly"
    week_start: date = Field(description="Monday")
    week_end: date = Field(description="Sunday")
    metrics: list[WeeklyMetricOut] = Field(description="Week over week, campaign totals")
    goals: list[GoalPaceOut]
    budget: BudgetBurnOut
    alerts: list[WeekAlertOut] = Field(description="Fired during the week (at most 50)")
    alerts_count: int
    issues: WeekIssuesOut
    slipped_tasks: list[SlippedTaskOut] = Field(
        description="Late or finished late, as of the week's end (at most 50, most late first)"
    )
    slipped_count: int


# --- runs: the reports that went out ----------------------------------------------------------


_RUN_EXAMPLE: dict[str, Any] = {
    "id": "01a2010c-c015-761b-9bc5-6ac427b850e0",
    "campaign_id": _CAMPAIGN,
    "kind": "daily",
    "period": "2024-06-10",
    "period_start": "2024-06-10",
    "due_at": "2024-06-10T09:00:00Z",
    "title": "【日报】618 大促 2024-06-10",
    "created_at": "2024-06-10T09:00:04Z",
}


class ReportRunOut(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_RUN_EXAMPLE]})

    id: uuid.UUID
    campaign_id: uuid.UUID
    kind: ReportKind
    period: str
    period_start: date
    due_at: datetime = Field(description="When it was due (the local collection time)")
    title: str
    created_at: datetime = Field(description="When it was recorded and handed to the outbox")


class ReportRunDetailOut(ReportRunOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _RUN_EXAMPLE
                | {
                    "event_id": "01a2010c-c015-761b-9bc5-6ac427b850e1",
                    "content": {"report": "daily", "title": "【日报】618 大促 2024-06-10"},
                }
            ]
        }
    )

    event_id: uuid.UUID | None = Field(description="The `report.daily`/`report.weekly` event")
    content: dict[str, Any] = Field(
        description="The report as sent: the event's data (DailyReportMessage or "
        "WeeklyReport fields)"
    )


# --- when reports go out ------------------------------------------------------------------


def _hh_mm(value: Any) -> Any:
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise ValueError("must be a local time as HH:MM (17:00)")
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a local time as HH:MM (17:00)") from None


LocalTime = Annotated[
    time,
    BeforeValidator(_hh_mm),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
    Field(json_schema_extra={"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}),
]


class ReportScheduleIn(RequestModel):
    """Replaces the settings. A field left out or null takes the level above: a
    campaign's from its workspace, the workspace's from the defaults (daily at 17:00,
    weekly on Mondays at 09:00, language by the campaign)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"daily_time": "18:30", "weekly_enabled": True, "language": "zh"}]
        }
    )

    daily_enabled: StrictBool | None = None
    daily_time: LocalTime | None = Field(default=None, description="HH:MM, campaign local")
    weekly_enabled: StrictBool | None = None
    weekly_time: LocalTime | None = Field(
        default=None, description="HH:MM on Mondays, campaign local"
    )
    language: Language | None = Field(
        default=None,
        description="`zh` or `en`; null: Chinese for campaigns in CNY/HKD/MOP/TWD or a "
        "Chinese timezone (Asia/Shanghai, Asia/Hong_Kong, Asia/Taipei...), else English",
    )


class ReportScheduleOut(ResponseModel):
    """The settings in force, and which of them are inherited (workspace or default)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "daily_enabled": True,
                    "daily_time": "17:00",
                    "weekly_enabled": True,
                    "weekly_time": "09:00",
                    "language": None,
                    "inherited": ["daily_enabled", "weekly_enabled", "weekly_time", "language"],
                    "timezone": "Asia/Shanghai",
                    "resolved_language": "zh",
                    "next_daily_at": "2024-06-10T17:00:00+08:00",
                    "next_weekly_at": "2024-06-17T09:00:00+08:00",
                }
            ]
        }
    )

    daily_enabled: bool
    daily_time: LocalTime
    weekly_enabled: bool
    weekly_time: LocalTime
    language: Language | None = Field(description="null: chosen per campaign")
    inherited: list[str] = Field(description="Fields not set at this level")
    timezone: str | None = Field(default=None, description="The campaign's (campaign level)")
    resolved_language: Language | None = Field(
        default=None, description="The language the campaign's reports are written in"
    )
    next_daily_at: datetime | None = Field(
        default=None, description="The next daily report's time, campaign local"
    )
    next_weekly_at: datetime | None = Field(
        default=None, description="The next weekly report's time, campaign local"
    )
