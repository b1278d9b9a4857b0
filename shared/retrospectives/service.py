"""The retrospective of a completed campaign: its items, the issues their actions become,
and the decisions on the suggestions drawn from its history.

Items change while the campaign is completed (409 before, and once it is archived); they
are read in any state (before completion the list is simply empty: nothing could be
written). Suggestions are computed for completed and archived campaigns only.
"""

import uuid
from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.actor import Actor
from shared.campaigns.models import Campaign, CampaignStatus
from shared.errors import Conflict, FieldError, Invalid, NotFound
from shared.issues import service as issues
from shared.issues.models import Issue, IssueSource, Severity
from shared.pagination import PageRequest, Results, paginate
from shared.retrospectives import history
from shared.retrospectives.evidence import Suggestion
from shared.retrospectives.models import (
    RetrospectiveItem,
    SuggestionDecision,
    SuggestionState,
)
from shared.tenancy import in_workspace
from shared.versioning import apply_changes, check_version
from shared.workspaces.service import check_member_fields, member_names

READABLE = (CampaignStatus.completed, CampaignStatus.archived)  # suggestions
CLOSED_FOR_ISSUES = (CampaignStatus.archived, CampaignStatus.cancelled)


# --- when --------------------------------------------------------------------------------


def ensure_editable(campaign: Campaign) -> None:
    """Items and decisions change while the campaign is completed, not before nor after."""
    if campaign.status == CampaignStatus.completed:
        return
    if campaign.status == CampaignStatus.archived:
        raise Conflict(
            "The campaign is archived: its retrospective no longer changes.",
            code="retrospective_archived",
            campaign_status=campaign.status.value,
        )
    raise Conflict(
        f"The retrospective opens once the campaign is completed; this one is "
        f"{campaign.status.value}.",
        code="campaign_not_completed",
        campaign_status=campaign.status.value,
    )


def ensure_readable(campaign: Campaign) -> None:
    if campaign.status not in READABLE:
        raise Conflict(
            f"Suggestions are drawn from a completed campaign's history; this one is "
            f"{campaign.status.value}.",
            code="campaign_not_completed",
            campaign_status=campaign.status.value,
        )


# --- items --------------------------------------------------------------------------------


async def _check_owner(session: AsyncSession, campaign: Campaign, data: dict[str, Any]) -> None:
    if data.get("owner_id") is None:
        return
    errors = await check_member_fields(
        session, workspace_id=campaign.workspace_id, fields={"owner_id": data["owner_id"]}
    )
    if errors:
        raise Invalid("The retrospective item is not valid.", errors)


async def create_item(
    session: AsyncSession,
    *,
    campaign: Campaign,
    data: dict[str, Any],
    suggestion_id: str | None = None,
) -> RetrospectiveItem:
    ensure_editable(campaign)
    await _check_owner(session, campaign, data)
    item = RetrospectiveItem(
        workspace_id=campaign.workspace_id,
        campaign_id=campaign.id,
        suggestion_id=suggestion_id,
        **data,
    )
    session.add(item)
    await session.flush()
    return item


async def get_item(
    session: AsyncSession, *, campaign: Campaign, item_id: uuid.UUID
) -> RetrospectiveItem:
    """The campaign's item; 404 for another campaign's or workspace's."""
    item = await session.scalar(
        in_workspace(RetrospectiveItem, campaign.workspace_id).where(
            RetrospectiveItem.id == item_id, RetrospectiveItem.campaign_id == campaign.id
        )
    )
    if item is None:
        raise NotFound(f"Retrospective item {item_id} not found in this campaign.")
    return item


async def list_items(
    session: AsyncSession, *, campaign: Campaign, page: PageRequest
) -> Results[RetrospectiveItem]:
    query = in_workspace(RetrospectiveItem, campaign.workspace_id).where(
        RetrospectiveItem.campaign_id == campaign.id
    )
    return await paginate(session, query, RetrospectiveItem, page)


