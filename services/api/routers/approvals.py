"""The approval chain (admins configure it) and each campaign's approval rounds."""

import uuid

from fastapi import APIRouter, Response

from services.api.deps import Admin, Approver, DbSession, ReadableCampaign, Viewer, set_etag
from services.api.problems import problem_responses
from shared.approvals import chain, rounds
from shared.approvals.schemas import (
    ApprovalChainIn,
    ApprovalChainOut,
    DecisionIn,
    DecisionOut,
    RoundOut,
)
from shared.campaigns import service, workflow
from shared.campaigns.schemas import CampaignOut
from shared.timeutil import utcnow

router = APIRouter(tags=["approvals"])


def _chain_out(current: chain.Chain) -> ApprovalChainOut:
    return ApprovalChainOut.model_validate(
        {
            "is_default": current.is_default,
            "steps": [step | {"position": i} for i, step in enumerate(current.steps)],
        }
    )


@router.get(
    "/v1/approval-chain", summary="The workspace's approval chain", response_model=ApprovalChainOut
)
async def get_approval_chain(session: DbSession, caller: Viewer) -> ApprovalChainOut:
    return _chain_out(await chain.get_chain(session, workspace_id=caller.workspace_id))


@router.put(
    "/v1/approval-chain",
    summary="Set the approval chain (admin)",
    description="Each step is decided by the listed members, or by any member whose title "
    "matches `approver_title`, through an API key with the approver role bound to that "
    "member. Rounds already under way keep the chain they started with.",
    response_model=ApprovalChainOut,
    responses=problem_responses(415, 422),
)
async def put_approval_chain(
    body: ApprovalChainIn, session: DbSession, caller: Admin
) -> ApprovalChainOut:
    current = await chain.replace_chain(
        session,
        workspace_id=caller.workspace_id,
        steps=[step.model_dump() for step in body.steps],
    )
    return _chain_out(current)


@router.post(
    "/v1/campaigns/{campaign_id}/approvals",
    summary="Approve or reject the current step (its approver only)",
    description="403 when the caller's member is not an approver of the current step; 409 "
    "when they approve a later step out of turn, or the campaign is not pending approval. "
    "Rejecting ends the round (the campaign returns to `rejected` for edits). The last "
    "approval registers the campaign with its number.",
    response_model=CampaignOut,
    responses=problem_responses(404, 409, 415, 422),
)
async def decide_approval(
    campaign_id: uuid.UUID,
    body: DecisionIn,
    session: DbSession,
    caller: Approver,
    response: Response,
) -> CampaignOut:
    campaign = await service.get_campaign(
        session, workspace_id=caller.workspace_id, campaign_id=campaign_id, lock=True
    )
    await workflow.decide(
        session,
        campaign=campaign,
        actor=caller,
        decision=body.decision,
        comment=body.comment,
        now=utcnow(),
    )
    set_etag(response, campaign.version)
    return CampaignOut.model_validate(campaign)


@router.get(
    "/v1/campaigns/{campaign_id}/approvals",
    summary="Every approval round of the campaign, with its decisions",
    response_model=list[RoundOut],
    responses=problem_responses(404, 422),
)
async def list_approval_rounds(campaign: ReadableCampaign, session: DbSession) -> list[RoundOut]:
    return [
        RoundOut.model_validate(
            {
                "number": r.number,
                "status": r.status,
                "steps": r.steps,
                "current_step": r.current_step,
                "submitted_by_member_id": r.submitted_by_member_id,
                "created_at": r.created_at,
                "closed_at": r.closed_at,
                "decisions": [DecisionOut.model_validate(d) for d in decisions],
            }
        )
        for r, decisions in await rounds.history(session, campaign)
    ]
