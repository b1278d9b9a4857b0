"""Campaigns: planning screens, lifecycle actions, readiness and the budget summary."""

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status

from services.api.deps import (
    ChangeableCampaign,
    DbSession,
    Editor,
    Idempotent,
    IfMatch,
    Pagination,
    ReadableCampaign,
    Viewer,
    set_etag,
)
from services.api.problems import problem_responses
from shared.campaigns import budget, readiness, service, workflow
from shared.campaigns.models import Campaign, CampaignKind, CampaignStatus
from shared.campaigns.plan_schemas import BudgetCategorySummary, BudgetSummary
from shared.campaigns.schemas import (
    CampaignCreate,
    CampaignOut,
    CampaignUpdate,
    CancelRequest,
    ReadinessOut,
)
from shared.change_requests import plan_versions
from shared.pagination import Page, page_of
from shared.schemas import CalendarDay
from shared.timeutil import utcnow

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])

CampaignSort = Literal["created_at", "-created_at", "start_date", "-start_date", "name", "-name"]
ACTION_PROBLEMS = problem_responses(404, 409, 422)


def _out(campaign: Campaign | dict[str, Any], response: Response) -> CampaignOut:
    """An ORM campaign or a plain row (the creation's)."""
    out = CampaignOut.model_validate(campaign)
    set_etag(response, out.version)
    return out


@router.get(
    "",
    summary="List campaigns",
    response_model=Page[CampaignOut],
    responses=problem_responses(400, 422),
)
async def list_campaigns(
    session: DbSession,
    caller: Viewer,
    page: Pagination,
    status_: Annotated[list[CampaignStatus] | None, Query(alias="status")] = None,
    owner_id: uuid.UUID | None = None,
    kind: CampaignKind | None = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    active_from: Annotated[
        CalendarDay | None, Query(description="Overlapping this day or later")
    ] = None,
    active_to: Annotated[
        CalendarDay | None, Query(description="Overlapping this day or earlier")
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="In name or background")] = None,
    sort: Annotated[CampaignSort, Query(description="`-` for descending")] = "-created_at",
) -> Page[CampaignOut]:
    filters = service.CampaignFilters(
        statuses=status_ or (),
        owner_id=owner_id,
        kind=kind,
        tag=tag,
        active_from=active_from,
        active_to=active_to,
        q=q,
    )
    results = await service.list_campaigns(
        session, workspace_id=caller.workspace_id, filters=filters, sort=sort, page=page
    )
    return page_of(results, CampaignOut)


@router.post(
    "",
    summary="Request a campaign (a draft)",
    status_code=status.HTTP_201_CREATED,
    response_model=CampaignOut,
    dependencies=[Idempotent],
    responses=problem_responses(409, 415, 422),
)
async def create_campaign(
    body: CampaignCreate, session: DbSession, caller: Editor, response: Response
) -> CampaignOut:
    row = await service.create_campaign(session, actor=caller, data=body.model_dump())
    response.headers["Location"] = f"/v1/campaigns/{row['id']}"
    return _out(row, response)


@router.get(
    "/{campaign_id}",
    summary="Get a campaign",
    response_model=CampaignOut,
    responses=problem_responses(404, 422),
)
async def get_campaign(campaign: ReadableCampaign, response: Response) -> CampaignOut:
    return _out(campaign, response)


@router.patch(
    "/{campaign_id}",
    summary="Edit a campaign (see the rules per status)",
    response_model=CampaignOut,
    responses=problem_responses(404, 409, 412, 415, 422),
)
async def update_campaign(
    body: CampaignUpdate,
    campaign: ChangeableCampaign,
    session: DbSession,
    if_match: IfMatch,
    response: Response,
) -> CampaignOut:
    campaign = await service.update_campaign(
        session, campaign=campaign, changes=body.model_dump(), expected_versions=if_match
    )
    return _out(campaign, response)


