"""Totalling: a finished campaign's figures per channel, stored; which campaigns need it
again; and the stored figures added up per kind, currency and channel for a read.

A campaign is totalled in the caller's transaction: its row in
`channel_history_campaigns` is locked (made on first need), its figures are computed as
the history computes them live (`figures.py`), its rows in `channel_history_totals` are
deleted and inserted again. Two transactions never total one campaign at once; a worker
that finds it locked skips it (SKIP LOCKED), and totalling twice gives the same rows, so
jobs may run more than once and on any number of workers.

Freshness: completing and archiving a campaign total it in that transaction (reactions
to `campaign.completed` and `campaign.archived`). The worker's sweep, every minute,
totals again the finished campaigns that were never totalled (finished before this
table existed, or by other means), those whose expenses changed since (counted in the
execution log as the knowledge base counts its changes: entries since `expenses_since`,
ten minutes before the count, so a change committed during a totalling is not missed),
those still open to late figures (until a totalling after the late-data window closed),
and those totalled with another version of the dictionary's ROI and conversion rate.
Until then a read sees the figures as they were totalled; a read never uses figures
totalled with another dictionary (it computes those campaigns live).
"""

import functools
import uuid
from collections import defaultdict
from collections.abc import Collection
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ARRAY, Uuid, and_, bindparam, delete, func, insert, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from shared import claims
from shared.activity.models import ActivityEntry
from shared.campaigns.models import Campaign, CampaignKind, CampaignStatus, Expense
from shared.channel_history import figures, rules
from shared.channel_history.models import ChannelTotals, TotalledCampaign
from shared.figures.models import Channel
from shared.ids import new_id
from shared.ingestion.apply import LATE_WINDOW
from shared.metrics.models import Metric

TOTAL_JOB = "total_campaign_channels"
ENDED = (CampaignStatus.completed, CampaignStatus.archived)
# How long a transaction may run and still have its changes noticed (see above).
LOG_WINDOW = timedelta(minutes=10)
# Campaigns the sweep sends to be totalled per run, the never-totalled and the oldest first.
SWEEP_BATCH = 500
EXPENSE = Expense.change_log_name

Group = tuple[CampaignKind, str, uuid.UUID]  # (kind, currency, channel)


def figures_settle_at(campaign: Campaign) -> datetime | None:
    """When no figure can reach the campaign any more: the late-data window closes
    (ingestion takes figures for a completed campaign that long), or sooner when it is
    archived; then a transaction still in flight may commit (`LOG_WINDOW`). None for a
    campaign with neither time, which ingestion refuses."""
    closes = [
        moment
        for moment in (
            None if campaign.completed_at is None else campaign.completed_at + LATE_WINDOW,
            campaign.archived_at,
        )
        if moment is not None
    ]
    return min(closes) + LOG_WINDOW if closes else None


def _expense_changes(campaign_id: Any, since: Any) -> Any:
    return select(func.count()).where(
        ActivityEntry.campaign_id == campaign_id,
        ActivityEntry.created_at > since,
        ActivityEntry.entity_type == EXPENSE,
    )


def _changed() -> Any:
    """The finished campaign (joined with its `TotalledCampaign`) was never totalled, may
    have had figures since, or its expenses changed since. (The dictionary is another
    question: `stale_dictionaries`.)"""
    return and_(
        Campaign.status.in_(ENDED),
        or_(
            TotalledCampaign.id.is_(None),
            TotalledCampaign.figures_final.is_(False),
            TotalledCampaign.expense_changes
            != _expense_changes(Campaign.id, TotalledCampaign.expenses_since).scalar_subquery(),
        ),
    )


async def stale_campaigns(session: AsyncSession, *, limit: int = SWEEP_BATCH) -> list[uuid.UUID]:
    """Finished campaigns to total (again), the never-totalled and the oldest first: those
    `_changed` and those totalled with another dictionary."""
    rows = await session.scalars(
        select(Campaign.id)
        .outerjoin(TotalledCampaign, TotalledCampaign.campaign_id == Campaign.id)
        .where(_changed())
        .order_by(TotalledCampaign.totalled_at.asc().nulls_first(), Campaign.id)
        .limit(limit)
    )
    found = list(rows.all())
    if len(found) < limit:
        seen = set(found)
        found += [c for c in await stale_dictionaries(session, limit=limit) if c not in seen]
    return found[:limit]


