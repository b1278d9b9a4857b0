"""Signed metric batches from integrations, their status, and the channels they name."""

import uuid
from datetime import datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Query, Request, Response, status

from services.api.deps import DbSession, Editor, Idempotent, Pagination, Viewer
from services.api.problems import HttpProblem, problem_responses
from services.api.routers.campaigns import ChangeableCampaign, ReadableCampaign
from shared.ingestion import progress, series, service
from shared.ingestion.schemas import (
    CampaignChannelsIn,
    ChannelCreate,
    ChannelOut,
    DailyReportOut,
    DailyReportRow,
    GoalProgressOut,
    IngestAccepted,
    IngestBatchIn,
    IngestBatchOut,
    MalformedJson,
    SeriesOut,
    envelope_points,
)
from shared.ingestion.series import Granularity
from shared.integrations.service import verify_delivery
from shared.metrics import service as metrics
from shared.pagination import Page, page_of
from shared.schemas import CalendarDay, Instant
from shared.timeutil import utcnow

router = APIRouter(tags=["ingestion"])

SIGNED = {
    "webhook-id": "Unique per delivery; a repeat is stored once",
    "webhook-timestamp": "Unix seconds; within 5 minutes of our clock",
    "webhook-signature": "v1,<base64 HMAC-SHA256 of id.timestamp.body> (space-separated list)",
}


@router.post(
    "/v1/ingest/{integration_id}",
    summary="Push a signed batch of metric points (Standard Webhooks)",
    description="Verified, stored as received and queued; the worker applies it (all "
    "accepted points in one transaction, exactly once) and rejects bad points one by one "
    "(see GET /v1/ingest/batches/{id}). The same webhook-id again answers with the first "
    "batch id and stores nothing. No API key: the signature is the credential. "
    + "; ".join(f"`{k}`: {v}" for k, v in SIGNED.items()),
    status_code=status.HTTP_202_ACCEPTED,
    response_model=IngestAccepted,
    openapi_extra={
        "security": [{"StandardWebhooks": []}],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": IngestBatchIn.model_json_schema()}},
        },
    },
    responses=problem_responses(400, 401, 404, 413, 415, 422),
)
async def ingest(
    integration_id: uuid.UUID,
    request: Request,
    session: DbSession,
    # Optional here so that a missing header is a 401 like any other bad signature.
    webhook_id: Annotated[str | None, Header(alias="webhook-id", max_length=255)] = None,
    webhook_timestamp: Annotated[str | None, Header(alias="webhook-timestamp")] = None,
    webhook_signature: Annotated[str | None, Header(alias="webhook-signature")] = None,
) -> IngestAccepted:
    integration = await service.find_integration(session, integration_id)
    body = await request.body()  # the exact bytes: they are what was signed
    try:
        body.decode()  # JSON is UTF-8 (RFC 8259); no signature over other bytes is checked
    except UnicodeDecodeError as exc:
        raise HttpProblem(
            400, "malformed_json", "Malformed JSON", f"Not UTF-8 at byte {exc.start}."
        ) from exc
    headers = {
        "webhook-id": webhook_id or "",
        "webhook-timestamp": webhook_timestamp or "",
        "webhook-signature": webhook_signature or "",
    }
    if not webhook_id or not verify_delivery(integration, body, headers, utcnow()):
        raise HttpProblem(
            401,
            "invalid_signature",
            "Signature not verified",
            "The webhook signature is missing, wrong, or older than 5 minutes; nothing was stored.",
        )
    try:
        points = envelope_points(body)
    except MalformedJson as exc:
        raise HttpProblem(400, "malformed_json", "Malformed JSON", f"Not JSON: {exc}.") from exc
    received = await service.receive(
        session, integration=integration, webhook_id=webhook_id, points=points
    )
    return IngestAccepted(
        batch_id=received.batch_id,
        status=received.status,
        points=received.points,
        duplicate=received.duplicate,
    )


