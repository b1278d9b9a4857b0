"""Reading the execution log, and writing its free entries (stand-ups, decisions...)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession

from shared.activity.models import ActivityEntry, EntryAction
from shared.actor import Actor
from shared.pagination import PageRequest, Results, SortKey, paginate
from shared.tenancy import CampaignRef, in_workspace

NEWEST_FIRST = SortKey("created_at", ActivityEntry.created_at, "datetime", descending=True)


class NoteKind(StrEnum):
    standup = "standup"
    decision = "decision"
    blocker = "blocker"
    review = "review"  # weekly review, mid-campaign review
    note = "note"
    override = "override"  # written by the service when a rule is forced


@dataclass(frozen=True)
class ActivityFilters:
    entity_type: str | None = None
    task_id: uuid.UUID | None = None  # the task's own changes and entries about it
    action: EntryAction | None = None
    kind: NoteKind | None = None
    actor_member_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


async def add_note(
    session: AsyncSession,
    *,
    campaign: CampaignRef,
    actor: Actor | None,
    kind: NoteKind,
    note: str,
    related_task_ids: list[uuid.UUID],
) -> ActivityEntry:
    """A free entry; the caller has checked that its related tasks are the campaign's."""
    entry = ActivityEntry(
        workspace_id=campaign.workspace_id,
        campaign_id=campaign.id,
        entity_type="log",
        entity_id=None,
        action=EntryAction.note.value,
        changes={},
        kind=kind.value,
        note=note,
        related_task_ids=related_task_ids,
        actor_api_key_id=actor.api_key_id if actor else None,
        actor_member_id=actor.member_id if actor else None,
    )
    session.add(entry)
    await session.flush()
    return entry


async def list_entries(
    session: AsyncSession, *, campaign: CampaignRef, filters: ActivityFilters, page: PageRequest
) -> Results[ActivityEntry]:
    query = in_workspace(ActivityEntry, campaign.workspace_id).where(
        ActivityEntry.campaign_id == campaign.id
    )
    if filters.entity_type:
        query = query.where(ActivityEntry.entity_type == filters.entity_type)
    if filters.task_id:
        query = query.where(
            or_(
                ActivityEntry.entity_id == filters.task_id,
                ActivityEntry.related_task_ids.contains([filters.task_id]),
            )
        )
    if filters.action:
        query = query.where(ActivityEntry.action == filters.action.value)
    if filters.kind:
        query = query.where(ActivityEntry.kind == filters.kind.value)
    if filters.actor_member_id:
        query = query.where(ActivityEntry.actor_member_id == filters.actor_member_id)
    if filters.since:
        query = query.where(ActivityEntry.created_at >= filters.since)
    if filters.until:
        query = query.where(ActivityEntry.created_at < filters.until)
    return await paginate(session, query, ActivityEntry, page, NEWEST_FIRST)