async def stale_dictionaries(session: AsyncSession, *, limit: int) -> list[uuid.UUID]:
    """Campaigns totalled with a dictionary their workspace no longer has."""
    pairs = (
        await session.execute(
            select(TotalledCampaign.workspace_id, TotalledCampaign.dictionary).distinct()
        )
    ).all()
    if not pairs:
        return []
    by_workspace: dict[uuid.UUID, dict[str, figures.Definition]] = defaultdict(dict)
    definitions = await session.execute(
        select(Metric.workspace_id, Metric.key, Metric.formula, Metric.aggregation).where(
            Metric.workspace_id.in_({w for w, _ in pairs})
        )
    )
    for metric in definitions:
        by_workspace[metric.workspace_id][metric.key] = metric
    found: list[uuid.UUID] = []
    for workspace_id in sorted({w for w, _ in pairs}):
        current = figures.fingerprint(by_workspace[workspace_id])
        if all(dictionary == current for w, dictionary in pairs if w == workspace_id):
            continue
        found += await session.scalars(
            select(TotalledCampaign.campaign_id)
            .where(
                TotalledCampaign.workspace_id == workspace_id,
                TotalledCampaign.dictionary != current,
            )
            .order_by(TotalledCampaign.totalled_at, TotalledCampaign.campaign_id)
            .limit(limit - len(found))
        )
        if len(found) >= limit:
            break
    return found


async def _is_stale(session: AsyncSession, campaign_id: uuid.UUID, fingerprint: str) -> bool:
    found = await session.scalar(
        select(Campaign.id)
        .outerjoin(TotalledCampaign, TotalledCampaign.campaign_id == Campaign.id)
        .where(
            Campaign.id == campaign_id,
            or_(
                _changed(),
                and_(Campaign.status.in_(ENDED), TotalledCampaign.dictionary != fingerprint),
            ),
        )
    )
    return found is not None


async def _lock(
    session: AsyncSession, campaign: Campaign, now: datetime, *, wait: bool
) -> TotalledCampaign | None:
    """The campaign's totals row, locked until commit (shared/claims.py)."""
    return await claims.lock_state(
        session,
        TotalledCampaign,
        campaign.id,
        wait=wait,
        first={
            "id": new_id(),
            "workspace_id": campaign.workspace_id,
            "totalled_at": now,
            "dictionary": "",  # never matches: totalled for the first time
            "expenses_since": now,
            "expense_changes": -1,
            "figures_final": False,
            "channel_count": 0,
            "version": 1,
        },
    )


def _row(
    key: figures.Key, found: rules.CampaignChannel, book: figures.Dictionary, workspace: uuid.UUID
) -> dict[str, Any]:
    return {
        "campaign_id": key[0],
        "channel_id": key[1],
        "workspace_id": workspace,
        "spend_source": found.spend_source,
        "spend": found.spend,
        "expenses": found.expenses,
        "pushed_spend": found.pushed_spend,
        "revenue": found.revenue,
        "clicks": found.clicks,
        "conversions": found.conversions,
        "roi": found.roi,
        "cpa": found.cpa,
        "conversion_rate": found.conversion_rate,
        "roi_inputs": [found.roi_inputs.get(k) for k in book.roi_keys],
        "rate_inputs": [found.pushed.get(k) for k in book.rate_keys],
    }


async def total_campaign(
    session: AsyncSession,
    *,
    campaign: Campaign,
    now: datetime,
    wait: bool = True,
    only_if_stale: bool = False,
) -> int | None:
    """Store the finished campaign's figures per channel again, all of them; returns how
    many channels. None when it was left alone: it is not finished, another transaction
    is totalling it (with `wait` false), or nothing changed since (with `only_if_stale`)."""
    if campaign.status not in ENDED:
        return None
    state = await _lock(session, campaign, now, wait=wait)
    if state is None:
        return None
    book = await figures.dictionary(session, workspace_id=campaign.workspace_id)
    if only_if_stale and not await _is_stale(session, campaign.id, book.fingerprint):
        return None
    # What the totals are about to see, counted before anything is read (see the module).
    since = now - LOG_WINDOW
    changes = await session.scalar(_expense_changes(campaign.id, since))
    found = await figures.campaign_channels(
        session, workspace_id=campaign.workspace_id, campaign_ids=[campaign.id], book=book
    )
    await session.execute(delete(ChannelTotals).where(ChannelTotals.campaign_id == campaign.id))
    if found:
        rows = [_row(key, f, book, campaign.workspace_id) for key, f in found.items()]
        await session.execute(insert(ChannelTotals), rows)
    settles = figures_settle_at(campaign)
    state.totalled_at = now
    state.dictionary = book.fingerprint
    state.expenses_since = since
    state.expense_changes = changes or 0
    state.figures_final = settles is None or now >= settles
    state.channel_count = len(found)
    await session.flush()
    return len(found)


