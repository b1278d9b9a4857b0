"""Change requests: requested on an active campaign, decided on the chain, applied at once.

The last approval applies the changes in its own transaction: the plan's rows change
through the ORM (the execution log records each field, against the approver), the plan
gets its next version, and the request is `applied`; any refusal rolls all of it back.
"""

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.activity import service as activity
from shared.actor import Actor
from shared.approvals import chain, rounds
from shared.approvals.models import Decision
from shared.campaigns.models import (
    BudgetCategory,
    Campaign,
    CampaignStatus,
    Expense,
)
from shared.change_requests import approval_rule, plan_versions, rows
from shared.change_requests import changes as rules
from shared.change_requests.models import (
    ApprovalScope,
    ChangeRequest,
    ChangeRequestDecision,
    RequestStatus,
)
from shared.change_requests.schemas import CHANGES, Change
from shared.errors import Conflict, FieldError, Invalid, NotFound
from shared.events import kinds
from shared.events.service import record_event
from shared.figures.channels import campaign_channels
from shared.metrics import service as metrics
from shared.pagination import PageRequest, Results, paginate
from shared.tasks.models import Task
from shared.tenancy import in_workspace
from shared.versioning import check_version
from shared.workspaces.service import unknown_members

# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestView:
    request: ChangeRequest
    decisions: list[ChangeRequestDecision]
    plan_changed: bool


async def _views(
    session: AsyncSession, campaign: Campaign, requests: Sequence[ChangeRequest]
) -> list[RequestView]:
    current = await plan_versions.current_number(session, campaign)
    decisions = (
        await session.scalars(
            in_workspace(ChangeRequestDecision, campaign.workspace_id)
            .where(ChangeRequestDecision.change_request_id.in_([r.id for r in requests]))
            .order_by(ChangeRequestDecision.created_at, ChangeRequestDecision.id)
        )
    ).all()
    by_request: dict[uuid.UUID, list[ChangeRequestDecision]] = {r.id: [] for r in requests}
    for decision in decisions:
        by_request[decision.change_request_id].append(decision)
    return [
        RequestView(
            r,
            by_request[r.id],
            r.status == RequestStatus.pending and r.plan_version != current,
        )
        for r in requests
    ]


async def view(session: AsyncSession, campaign: Campaign, request: ChangeRequest) -> RequestView:
    return (await _views(session, campaign, [request]))[0]


async def get_request(
    session: AsyncSession, *, campaign: Campaign, request_id: uuid.UUID, lock: bool = False
) -> ChangeRequest:
    query = in_workspace(ChangeRequest, campaign.workspace_id).where(
        ChangeRequest.id == request_id, ChangeRequest.campaign_id == campaign.id
    )
    request = await session.scalar(query.with_for_update() if lock else query)
    if request is None:
        raise NotFound(f"Change request {request_id} not found in this campaign.")
    return request


async def list_requests(
    session: AsyncSession,
    *,
    campaign: Campaign,
    statuses: Collection[RequestStatus],
    page: PageRequest,
) -> tuple[Results[ChangeRequest], list[RequestView]]:
    query = in_workspace(ChangeRequest, campaign.workspace_id).where(
        ChangeRequest.campaign_id == campaign.id
    )
    if statuses:
        query = query.where(ChangeRequest.status.in_(list(statuses)))
    results = await paginate(session, query, ChangeRequest, page)
    return results, await _views(session, campaign, results.items)


# --- requesting -------------------------------------------------------------------------------


def _ensure_active(campaign: Campaign) -> None:
    if campaign.status != CampaignStatus.active:
        hint = (
            " Edit the plan directly (draft or rejected), or revise an approved one."
            if campaign.status != CampaignStatus.completed
            else ""
        )
        raise Conflict(
            f"Change requests are for active campaigns; this one is {campaign.status.value}."
            + hint,
            code="campaign_not_active",
            campaign_status=campaign.status.value,
        )


def _plan_changed(request_version: int, current: int) -> Conflict:
    return Conflict(
        f"The plan is at version {current}, not {request_version}: it changed since the "
        "request was written. Read the plan again and request the changes against it.",
        code="plan_changed",
        plan_version=request_version,
        current_plan_version=current,
    )


