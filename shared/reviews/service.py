"""Recording reviews, with the change requests their adjustments open, and reading them."""

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.activity import service as activity
from shared.actor import Actor
from shared.campaigns.models import Campaign, CampaignStatus
from shared.change_requests import service as change_requests
from shared.errors import Conflict, FieldError, Invalid, NotFound
from shared.pagination import PageRequest, Results, paginate
from shared.reviews import comparison, snapshot
from shared.reviews.comparison import ReviewComparisonOut, ReviewRefOut
from shared.reviews.models import CampaignReview, ReviewKind
from shared.reviews.schemas import ReviewAdjustmentIn, ReviewSnapshotOut
from shared.tenancy import in_workspace
from shared.workspaces.service import member_names

# Reviews are held while there is work to steer: from approval (preparation) to the end.
REVIEWABLE = (CampaignStatus.approved, CampaignStatus.active)
KIND_NAMES = {
    ReviewKind.daily: "Daily stand-up",
    ReviewKind.weekly: "Weekly review",
    ReviewKind.mid_term: "Mid-term review",
    ReviewKind.final: "Final review",
}


async def _ensure_reviewable(session: AsyncSession, campaign: Campaign, kind: ReviewKind) -> None:
    """Daily, weekly and mid-term reviews while the campaign runs; the final review once it
    is completed, once (a partial unique index holds it too)."""
    if kind != ReviewKind.final and campaign.status not in REVIEWABLE:
        raise Conflict(
            f"Reviews are held on approved or active campaigns; this one is "
            f"{campaign.status.value}.",
            code="campaign_not_running",
            campaign_status=campaign.status.value,
        )
    if kind != ReviewKind.final:
        return
    if campaign.status != CampaignStatus.completed:
        raise Conflict(
            f"The final review is held on a completed campaign; this one is "
            f"{campaign.status.value}.",
            code="campaign_not_completed",
            campaign_status=campaign.status.value,
        )
    held = await session.scalar(
        select(CampaignReview.id).where(
            CampaignReview.campaign_id == campaign.id, CampaignReview.kind == ReviewKind.final
        )
    )
    if held is not None:
        raise Conflict(
            f"The campaign's final review was recorded already: {held}.",
            code="final_review_recorded",
            review_id=str(held),
        )


async def _check_adjustments(
    session: AsyncSession,
    campaign: Campaign,
    adjustments: Sequence[ReviewAdjustmentIn],
    now: datetime,
) -> dict[uuid.UUID, str]:
    """The owners' names; 422 naming each owner who is not a member and each due date
    before the review's day."""
    names = await member_names(
        session, workspace_id=campaign.workspace_id, member_ids=[a.owner_id for a in adjustments]
    )
    today = campaign.local_date(now)
    errors = []
    for index, adjustment in enumerate(adjustments):
        if adjustment.owner_id not in names:
            errors.append(
                FieldError(
                    f"adjustments.{index}.owner_id",
                    f"No member {adjustment.owner_id} in this workspace.",
                    code="unknown_member",
                )
            )
        if adjustment.due_date < today:
            errors.append(
                FieldError(
                    f"adjustments.{index}.due_date",
                    f"Must not be before the review's day, {today} in the campaign's timezone.",
                    code="in_the_past",
                )
            )
    if errors:
        raise Invalid("The adjustments cannot be recorded; nothing is recorded.", errors)
    return names


async def _open_change_request(
    session: AsyncSession,
    *,
    campaign: Campaign,
    actor: Actor,
    adjustment: ReviewAdjustmentIn,
    index: int,
) -> dict[str, Any]:
    """The change request of one adjustment; its problems name the adjustment."""
    wanted = adjustment.change_request
    if wanted is None:
        return {"change_request_id": None, "change_request_number": None}
    prefix = f"adjustments.{index}.change_request."
    try:
        request = await change_requests.create_request(
            session,
            campaign=campaign,
            actor=actor,
            title=wanted.title,
            plan_version=wanted.plan_version,
            changes=wanted.changes,
        )
    except Invalid as exc:
        raise Invalid(
            f"Adjustment {index}: {exc.detail}",
            [replace(e, field=prefix + e.field) for e in exc.errors],
            code=exc.code,
            **exc.extras,
        ) from exc
    except Conflict as exc:
        raise Conflict(
            f"Adjustment {index}: {exc.detail}", code=exc.code, adjustment=index, **exc.extras
        ) from exc
    return {"change_request_id": str(request.id), "change_request_number": request.number}