# --- reading them back ----------------------------------------------------------------------

RATIOS = ("roi", "cpa", "conversion_rate")


def _ids() -> Any:
    """The campaigns as a table, from one array parameter (`campaign_ids`)."""
    ids = bindparam("campaign_ids", type_=ARRAY(Uuid()))
    return func.unnest(ids).table_valued("id").render_derived("scope")


def _sorted(column: Any) -> Any:
    """The group's values of a ratio, sorted, where it is defined (NULL when nowhere)."""
    return func.array_agg(aggregate_order_by(column, column.asc())).filter(column.is_not(None))


def _picks(values: Any) -> list[Any]:
    """Of a sorted array: its size and the values at the ranks its spread reads
    (`rules.ranks_read`, from 1 here), first and last, then around each quartile."""
    size = func.cardinality(values)
    picks = [size, values[1], values[size]]
    for numerator, denominator in rules.QUARTILES:
        below = (size - 1) * numerator // denominator
        picks += [values[below + 1], values[func.least(below + 2, size)]]
    return picks


def _ranked(size: int | None, first: Any, last: Any, *around: Any) -> rules.Ranked:
    if not size:
        return rules.Ranked(0, {})
    at = {0: first, size - 1: last}
    for index, (numerator, denominator) in enumerate(rules.QUARTILES):
        below = (size - 1) * numerator // denominator
        at[below], at[min(below + 1, size - 1)] = around[2 * index], around[2 * index + 1]
    return rules.Ranked(size, at)


PICKS = 3 + 2 * len(rules.QUARTILES)  # columns `_picks` gives per ratio


@functools.cache
def _tallies_query(roi_count: int, rate_count: int) -> Any:
    """What `tallies` reads, built once per number of ROI and conversion-rate inputs."""
    t, scope, workspace_id = ChannelTotals, _ids(), bindparam("workspace_id", type_=Uuid())
    has_roi, has_cpa = t.roi.is_not(None), t.cpa.is_not(None)
    has_rate = t.conversion_rate.is_not(None)
    sources = [func.count().filter(t.spend_source == s) for s in ("expenses", "pushed", "none")]
    added_up = (
        select(
            Campaign.kind,
            Campaign.currency,
            t.channel_id,
            func.count().label("campaigns"),
            func.sum(t.spend),
            *sources,
            func.sum(t.expenses),
            func.sum(t.pushed_spend),
            func.sum(t.revenue),
            func.sum(t.clicks),
            func.sum(t.conversions),
            func.count().filter(has_roi),
            func.sum(t.spend).filter(has_cpa),
            func.sum(t.conversions).filter(has_cpa),
            func.count().filter(has_rate),
            *(func.sum(t.roi_inputs[i + 1]).filter(has_roi) for i in range(roi_count)),
            *(func.sum(t.rate_inputs[i + 1]).filter(has_rate) for i in range(rate_count)),
            *(_sorted(getattr(t, ratio)).label(ratio) for ratio in RATIOS),
        )
        .select_from(scope)
        .join(Campaign, Campaign.id == scope.c.id)
        .join(t, t.campaign_id == scope.c.id)
        .where(Campaign.workspace_id == workspace_id, t.workspace_id == workspace_id)
        .group_by(Campaign.kind, Campaign.currency, t.channel_id)
        .subquery()
    )
    # The ratios' picks, on the 60-odd groups. (A join here would let a generic plan, which
    # takes the array of ids for ten rows, add everything up again for each channel.)
    sums = [c for c in added_up.c if c.key not in RATIOS]
    picks = [pick for ratio in RATIOS for pick in _picks(added_up.c[ratio])]
    return select(*sums, *picks).select_from(added_up)


