"""Channels, and the figures read back: series, goal progress, the daily report."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.api.deps import (
    AppRuntime,
    ChangeableCampaign,
    DbSession,
    Editor,
    Pagination,
    ReadableCampaign,
    Viewer,
)
from services.api.problems import problem_responses
from shared.change_requests import plan_versions
from shared.figures import channels, progress, retention, series
from shared.figures.schemas import (
    CampaignChannelsIn,
    ChannelCreate,
    ChannelOut,
    GoalProgressOut,
    SeriesOut,
)
from shared.figures.series import Granularity
from shared.metrics import service as metrics
from shared.pagination import Page, page_of
from shared.reports import service as reports
from shared.reports.schemas import DailyReportOut
from shared.schemas import CalendarDay, Instant
from shared.timeutil import utcnow

# Under the "ingestion" tag, as before these routes left routers/ingestion.py: the tag
# is part of the published document.
router = APIRouter(tags=["ingestion"])


@router.get(
    "/v1/channels",
    summary="The workspace's channels",
    response_model=Page[ChannelOut],
    responses=problem_responses(400, 422),
)
async def list_channels(session: DbSession, caller: Viewer, page: Pagination) -> Page[ChannelOut]:
    results = await channels.list_channels(session, workspace_id=caller.workspace_id, page=page)
    return page_of(results, ChannelOut)


@router.post(
    "/v1/channels",
    summary="Add a channel",
    status_code=status.HTTP_201_CREATED,
    response_model=ChannelOut,
    responses=problem_responses(409, 415, 422),
)
async def create_channel(
    body: ChannelCreate, session: DbSession, caller: Editor, response: Response
) -> ChannelOut:
    channel = await channels.create_channel(
        session, workspace_id=caller.workspace_id, data=body.model_dump()
    )
    response.headers["Location"] = f"/v1/channels/{channel.key}"
    return ChannelOut.model_validate(channel)


@router.get(
    "/v1/campaigns/{campaign_id}/channels",
    summary="Channels the campaign runs on",
    response_model=list[ChannelOut],
    responses=problem_responses(404, 422),
)
async def get_campaign_channels(campaign: ReadableCampaign, session: DbSession) -> list[ChannelOut]:
    return [
        ChannelOut.model_validate(c) for c in await channels.campaign_channels(session, campaign)
    ]


@router.put(
    "/v1/campaigns/{campaign_id}/channels",
    summary="Set the campaign's channels",
    response_model=list[ChannelOut],
    responses=problem_responses(404, 415, 422),
)
async def set_campaign_channels(
    body: CampaignChannelsIn, campaign: ChangeableCampaign, session: DbSession
) -> list[ChannelOut]:
    attached = await channels.set_campaign_channels(
        session, campaign=campaign, keys=body.channel_keys
    )
    return [ChannelOut.model_validate(c) for c in attached]


@router.get(
    "/v1/campaigns/{campaign_id}/series",
    summary="A metric over time: total and per channel; derived metrics from their parts",
    response_model=SeriesOut,
    responses=problem_responses(404, 422),
)
async def get_series(
    campaign: ReadableCampaign,
    session: DbSession,
    runtime: AppRuntime,
    metric: Annotated[str, Query(max_length=64, description="A key of the dictionary")],
    granularity: Annotated[
        Granularity,
        Query(
            description="Local days, weeks, months; `hour` needs from and to, <= 31 days, "
            "within HOURLY_POINTS_RETENTION_DAYS (400 by default)"
        ),
    ] = "day",
    from_: Annotated[Instant | None, Query(alias="from", description="With an offset")] = None,
    to: Annotated[Instant | None, Query(description="Exclusive, with an offset")] = None,
    channel: Annotated[str | None, Query(max_length=64)] = None,
) -> SeriesOut:
    dictionary = await metrics.dictionary(session, workspace_id=campaign.workspace_id)
    result = await series.read_series(
        session,
        campaign=campaign,
        dictionary=dictionary,
        metric_key=metric,
        granularity=granularity,
        start=from_,
        end=to,
        channel=channel,
        hourly_since=retention.hourly_horizon(
            utcnow(), days=runtime.settings.hourly_points_retention_days
        ),
    )
    return SeriesOut.model_validate(result, from_attributes=True)


@router.get(
    "/v1/campaigns/{campaign_id}/goals/progress",
    summary="Each goal: actual, achievement rate, expected to date",
    response_model=list[GoalProgressOut],
    responses=problem_responses(404, 422),
)
async def get_goal_progress(
    campaign: ReadableCampaign, session: DbSession
) -> list[GoalProgressOut]:
    dictionary = await metrics.dictionary(session, workspace_id=campaign.workspace_id)
    today = campaign.local_date(utcnow())
    approved = await plan_versions.baseline(session, campaign)
    approved_goals = approved.goals if approved is not None else {}
    return [
        GoalProgressOut(
            goal_id=p.goal.id,
            metric_key=p.goal.metric_key,
            target_kind=p.goal.target_kind,
            target_value=p.goal.target_value,
            baseline_value=p.goal.baseline_value,
            actual=p.actual,
            lift_percent=p.lift_percent,
            achievement_rate=p.achievement_rate,
            expected_to_date=p.expected_to_date,
            due_date=p.goal.due_date,
            approved_target_value=approved_goals.get(p.goal.id, {}).get("target_value"),
            approved_due_date=approved_goals.get(p.goal.id, {}).get("due_date"),
        )
        for p in await progress.goal_progress(
            session, campaign=campaign, dictionary=dictionary, today=today
        )
    ]


@router.get(
    "/v1/campaigns/{campaign_id}/daily-report",
    summary="The daily channel report: one row per channel and the total, for a local day",
    description="Rates are computed from their parts for each row (CTR = clicks / "
    "impressions, conversion = conversions / clicks). Each row has its anomaly note (the "
    "day's log notes about the channel and the alerts that fired on it) and its completion "
    "rate against the day's target of each goal (`goals`); the same data is sent as the "
    "daily report (`/v1/campaigns/{id}/reports/daily`).",
    response_model=DailyReportOut,
    responses=problem_responses(404, 422),
)
async def get_daily_report(
    campaign: ReadableCampaign,
    session: DbSession,
    day: Annotated[
        CalendarDay, Query(alias="date", description="A day in the campaign's timezone")
    ],
) -> DailyReportOut:
    return await reports.daily_table(session, campaign=campaign, day=day)
