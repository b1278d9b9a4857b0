"""How many working days ahead task owners hear that a task is due (`task.due_soon`)."""

from fastapi import APIRouter

from services.api.deps import Admin, ChangeableCampaign, DbSession, ReadableCampaign, Viewer
from services.api.problems import problem_responses
from shared.tasks import reminders
from shared.tasks.review_schemas import (
    CampaignRemindersIn,
    CampaignRemindersOut,
    WorkspaceRemindersIn,
    WorkspaceRemindersOut,
)

router = APIRouter(tags=["tasks"])

RULES = (
    "A task (not a strategy or module) still open, with an owner, in an approved or active "
    "campaign is due soon when at most `due_soon_days` working days (Monday-Friday, in the "
    "campaign's timezone) are left up to its planned end. Its owner hears of it once per "
    "planned end (`task.due_soon`, on their personal endpoints), on a working day from "
    "09:00 campaign time; a new planned end warns again. 0 turns warnings off."
)


@router.get(
    "/v1/task-reminders",
    summary="The workspace's due-soon warning setting",
    description=RULES,
    response_model=WorkspaceRemindersOut,
)
async def get_workspace_reminders(session: DbSession, caller: Viewer) -> WorkspaceRemindersOut:
    days = await reminders.workspace_due_soon_days(session, workspace_id=caller.workspace_id)
    return WorkspaceRemindersOut(due_soon_days=days)


@router.put(
    "/v1/task-reminders",
    summary="Set the workspace's due-soon warning (admin)",
    description="Campaigns without a setting of their own follow it. " + RULES,
    response_model=WorkspaceRemindersOut,
    responses=problem_responses(415, 422),
)
async def put_workspace_reminders(
    body: WorkspaceRemindersIn, session: DbSession, caller: Admin
) -> WorkspaceRemindersOut:
    days = await reminders.set_workspace_due_soon_days(
        session, workspace_id=caller.workspace_id, days=body.due_soon_days
    )
    return WorkspaceRemindersOut(due_soon_days=days)


@router.get(
    "/v1/campaigns/{campaign_id}/task-reminders",
    summary="The campaign's due-soon warning setting, and the one in effect",
    response_model=CampaignRemindersOut,
    responses=problem_responses(404, 422),
)
async def get_campaign_reminders(
    campaign: ReadableCampaign, session: DbSession
) -> CampaignRemindersOut:
    own, effective = await reminders.campaign_due_soon_days(session, campaign=campaign)
    return CampaignRemindersOut(due_soon_days=own, effective_due_soon_days=effective)


@router.put(
    "/v1/campaigns/{campaign_id}/task-reminders",
    summary="Set the campaign's own due-soon warning (null: follow the workspace's)",
    description=RULES,
    response_model=CampaignRemindersOut,
    responses=problem_responses(404, 415, 422),
)
async def put_campaign_reminders(
    body: CampaignRemindersIn, campaign: ChangeableCampaign, session: DbSession
) -> CampaignRemindersOut:
    own, effective = await reminders.set_campaign_due_soon_days(
        session, campaign=campaign, days=body.due_soon_days
    )
    return CampaignRemindersOut(due_soon_days=own, effective_due_soon_days=effective)
