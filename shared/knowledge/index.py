"""Indexing: a campaign's entries written again whole, and which campaigns need it.

A campaign is indexed in the caller's transaction: its row in `knowledge_campaigns` is
locked (made on first need), what it holds is read, its entries are deleted and
inserted again. Two transactions never index one campaign at once; a worker that finds
it locked skips it (SKIP LOCKED), and indexing twice gives the same entries, so jobs may
run more than once and on any number of workers.

Freshness: archiving indexes the campaign in the archiving transaction (a reaction to
`campaign.archived`). Any other change is noticed by the worker's sweep, every minute:
everything indexed is recorded in the campaign's execution log (append-only, in the
transaction of the change), except expense attachments, which are counted apart. The
index remembers how many log entries it had seen since `log_since` (ten minutes before
it read the campaign, counted before reading anything else); a campaign whose count
moved since is indexed again. A change committed after the count either was read too
(indexed once more, harmlessly) or moves the count: none is missed, unless its
transaction lasted longer than the window.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession

from shared import claims
from shared.activity.models import ActivityEntry
from shared.campaigns.models import Campaign, CampaignStatus, Expense
from shared.ids import new_id
from shared.knowledge import sources, tokens
from shared.knowledge.models import EntryKind, IndexedCampaign, KnowledgeEntry
from shared.settlements.models import ExpenseAttachment

INDEX_JOB = "index_campaign_knowledge"
# How long a transaction may run and still have its log entries noticed (see above).
LOG_WINDOW = timedelta(minutes=10)
# Campaigns the sweep sends to be indexed per run, the never-indexed and the oldest first.
SWEEP_BATCH = 500

_ENGLISH: ColumnClause[Any] = literal_column("'english'::regconfig")


def search_vector(cjk: Any, latin_title: Any, latin_body: Any) -> ColumnElement[Any]:
    """The tsvector of an entry: its CJK n-grams (a literal made by `tokens.document`)
    and its other words through the `english` configuration, title weighted A, body B.
    The one expression the service and the benchmark's bulk load both use."""
    title = func.setweight(func.to_tsvector(_ENGLISH, latin_title), literal_column("'A'"))
    body = func.setweight(func.to_tsvector(_ENGLISH, latin_body), literal_column("'B'"))
    return cast(cjk, TSVECTOR).op("||")(title).op("||")(body)


def entry_row(
    draft: sources.Draft,
    *,
    workspace_id: uuid.UUID,
    campaign_id: uuid.UUID,
    facets: sources.Facets,
    now: datetime,
) -> dict[str, Any]:
    """An entry's columns, its text tokenised (`cjk`, `latin_title`, `latin_body`) for
    `search_vector`."""
    found = tokens.document(
        draft.title,
        draft.body,
        facet_lexemes(draft.kind, facets),
    )
    return {
        "id": new_id(),
        "workspace_id": workspace_id,
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "campaign_id": campaign_id,
        "kind": draft.kind.value,
        "source_id": draft.source_id,
        "href": draft.href,
        "title": draft.title,
        "body": draft.body,
        "campaign_name": facets.name,
        "campaign_kind": facets.kind.value,
        "campaign_status": facets.status.value,
        "campaign_year": facets.year,
        "campaign_day": facets.day,
        "campaign_tags": facets.tags,
        "campaign_channels": facets.channels,
        "goal_outcome": facets.goal_outcome.value if facets.goal_outcome else None,
        "cjk": found.cjk_vector,
        "latin_title": found.latin_title,
        "latin_body": found.latin_body,
    }


def facet_lexemes(kind: EntryKind, facets: sources.Facets) -> list[str]:
    """What a search filters on besides the workspace and the campaign's status (columns),
    as lexemes of the entry's vector (see `tokens.facet`)."""
    found = [
        tokens.facet("c", facets.kind.value),
        tokens.facet("e", kind.value),
        *(tokens.facet("t", tag) for tag in facets.tags),
        *(tokens.facet("h", channel) for channel in facets.channels),
    ]
    if facets.year is not None:
        found.append(tokens.facet("y", str(facets.year)))
    if facets.goal_outcome is not None:
        found.append(tokens.facet("g", facets.goal_outcome.value))
    return found


_INSERT = insert(KnowledgeEntry).values(
    search_vector=search_vector(
        bindparam("cjk"), bindparam("latin_title"), bindparam("latin_body")
    ),
)


def _log_count(campaign_id: Any, since: Any) -> Any:
    return select(func.count()).where(
        ActivityEntry.campaign_id == campaign_id, ActivityEntry.created_at > since
    )


