"""The expense settlement of a campaign, and the workspace's settlement policy."""

from typing import Annotated

from fastapi import APIRouter, Path, Response

from services.api.deps import (
    Admin,
    ChangeableCampaign,
    DbSession,
    Editor,
    ReadableCampaign,
    Viewer,
    set_etag,
)
from services.api.problems import problem_responses
from shared.campaigns.models import Campaign
from shared.settlements import policy, service
from shared.settlements.schemas import (
    ExplanationIn,
    ReopenIn,
    SettlementOut,
    SettlementPolicyIn,
    SettlementPolicyOut,
    SettlementRecordOut,
    SettlementRecordSummaryOut,
    SignOffIn,
)
from shared.timeutil import utcnow

router = APIRouter(tags=["settlement"])

SETTLEMENT = "/v1/campaigns/{campaign_id}/settlement"
LineKey = Annotated[
    str,
    Path(
        max_length=80,
        pattern=r"^(no_channel|[a-z][a-z0-9_]{0,63}|channel:[a-z][a-z0-9_]{0,63})$",
        description="A budget category (`promotion_media`), a channel (`channel:social_feed`) "
        "or `no_channel`",
        examples=["promotion_media"],
    ),
]
WHO = (
    " Needs the role the workspace's settlement policy names for finance (default approver), "
    "through an API key bound to a member (403 otherwise)."
)


async def _shown(session: DbSession, campaign: Campaign, response: Response) -> SettlementOut:
    found = await service.view(session, campaign=campaign)
    settlement, current = found.settlement, found.current
    set_etag(response, found.version)
    return SettlementOut.model_validate(
        found.lines.model_dump()
        | {
            "campaign_id": campaign.id,
            "status": found.status,
            "missing_explanations": found.missing_explanations,
            "verified_at": settlement.verified_at if settlement else None,
            "verified_by_member_id": settlement.verified_by_member_id if settlement else None,
            "record_number": current.number if current else None,
            "settled_at": current.settled_at if current else None,
            "settled_by_member_id": current.settled_by_member_id if current else None,
            "signed_off_at": current.signed_off_at if current else None,
            "signed_off_by_member_id": current.signed_off_by_member_id if current else None,
            "sign_off_comment": current.sign_off_comment if current else None,
            "expenses_settled_at": campaign.expenses_settled_at,
            "allowed_actions": found.allowed_actions,
            "records": [SettlementRecordSummaryOut.model_validate(r) for r in found.records],
            "version": found.version,
        }
    )


@router.get(
    SETTLEMENT,
    summary="The expense settlement: planned against actual per category and channel",
    description="Per budget category and per channel (plus `no_channel`): planned in the "
    "approved baseline (plan version 1) and in the current plan, the expenses recorded "
    "(`actual`), `variance` = actual - planned (current plan) and `variance_percent` (null "
    "when nothing was planned, said in `variance_note`). A line needs an explanation when "
    "|variance %| is above the policy's threshold (default 5%) or money was spent where "
    "none was planned; `missing_explanations` lists those without one. Once settled, the "
    "lines are those of the current record, frozen.",
    response_model=SettlementOut,
    responses=problem_responses(404, 422),
)
async def get_settlement(
    campaign: ReadableCampaign, session: DbSession, response: Response
) -> SettlementOut:
    return await _shown(session, campaign, response)


@router.put(
    SETTLEMENT + "/lines/{line_key}/explanation",
    summary="Explain why a line ran over or under its plan (editor)",
    description="Writes or rewrites the line's explanation (1-2,000 characters, any "
    "language). 404 for a key that is no line of the statement; 409 `settlement_closed` "
    "once settled (reopen first). Answers the whole settlement.",
    response_model=SettlementOut,
    responses=problem_responses(404, 409, 415, 422),
)
async def put_explanation(
    line_key: LineKey,
    body: ExplanationIn,
    campaign: ChangeableCampaign,
    session: DbSession,
    caller: Editor,
    response: Response,
) -> SettlementOut:
    await service.explain(
        session, campaign=campaign, actor=caller, line_key=line_key, text=body.text
    )
    return await _shown(session, campaign, response)


@router.post(
    SETTLEMENT + "/verify",
    summary="Finance verifies the expenses against their invoices and contracts",
    description="From open (or verified, to verify again). 409 `campaign_not_completed` "
    "unless the campaign is completed; `settlement_closed` once settled." + WHO,
    response_model=SettlementOut,
    responses=problem_responses(403, 404, 409),
)
async def verify_settlement(
    campaign: ChangeableCampaign, session: DbSession, caller: Editor, response: Response
) -> SettlementOut:
    await service.verify(session, campaign=campaign, actor=caller, now=utcnow())
    return await _shown(session, campaign, response)