async def _current_version(session: AsyncSession, campaign: Campaign) -> int:
    current = await plan_versions.current_number(session, campaign)
    assert current is not None  # an active campaign's plan has been approved
    return current


async def _context(
    session: AsyncSession, campaign: Campaign, changes: Sequence[Change]
) -> rules.Context:
    named = rules.named_members(changes)
    unknown = await unknown_members(session, workspace_id=campaign.workspace_id, member_ids=named)
    tasks = rules.named_tasks(changes)
    found_tasks: set[uuid.UUID] = set()
    if tasks:
        found_tasks = set(
            await session.scalars(
                select(Task.id).where(
                    Task.workspace_id == campaign.workspace_id,
                    Task.campaign_id == campaign.id,
                    Task.id.in_(tasks),
                )
            )
        )
    spent = await session.execute(
        select(Expense.category, Expense.channel_id, func.sum(Expense.amount))
        .where(Expense.workspace_id == campaign.workspace_id, Expense.campaign_id == campaign.id)
        .group_by(Expense.category, Expense.channel_id)
    )
    by_category: dict[BudgetCategory, Decimal] = {}
    by_channel: dict[uuid.UUID, Decimal] = {}
    for category, channel_id, amount in spent.all():
        by_category[category] = by_category.get(category, plan_versions.ZERO) + amount
        if channel_id is not None:
            by_channel[channel_id] = by_channel.get(channel_id, plan_versions.ZERO) + amount
    return rules.Context(
        metric_keys=frozenset(
            await metrics.known_keys(session, workspace_id=campaign.workspace_id)
        ),
        member_ids=frozenset(named - unknown),
        task_ids=frozenset(found_tasks),
        channels={c.key: c.id for c in await campaign_channels(session, campaign)},
        spent_by_category=by_category,
        spent_by_channel=by_channel,
    )


async def _evaluate(
    session: AsyncSession, campaign: Campaign, changes: Sequence[Change]
) -> tuple[plan_versions.Plan, plan_versions.Plan]:
    """The plan now and after the changes; 422 naming each change that cannot apply."""
    before = await plan_versions.live_plan(session, campaign)
    outcome = rules.evaluate(before, changes, await _context(session, campaign, changes))
    if not outcome.valid:
        raise Invalid(
            "The changes cannot apply to the plan; none of them is applied.", outcome.errors
        )
    return before, outcome.plan


async def create_request(
    session: AsyncSession,
    *,
    campaign: Campaign,
    actor: Actor,
    title: str,
    plan_version: int | None,
    changes: Sequence[Change],
) -> ChangeRequest:
    """Check the changes against the current plan and send them to their approvers."""
    _ensure_active(campaign)
    current = await _current_version(session, campaign)
    if plan_version is not None and plan_version != current:
        raise _plan_changed(plan_version, current)
    before, after = await _evaluate(session, campaign, changes)
    share, _ = await approval_rule.move_share_percent(session, workspace_id=campaign.workspace_id)
    scope, reasons = rules.approval_scope(before, after, changes, share)
    steps = (await chain.get_chain(session, workspace_id=campaign.workspace_id)).steps
    previous = await session.scalar(
        select(func.max(ChangeRequest.number)).where(ChangeRequest.campaign_id == campaign.id)
    )
    request = ChangeRequest(
        workspace_id=campaign.workspace_id,
        campaign_id=campaign.id,
        number=(previous or 0) + 1,
        title=title,
        status=RequestStatus.pending,
        plan_version=current,
        changes=[c.model_dump(mode="json") for c in changes],
        approval_scope=scope,
        approval_reasons=reasons,
        steps=steps if scope == ApprovalScope.full_chain else steps[:1],
        current_step=0,
        submitted_by_member_id=actor.member_id,
        submitted_by_api_key_id=actor.api_key_id,
    )
    session.add(request)
    await session.flush()
    await _event(
        session,
        request,
        kinds.CHANGE_REQUEST_SUBMITTED,
        actor,
        plan_version=current,
        approval_scope=scope.value,
        steps=[s["name"] for s in request.steps],
        title=title,
    )
    return request