async def update_item(
    session: AsyncSession,
    *,
    campaign: Campaign,
    item: RetrospectiveItem,
    changes: dict[str, Any],
    expected_versions: Collection[int] | None,
) -> RetrospectiveItem:
    check_version(item, expected_versions)
    ensure_editable(campaign)
    if "owner_id" in changes:
        await _check_owner(session, campaign, changes)
    if apply_changes(item, changes, None):
        await session.flush()
    return item


async def delete_item(
    session: AsyncSession,
    *,
    campaign: Campaign,
    item: RetrospectiveItem,
    expected_versions: Collection[int] | None,
) -> None:
    """An issue opened from it stays, without the link; an accepted suggestion it came
    from is proposed again."""
    check_version(item, expected_versions)
    ensure_editable(campaign)
    await session.delete(item)
    await session.flush()


async def item_count(session: AsyncSession, *, campaign: Campaign) -> int:
    """How many items the campaign's retrospective has (the close-out checklist asks)."""
    count = await session.scalar(
        select(func.count()).where(
            RetrospectiveItem.workspace_id == campaign.workspace_id,
            RetrospectiveItem.campaign_id == campaign.id,
        )
    )
    return int(count or 0)


async def overview(session: AsyncSession, *, campaign: Campaign) -> dict[str, Any]:
    rows = (
        await session.execute(
            select(RetrospectiveItem.root_cause, Issue.id)
            .outerjoin(Issue, Issue.retrospective_item_id == RetrospectiveItem.id)
            .where(
                RetrospectiveItem.workspace_id == campaign.workspace_id,
                RetrospectiveItem.campaign_id == campaign.id,
            )
        )
    ).all()
    causes = Counter(cause.value for cause, _ in rows if cause is not None)
    return {
        "campaign_id": campaign.id,
        "campaign_status": campaign.status.value,
        "editable": campaign.status == CampaignStatus.completed,
        "item_count": len(rows),
        "items_with_issue": sum(1 for _, issue_id in rows if issue_id is not None),
        "by_root_cause": dict(sorted(causes.items())),
    }


async def present(
    session: AsyncSession, *, campaign: Campaign, items: Sequence[RetrospectiveItem]
) -> list[dict[str, Any]]:
    """The items as the API shows them: with the owner's name and the issue's id."""
    ids = [item.id for item in items]
    linked = (
        dict(
            (
                await session.execute(
                    select(Issue.retrospective_item_id, Issue.id).where(
                        Issue.workspace_id == campaign.workspace_id,
                        Issue.retrospective_item_id.in_(ids),
                    )
                )
            ).all()
        )
        if ids
        else {}
    )
    names = await member_names(
        session, workspace_id=campaign.workspace_id, member_ids=[i.owner_id for i in items]
    )
    return [
        {
            "id": item.id,
            "campaign_id": item.campaign_id,
            "stage": item.stage,
            "what_worked": item.what_worked,
            "shortfall": item.shortfall,
            "root_cause": item.root_cause,
            "improvement_action": item.improvement_action,
            "owner_id": item.owner_id,
            "owner_name": names.get(item.owner_id) if item.owner_id else None,
            "due_date": item.due_date,
            "suggestion_id": item.suggestion_id,
            "issue_id": linked.get(item.id),
            "created_at": item.created_at,
            "updated_at": item.updated_at,
            "version": item.version,
        }
        for item in items
    ]


# --- the action as an issue ---------------------------------------------------------------


async def _issue_of(session: AsyncSession, item: RetrospectiveItem) -> uuid.UUID | None:
    return await session.scalar(select(Issue.id).where(Issue.retrospective_item_id == item.id))


def _already(item: RetrospectiveItem, issue_id: uuid.UUID) -> Conflict:
    return Conflict(
        f"The item's action is tracked already, by issue {issue_id}.",
        code="issue_exists",
        issue_id=str(issue_id),
    )


