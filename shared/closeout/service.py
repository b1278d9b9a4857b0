"""Archiving: the last step, taken only once the close-out checklist has no blocker."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.actor import Actor
from shared.campaigns import lifecycle, workflow
from shared.campaigns.models import Campaign
from shared.closeout import checklist
from shared.errors import Conflict


async def archive(
    session: AsyncSession, *, campaign: Campaign, actor: Actor, now: datetime
) -> None:
    """Archive a completed campaign: 409 `close_out_incomplete` listing what is missing."""
    lifecycle.check(campaign, "archive")
    assessment = await checklist.assess(session, campaign=campaign, now=now)
    if assessment.blockers:
        raise Conflict(
            "The campaign cannot be archived yet: "
            + "; ".join(b.message for b in assessment.blockers),
            code="close_out_incomplete",
            blockers=[
                {"code": b.code, "message": b.message, "ref": b.ref} for b in assessment.blockers
            ],
        )
    await workflow.perform(session, campaign=campaign, action="archive", actor=actor, now=now)
