"""The budget by channel and by work, beside the per-category summary of /budget."""

from fastapi import APIRouter

from services.api.deps import DbSession, ReadableCampaign
from services.api.problems import problem_responses
from shared.allocations import summary
from shared.allocations.schemas import ChannelBudgetOut, WorkBudgetOut

router = APIRouter(prefix="/v1/campaigns/{campaign_id}/budget", tags=["campaigns"])


@router.get(
    "/channels",
    summary="Planned against spent per channel, with revenue, GMV and ROI",
    description="Planned: the budget lines naming the channel. Spent: the expenses recorded "
    "against it when there are any (the money finance recognises), otherwise the `spend` "
    "its integration pushed; `spend_source` says which. ROI is the dictionary's `roi` "
    "(revenue / spend) on that spent. Money naming no channel is `unassigned`.",
    response_model=ChannelBudgetOut,
    responses=problem_responses(404, 422),
)
async def get_budget_by_channel(campaign: ReadableCampaign, session: DbSession) -> ChannelBudgetOut:
    return ChannelBudgetOut.of(await summary.by_channel(session, campaign=campaign))


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