async def _target_campaign(
    session: AsyncSession, campaign: Campaign, campaign_id: uuid.UUID | None
) -> uuid.UUID:
    if campaign_id is None or campaign_id == campaign.id:
        return campaign.id
    status = await session.scalar(
        select(Campaign.status).where(
            Campaign.workspace_id == campaign.workspace_id, Campaign.id == campaign_id
        )
    )
    if status is None:
        raise Invalid(
            "The issue's campaign is not valid.",
            [FieldError("campaign_id", f"No campaign {campaign_id} in this workspace.")],
        )
    if status in CLOSED_FOR_ISSUES:
        raise Invalid(
            "The issue's campaign is not valid.",
            [
                FieldError(
                    "campaign_id",
                    f"The campaign is {status.value}: issues go to a campaign that is "
                    "neither archived nor cancelled.",
                    code="campaign_closed",
                )
            ],
        )
    return campaign_id


def _description(item: RetrospectiveItem, campaign: Campaign) -> str:
    parts = [f"From the retrospective of {campaign.name}, {item.stage}."]
    if item.shortfall:
        parts.append(f"Shortfall: {item.shortfall}")
    if item.root_cause:
        parts.append(f"Root cause: {item.root_cause.value}.")
    parts.append(f"Action: {item.improvement_action}")
    return "\n".join(parts)


async def open_issue(
    session: AsyncSession,
    *,
    campaign: Campaign,
    item: RetrospectiveItem,
    actor: Actor,
    target_campaign_id: uuid.UUID | None,
    severity: Severity,
    owner_id: uuid.UUID | None,
    due: Any,
    title: str | None,
    now: datetime,
) -> Issue:
    """The item's improvement action as a tracked issue (source `retrospective`), in this
    campaign or the next one; one per item, which a unique constraint holds."""
    ensure_editable(campaign)
    existing = await _issue_of(session, item)
    if existing is not None:
        raise _already(item, existing)
    if not item.improvement_action:
        raise Conflict(
            "The item has no improvement action to track; give it one first.",
            code="no_improvement_action",
        )
    owner = owner_id or item.owner_id
    if owner is None:
        raise Invalid(
            "The issue needs an owner.",
            [FieldError("owner_id", "The item has no owner: name the issue's owner.")],
        )
    data = {
        "campaign_id": await _target_campaign(session, campaign, target_campaign_id),
        "title": title or item.improvement_action[:200],
        "description": _description(item, campaign),
        "owner_id": owner,
        "expected_resolution_date": due or item.due_date,
        "severity": severity,
        "retrospective_item_id": item.id,
    }
    try:
        async with session.begin_nested():
            issue = await issues.create_issue(
                session,
                workspace_id=campaign.workspace_id,
                data=data,
                actor=actor,
                now=now,
                source=IssueSource.retrospective,
            )
    except IntegrityError:
        existing = await _issue_of(session, item)
        if existing is None:
            raise
        raise _already(item, existing) from None
    return issue


# --- suggestions --------------------------------------------------------------------------


def _shown(suggestion: Suggestion, decision: SuggestionDecision | None) -> dict[str, Any]:
    return {
        "id": suggestion.id,
        "kind": suggestion.kind,
        "subject": suggestion.subject,
        "state": decision.state if decision else SuggestionState.proposed,
        "evidence": suggestion.evidence(),
        "draft": suggestion.draft(),
        "item_id": decision.item_id if decision else None,
        "reason": decision.reason if decision else None,
        "decided_at": decision.decided_at if decision else None,
    }


async def _decisions(session: AsyncSession, campaign: Campaign) -> dict[str, SuggestionDecision]:
    rows = await session.scalars(
        in_workspace(SuggestionDecision, campaign.workspace_id).where(
            SuggestionDecision.campaign_id == campaign.id
        )
    )
    return {row.suggestion_id: row for row in rows}