def _attachments(campaign_id: Any, *columns: Any) -> Any:
    return (
        select(*columns)
        .select_from(ExpenseAttachment)
        .join(Expense, Expense.id == ExpenseAttachment.expense_id)
        .where(Expense.campaign_id == campaign_id)
    )


_ATTACHMENT_COUNT = func.count(ExpenseAttachment.id)
_ATTACHMENT_LATEST = func.max(ExpenseAttachment.created_at)


def _changed() -> ColumnElement[bool]:
    """The campaign (joined with its `IndexedCampaign`) changed since it was indexed.
    Attachments are frozen once archived: only open campaigns are counted again."""
    return or_(
        IndexedCampaign.id.is_(None),
        IndexedCampaign.log_count
        != _log_count(Campaign.id, IndexedCampaign.log_since).scalar_subquery(),
        and_(
            Campaign.status != CampaignStatus.archived,
            or_(
                IndexedCampaign.attachment_count
                != _attachments(Campaign.id, _ATTACHMENT_COUNT).scalar_subquery(),
                IndexedCampaign.attachment_latest.is_distinct_from(
                    _attachments(Campaign.id, _ATTACHMENT_LATEST).scalar_subquery()
                ),
            ),
        ),
    )


async def stale_campaigns(session: AsyncSession, *, limit: int = SWEEP_BATCH) -> list[uuid.UUID]:
    """Campaigns never indexed or changed since, the never-indexed and the oldest first."""
    rows = await session.scalars(
        select(Campaign.id)
        .outerjoin(IndexedCampaign, IndexedCampaign.campaign_id == Campaign.id)
        .where(_changed())
        .order_by(IndexedCampaign.indexed_at.asc().nulls_first(), Campaign.id)
        .limit(limit)
    )
    return list(rows.all())


async def _is_stale(session: AsyncSession, campaign_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(Campaign.id)
        .outerjoin(IndexedCampaign, IndexedCampaign.campaign_id == Campaign.id)
        .where(Campaign.id == campaign_id, _changed())
    )
    return found is not None


async def _lock(
    session: AsyncSession, campaign: Campaign, now: datetime, *, wait: bool
) -> IndexedCampaign | None:
    """The campaign's index row, locked until commit (shared/claims.py)."""
    return await claims.lock_state(
        session,
        IndexedCampaign,
        campaign.id,
        wait=wait,
        first={
            "id": new_id(),
            "workspace_id": campaign.workspace_id,
            "indexed_at": now,
            "log_since": now,
            "log_count": -1,  # never matches: indexed for the first time
            "attachment_count": -1,
            "entry_count": 0,
            "version": 1,
        },
    )


async def index_campaign(
    session: AsyncSession,
    *,
    campaign: Campaign,
    now: datetime,
    wait: bool = True,
    only_if_changed: bool = False,
) -> int | None:
    """Write the campaign's entries again, all of them; returns how many. None when it was
    left alone: another transaction is indexing it (with `wait` false), or nothing
    changed since it was last indexed (with `only_if_changed`)."""
    state = await _lock(session, campaign, now, wait=wait)
    if state is None:
        return None
    if only_if_changed and not await _is_stale(session, campaign.id):
        return None
    # What the index is about to see, counted before anything is read (see the module).
    since = now - LOG_WINDOW
    log_count = await session.scalar(_log_count(campaign.id, since))
    attachment_count, attachment_latest = (
        await session.execute(_attachments(campaign.id, _ATTACHMENT_COUNT, _ATTACHMENT_LATEST))
    ).one()
    facets = await sources.facets(session, campaign)
    drafts = await sources.drafts(session, campaign)
    await write_entries(session, campaign=campaign, facets=facets, drafts=drafts, now=now)
    state.indexed_at = now
    state.log_since = since
    state.log_count = log_count or 0
    state.attachment_count = attachment_count
    state.attachment_latest = attachment_latest
    state.entry_count = len(drafts)
    await session.flush()
    return len(drafts)


async def write_entries(
    session: AsyncSession,
    *,
    campaign: Campaign,
    facets: sources.Facets,
    drafts: Sequence[sources.Draft],
    now: datetime,
) -> None:
    await session.execute(delete(KnowledgeEntry).where(KnowledgeEntry.campaign_id == campaign.id))
    rows = [
        entry_row(
            d, workspace_id=campaign.workspace_id, campaign_id=campaign.id, facets=facets, now=now
        )
        for d in drafts
    ]
    if rows:
        await session.execute(_INSERT, rows)