@router.get(
    "/v1/ingest/batches/{batch_id}",
    summary="A batch: applied? which points were rejected, and why",
    response_model=IngestBatchOut,
    responses=problem_responses(404, 422),
)
async def get_ingest_batch(
    batch_id: uuid.UUID, session: DbSession, caller: Viewer
) -> IngestBatchOut:
    batch = await service.get_batch(session, workspace_id=caller.workspace_id, batch_id=batch_id)
    return IngestBatchOut.model_validate(batch)


@router.get(
    "/v1/channels",
    summary="The workspace's channels",
    response_model=Page[ChannelOut],
    responses=problem_responses(400, 422),
)
async def list_channels(session: DbSession, caller: Viewer, page: Pagination) -> Page[ChannelOut]:
    results = await service.list_channels(session, workspace_id=caller.workspace_id, page=page)
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
    channel = await service.create_channel(
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
        ChannelOut.model_validate(c) for c in await service.campaign_channels(session, campaign)
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
    channels = await service.set_campaign_channels(
        session, campaign=campaign, keys=body.channel_keys
    )
    return [ChannelOut.model_validate(c) for c in channels]


@router.get(
    "/v1/campaigns/{campaign_id}/series",
    summary="A metric over time: total and per channel; derived metrics from their parts",
    response_model=SeriesOut,
    responses=problem_responses(404, 422),
)
async def get_series(
    campaign: ReadableCampaign,
    session: DbSession,
    metric: Annotated[str, Query(max_length=64, description="A key of the dictionary")],
    granularity: Annotated[
        Granularity,
        Query(description="Local days, weeks, months; `hour` needs from and to, <= 31 days"),
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
        )
        for p in await progress.goal_progress(
            session, campaign=campaign, dictionary=dictionary, today=today
        )
    ]


DAILY_REPORT_METRICS = ("impressions", "ctr", "conversion_rate", "new_users", "gmv")


@router.get(
    "/v1/campaigns/{campaign_id}/daily-report",
    summary="The daily channel report: one row per channel and the total, for a local day",
    description="Rates are computed from their parts for each row (CTR = clicks / "
    "impressions, conversion = conversions / clicks).",
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
    dictionary = await metrics.dictionary(session, workspace_id=campaign.workspace_id)
    keys = [k for k in DAILY_REPORT_METRICS if k in dictionary]
    zone = ZoneInfo(campaign.timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    totals = await series.window_totals(
        session, campaign=campaign, dictionary=dictionary, keys=set(keys), start=start, end=end
    )
    attached = [c.key for c in await service.campaign_channels(session, campaign)]
    names = sorted(set(attached) | {c for c in totals if c is not None})
    rows = [
        DailyReportRow(channel=name, figures={k: totals.get(name, {}).get(k) for k in keys})
        for name in [*names, None]
    ]
    return DailyReportOut(date=day, metrics=keys, rows=rows)


@router.post(
    "/v1/campaigns/{campaign_id}/metric-points",
    summary="Enter figures by hand (the same point format as ingestion, without campaign)",
    description="Applied at once. Any point that cannot apply refuses the whole entry with a "
    "422 naming each (`points.3`), unless `partial=true`: then the others apply and the "
    "rejected ones are listed in the answer.",
    status_code=status.HTTP_201_CREATED,
    response_model=IngestBatchOut,
    dependencies=[Idempotent],
    responses=problem_responses(404, 409, 415, 422),
)
async def enter_metric_points(
    body: IngestBatchIn,
    campaign: ChangeableCampaign,
    session: DbSession,
    partial: Annotated[bool, Query(description="Apply the good points, report the bad")] = False,
) -> IngestBatchOut:
    batch = await service.enter_points(
        session, campaign=campaign, points=body.points, partial=partial, now=utcnow()
    )
    return IngestBatchOut.model_validate(batch)