async def list_suggestions(
    session: AsyncSession,
    *,
    campaign: Campaign,
    states: Collection[SuggestionState],
    now: datetime,
) -> dict[str, Any]:
    ensure_readable(campaign)
    found = await history.suggestions(session, campaign=campaign, now=now)
    decisions = await _decisions(session, campaign)
    shown = [_shown(s, decisions.get(s.id)) for s in found]
    counts = Counter(s["state"] for s in shown)
    return {
        "campaign_id": campaign.id,
        "as_of": now,
        "counts": {state: counts.get(state, 0) for state in SuggestionState},
        "items": [s for s in shown if not states or s["state"] in states],
    }


async def _suggestion(
    session: AsyncSession, campaign: Campaign, suggestion_id: str, now: datetime
) -> tuple[Suggestion, SuggestionDecision | None]:
    ensure_editable(campaign)
    for suggestion in await history.suggestions(session, campaign=campaign, now=now):
        if suggestion.id == suggestion_id:
            decision = await session.scalar(
                in_workspace(SuggestionDecision, campaign.workspace_id)
                .where(
                    SuggestionDecision.campaign_id == campaign.id,
                    SuggestionDecision.suggestion_id == suggestion_id,
                )
                .with_for_update()
            )
            return suggestion, decision
    raise NotFound(f"Suggestion {suggestion_id} not found for this campaign.")


def _decide(
    decision: SuggestionDecision | None,
    campaign: Campaign,
    suggestion: Suggestion,
    actor: Actor,
    now: datetime,
    **fields: Any,
) -> SuggestionDecision:
    decision = decision or SuggestionDecision(
        workspace_id=campaign.workspace_id,
        campaign_id=campaign.id,
        suggestion_id=suggestion.id,
        kind=suggestion.kind,
    )
    decision.evidence = suggestion.evidence()
    decision.decided_at = now
    decision.decided_by_member_id = actor.member_id
    decision.decided_by_api_key_id = actor.api_key_id
    for name, value in fields.items():
        setattr(decision, name, value)
    return decision


async def accept_suggestion(
    session: AsyncSession,
    *,
    campaign: Campaign,
    suggestion_id: str,
    edits: dict[str, Any],
    actor: Actor,
    now: datetime,
) -> RetrospectiveItem:
    """An item made of the suggestion's draft with `edits` over it (a dismissed suggestion
    may still be accepted); 409 when it was accepted already."""
    suggestion, decision = await _suggestion(session, campaign, suggestion_id, now)
    if decision is not None and decision.state == SuggestionState.accepted:
        raise Conflict(
            f"The suggestion was accepted already, as item {decision.item_id}.",
            code="suggestion_accepted",
            item_id=str(decision.item_id),
        )
    item = await create_item(
        session,
        campaign=campaign,
        data=suggestion.draft() | edits,
        suggestion_id=suggestion.id,
    )
    session.add(
        _decide(
            decision,
            campaign,
            suggestion,
            actor,
            now,
            state=SuggestionState.accepted,
            item_id=item.id,
            reason=None,
        )
    )
    await session.flush()
    return item


async def dismiss_suggestion(
    session: AsyncSession,
    *,
    campaign: Campaign,
    suggestion_id: str,
    reason: str | None,
    actor: Actor,
    now: datetime,
) -> dict[str, Any]:
    """Dismissed stays dismissed, however often the suggestions are computed again. An
    accepted one is not dismissed: delete its item instead (409)."""
    suggestion, decision = await _suggestion(session, campaign, suggestion_id, now)
    if decision is not None and decision.state == SuggestionState.accepted:
        raise Conflict(
            f"The suggestion was accepted as item {decision.item_id}; delete the item to "
            "withdraw it.",
            code="suggestion_accepted",
            item_id=str(decision.item_id),
        )
    decision = _decide(
        decision,
        campaign,
        suggestion,
        actor,
        now,
        state=SuggestionState.dismissed,
        item_id=None,
        reason=reason,
    )
    session.add(decision)
    await session.flush()
    return _shown(suggestion, decision)
