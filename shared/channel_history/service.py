"""Channel history for planning: per channel and campaign kind, what the workspace's
campaigns that ran in the last months spent, earned and converted there.

A campaign counts once it ran: completed or archived, and ended (completed) within the
window; running ones only on request. Its channel's figures are those its evaluation
shows (`figures.py`). A finished campaign's figures are stored when it finishes and kept
fresh by the worker (`totals.py`): a read adds up those stored rows in PostgreSQL, a few
per campaign, and computes live only the campaigns it has no current figures for
(running ones, finished ones not totalled yet, or totalled with another dictionary);
then the figures are pooled per channel, kind and currency.
"""

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.allocations import summary as allocations
from shared.campaigns.models import Campaign, CampaignKind, CampaignStatus
from shared.channel_history import figures, rules, totals
from shared.channel_history.models import TotalledCampaign
from shared.errors import FieldError, Invalid
from shared.evaluations import rules as evaluation
from shared.figures.models import Channel

ENDED = totals.ENDED
KIND_ORDER = {kind: index for index, kind in enumerate(CampaignKind)}


@dataclass(frozen=True)
class Window:
    months: int
    since: datetime  # campaigns that ended at or after this...
    until: datetime  # ...and at or before this (the request's time)
    include_active: bool


@dataclass(frozen=True)
class ChannelHistory:
    kind: CampaignKind
    currency: str
    channel: str
    name: str
    rank: int  # among the kind's channels in this currency, as the evaluation ranks them
    figures: rules.Pooled


@dataclass(frozen=True)
class History:
    window: Window
    campaigns: int  # campaigns with figures or expenses on the channels shown
    items: list[ChannelHistory]


def window(*, now: datetime, months: int, include_active: bool) -> Window:
    return Window(months, rules.months_before(now, months), now, include_active)


def _ended() -> Any:
    """When a campaign ended: its completion (an archived one was completed first)."""
    return func.coalesce(Campaign.completed_at, Campaign.archived_at)


Group = totals.Group  # (kind, currency, channel)


@dataclass
class _Scope:
    """The campaigns the history reads, by whether their stored figures are current."""

    totalled: list[uuid.UUID]
    with_figures: int  # totalled campaigns with figures on some channel
    live: dict[uuid.UUID, tuple[CampaignKind, str]]  # kind and currency


async def _scope(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    span: Window,
    kind: CampaignKind | None,
    currency: str | None,
    exclude: uuid.UUID | None,
    fingerprint: str,
) -> _Scope:
    """One read of the campaigns in scope, each with whether its stored figures are
    current (finished, totalled with this dictionary); the others are computed live."""
    ran = and_(Campaign.status.in_(ENDED), _ended().between(span.since, span.until))
    current = and_(Campaign.status.in_(ENDED), TotalledCampaign.dictionary == fingerprint)
    query = (
        select(
            Campaign.id,
            Campaign.kind,
            Campaign.currency,
            current,
            func.coalesce(TotalledCampaign.channel_count, 0),
        )
        .outerjoin(TotalledCampaign, TotalledCampaign.campaign_id == Campaign.id)
        .where(
            Campaign.workspace_id == workspace_id,
            or_(ran, Campaign.status == CampaignStatus.active) if span.include_active else ran,
        )
    )
    if kind is not None:
        query = query.where(Campaign.kind == kind)
    if currency is not None:
        query = query.where(Campaign.currency == currency)
    if exclude is not None:
        query = query.where(Campaign.id != exclude)
    found = _Scope([], 0, {})
    rows = await (await session.connection()).execute(query)  # Core: no ORM loading
    for campaign_id, kind_of, currency_of, stored, channels in rows:
        if stored:
            found.totalled.append(campaign_id)
            found.with_figures += channels > 0
        else:
            found.live[campaign_id] = (kind_of, currency_of)
    return found


async def _channel_id(session: AsyncSession, workspace_id: uuid.UUID, key: str) -> uuid.UUID:
    found: uuid.UUID | None = await session.scalar(
        select(Channel.id).where(Channel.workspace_id == workspace_id, Channel.key == key)
    )
    if found is None:
        raise Invalid(
            f"The workspace has no channel '{key}'.",
            [
                FieldError(
                    "channel", f"No channel '{key}' (/v1/channels)", "unknown_channel", "query"
                )
            ],
        )
    return found


@dataclass(frozen=True)
class _Found:
    channels: dict[uuid.UUID, tuple[str, str]]  # key and name by id
    tallies: dict[Group, rules.Tally]
    live_campaigns: dict[Group, set[uuid.UUID]]  # the campaigns computed live, per group