@router.delete(
    "/{campaign_id}",
    summary="Delete a draft",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 409, 412, 422),
)
async def delete_campaign(
    campaign: ChangeableCampaign, session: DbSession, if_match: IfMatch
) -> None:
    await service.delete_campaign(session, campaign=campaign, expected_versions=if_match)


@router.get(
    "/{campaign_id}/readiness",
    summary="What still blocks submission",
    response_model=ReadinessOut,
    responses=problem_responses(404, 422),
)
async def get_readiness(campaign: ReadableCampaign, session: DbSession) -> ReadinessOut:
    assessment = await readiness.assess(session, campaign)
    return ReadinessOut.model_validate(
        {
            "ready": assessment.ready,
            "blockers": assessment.blockers,
            "warnings": assessment.warnings,
        },
        from_attributes=True,
    )


@router.post(
    "/{campaign_id}/submit",
    summary="Submit for approval (starts a round)",
    response_model=CampaignOut,
    responses=ACTION_PROBLEMS,
)
async def submit_campaign(
    campaign: ChangeableCampaign, session: DbSession, caller: Editor, response: Response
) -> CampaignOut:
    await workflow.submit(session, campaign=campaign, actor=caller, now=utcnow())
    return _out(campaign, response)


# The actions that take no body: (summary, description). Archiving has its checklist
# (routers/close_out.py).
SIMPLE_ACTIONS = {
    "activate": ("Start an approved campaign", None),
    "complete": ("Mark an active campaign completed", None),
    "revise": (
        "Reopen an approved plan (back to draft; needs a new approval)",
        "Goals, budget and dates of an approved campaign change only this way: the campaign "
        "returns to draft, keeps its registration number, and is submitted again.",
    ),
}


def _add_simple_action(action: str, summary: str, description: str | None) -> None:
    async def perform(
        campaign: ChangeableCampaign, session: DbSession, caller: Editor, response: Response
    ) -> CampaignOut:
        await workflow.perform(
            session, campaign=campaign, action=action, actor=caller, now=utcnow()
        )
        return _out(campaign, response)

    router.add_api_route(
        f"/{{campaign_id}}/{action}",
        perform,
        methods=["POST"],
        name=f"{action}_campaign",
        summary=summary,
        description=description or "",
        response_model=CampaignOut,
        responses=ACTION_PROBLEMS,
    )


for _action, (_summary, _description) in SIMPLE_ACTIONS.items():
    _add_simple_action(_action, _summary, _description)


@router.post(
    "/{campaign_id}/cancel",
    summary="Cancel a campaign before it completes",
    response_model=CampaignOut,
    responses=ACTION_PROBLEMS,
)
async def cancel_campaign(
    campaign: ChangeableCampaign,
    session: DbSession,
    caller: Editor,
    response: Response,
    body: CancelRequest | None = None,
) -> CampaignOut:
    reason = body.reason if body else None
    await workflow.perform(
        session, campaign=campaign, action="cancel", actor=caller, now=utcnow(), reason=reason
    )
    return _out(campaign, response)


@router.get(
    "/{campaign_id}/budget",
    summary="Planned against spent, per category",
    response_model=BudgetSummary,
    responses=problem_responses(404, 422),
)
async def get_budget(campaign: ReadableCampaign, session: DbSession) -> BudgetSummary:
    summary = await budget.summarize(session, campaign)
    approved = await plan_versions.baseline(session, campaign)
    return BudgetSummary(
        currency=summary.currency,
        categories=[
            BudgetCategorySummary(
                category=category,
                planned=f.planned,
                spent=f.spent,
                remaining=f.remaining,
                burn_percent=f.burn_percent,
                approved_planned=approved and approved.planned(category),
            )
            for category, f in summary.categories.items()
        ],
        planned=summary.total.planned,
        spent=summary.total.spent,
        remaining=summary.total.remaining,
        burn_percent=summary.total.burn_percent,
        contingency_share_percent=summary.contingency_share_percent,
        plan_version=approved and approved.current_version,
        approved_planned=approved and approved.planned_total,
    )