async def tallies(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    campaign_ids: Collection[uuid.UUID],
    book: figures.Dictionary,
) -> dict[Group, rules.Tally]:
    """The stored figures of the campaigns, added up by PostgreSQL per kind, currency and
    channel in one grouped read, with of each ratio's sorted values only those its spread
    reads."""
    tallied: dict[Group, rules.Tally] = {}
    if not campaign_ids:
        return tallied
    query = _tallies_query(len(book.roi_keys), len(book.rate_keys))
    parameters = {"workspace_id": workspace_id, "campaign_ids": list(campaign_ids)}
    roi_count, rate_count = len(book.roi_keys), len(book.rate_keys)
    for row in await (await session.connection()).execute(query, parameters):
        kind, currency, channel_id, count, spend, expensed, pushed, none, *rest = row
        expenses, pushed_spend, revenue, clicks, conversions, *rest = rest
        roi_campaigns, cpa_spend, cpa_conversions, rate_campaigns, *rest = rest
        roi_inputs, rate_inputs = rest[:roi_count], rest[roi_count : roi_count + rate_count]
        picks = rest[roi_count + rate_count :]
        rois, cpas, rates = (_ranked(*picks[i * PICKS : (i + 1) * PICKS]) for i in range(3))
        tallied[(kind, currency, channel_id)] = rules.Tally(
            campaigns=count,
            spend=spend,
            spend_sources={"expenses": expensed, "pushed": pushed, "none": none},
            expenses=expenses,
            pushed_spend=pushed_spend,
            revenue=revenue,
            clicks=clicks,
            conversions=conversions,
            roi_campaigns=roi_campaigns,
            roi_inputs=dict(zip(book.roi_keys, roi_inputs, strict=True)),
            cpa_spend=cpa_spend,
            cpa_conversions=cpa_conversions,
            rate_campaigns=rate_campaigns,
            rate_inputs=dict(zip(book.rate_keys, rate_inputs, strict=True)),
            rois=rois,
            cpas=cpas,
            conversion_rates=rates,
        )
    return tallied


async def channel_names(
    session: AsyncSession, *, workspace_id: uuid.UUID, channel_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str]]:
    """The channels' keys and names, by id."""
    if not channel_ids:
        return {}
    rows = await session.execute(
        select(Channel.id, Channel.key, Channel.name).where(
            Channel.workspace_id == workspace_id, Channel.id.in_(channel_ids)
        )
    )
    return {row.id: (row.key, row.name) for row in rows}


async def samples(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    campaign_ids: Collection[uuid.UUID],
    groups: Collection[Group],
) -> dict[Group, tuple[list[Decimal], list[Decimal], list[Decimal]]]:
    """Every stored value of each ratio of the groups (ROI, CPA, conversion rate): for the
    groups where campaigns computed live join the stored ones, so that their spread is
    taken over all of them."""
    if not campaign_ids or not groups:
        return {}
    t, scope = ChannelTotals, _ids()
    query = (
        select(
            Campaign.kind,
            Campaign.currency,
            t.channel_id,
            *(_sorted(getattr(t, ratio)) for ratio in RATIOS),
        )
        .select_from(scope)
        .join(Campaign, Campaign.id == scope.c.id)
        .join(t, t.campaign_id == scope.c.id)
        .where(
            Campaign.workspace_id == workspace_id,
            t.workspace_id == workspace_id,
            t.channel_id.in_({channel_id for _, _, channel_id in groups}),
        )
        .group_by(Campaign.kind, Campaign.currency, t.channel_id)
    )
    found = {}
    rows = await session.execute(query, {"campaign_ids": list(campaign_ids)})
    for kind, currency, channel_id, rois, cpas, rates in rows:
        if (kind, currency, channel_id) in groups:
            found[(kind, currency, channel_id)] = (rois or [], cpas or [], rates or [])
    return found


async def campaigns_on_channel(
    session: AsyncSession, *, campaign_ids: Collection[uuid.UUID], channel_id: uuid.UUID
) -> int:
    """How many of the totalled campaigns have figures on the channel."""
    if not campaign_ids:
        return 0
    scope = _ids()
    query = (
        select(func.count())
        .select_from(scope)
        .join(
            ChannelTotals,
            and_(ChannelTotals.campaign_id == scope.c.id, ChannelTotals.channel_id == channel_id),
        )
    )
    return await session.scalar(query, {"campaign_ids": list(campaign_ids)}) or 0