async def _tallies(
    session: AsyncSession, workspace_id: uuid.UUID, scope: _Scope, book: figures.Dictionary
) -> _Found:
    """Each group's figures: the stored ones added up, the live ones added on top (with,
    in the groups they join, every stored value of each ratio for the spread)."""
    live = await figures.campaign_channels(
        session, workspace_id=workspace_id, campaign_ids=list(scope.live), book=book
    )
    tallied = await totals.tallies(
        session, workspace_id=workspace_id, campaign_ids=scope.totalled, book=book
    )
    found = _Found({}, tallied, defaultdict(set))
    for campaign_id, channel_id in live:
        kind, currency = scope.live[campaign_id]
        found.live_campaigns[(kind, currency, channel_id)].add(campaign_id)
    joined = await totals.samples(
        session,
        workspace_id=workspace_id,
        campaign_ids=scope.totalled,
        groups=set(found.live_campaigns) & set(tallied),
    )
    for group, (rois, cpas, rates) in joined.items():
        tally = tallied[group]
        tally.rois, tally.cpas, tally.conversion_rates = rois, cpas, rates
    for (campaign_id, channel_id), campaign in live.items():
        kind, currency = scope.live[campaign_id]
        found.tallies.setdefault((kind, currency, channel_id), rules.Tally()).add(campaign)
    found.channels.update(
        await totals.channel_names(
            session,
            workspace_id=workspace_id,
            channel_ids={channel_id for _, _, channel_id in found.tallies},
        )
    )
    return found


def _ranks(pooled: Mapping[Group, rules.Pooled], keys: Mapping[uuid.UUID, str]) -> dict[Group, int]:
    """Each channel's place among its kind's channels (in one currency), as the evaluation
    ranks a campaign's channels: a sufficient sample first, then by ROI and revenue."""
    by_kind: dict[tuple[CampaignKind, str], dict[str, Group]] = defaultdict(dict)
    for group in pooled:
        by_kind[group[:2]][keys[group[2]]] = group
    ranks = {}
    for members in by_kind.values():
        order = evaluation.ranked(
            evaluation.Rankable(
                key, pooled[g].roi, pooled[g].revenue, pooled[g].insufficient_sample
            )
            for key, g in members.items()
        )
        for rank, item in enumerate(order, start=1):
            ranks[members[item.key]] = rank
    return ranks


async def read_history(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    now: datetime,
    months: int = rules.DEFAULT_MONTHS,
    kind: CampaignKind | None = None,
    channel: str | None = None,
    include_active: bool = False,
    currency: str | None = None,
    exclude_campaign_id: uuid.UUID | None = None,
) -> History:
    """Per channel, campaign kind and currency (money in different currencies never adds
    up): the pooled figures of the campaigns in the window, ranked within each kind.

    A channel counts for a campaign when the campaign recorded expenses against it or
    pushed figures for it (spend, revenue, GMV, clicks, conversions, or an input of the
    dictionary's ROI or conversion rate). `channel` filters the answer, not the ranking: a
    channel's rank is its place among all the kind's channels. 422 naming `channel` when
    the workspace has no such channel."""
    wanted = None if channel is None else await _channel_id(session, workspace_id, channel)
    span = window(now=now, months=months, include_active=include_active)
    book = await figures.dictionary(session, workspace_id=workspace_id)
    scope = await _scope(
        session, workspace_id, span, kind, currency, exclude_campaign_id, book.fingerprint
    )
    found = await _tallies(session, workspace_id, scope, book)
    keys = {channel_id: key for channel_id, (key, _) in found.channels.items()}
    pooled = {
        group: tally.pooled(roi=book.roi, conversion_rate=book.conversion_rate)
        for group, tally in found.tallies.items()
    }
    ranks = _ranks(pooled, keys)
    shown = sorted(
        (group for group in pooled if wanted is None or group[2] == wanted),
        key=lambda g: (KIND_ORDER[g[0]], g[1], ranks[g]),
    )
    totalled = (
        scope.with_figures
        if wanted is None
        else await totals.campaigns_on_channel(
            session, campaign_ids=scope.totalled, channel_id=wanted
        )
    )
    return History(
        window=span,
        campaigns=totalled + len({c for group in shown for c in found.live_campaigns[group]}),
        items=[
            ChannelHistory(
                kind=kind_of,
                currency=currency_of,
                channel=found.channels[channel_id][0],
                name=found.channels[channel_id][1],
                rank=ranks[(kind_of, currency_of, channel_id)],
                figures=pooled[(kind_of, currency_of, channel_id)],
            )
            for kind_of, currency_of, channel_id in shown
        ],
    )


async def for_campaign(
    session: AsyncSession, *, campaign: Campaign, now: datetime, months: int
) -> History:
    """The history of each channel for the campaign's kind and currency: what planning the
    campaign's budget by channel reads beside each line. The campaign itself is left out
    (its own figures are on the line)."""
    return await read_history(
        session,
        workspace_id=campaign.workspace_id,
        now=now,
        months=months,
        kind=campaign.kind,
        currency=campaign.currency,
        exclude_campaign_id=campaign.id,
    )


@dataclass(frozen=True)
class BudgetWithHistory:
    budget: allocations.ChannelBudget  # the campaign's budget by channel, as ever
    history: History | None  # each channel's history for planning, when asked for


async def budget_by_channel(
    session: AsyncSession, *, campaign: Campaign, now: datetime, with_history: bool, months: int
) -> BudgetWithHistory:
    """The campaign's budget by channel; with `with_history`, the history of its kind's
    channels over `months` months beside it (`for_campaign`)."""
    budget = await allocations.by_channel(session, campaign=campaign)
    if not with_history:
        return BudgetWithHistory(budget, None)
    history = await for_campaign(session, campaign=campaign, now=now, months=months)
    return BudgetWithHistory(budget, history)
