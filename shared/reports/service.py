"""Reports on a rhythm: what is due, building a report, claiming its period and
recording it as an event (the notification outbox delivers it to subscribed endpoints);
the schedules, and the reports that went out."""

import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign, CampaignStatus
from shared.events import kinds
from shared.events.kinds import SubjectType
from shared.events.models import Event
from shared.events.service import record_event
from shared.metrics import service as metrics
from shared.metrics.models import Metric
from shared.pagination import PageRequest, Results, SortKey, paginate
from shared.reports import daily, render, weekly
from shared.reports.models import ReportRun, ReportSchedule
from shared.reports.schedule import (
    Due,
    Language,
    ReportKind,
    Schedule,
    due_now,
    language_of,
    next_daily,
    next_weekly,
    period_label,
)
from shared.reports.schemas import (
    DailyReportMessageOut,
    DailyReportOut,
    ReportScheduleOut,
    WeeklyReportOut,
)
from shared.share_links import service as share_links
from shared.tenancy import get_in_workspace, in_workspace

SEND_JOB = "send_report"
EVENT_KINDS = {ReportKind.daily: kinds.REPORT_DAILY, ReportKind.weekly: kinds.REPORT_WEEKLY}
# How long the share link a report carries opens the campaign's pages: a week for the
# daily report, two for the weekly one.
PAGES_LINK_LIFETIME = {ReportKind.daily: timedelta(days=7), ReportKind.weekly: timedelta(days=14)}
NEWEST_FIRST = SortKey("created_at", ReportRun.created_at, "datetime", descending=True)
SCHEDULE_FIELDS = tuple(f.name for f in fields(Schedule))
# Runs older than this cannot be owed any more (the latest week began 14 days ago at most).
LOOKBACK = timedelta(days=15)


# --- schedules ------------------------------------------------------------------------------


def _stored(row: ReportSchedule | None) -> dict[str, Any]:
    return {name: getattr(row, name) if row else None for name in SCHEDULE_FIELDS}


async def _schedule_rows(
    session: AsyncSession, *, workspace_ids: set[uuid.UUID]
) -> tuple[dict[uuid.UUID, ReportSchedule], dict[uuid.UUID, ReportSchedule]]:
    """The stored schedules of these workspaces: theirs, and their campaigns' by id."""
    rows = (
        await session.scalars(
            select(ReportSchedule).where(ReportSchedule.workspace_id.in_(workspace_ids))
        )
    ).all()
    workspaces = {r.workspace_id: r for r in rows if r.campaign_id is None}
    campaigns = {r.campaign_id: r for r in rows if r.campaign_id is not None}
    return workspaces, campaigns


def _effective(
    workspace_row: ReportSchedule | None, campaign_row: ReportSchedule | None
) -> Schedule:
    return Schedule().over(**_stored(workspace_row)).over(**_stored(campaign_row))


async def effective_schedule(session: AsyncSession, campaign: Campaign) -> Schedule:
    workspaces, campaigns = await _schedule_rows(session, workspace_ids={campaign.workspace_id})
    return _effective(workspaces.get(campaign.workspace_id), campaigns.get(campaign.id))


async def schedule_view(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    campaign: Campaign | None = None,
    now: datetime,
) -> ReportScheduleOut:
    """The settings in force at the workspace's level, or at a campaign's (with its next
    report times and the language its reports are written in)."""
    workspaces, campaigns = await _schedule_rows(session, workspace_ids={workspace_id})
    workspace_row = workspaces.get(workspace_id)
    if campaign is None:
        stored, schedule = _stored(workspace_row), _effective(workspace_row, None)
    else:
        campaign_row = campaigns.get(campaign.id)
        stored, schedule = _stored(campaign_row), _effective(workspace_row, campaign_row)
    view = ReportScheduleOut(
        daily_enabled=schedule.daily_enabled,
        daily_time=schedule.daily_time,
        weekly_enabled=schedule.weekly_enabled,
        weekly_time=schedule.weekly_time,
        language=schedule.language,
        inherited=[name for name in SCHEDULE_FIELDS if stored[name] is None],
    )
    if campaign is None:
        return view
    zone = ZoneInfo(campaign.timezone)
    return view.model_copy(
        update={
            "timezone": campaign.timezone,
            "resolved_language": language_of(
                setting=schedule.language, currency=campaign.currency, timezone=campaign.timezone
            ),
            "next_daily_at": next_daily(now, zone, schedule.daily_time).astimezone(zone)
            if schedule.daily_enabled
            else None,
            "next_weekly_at": next_weekly(now, zone, schedule.weekly_time).astimezone(zone)
            if schedule.weekly_enabled
            else None,
        }
    )


