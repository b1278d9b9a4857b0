"""Channel history for planning: how each channel did across the workspace's past campaigns
of each kind, so that channel priority is set from evidence."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.api.deps import DbSession, Viewer
from services.api.problems import problem_responses
from shared.campaigns.models import CampaignKind
from shared.channel_history import service
from shared.channel_history.rules import DEFAULT_MONTHS, MAX_MONTHS, MIN_MONTHS
from shared.channel_history.schemas import ChannelHistoryOut
from shared.timeutil import utcnow

router = APIRouter(tags=["channel history"])

Months = Annotated[
    int,
    Query(
        ge=MIN_MONTHS,
        le=MAX_MONTHS,
        description=f"Campaigns that ended within this many months ({MIN_MONTHS}-{MAX_MONTHS})",
    ),
]


@router.get(
    "/v1/channels/history",
    summary="Per channel and campaign kind: spend, revenue, ROI, CPA, conversion across "
    "past campaigns",
    description="The workspace's campaigns that ran (completed or archived; running ones "
    "with `include_active=true`) and ended within the last `months` months, pooled per "
    "channel, campaign kind and currency: spend (each campaign's expenses recorded against "
    "the channel, else its pushed spend, with `spend_sources` counting which), revenue, "
    "ROI with the manuals' `1:X`, CPA and conversion rate as the evaluation computes them, "
    "the campaigns behind them with the spread between them (min, p25, median, p75, max of "
    "the per-campaign ROI, CPA and conversion rate), and the sample (clicks, conversions) "
    "flagged `insufficient_sample` by the evaluation's rule. Within a kind, channels are "
    "ranked as the evaluation ranks them. 422 naming `channel` for a channel the workspace "
    "does not have.",
    response_model=ChannelHistoryOut,
    responses=problem_responses(422),
)
async def get_channel_history(
    session: DbSession,
    caller: Viewer,
    months: Months = DEFAULT_MONTHS,
    kind: Annotated[CampaignKind | None, Query(description="Only campaigns of this kind")] = None,
    channel: Annotated[
        str | None, Query(min_length=1, max_length=64, description="Only this channel's key")
    ] = None,
    include_active: Annotated[
        bool, Query(description="Count running campaigns too (their figures may still move)")
    ] = False,
) -> ChannelHistoryOut:
    history = await service.read_history(
        session,
        workspace_id=caller.workspace_id,
        now=utcnow(),
        months=months,
        kind=kind,
        channel=channel,
        include_active=include_active,
    )
    return ChannelHistoryOut.of(history)
