"""What a campaign started from a template or an earlier campaign keeps of it: its origin,
and the lessons carried over as a checklist the team ticks."""

import uuid

from fastapi import APIRouter, Response

from services.api.deps import (
    ChangeableCampaign,
    DbSession,
    Editor,
    IfMatch,
    Pagination,
    ReadableCampaign,
    set_etag,
)
from services.api.problems import problem_responses
from shared.pagination import Page
from shared.templates import lessons
from shared.templates.schemas import CampaignLessonOut, CampaignLessonUpdate, CampaignOriginOut
from shared.timeutil import utcnow

router = APIRouter(prefix="/v1/campaigns/{campaign_id}", tags=["campaign templates"])


@router.get(
    "/origin",
    summary="Where the campaign came from: a template or an earlier campaign",
    description="What was made and the warnings given then, and each goal made from the "
    "source with its reference target and whether the team has confirmed its own. 404 "
    "`no_origin` for a campaign made from scratch.",
    response_model=CampaignOriginOut,
    name="get_campaign_origin",
    responses=problem_responses(404, 422),
)
async def get_campaign_origin(campaign: ReadableCampaign, session: DbSession) -> CampaignOriginOut:
    origin = await lessons.get_origin(session, campaign=campaign)
    shown = await lessons.present_origin(session, campaign=campaign, origin=origin)
    return CampaignOriginOut.model_validate(shown)


@router.get(
    "/lessons",
    summary="Lessons carried over: the source's improvement actions, as a checklist",
    description="The retrospective items of the campaign this one was started from (or "
    "whose template it was) that carry an improvement action, in their order, each with "
    "its source campaign and `done` with who ticked it and when. Empty for a campaign made "
    "from scratch.",
    response_model=Page[CampaignLessonOut],
    name="list_campaign_lessons",
    responses=problem_responses(400, 404, 422),
)
async def list_campaign_lessons(
    campaign: ReadableCampaign, session: DbSession, page: Pagination
) -> Page[CampaignLessonOut]:
    results = await lessons.list_lessons(session, campaign=campaign, page=page)
    shown = await lessons.present_lessons(session, campaign=campaign, lessons=results.items)
    return Page[CampaignLessonOut](
        items=[CampaignLessonOut.model_validate(s) for s in shown],
        next_cursor=results.next_cursor,
    )


@router.patch(
    "/lessons/{lesson_id}",
    summary="Tick a lesson carried over (or untick it)",
    description="Records who (the API key's member) and when; unticking clears both. 409 "
    "`campaign_locked` while an approval is pending and once the campaign is archived or "
    "cancelled.",
    response_model=CampaignLessonOut,
    name="update_campaign_lesson",
    responses=problem_responses(404, 409, 412, 415, 422),
)
async def update_campaign_lesson(
    lesson_id: uuid.UUID,
    body: CampaignLessonUpdate,
    campaign: ChangeableCampaign,
    session: DbSession,
    caller: Editor,
    if_match: IfMatch,
    response: Response,
) -> CampaignLessonOut:
    lesson = await lessons.get_lesson(session, campaign=campaign, lesson_id=lesson_id)
    lesson = await lessons.tick(
        session,
        campaign=campaign,
        lesson=lesson,
        done=body.done,
        actor=caller,
        now=utcnow(),
        expected_versions=if_match,
    )
    set_etag(response, lesson.version)
    (shown,) = await lessons.present_lessons(session, campaign=campaign, lessons=[lesson])
    return CampaignLessonOut.model_validate(shown)
