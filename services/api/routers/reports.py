"""Reports on a rhythm: the daily and weekly reports of a period, the reports that went
out, and when they go out (per workspace and per campaign)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.api.deps import (
    Admin,
    ChangeableCampaign,
    DbSession,
    Pagination,
    ReadableCampaign,
    Viewer,
)
from services.api.problems import problem_responses
from shared.errors import FieldError, Invalid
from shared.pagination import Page, page_of
from shared.reports import service
from shared.reports.schedule import ReportKind, parse_week
from shared.reports.schemas import (
    DailyReportMessageOut,
    ReportRunDetailOut,
    ReportRunOut,
    ReportScheduleIn,
    ReportScheduleOut,
    WeeklyReportOut,
)
from shared.schemas import FIRST_DAY, LAST_DAY, CalendarDay
from shared.timeutil import utcnow

router = APIRouter(tags=["reports"])

IsoWeek = Annotated[
    str,
    Query(
        min_length=8,
        max_length=8,
        description="An ISO week, `2024-W24` (Monday to Sunday, campaign local)",
        examples=["2024-W24"],
    ),
]


@router.get(
    "/v1/campaigns/{campaign_id}/reports/daily",
    summary="The daily channel report of a local day, as it is sent (title, Markdown, data)",
    description="The manuals' Table 3 per channel and the total: impressions, CTR, conversion, "
    "new users, sales, the completion rate against the day's share of each goal and the "
    "anomaly note. Computed now: figures that arrived after the report went out are in it "
    "(`GET /v1/reports/{id}` shows what was sent).",
    response_model=DailyReportMessageOut,
    responses=problem_responses(404, 422),
)
async def get_daily_report_message(
    campaign: ReadableCampaign,
    session: DbSession,
    day: Annotated[
        CalendarDay, Query(alias="date", description="A day in the campaign's timezone")
    ],
) -> DailyReportMessageOut:
    return await service.daily_message(session, campaign=campaign, day=day)


@router.get(
    "/v1/campaigns/{campaign_id}/reports/weekly",
    summary="The weekly report of an ISO week: week over week, goal pace, budget, alerts, "
    "issues, slipped tasks",
    response_model=WeeklyReportOut,
    responses=problem_responses(404, 422),
)
async def get_weekly_report(
    campaign: ReadableCampaign, session: DbSession, week: IsoWeek
) -> WeeklyReportOut:
    monday = parse_week(week)
    if monday is None or not FIRST_DAY.year < monday.year < LAST_DAY.year:
        raise Invalid(
            f"{week!r} is not an ISO week between 1971 and 2198.",
            [FieldError("week", "Write an ISO week: 2024-W24.", location="query")],
        )
    return await service.weekly_message(session, campaign=campaign, monday=monday, now=utcnow())


@router.get(
    "/v1/campaigns/{campaign_id}/reports",
    summary="The reports that went out for the campaign, newest first",
    response_model=Page[ReportRunOut],
    responses=problem_responses(400, 404, 422),
)
async def list_report_runs(
    campaign: ReadableCampaign,
    session: DbSession,
    page: Pagination,
    kind: ReportKind | None = None,
) -> Page[ReportRunOut]:
    results = await service.list_runs(session, campaign=campaign, kind=kind, page=page)
    return page_of(results, ReportRunOut)


@router.get(
    "/v1/reports/{report_id}",
    summary="A report that went out, as it was sent",
    response_model=ReportRunDetailOut,
    responses=problem_responses(404, 422),
)
async def get_report_run(
    report_id: uuid.UUID, session: DbSession, caller: Viewer
) -> ReportRunDetailOut:
    run, event = await service.get_run(session, workspace_id=caller.workspace_id, run_id=report_id)
    return ReportRunDetailOut.model_validate(
        ReportRunOut.model_validate(run).model_dump()
        | {"event_id": event.id if event else None, "content": event.data if event else {}}
    )


@router.get(
    "/v1/report-schedule",
    summary="When the workspace's reports go out (campaigns may set their own)",
    response_model=ReportScheduleOut,
)
async def get_workspace_report_schedule(session: DbSession, caller: Viewer) -> ReportScheduleOut:
    return await service.schedule_view(session, workspace_id=caller.workspace_id, now=utcnow())


@router.put(
    "/v1/report-schedule",
    summary="Set when the workspace's reports go out (admin)",
    description="Replaces the settings: a field left out or null goes back to the default "
    "(daily at 17:00, weekly on Mondays at 09:00, campaign local; language by the campaign).",
    response_model=ReportScheduleOut,
    responses=problem_responses(415, 422),
)
async def put_workspace_report_schedule(
    body: ReportScheduleIn, session: DbSession, caller: Admin
) -> ReportScheduleOut:
    await service.set_schedule(
        session, workspace_id=caller.workspace_id, campaign_id=None, values=dict(body)
    )
    return await service.schedule_view(session, workspace_id=caller.workspace_id, now=utcnow())


@router.get(
    "/v1/campaigns/{campaign_id}/report-schedule",
    summary="When the campaign's reports go out, and the next times",
    response_model=ReportScheduleOut,
    responses=problem_responses(404, 422),
)
async def get_campaign_report_schedule(
    campaign: ReadableCampaign, session: DbSession
) -> ReportScheduleOut:
    return await service.schedule_view(
        session, workspace_id=campaign.workspace_id, campaign=campaign, now=utcnow()
    )


@router.put(
    "/v1/campaigns/{campaign_id}/report-schedule",
    summary="Set when the campaign's reports go out (editor)",
    description="Replaces the campaign's own settings: a field left out or null follows the "
    "workspace's.",
    response_model=ReportScheduleOut,
    responses=problem_responses(404, 415, 422),
)
async def put_campaign_report_schedule(
    body: ReportScheduleIn, campaign: ChangeableCampaign, session: DbSession
) -> ReportScheduleOut:
    await service.set_schedule(
        session,
        workspace_id=campaign.workspace_id,
        campaign_id=campaign.id,
        values=dict(body),
    )
    return await service.schedule_view(
        session, workspace_id=campaign.workspace_id, campaign=campaign, now=utcnow()
    )