async def set_schedule(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    campaign_id: uuid.UUID | None,
    values: dict[str, Any],
) -> None:
    """Replace the settings of the workspace (no campaign) or of a campaign: fields not
    given (None) are inherited. One statement, so two writers racing never collide."""
    row = {name: values.get(name) for name in SCHEDULE_FIELDS}
    statement = insert(ReportSchedule).values(
        workspace_id=workspace_id, campaign_id=campaign_id, **row
    )
    if campaign_id is None:
        target, where = ["workspace_id"], ReportSchedule.campaign_id.is_(None)
    else:
        target, where = ["campaign_id"], ReportSchedule.campaign_id.is_not(None)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=target,
            index_where=where,
            set_={
                **row,
                "version": ReportSchedule.version + 1,
                "updated_at": func.now(),
            },
        )
    )


# --- building reports -------------------------------------------------------------------------


async def _context(
    session: AsyncSession, campaign: Campaign
) -> tuple[dict[str, Metric], render.Dictionary, Language]:
    dictionary = await metrics.dictionary(session, workspace_id=campaign.workspace_id)
    names = render.Dictionary(
        names={k: m.name for k, m in dictionary.items()},
        units={k: m.unit.value for k, m in dictionary.items()},
    )
    schedule = await effective_schedule(session, campaign)
    language = language_of(
        setting=schedule.language, currency=campaign.currency, timezone=campaign.timezone
    )
    return dictionary, names, language


async def daily_message(
    session: AsyncSession, *, campaign: Campaign, day: date
) -> DailyReportMessageOut:
    """The daily channel report with its title and Markdown text, as it is sent."""
    dictionary, names, language = await _context(session, campaign)
    report = await daily.daily_report(session, campaign=campaign, dictionary=dictionary, day=day)
    period = period_label(ReportKind.daily, day)
    title = render.title("daily", campaign.name, period, language)
    return DailyReportMessageOut(
        **report.model_dump(),
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        period=period,
        title=title,
        language=language,
        text=render.daily_text(report, heading=title, language=language, dictionary=names),
    )


async def daily_table(session: AsyncSession, *, campaign: Campaign, day: date) -> DailyReportOut:
    """The daily channel report's data alone (GET .../daily-report)."""
    dictionary = await metrics.dictionary(session, workspace_id=campaign.workspace_id)
    return await daily.daily_report(session, campaign=campaign, dictionary=dictionary, day=day)


async def weekly_message(
    session: AsyncSession, *, campaign: Campaign, monday: date, now: datetime
) -> WeeklyReportOut:
    """The week from `monday` to Sunday, with its title and Markdown text."""
    dictionary, names, language = await _context(session, campaign)
    goals = await weekly.goals_of(session, campaign)
    period = period_label(ReportKind.weekly, monday)
    alerts, alerts_count = await weekly.week_alerts(session, campaign=campaign, monday=monday)
    tasks, tasks_count = await weekly.slipped_tasks(
        session, campaign=campaign, monday=monday, now=now
    )
    report = WeeklyReportOut(
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        period=period,
        title=render.title("weekly", campaign.name, period, language),
        language=language,
        text="",
        week_start=monday,
        week_end=monday + timedelta(days=6),
        metrics=await weekly.key_metrics(
            session, campaign=campaign, dictionary=dictionary, goals=goals, monday=monday
        ),
        goals=await weekly.goal_pace(
            session, campaign=campaign, dictionary=dictionary, goals=goals, monday=monday
        ),
        budget=await weekly.budget_burn(session, campaign=campaign, monday=monday),
        alerts=alerts,
        alerts_count=alerts_count,
        issues=await weekly.week_issues(session, campaign=campaign, monday=monday),
        slipped_tasks=tasks,
        slipped_count=tasks_count,
    )
    return report.model_copy(
        update={"text": render.weekly_text(report, language=language, dictionary=names)}
    )


# --- sending: what is due, and claiming it ----------------------------------------------------


@dataclass(frozen=True)
class Owed:
    campaign_id: uuid.UUID
    due: Due


