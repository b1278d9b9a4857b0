"""The close-out: what is missing before a campaign is archived, and the archive itself."""

from fastapi import APIRouter, Response

from services.api.deps import ChangeableCampaign, DbSession, Editor, ReadableCampaign, set_etag
from services.api.problems import problem_responses
from shared.campaigns.schemas import CampaignOut
from shared.closeout import checklist, service
from shared.closeout.schemas import CloseOutOut
from shared.timeutil import utcnow

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])


@router.get(
    "/{campaign_id}/close-out",
    summary="What still blocks archiving (the close-out checklist)",
    description="Blockers: the campaign not completed, the evaluation not finalised, the "
    "settlement not signed off by management, issues still open, tasks neither done nor "
    "cancelled, an empty retrospective. Warning: late figures still accepted.",
    response_model=CloseOutOut,
    responses=problem_responses(404, 422),
)
async def get_close_out(campaign: ReadableCampaign, session: DbSession) -> CloseOutOut:
    assessment = await checklist.assess(session, campaign=campaign, now=utcnow())
    return CloseOutOut.model_validate(
        {
            "ready": assessment.ready,
            "blockers": assessment.blockers,
            "warnings": assessment.warnings,
            "late_data_until": checklist.late_data_until(campaign),
        },
        from_attributes=True,
    )


@router.post(
    "/{campaign_id}/archive",
    summary="Archive a completed campaign",
    description="409 `close_out_incomplete` with `blockers` (as in `GET /close-out`) while "
    "anything is missing; 409 `invalid_transition` unless the campaign is completed.",
    name="archive_campaign",
    response_model=CampaignOut,
    responses=problem_responses(404, 409, 422),
)
async def archive_campaign(
    campaign: ChangeableCampaign, session: DbSession, caller: Editor, response: Response
) -> CampaignOut:
    await service.archive(session, campaign=campaign, actor=caller, now=utcnow())
    set_etag(response, campaign.version)
    return CampaignOut.model_validate(campaign)
