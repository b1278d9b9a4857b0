"""The budget by channel and by work, beside the per-category summary of /budget."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.api.deps import DbSession, ReadableCampaign
from services.api.problems import problem_responses
from shared.allocations import summary
from shared.allocations.schemas import WorkBudgetOut
from shared.channel_history import service as channel_history
from shared.channel_history.rules import DEFAULT_MONTHS, MAX_MONTHS, MIN_MONTHS
from shared.channel_history.schemas import ChannelBudgetOut
from shared.timeutil import utcnow

router = APIRouter(prefix="/v1/campaigns/{campaign_id}/budget", tags=["campaigns"])


@router.get(
    "/channels",
    summary="Planned against spent per channel, with revenue, GMV and ROI",
    description="Planned: the budget lines naming the channel. Spent: the expenses recorded "
    "against it when there are any (the money finance recognises), otherwise the `spend` "
    "its integration pushed; `spend_source` says which. ROI is the dictionary's `roi` "
    "(revenue / spend) on that spent. Money naming no channel is `unassigned`. With "
    "`with_history=true`, each line also shows its channel's `history` for planning: how "
    "the channel did in the workspace's other campaigns of the same kind and currency that "
    "ended within `history_months` months (as `GET /v1/channels/history` shows it).",
    response_model=ChannelBudgetOut,
    responses=problem_responses(404, 422),
)
async def get_budget_by_channel(
    campaign: ReadableCampaign,
    session: DbSession,
    with_history: Annotated[
        bool, Query(description="Show each channel's history beside its line")
    ] = False,
    history_months: Annotated[
        int,
        Query(
            ge=MIN_MONTHS,
            le=MAX_MONTHS,
            description=f"With `with_history`: campaigns that ended within this many months "
            f"({MIN_MONTHS}-{MAX_MONTHS})",
        ),
    ] = DEFAULT_MONTHS,
) -> ChannelBudgetOut:
    found = await channel_history.budget_by_channel(
        session, campaign=campaign, now=utcnow(), with_history=with_history, months=history_months
    )
    return ChannelBudgetOut.of_lines(found.budget, found.history)


@router.get(
    "/tasks",
    summary="Planned against spent per strategy, module and task",
    description="Each piece of work with money in or under it: its own budget lines and "
    "expenses, and a `rollup` with everything under it. Money naming no work is "
    "`unassigned`.",
    response_model=WorkBudgetOut,
    responses=problem_responses(404, 422),
)
async def get_budget_by_work(campaign: ReadableCampaign, session: DbSession) -> WorkBudgetOut:
    return WorkBudgetOut.of(await summary.by_work(session, campaign=campaign))
