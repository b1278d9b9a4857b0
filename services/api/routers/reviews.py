"""Reviews during a campaign: recorded with a frozen snapshot, listed, read and compared."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.api.deps import (
    ChangeableCampaign,
    DbSession,
    Editor,
    Idempotent,
    Pagination,
    ReadableCampaign,
    set_etag,
)
from services.api.problems import problem_responses
from shared.pagination import Page
from shared.reviews import service
from shared.reviews.comparison import ReviewComparisonOut
from shared.reviews.models import ReviewKind
from shared.reviews.schemas import ReviewIn, ReviewOut, ReviewSummaryOut
from shared.timeutil import utcnow

router = APIRouter(tags=["reviews"])

REVIEWS = "/v1/campaigns/{campaign_id}/reviews"


@router.post(
    REVIEWS,
    summary="Record a review (daily, weekly, mid-term, final) with a snapshot of the campaign",
    description="Freezes the campaign as it stands: goal progress and pace, budget burn by "
    "category and by channel, open alerts and issues, slipped tasks; with the meeting's "
    "notes and decided adjustments (action, owner, due date). An adjustment with a "
    "`change_request` opens it in the same call; when one cannot be opened (422 naming "
    "`adjustments.<i>.change_request.changes.<j>.<field>`, 409 `plan_changed` or "
    "`campaign_not_active`), nothing is recorded. The snapshot never changes afterwards. "
    "409 `campaign_not_running` unless the campaign is approved or active. The `final` "
    "review is the exception: only on a completed campaign (409 `campaign_not_completed`), "
    "and once (409 `final_review_recorded`, naming it).",
    status_code=status.HTTP_201_CREATED,
    response_model=ReviewOut,
    dependencies=[Idempotent],
    responses=problem_responses(404, 409, 415, 422),
)
async def create_review(
    body: ReviewIn,
    campaign: ChangeableCampaign,
    session: DbSession,
    caller: Editor,
    response: Response,
) -> ReviewOut:
    review = await service.record_review(
        session,
        campaign=campaign,
        actor=caller,
        kind=body.kind,
        notes=body.notes,
        adjustments=body.adjustments,
        now=utcnow(),
    )
    response.headers["Location"] = f"/v1/campaigns/{campaign.id}/reviews/{review.id}"
    set_etag(response, review.version)
    return ReviewOut.of(review)


@router.get(
    REVIEWS,
    summary="The campaign's reviews, oldest first, with their headline figures",
    response_model=Page[ReviewSummaryOut],
    responses=problem_responses(400, 404, 422),
)
async def list_reviews(
    campaign: ReadableCampaign,
    session: DbSession,
    page: Pagination,
    kind: Annotated[list[ReviewKind] | None, Query(max_length=4)] = None,
) -> Page[ReviewSummaryOut]:
    results = await service.list_reviews(session, campaign=campaign, kinds=kind or (), page=page)
    return Page[ReviewSummaryOut](
        items=[ReviewSummaryOut.of(r) for r in results.items], next_cursor=results.next_cursor
    )


@router.get(
    REVIEWS + "/compare",
    summary="What moved between two reviews",
    description="From the snapshot of `from` to that of `to`: goal progress and pace, budget "
    "burn (total, categories, channels), open alerts and issues (counts, and those that "
    "appeared or cleared), slipped tasks. Read from the stored snapshots only.",
    response_model=ReviewComparisonOut,
    responses=problem_responses(404, 422),
)
async def compare_reviews(
    campaign: ReadableCampaign,
    session: DbSession,
    from_: Annotated[uuid.UUID, Query(alias="from", description="A review's id")],
    to: Annotated[uuid.UUID, Query(description="A review's id")],
) -> ReviewComparisonOut:
    return await service.compare_reviews(session, campaign=campaign, from_id=from_, to_id=to)


@router.get(
    REVIEWS + "/{review_id}",
    summary="A review: its notes, adjustments and snapshot",
    response_model=ReviewOut,
    responses=problem_responses(404, 422),
)
async def get_review(
    review_id: uuid.UUID, campaign: ReadableCampaign, session: DbSession, response: Response
) -> ReviewOut:
    review = await service.get_review(session, campaign=campaign, review_id=review_id)
    set_etag(response, review.version)
    return ReviewOut.of(review)
