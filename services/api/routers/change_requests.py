"""Change requests on an active campaign, the plan's versions and diffs, the approval rule."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.api.deps import (
    Admin,
    Approver,
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
from shared.approvals.schemas import DecisionOut
from shared.campaigns.models import Campaign
from shared.change_requests import approval_rule, plan_versions, service
from shared.change_requests.models import RequestStatus
from shared.change_requests.schemas import (
    ChangeApprovalRuleIn,
    ChangeApprovalRuleOut,
    ChangeRequestDecisionIn,
    ChangeRequestIn,
    ChangeRequestOut,
    PlanDiffOut,
    PlanOut,
)
from shared.pagination import Page
from shared.timeutil import utcnow

router = APIRouter(tags=["change requests"])

REQUESTS = "/v1/campaigns/{campaign_id}/change-requests"
ONE_REQUEST = REQUESTS + "/{request_id}"


def _out(found: service.RequestView, response: Response | None = None) -> ChangeRequestOut:
    request = found.request
    if response is not None:
        set_etag(response, request.version)
    columns = ChangeRequestOut.model_fields.keys() - {"plan_changed", "decisions"}
    return ChangeRequestOut.model_validate(
        {name: getattr(request, name) for name in columns}
        | {
            "plan_changed": found.plan_changed,
            "decisions": [DecisionOut.model_validate(d) for d in found.decisions],
        }
    )


# --- the approval rule ----------------------------------------------------------------------------


def _rule_out(share: tuple[object, bool]) -> ChangeApprovalRuleOut:
    return ChangeApprovalRuleOut.model_validate(
        {"move_share_percent": share[0], "is_default": share[1]}
    )


@router.get(
    "/v1/change-requests/approval-rule",
    summary="When a change request needs the full approval chain",
    description="Changes within the total go to the chain's first step alone (the department "
    "head); the full chain decides when the total planned rises, or when a single budget move "
    "exceeds `move_share_percent` of the total (default 10).",
    response_model=ChangeApprovalRuleOut,
)
async def get_change_approval_rule(session: DbSession, caller: Viewer) -> ChangeApprovalRuleOut:
    return _rule_out(
        await approval_rule.move_share_percent(session, workspace_id=caller.workspace_id)
    )


@router.put(
    "/v1/change-requests/approval-rule",
    summary="Set when a change request needs the full chain (admin)",
    description="Requests already made keep the approvers they were given.",
    response_model=ChangeApprovalRuleOut,
    responses=problem_responses(415, 422),
)
async def put_change_approval_rule(
    body: ChangeApprovalRuleIn, session: DbSession, caller: Admin
) -> ChangeApprovalRuleOut:
    return _rule_out(
        await approval_rule.set_move_share_percent(
            session, workspace_id=caller.workspace_id, percent=body.move_share_percent
        )
    )


# --- requests -------------------------------------------------------------------------------------


@router.post(
    REQUESTS,
    summary="Request changes to an active campaign's plan",
    description="Budget moves between lines (categories or channels), a line raised or cut, a "
    "line or a goal added, a goal's target or due date, a later end date: each with a reason "
    "and the expected effect, applied together or not at all once approved. Checked against "
    "the current plan now (422 naming `changes.<i>.<field>`; nothing is stored). 409 "
    "`campaign_not_active` unless the campaign is active (a draft's plan is edited directly), "
    "409 `plan_changed` when `plan_version` is not the current one.",
    status_code=status.HTTP_201_CREATED,
    response_model=ChangeRequestOut,
    dependencies=[Idempotent],
    responses=problem_responses(404, 409, 415, 422),
)
async def create_change_request(
    body: ChangeRequestIn,
    campaign: ChangeableCampaign,
    session: DbSession,
    caller: Editor,
    response: Response,
) -> ChangeRequestOut:
    request = await service.create_request(
        session,
        campaign=campaign,
        actor=caller,
        title=body.title,
        plan_version=body.plan_version,
        changes=body.changes,
    )
    response.headers["Location"] = f"/v1/campaigns/{campaign.id}/change-requests/{request.id}"
    return _out(await service.view(session, campaign, request), response)


@router.get(
    REQUESTS,
    summary="The campaign's change requests",
    response_model=Page[ChangeRequestOut],
    responses=problem_responses(400, 404, 422),
)
async def list_change_requests(
    campaign: ReadableCampaign,
    session: DbSession,
    page: Pagination,
    status_: Annotated[list[RequestStatus] | None, Query(alias="status", max_length=4)] = None,
) -> Page[ChangeRequestOut]:
    results, views = await service.list_requests(
        session, campaign=campaign, statuses=status_ or (), page=page
    )
    return Page[ChangeRequestOut](
        items=[_out(found) for found in views], next_cursor=results.next_cursor
    )


@router.get(
    ONE_REQUEST,
    summary="A change request, with its decisions",
    response_model=ChangeRequestOut,
    responses=problem_responses(404, 422),
)
async def get_change_request(
    request_id: uuid.UUID, campaign: ReadableCampaign, session: DbSession, response: Response
) -> ChangeRequestOut:
    request = await service.get_request(session, campaign=campaign, request_id=request_id)
    return _out(await service.view(session, campaign, request), response)


@router.post(
    ONE_REQUEST + "/approvals",
    summary="Approve or reject the current step of a change request (its approver only)",
    description="Decided like a campaign's approval, by API keys with the approver role bound "
    "to a member of the step: 403 for anyone else, 409 `out_of_turn` for an approver of a "
    "later step. A rejection needs a comment. The last approval applies every change at once "
    "and records the next plan version; 409 `plan_changed` when the plan has moved past the "
    "request's `plan_version`, 422 (nothing applied) when a change no longer fits the plan.",
    response_model=ChangeRequestOut,
    responses=problem_responses(403, 404, 409, 412, 415, 422),
)
async def decide_change_request(
    request_id: uuid.UUID,
    body: ChangeRequestDecisionIn,
    campaign: ChangeableCampaign,
    session: DbSession,
    caller: Approver,
    if_match: IfMatch,
    response: Response,
) -> ChangeRequestOut:
    request = await service.get_request(
        session, campaign=campaign, request_id=request_id, lock=True
    )
    await service.decide(
        session,
        campaign=campaign,
        request=request,
        actor=caller,
        decision=body.decision,
        comment=body.comment,
        expected_versions=if_match,
        now=utcnow(),
    )
    return _out(await service.view(session, campaign, request), response)


@router.post(
    ONE_REQUEST + "/withdraw",
    summary="Withdraw a pending change request",
    response_model=ChangeRequestOut,
    responses=problem_responses(404, 409, 412, 422),
)
async def withdraw_change_request(
    request_id: uuid.UUID,
    campaign: ChangeableCampaign,
    session: DbSession,
    caller: Editor,
    if_match: IfMatch,
    response: Response,
) -> ChangeRequestOut:
    request = await service.get_request(
        session, campaign=campaign, request_id=request_id, lock=True
    )
    await service.withdraw(session, request=request, expected_versions=if_match, now=utcnow())
    return _out(await service.view(session, campaign, request), response)


# --- the plan's versions --------------------------------------------------------------------------


def _plan_out(campaign: Campaign, found: plan_versions.VersionedPlan) -> PlanOut:
    snapshot = found.plan
    return PlanOut.model_validate(
        {
            "campaign_id": campaign.id,
            "version": found.number,
            "current_version": found.current,
            "change_request_id": found.change_request_id,
            "recorded_at": found.recorded_at,
            "start_date": snapshot["start_date"],
            "end_date": snapshot["end_date"],
            "planned_total": plan_versions.planned_total(snapshot),
            "categories": [
                {"category": category, "planned": planned}
                for category, planned in plan_versions.planned_by_category(snapshot).items()
            ],
            "goals": snapshot["goals"],
            "budget_lines": snapshot["budget_lines"],
        }
    )


Version = Annotated[int, Query(ge=1, le=1_000_000, description="1 is the approved baseline")]


@router.get(
    "/v1/campaigns/{campaign_id}/plan",
    summary="The plan (dates, goals, budget lines) at a version",
    description="Version 1 is the plan as approved; each applied change request adds one. "
    "Without `version`, the current plan. 404 for a version that does not exist, or a "
    "campaign whose plan has not been approved yet.",
    response_model=PlanOut,
    responses=problem_responses(404, 422),
)
async def get_plan(
    campaign: ReadableCampaign, session: DbSession, version: Version | None = None
) -> PlanOut:
    return _plan_out(campaign, await plan_versions.plan_at(session, campaign, version))


@router.get(
    "/v1/campaigns/{campaign_id}/plan/diff",
    summary="What changed in the plan between two versions",
    description="By default from the approved baseline (1) to the current version: dates, the "
    "total and each category planned, and each budget line and goal added or changed, field "
    "by field (`[before, after]`).",
    response_model=PlanDiffOut,
    responses=problem_responses(404, 422),
)
async def get_plan_diff(
    campaign: ReadableCampaign,
    session: DbSession,
    from_: Annotated[int, Query(alias="from", ge=1, le=1_000_000)] = 1,
    to: Version | None = None,
) -> PlanDiffOut:
    before = await plan_versions.plan_at(session, campaign, from_)
    after = await plan_versions.plan_at(session, campaign, to)
    found = plan_versions.diff(before.plan, after.plan)
    return PlanDiffOut.model_validate(
        {
            "campaign_id": campaign.id,
            "from_version": before.number,
            "to_version": after.number,
            "dates": found.dates,
            "planned_total": {
                "before": found.total_before,
                "after": found.total_after,
                "change": found.total_after - found.total_before,
            },
            "categories": [
                {"category": c, "before": b, "after": a, "change": a - b}
                for c, (b, a) in found.categories.items()
            ],
            "budget_lines": [vars(item) for item in found.budget_lines],
            "goals": [vars(item) for item in found.goals],
        }
    )