async def _event(
    session: AsyncSession, request: ChangeRequest, kind: str, actor: Actor, **data: Any
) -> None:
    await record_event(
        session,
        workspace_id=request.workspace_id,
        kind=kind,
        subject_type="change_request",
        subject_id=request.id,
        campaign_id=request.campaign_id,
        actor=actor,
        data={"number": request.number} | data,
    )


# --- deciding -----------------------------------------------------------------------------------


def _ensure_pending(request: ChangeRequest) -> None:
    if request.status != RequestStatus.pending:
        raise Conflict(
            f"Change request {request.number} is {request.status.value}: nothing to decide.",
            code="change_request_closed",
            change_request_status=request.status.value,
        )


async def decide(
    session: AsyncSession,
    *,
    campaign: Campaign,
    request: ChangeRequest,
    actor: Actor,
    decision: Decision,
    comment: str | None,
    expected_versions: Collection[int] | None,
    now: datetime,
) -> ChangeRequest:
    """The current step's decision; the last approval applies the changes."""
    if decision == Decision.reject and not comment:
        raise Invalid(
            "Say why the change request is rejected.",
            [FieldError("comment", "A rejection needs a comment.")],
        )
    check_version(request, expected_versions)
    _ensure_pending(request)
    member = await rounds.decider(session, actor)
    step = rounds.check_turn(request.steps, request.current_step, member)
    if decision == Decision.approve:
        _ensure_active(campaign)
        current = await _current_version(session, campaign)
        if request.plan_version != current:
            raise _plan_changed(request.plan_version, current)
    session.add(
        ChangeRequestDecision(
            workspace_id=request.workspace_id,
            change_request_id=request.id,
            step_index=request.current_step,
            step_name=step["name"],
            decision=decision,
            comment=comment,
            member_id=member.id,
            api_key_id=actor.api_key_id,
        )
    )
    if decision == Decision.reject:
        request.status = RequestStatus.rejected
        request.closed_at = now
        await session.flush()
        await _event(
            session,
            request,
            kinds.CHANGE_REQUEST_REJECTED,
            actor,
            step=step["name"],
            comment=comment,
        )
    elif request.current_step + 1 < len(request.steps):
        request.current_step += 1
        await session.flush()
    else:
        await _apply(session, campaign=campaign, request=request, actor=actor, now=now)
    return request


async def withdraw(
    session: AsyncSession,
    *,
    request: ChangeRequest,
    expected_versions: Collection[int] | None,
    now: datetime,
) -> ChangeRequest:
    check_version(request, expected_versions)
    _ensure_pending(request)
    request.status = RequestStatus.withdrawn
    request.closed_at = now
    await session.flush()
    return request


# --- applying ------------------------------------------------------------------------------------


async def _apply(
    session: AsyncSession,
    *,
    campaign: Campaign,
    request: ChangeRequest,
    actor: Actor,
    now: datetime,
) -> None:
    requested = CHANGES.validate_python(request.changes)
    before, after = await _evaluate(session, campaign, requested)
    await plan_versions.ensure_baseline(session, campaign, before)
    await rows.write(session, campaign, after, requested)
    number = request.plan_version + 1
    await plan_versions.record(
        session,
        campaign,
        number=number,
        snapshot=await plan_versions.live_plan(session, campaign),
        change_request_id=request.id,
    )
    request.status = RequestStatus.applied
    request.current_step = len(request.steps)
    request.applied_plan_version = number
    request.closed_at = now
    await session.flush()
    await _event(session, request, kinds.CHANGE_REQUEST_APPROVED, actor, plan_version=number)
    await _event(
        session,
        request,
        kinds.CHANGE_REQUEST_APPLIED,
        actor,
        from_plan_version=request.plan_version,
        plan_version=number,
        planned_total=[
            str(plan_versions.planned_total(before)),
            str(plan_versions.planned_total(after)),
        ],
        end_date=after["end_date"],
    )
    await activity.add_note(
        session,
        campaign=campaign,
        actor=actor,
        kind=activity.NoteKind.decision,
        note=f"Change request {request.number} ({request.title}) applied: plan version "
        f"{number}. "
        + " ".join(f"[{c.kind}] {c.reason} Expected: {c.expected_effect}" for c in requested),
        related_task_ids=[],
    )
