"""The daily channel report: the figures' table (shared/figures) with each row's anomaly
note (the day's log notes about the channel and the alerts that fired on it) and its
completion rate against the day's share of each goal."""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from shared.activity.models import ActivityEntry, EntryAction
from shared.alerts.models import Alert
from shared.campaigns import plan
from shared.campaigns.models import Campaign, Goal
from shared.figures import daily_report as table
from shared.figures.models import Channel
from shared.figures.series import window_totals
from shared.metrics.models import Metric
from shared.reports import completion
from shared.reports.schemas import (
    AnomalyOut,
    CompletionOut,
    DailyReportOut,
    DailyReportRow,
    DayGoalOut,
)
from shared.tenancy import in_workspace

# The daily report import writes each row's 备注 to the log as
# "Daily report <day>, <channel key>: <note>" (shared/ingestion/daily_report_import.py).
IMPORTED_NOTE = "Daily report {day}, "
NOTE_SEPARATOR = "; "


def local_day(campaign: Campaign, day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(campaign.timezone)
    return (
        datetime.combine(day, time(0), tzinfo=zone),
        datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone),
    )


def goal_terms(goal: Goal, dictionary: dict[str, Metric]) -> completion.GoalTerms:
    metric = dictionary.get(goal.metric_key)
    return completion.GoalTerms(
        metric_key=goal.metric_key,
        target_kind=goal.target_kind,
        target_value=goal.target_value,
        baseline_value=goal.baseline_value,
        direction=goal.direction,
        cumulative=metric is not None
        and completion.is_cumulative(aggregation=metric.aggregation, formula=metric.formula),
    )


def _names_channel(text: str, key: str, name: str | None) -> bool:
    words = [key, key.replace("_", " "), *([name] if name else [])]
    return any(re.search(rf"(?<![\w]){re.escape(w)}(?![\w])", text, re.IGNORECASE) for w in words)


async def _log_notes(
    session: AsyncSession,
    *,
    campaign: Campaign,
    day: date,
    channels: dict[str, str | None],
) -> dict[str, list[AnomalyOut]]:
    """Per channel key: the imported report's notes of that day for the channel, then the
    log's free entries written that (local) day that name the channel."""
    start, end = local_day(campaign, day)
    imported = IMPORTED_NOTE.format(day=day.isoformat())
    entries = (
        await session.scalars(
            in_workspace(ActivityEntry, campaign.workspace_id)
            .where(
                ActivityEntry.campaign_id == campaign.id,
                ActivityEntry.action == EntryAction.note.value,
                or_(
                    ActivityEntry.note.startswith(imported, autoescape=True),
                    and_(ActivityEntry.created_at >= start, ActivityEntry.created_at < end),
                ),
            )
            .order_by(ActivityEntry.created_at, ActivityEntry.id)
        )
    ).all()
    found: dict[str, list[AnomalyOut]] = {}
    for entry in entries:
        text = entry.note or ""
        if text.startswith(imported):
            key, _, note = text.removeprefix(imported).partition(": ")
            if key in channels and note.strip():
                found.setdefault(key, []).append(
                    AnomalyOut(source="log", text=note.strip(), at=entry.created_at)
                )
        elif not text.startswith("Daily report "):  # another day's imported note
            for key, name in channels.items():
                if _names_channel(text, key, name):
                    found.setdefault(key, []).append(
                        AnomalyOut(source="log", text=text.strip(), at=entry.created_at)
                    )
    return found


async def _alerts(
    session: AsyncSession, *, campaign: Campaign, day: date
) -> dict[str | None, list[AnomalyOut]]:
    """Per channel key (None: the campaign's total): alerts that fired that local day.
    Silenced ones are left out (a silence says nobody is to be told), as are alerts on
    tasks (the weekly report lists slipped tasks)."""
    start, end = local_day(campaign, day)
    alerts = (
        await session.scalars(
            in_workspace(Alert, campaign.workspace_id)
            .where(
                Alert.campaign_id == campaign.id,
                Alert.fired_at >= start,
                Alert.fired_at < end,
                Alert.silenced.is_(False),
                Alert.task_id.is_(None),
            )
            .order_by(Alert.fired_at, Alert.id)
        )
    ).all()
    found: dict[str | None, list[AnomalyOut]] = {}
    for alert in alerts:
        found.setdefault(alert.channel, []).append(
            AnomalyOut(
                source="alert",
                text=alert.message,
                alert_id=alert.id,
                severity=alert.severity.value,
                at=alert.fired_at,
            )
        )
    return found


def note_line(anomalies: list[AnomalyOut]) -> str | None:
    """备注 in one line: the notes as written, alerts with their severity."""
    parts = [a.text if a.source == "log" else f"[{a.severity}] {a.text}" for a in anomalies]
    return NOTE_SEPARATOR.join(dict.fromkeys(parts)) or None


async def daily_report(
    session: AsyncSession, *, campaign: Campaign, dictionary: dict[str, Metric], day: date
) -> DailyReportOut:
    """Every channel attached to the campaign or holding figures that day, then the total."""
    figures = await table.daily_report(session, campaign=campaign, day=day)
    goals = await plan.all_items(session, plan.GOALS, campaign=campaign)
    extra = {g.metric_key for g in goals} - set(figures.metrics)
    start, end = local_day(campaign, day)
    more = (
        await window_totals(
            session, campaign=campaign, dictionary=dictionary, keys=extra, start=start, end=end
        )
        if extra
        else {}
    )
    keys = [r.channel for r in figures.rows if r.channel is not None]
    names = {
        c.key: c.name
        for c in await session.scalars(
            in_workspace(Channel, campaign.workspace_id).where(Channel.key.in_(keys))
        )
    }
    channels: dict[str, str | None] = {k: names.get(k) for k in keys}
    notes = await _log_notes(session, campaign=campaign, day=day, channels=channels)
    alerts = await _alerts(session, campaign=campaign, day=day)

    terms = {g.id: goal_terms(g, dictionary) for g in goals}
    targets = {
        g.id: completion.day_target(
            terms[g.id], day=day, start_date=campaign.start_date, end_date=campaign.end_date
        )
        for g in goals
    }
    rows = []
    for row in figures.rows:
        values = row.figures | more.get(row.channel, {})
        anomalies = ([] if row.channel is None else notes.get(row.channel, [])) + alerts.get(
            row.channel, []
        )
        rows.append(
            DailyReportRow(
                channel=row.channel,
                channel_name=names.get(row.channel) if row.channel else None,
                figures=row.figures,
                anomaly_note=note_line(anomalies),
                anomalies=anomalies,
                completion=[
                    CompletionOut(
                        goal_id=g.id,
                        metric_key=g.metric_key,
                        actual=values.get(g.metric_key),
                        rate=completion.completion_rate(
                            terms[g.id], actual=values.get(g.metric_key), target=targets[g.id]
                        ),
                    )
                    for g in goals
                ],
            )
        )
    return DailyReportOut(
        date=day,
        metrics=figures.metrics,
        rows=rows,
        goals=[
            DayGoalOut(
                goal_id=g.id,
                metric_key=g.metric_key,
                metric_name=dictionary[g.metric_key].name
                if g.metric_key in dictionary
                else g.metric_key,
                target_kind=g.target_kind.value,
                target_value=g.target_value,
                direction=g.direction.value,
                basis=completion.basis(terms[g.id]),
                day_target=completion.shown(terms[g.id], targets[g.id]),
            )
            for g in goals
        ],
    )