async def due_reports(session: AsyncSession, *, now: datetime) -> list[Owed]:
    """Every active campaign's reports due by `now` and not sent yet: the latest daily
    and weekly ones only (see schedule.due_now). Three queries however many campaigns."""
    campaigns = (
        await session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.active))
    ).all()
    if not campaigns:
        return []
    workspaces, own = await _schedule_rows(
        session, workspace_ids={c.workspace_id for c in campaigns}
    )
    sent = {
        (row.campaign_id, row.kind, row.period_start)
        for row in await session.execute(
            select(ReportRun.campaign_id, ReportRun.kind, ReportRun.period_start).where(
                ReportRun.campaign_id.in_([c.id for c in campaigns]),
                ReportRun.period_start >= (now - LOOKBACK).date(),
            )
        )
    }
    owed = []
    for campaign in campaigns:
        schedule = _effective(workspaces.get(campaign.workspace_id), own.get(campaign.id))
        for due in _owed_by(campaign, schedule, now):
            if (campaign.id, due.kind, due.period_start) not in sent:
                owed.append(Owed(campaign.id, due))
    return owed


def _owed_by(campaign: Campaign, schedule: Schedule, now: datetime) -> list[Due]:
    return due_now(
        now,
        timezone=campaign.timezone,
        schedule=schedule,
        start_date=campaign.start_date,
        end_date=campaign.end_date,
        activated_at=campaign.activated_at,
    )


async def send_report(
    session: AsyncSession,
    *,
    campaign_id: uuid.UUID,
    kind: ReportKind,
    period_start: date,
    now: datetime,
) -> ReportRun | None:
    """Send the report if it is still owed: build it, claim its period (the unique run
    row) and record its event in this transaction, whose subscribers write one delivery
    per subscribed endpoint. Returns None when it is not owed (any more) or another
    transaction claimed it first (this one then waits for that one to commit)."""
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != CampaignStatus.active:
        return None
    schedule = await effective_schedule(session, campaign)
    due = next(
        (
            d
            for d in _owed_by(campaign, schedule, now)
            if (d.kind, d.period_start) == (kind, period_start)
        ),
        None,
    )
    if due is None:
        return None
    message: DailyReportMessageOut | WeeklyReportOut
    if kind == ReportKind.daily:
        message = await daily_message(session, campaign=campaign, day=period_start)
    else:
        message = await weekly_message(session, campaign=campaign, monday=period_start, now=now)
    run_id = await session.scalar(
        insert(ReportRun)
        .values(
            workspace_id=campaign.workspace_id,
            campaign_id=campaign.id,
            kind=kind,
            period_start=period_start,
            due_at=due.due_at,
            title=message.title,
        )
        .on_conflict_do_nothing(index_elements=["campaign_id", "kind", "period_start"])
        .returning(ReportRun.id)
    )
    if run_id is None:
        return None
    # Whoever the report reaches (a chat group has no API key) opens the campaign's report
    # page with a read-only share link of its own; the link table keeps only its hash.
    _, token = await share_links.create_link(
        session,
        campaign=campaign,
        actor=None,
        label=message.title[:200],
        lifetime=PAGES_LINK_LIFETIME[kind],
        now=now,
    )
    await record_event(
        session,
        workspace_id=campaign.workspace_id,
        kind=EVENT_KINDS[kind],
        subject_type=SubjectType.report.value,
        subject_id=run_id,
        campaign_id=campaign.id,
        data=message.model_dump(mode="json") | {"pages_link": share_links.page_url(token)},
    )
    await session.flush()
    return await session.get_one(ReportRun, run_id)


# --- the reports that went out -----------------------------------------------------------------


async def list_runs(
    session: AsyncSession, *, campaign: Campaign, kind: ReportKind | None, page: PageRequest
) -> Results[ReportRun]:
    query = in_workspace(ReportRun, campaign.workspace_id).where(
        ReportRun.campaign_id == campaign.id
    )
    if kind is not None:
        query = query.where(ReportRun.kind == kind)
    return await paginate(session, query, ReportRun, page, NEWEST_FIRST)


async def get_run(
    session: AsyncSession, *, workspace_id: uuid.UUID, run_id: uuid.UUID
) -> tuple[ReportRun, Event | None]:
    """A report that went out, and its event (the report as sent)."""
    run = await get_in_workspace(
        session, ReportRun, workspace_id=workspace_id, entity_id=run_id, label="Report"
    )
    event = await session.scalar(
        in_workspace(Event, workspace_id).where(
            Event.subject_type == SubjectType.report.value, Event.subject_id == run.id
        )
    )
    return run, event
