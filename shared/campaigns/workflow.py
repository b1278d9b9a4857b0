"""Moving a campaign through its life: submission, decisions, registration, and the rest."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.actor import Actor
from shared.approvals import registration, rounds
from shared.approvals.models import Decision
from shared.campaigns import lifecycle, readiness
from shared.campaigns.models import Campaign
from shared.errors import Conflict, FieldError, Invalid
from shared.events import kinds
from shared.events.service import record_event

SIMPLE_ACTIONS = ("activate", "complete", "archive", "revise", "cancel")
# The actions the feed tells: the campaign starts, ends and is filed away.
ACTION_EVENTS = {
    "activate": kinds.CAMPAIGN_ACTIVATED,
    "complete": kinds.CAMPAIGN_COMPLETED,
    "archive": kinds.CAMPAIGN_ARCHIVED,
}


async def submit(session: AsyncSession, *, campaign: Campaign, actor: Actor, now: datetime) -> None:
    """Send the campaign for approval: refused (422) while readiness lists blockers."""
    if campaign.status in lifecycle.TRANSITIONS["submit"].sources:
        assessment = await readiness.assess(session, campaign)
        if not assessment.ready:
            raise Invalid(
                "The campaign is not ready to submit: "
                + "; ".join(b.message for b in assessment.blockers),
                code="not_ready",
                blockers=[
                    {"code": b.code, "message": b.message, "ref": b.ref}
                    for b in assessment.blockers
                ],
            )
    lifecycle.transition(campaign, "submit", now)
    approval_round = await rounds.start_round(session, campaign, actor)
    await record_event(
        session,
        workspace_id=campaign.workspace_id,
        kind=kinds.CAMPAIGN_SUBMITTED,
        subject_type="campaign",
        subject_id=campaign.id,
        campaign_id=campaign.id,
        actor=actor,
        data={"round": approval_round.number},
    )
    await session.flush()


async def decide(
    session: AsyncSession,
    *,
    campaign: Campaign,
    actor: Actor,
    decision: Decision,
    comment: str | None,
    now: datetime,
) -> rounds.Outcome:
    """The current step's decision; the last approval registers the campaign."""
    if decision == Decision.reject and not comment:
        raise Invalid(
            "Say why the campaign is rejected.",
            [FieldError("comment", "A rejection needs a comment.")],
        )
    lifecycle.check(campaign, "approve")
    approval_round = await rounds.open_round(session, campaign)
    if approval_round is None:
        raise Conflict("The campaign has no approval round in progress.", code="no_round")
    outcome = await rounds.record_decision(
        session, approval_round, actor=actor, decision=decision, comment=comment, now=now
    )
    if decision == Decision.reject:
        lifecycle.transition(campaign, "reject", now)
        await record_event(
            session,
            workspace_id=campaign.workspace_id,
            kind=kinds.CAMPAIGN_REJECTED,
            subject_type="campaign",
            subject_id=campaign.id,
            campaign_id=campaign.id,
            actor=actor,
            data={
                "round": approval_round.number,
                "step": outcome.decision.step_name,
                "comment": comment,
            },
        )
    elif outcome.round_closed:
        lifecycle.transition(campaign, "approve", now)
        if campaign.registration_number is None:
            year = campaign.local_date(now).year
            campaign.registration_number = await registration.next_number(
                session, workspace_id=campaign.workspace_id, year=year
            )
        await record_event(
            session,
            workspace_id=campaign.workspace_id,
            kind=kinds.CAMPAIGN_APPROVED,
            subject_type="campaign",
            subject_id=campaign.id,
            campaign_id=campaign.id,
            actor=actor,
            data={
                "round": approval_round.number,
                "registration_number": campaign.registration_number,
            },
        )
    await session.flush()
    return outcome


async def perform(
    session: AsyncSession,
    *,
    campaign: Campaign,
    action: str,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
) -> None:
    """activate, complete, archive, revise or cancel."""
    assert action in SIMPLE_ACTIONS
    lifecycle.transition(campaign, action, now)
    if action == "cancel":
        campaign.cancel_reason = reason
        await rounds.withdraw(session, campaign, now)
    kind = ACTION_EVENTS.get(action)
    if kind is not None:
        await record_event(
            session,
            workspace_id=campaign.workspace_id,
            kind=kind,
            subject_type="campaign",
            subject_id=campaign.id,
            campaign_id=campaign.id,
            actor=actor,
            data={},
        )
    await session.flush()
