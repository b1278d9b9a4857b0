"""Approval rounds: one per submission, decided step by step by the chain's approvers."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.actor import Actor
from shared.approvals import chain
from shared.approvals.models import ApprovalDecision, ApprovalRound, Decision, RoundStatus
from shared.errors import Conflict, Forbidden
from shared.tenancy import CampaignRef, in_workspace
from shared.workspaces.models import Member


async def open_round(session: AsyncSession, campaign: CampaignRef) -> ApprovalRound | None:
    return await session.scalar(
        in_workspace(ApprovalRound, campaign.workspace_id)
        .where(
            ApprovalRound.campaign_id == campaign.id,
            ApprovalRound.status == RoundStatus.in_progress,
        )
        .with_for_update()
    )


async def start_round(session: AsyncSession, campaign: CampaignRef, actor: Actor) -> ApprovalRound:
    """A new round on the workspace's current chain (copied, so later edits do not move it)."""
    current = await chain.get_chain(session, workspace_id=campaign.workspace_id)
    previous = await session.scalar(
        select(func.max(ApprovalRound.number)).where(ApprovalRound.campaign_id == campaign.id)
    )
    approval_round = ApprovalRound(
        workspace_id=campaign.workspace_id,
        campaign_id=campaign.id,
        number=(previous or 0) + 1,
        status=RoundStatus.in_progress,
        steps=current.steps,
        current_step=0,
        submitted_by_member_id=actor.member_id,
        submitted_by_api_key_id=actor.api_key_id,
    )
    session.add(approval_round)
    await session.flush()
    return approval_round


def may_decide(step: dict[str, Any], member: Member) -> bool:
    if str(member.id) in step.get("approver_member_ids", []):
        return True
    title = step.get("approver_title")
    return bool(title and member.title and member.title.casefold() == title.casefold())


async def decider(session: AsyncSession, actor: Actor) -> Member:
    """The member a decision is recorded against: the one the caller's key is bound to."""
    if actor.member_id is None:
        raise Forbidden(
            "Approvals are recorded against a member: use an API key bound to a member."
        )
    member = await session.get(Member, actor.member_id)
    assert member is not None  # the foreign key keeps bound keys pointing at members
    return member


def check_turn(steps: list[dict[str, Any]], current_step: int, member: Member) -> dict[str, Any]:
    """The current step, if `member` decides it: 409 `out_of_turn` for an approver of a later
    step, 403 for anyone else. Shared by every kind of approval on the chain."""
    step = steps[current_step]
    if not may_decide(step, member):
        later = [i for i, s in enumerate(steps) if i > current_step and may_decide(s, member)]
        if later:
            raise Conflict(
                f"Out of turn: step {current_step + 1} ({step['name']}) has not "
                f"decided yet; {member.name} decides at step {later[0] + 1}.",
                code="out_of_turn",
                current_step=step["name"],
            )
        raise Forbidden(f"{member.name} is not an approver of the step '{step['name']}'.")
    return step


@dataclass(frozen=True)
class Outcome:
    decision: ApprovalDecision
    round_closed: bool


async def record_decision(
    session: AsyncSession,
    approval_round: ApprovalRound,
    *,
    actor: Actor,
    decision: Decision,
    comment: str | None,
    now: datetime,
) -> Outcome:
    """Record the current step's decision; the caller's member must be its approver."""
    member = await decider(session, actor)
    steps = approval_round.steps
    step = check_turn(steps, approval_round.current_step, member)
    recorded = ApprovalDecision(
        workspace_id=approval_round.workspace_id,
        round_id=approval_round.id,
        step_index=approval_round.current_step,
        step_name=step["name"],
        decision=decision,
        comment=comment,
        member_id=member.id,
        api_key_id=actor.api_key_id,
    )
    session.add(recorded)
    closed = True
    if decision == Decision.reject:
        approval_round.status = RoundStatus.rejected
    elif approval_round.current_step + 1 < len(steps):
        approval_round.current_step += 1
        closed = False
    else:
        approval_round.current_step += 1
        approval_round.status = RoundStatus.approved
    if closed:
        approval_round.closed_at = now
    await session.flush()
    return Outcome(recorded, closed)


async def withdraw(session: AsyncSession, campaign: CampaignRef, now: datetime) -> None:
    approval_round = await open_round(session, campaign)
    if approval_round is not None:
        approval_round.status = RoundStatus.withdrawn
        approval_round.closed_at = now
        await session.flush()


async def history(
    session: AsyncSession, campaign: CampaignRef
) -> list[tuple[ApprovalRound, list[ApprovalDecision]]]:
    rounds = (
        await session.scalars(
            in_workspace(ApprovalRound, campaign.workspace_id)
            .where(ApprovalRound.campaign_id == campaign.id)
            .order_by(ApprovalRound.number)
        )
    ).all()
    decisions = (
        await session.scalars(
            in_workspace(ApprovalDecision, campaign.workspace_id)
            .where(ApprovalDecision.round_id.in_([r.id for r in rounds]))
            .order_by(ApprovalDecision.created_at)
        )
    ).all()
    by_round: dict[uuid.UUID, list[ApprovalDecision]] = {r.id: [] for r in rounds}
    for decision in decisions:
        by_round[decision.round_id].append(decision)
    return [(r, by_round[r.id]) for r in rounds]