def _log_note(review: CampaignReview) -> str:
    lines = [f"{KIND_NAMES[review.kind]} {review.number} ({review.day})."]
    if review.notes:
        lines.append(review.notes)
    for adjustment in review.adjustments:
        request = adjustment["change_request_number"]
        lines.append(
            f"Adjustment: {adjustment['action']} (owner {adjustment['owner_name']}, due "
            f"{adjustment['due_date']})" + (f", change request {request}." if request else ".")
        )
    return " ".join(lines)


async def record_review(
    session: AsyncSession,
    *,
    campaign: Campaign,
    actor: Actor,
    kind: ReviewKind,
    notes: str | None,
    adjustments: Sequence[ReviewAdjustmentIn],
    now: datetime,
) -> CampaignReview:
    """Freeze the campaign's state with the meeting's notes and decisions. Adjustments of
    the plan open their change requests here; any that cannot be opened refuses the whole
    review (the caller's transaction holds it all). The campaign is locked by the caller,
    so numbers follow one another."""
    await _ensure_reviewable(session, campaign, kind)
    names = await _check_adjustments(session, campaign, adjustments, now)
    decided = []
    for index, adjustment in enumerate(adjustments):
        opened = await _open_change_request(
            session, campaign=campaign, actor=actor, adjustment=adjustment, index=index
        )
        decided.append(
            {
                "action": adjustment.action,
                "owner_id": str(adjustment.owner_id),
                "owner_name": names[adjustment.owner_id],
                "due_date": adjustment.due_date.isoformat(),
                "expected_effect": adjustment.expected_effect,
            }
            | opened
        )
    frozen = await snapshot.freeze(session, campaign=campaign, now=now)
    previous = await session.scalar(
        select(func.max(CampaignReview.number)).where(CampaignReview.campaign_id == campaign.id)
    )
    review = CampaignReview(
        workspace_id=campaign.workspace_id,
        campaign_id=campaign.id,
        number=(previous or 0) + 1,
        kind=kind,
        as_of=now,
        day=frozen.day,
        notes=notes,
        adjustments=decided,
        snapshot=frozen.model_dump(mode="json"),
        recorded_by_member_id=actor.member_id,
        recorded_by_api_key_id=actor.api_key_id,
    )
    session.add(review)
    await session.flush()
    await activity.add_note(
        session,
        campaign=campaign,
        actor=actor,
        kind=activity.NoteKind.review,
        note=_log_note(review),
        related_task_ids=[],
    )
    return review


async def get_review(
    session: AsyncSession, *, campaign: Campaign, review_id: uuid.UUID, field: str | None = None
) -> CampaignReview:
    """The campaign's review; 404 for another campaign's or workspace's (naming the query
    parameter `field` when the id came from one)."""
    review = await session.scalar(
        in_workspace(CampaignReview, campaign.workspace_id).where(
            CampaignReview.id == review_id, CampaignReview.campaign_id == campaign.id
        )
    )
    if review is None:
        extras = {"field": field} if field else {}
        raise NotFound(f"Review {review_id} not found in this campaign.", **extras)
    return review


async def list_reviews(
    session: AsyncSession,
    *,
    campaign: Campaign,
    kinds: Sequence[ReviewKind],
    page: PageRequest,
) -> Results[CampaignReview]:
    query = in_workspace(CampaignReview, campaign.workspace_id).where(
        CampaignReview.campaign_id == campaign.id
    )
    if kinds:
        query = query.where(CampaignReview.kind.in_(list(kinds)))
    return await paginate(session, query, CampaignReview, page)


async def compare_reviews(
    session: AsyncSession, *, campaign: Campaign, from_id: uuid.UUID, to_id: uuid.UUID
) -> ReviewComparisonOut:
    before = await get_review(session, campaign=campaign, review_id=from_id, field="from")
    after = await get_review(session, campaign=campaign, review_id=to_id, field="to")
    return comparison.compare(
        campaign_id=campaign.id,
        from_review=ReviewRefOut.model_validate(before),
        to_review=ReviewRefOut.model_validate(after),
        before=ReviewSnapshotOut.model_validate(before.snapshot),
        after=ReviewSnapshotOut.model_validate(after.snapshot),
    )