@router.post(
    SETTLEMENT + "/settle",
    summary="Finance settles: the final account, with the expenses frozen",
    description="Needs a completed campaign (409 `campaign_not_completed`) and a verification "
    "(409 `not_verified`; `verification_stale` when an expense changed since). Every line "
    "that needs an explanation must have one: 422 `explanations_missing` lists each as "
    "`lines.<key>.explanation`. Then a numbered record keeps the lines frozen, the "
    "campaign's expenses refuse changes (409 `expenses_settled`) and `campaign.settled` "
    "is recorded with the totals." + WHO,
    response_model=SettlementOut,
    responses=problem_responses(403, 404, 409, 422),
)
async def settle_settlement(
    campaign: ChangeableCampaign, session: DbSession, caller: Editor, response: Response
) -> SettlementOut:
    await service.settle(session, campaign=campaign, actor=caller, now=utcnow())
    return await _shown(session, campaign, response)


@router.post(
    SETTLEMENT + "/sign-off",
    summary="Management signs the settled account off, with a comment",
    description="Signs the current record off (409 `not_settled` otherwise). Needs the role "
    "the policy names for management (default admin), through a key bound to a member.",
    response_model=SettlementOut,
    responses=problem_responses(403, 404, 409, 415, 422),
)
async def sign_off_settlement(
    body: SignOffIn,
    campaign: ChangeableCampaign,
    session: DbSession,
    caller: Editor,
    response: Response,
) -> SettlementOut:
    await service.sign_off(
        session, campaign=campaign, actor=caller, comment=body.comment, now=utcnow()
    )
    return await _shown(session, campaign, response)


@router.post(
    SETTLEMENT + "/reopen",
    summary="Finance reopens a settled account for a correction, with a reason",
    description="The current record is closed with the reason (it stays in `records`, with "
    "any sign-off); the expenses open again, the sign-off no longer stands and the "
    "settlement starts over from open. The reason goes to the execution log. 409 "
    "`not_settled` unless settled or signed off." + WHO,
    response_model=SettlementOut,
    responses=problem_responses(403, 404, 409, 415, 422),
)
async def reopen_settlement(
    body: ReopenIn,
    campaign: ChangeableCampaign,
    session: DbSession,
    caller: Editor,
    response: Response,
) -> SettlementOut:
    await service.reopen(session, campaign=campaign, actor=caller, reason=body.reason, now=utcnow())
    return await _shown(session, campaign, response)


@router.get(
    SETTLEMENT + "/records/{number}",
    summary="One settlement record, with its lines as settled",
    response_model=SettlementRecordOut,
    responses=problem_responses(404, 422),
)
async def get_settlement_record(
    number: Annotated[int, Path(ge=1, le=1_000_000, description="The record's number")],
    campaign: ReadableCampaign,
    session: DbSession,
) -> SettlementRecordOut:
    record = await service.get_record(session, campaign=campaign, number=number)
    return SettlementRecordOut.model_validate(record)


# --- the policy -----------------------------------------------------------------------------------


def _policy_out(found: policy.Policy) -> SettlementPolicyOut:
    return SettlementPolicyOut.model_validate(found)


@router.get(
    "/v1/settlement-policy",
    summary="The workspace's settlement policy",
    description="The variance threshold above which a line needs an explanation (default "
    "5%), the role finance needs to verify, settle and reopen (default approver) and the "
    "role management needs to sign off (default admin).",
    response_model=SettlementPolicyOut,
)
async def get_settlement_policy(session: DbSession, caller: Viewer) -> SettlementPolicyOut:
    return _policy_out(await policy.get_policy(session, workspace_id=caller.workspace_id))


@router.put(
    "/v1/settlement-policy",
    summary="Set the workspace's settlement policy (admin)",
    description="Fields left out take their defaults. Open settlements judge their lines by "
    "the new threshold at once; settled records keep theirs.",
    response_model=SettlementPolicyOut,
    responses=problem_responses(415, 422),
)
async def put_settlement_policy(
    body: SettlementPolicyIn, session: DbSession, caller: Admin
) -> SettlementPolicyOut:
    return _policy_out(
        await policy.set_policy(
            session,
            workspace_id=caller.workspace_id,
            threshold_percent=body.threshold_percent,
            finance_role=body.finance_role,
            management_role=body.management_role,
        )
    )
