"""Each campaign's figures on each channel, as its evaluation shows them, computed from its
day rollups and its expenses: what the history stores per finished campaign
(`totals.py`) and computes live for the campaigns it has not stored (running ones, and
finished ones not totalled yet).

The spend is the expenses recorded against the channel when there are any, else the
spend the integration pushed (`shared.allocations`), and the ratios are the dictionary's,
on that spend. Two grouped reads across all the campaigns asked for (their expenses per
channel, their day rollups per channel and metric), never one per campaign.
"""

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from shared.allocations import summary as allocations
from shared.campaigns.models import Expense
from shared.channel_history import rules
from shared.figures import series
from shared.figures.models import Channel, MetricDay
from shared.metrics import formula as formulas
from shared.metrics import service as metrics
from shared.metrics.models import Aggregation, Metric

ROI, CONVERSION_RATE = "roi", "conversion_rate"
FIGURES = frozenset(
    {allocations.SPEND, allocations.REVENUE, allocations.GMV, rules.CLICKS, rules.CONVERSIONS}
)
Key = tuple[uuid.UUID, uuid.UUID]  # (campaign, channel)


@dataclass(frozen=True)
class Dictionary:
    """What the history reads of the workspace's metric dictionary."""

    roi: rules.Derived | None
    conversion_rate: rules.Derived | None
    keys: frozenset[str]  # the figures computed per campaign and channel
    value_of: Mapping[str, series.Evaluator]  # each of them from the base figures
    inputs: Mapping[str, Aggregation]  # the base figures read from the rollups
    roi_keys: tuple[str, ...]  # the base figures the ROI reads (stored per campaign)
    rate_keys: tuple[str, ...]  # and those the conversion rate reads
    fingerprint: str  # of every definition above: figures stored with another are stale


def _derived(key: str, found: dict[str, Metric]) -> rules.Derived | None:
    return series.evaluator(key, found) if key in found else None


def _figure_keys(found: dict[str, Metric]) -> set[str]:
    """The figures read per campaign and channel: the money and samples, and the inputs of
    the dictionary's ROI and conversion rate."""
    keys = set(FIGURES)
    for derived in (ROI, CONVERSION_RATE):
        if derived in found:
            keys |= series.base_keys(derived, found)
    return keys


class Definition(Protocol):
    """What of a metric's definition its figures depend on."""

    @property
    def formula(self) -> str | None: ...
    @property
    def aggregation(self) -> Aggregation: ...


def fingerprint(found: Mapping[str, Definition]) -> str:
    """A digest of the definitions the history's figures depend on: the money and sample
    metrics, the ROI and conversion rate, and every metric their formulas reach (present
    or not). Any other change to the dictionary leaves it alone."""
    relevant: dict[str, list[str | None] | None] = {}
    pending = [*sorted(FIGURES), ROI, CONVERSION_RATE]
    while pending:
        key = pending.pop()
        if key in relevant:
            continue
        metric = found.get(key)
        if metric is None:
            relevant[key] = None
            continue
        relevant[key] = [metric.formula, metric.aggregation.value]
        if metric.formula is not None:
            pending.extend(r.key for r in formulas.references(formulas.parse(metric.formula)))
    text = json.dumps(sorted(relevant.items()), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def dictionary_of(found: dict[str, Metric]) -> Dictionary:
    keys = _figure_keys(found)
    value_of = {key: series.evaluator(key, found) for key in keys if key in found}
    inputs: set[str] = set()
    for key in value_of:
        inputs |= series.base_keys(key, found)

    def reads(key: str) -> tuple[str, ...]:
        return tuple(sorted(series.base_keys(key, found))) if key in found else ()

    return Dictionary(
        roi=_derived(ROI, found),
        conversion_rate=_derived(CONVERSION_RATE, found),
        keys=frozenset(keys),
        value_of=value_of,
        inputs={key: found[key].aggregation for key in inputs},
        roi_keys=reads(ROI),
        rate_keys=reads(CONVERSION_RATE),
        fingerprint=fingerprint(found),
    )


async def dictionary(session: AsyncSession, *, workspace_id: uuid.UUID) -> Dictionary:
    return dictionary_of(await metrics.dictionary(session, workspace_id=workspace_id))


def _daily(kind: Aggregation) -> tuple[Any, Any]:
    """A figure over a campaign's day rollups and the values behind it, as the campaign's
    own totals are read (`shared.figures.series`)."""
    figure: Any
    if kind == Aggregation.max:
        figure = func.max(MetricDay.maximum)
    elif kind == Aggregation.last:
        latest_first = aggregate_order_by(MetricDay.last_value, MetricDay.last_bucket.desc())
        figure = func.array_agg(latest_first)[1]
    else:
        figure = func.sum(MetricDay.total)
    return figure, func.sum(MetricDay.samples)


async def _pushed(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    campaign_ids: Collection[uuid.UUID],
    book: Dictionary,
) -> dict[Key, dict[str, Decimal]]:
    """The base figures per campaign and channel: one grouped read per aggregation kind
    among the inputs (with the standard dictionary, one: sum)."""
    found: dict[Key, dict[str, Decimal]] = defaultdict(dict)
    connection = await session.connection()  # Core: no ORM loading
    for kind in set(book.inputs.values()):
        figure, samples = _daily(kind)
        keys = sorted(key for key, aggregation in book.inputs.items() if aggregation == kind)
        rows = await connection.execute(
            select(
                MetricDay.campaign_id, MetricDay.channel_id, MetricDay.metric_key, figure, samples
            )
            .where(
                MetricDay.workspace_id == workspace_id,
                MetricDay.campaign_id.in_(campaign_ids),
                MetricDay.metric_key.in_(keys),
            )
            .group_by(MetricDay.campaign_id, MetricDay.channel_id, MetricDay.metric_key)
        )
        for campaign_id, channel_id, key, value, count in rows:
            own = value / count if kind == Aggregation.average else value
            found[(campaign_id, channel_id)][key] = own
    return found


async def _expenses(
    session: AsyncSession, workspace_id: uuid.UUID, campaign_ids: Collection[uuid.UUID]
) -> dict[Key, Decimal]:
    rows = await session.execute(
        select(Expense.campaign_id, Expense.channel_id, func.sum(Expense.amount))
        .where(
            Expense.workspace_id == workspace_id,
            Expense.campaign_id.in_(campaign_ids),
            Expense.channel_id.is_not(None),
        )
        .group_by(Expense.campaign_id, Expense.channel_id)
    )
    return {
        (campaign_id, channel_id): Decimal(total)
        for campaign_id, channel_id, total in rows
        if channel_id is not None
    }


async def campaign_channels(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    campaign_ids: Collection[uuid.UUID],
    book: Dictionary,
) -> dict[Key, rules.CampaignChannel]:
    """Each of the campaigns' figures on each channel it recorded expenses against or
    pushed figures for (spend, revenue, GMV, clicks, conversions, or an input of the
    dictionary's ROI or conversion rate), in (campaign, channel) order."""
    if not campaign_ids:
        return {}
    pushed = await _pushed(session, workspace_id, campaign_ids, book)
    recorded = await _expenses(session, workspace_id, campaign_ids)
    if not pushed and not recorded:
        return {}
    channel_ids = {channel_id for _, channel_id in set(pushed) | set(recorded)}
    rows = await session.execute(
        select(Channel.id, Channel.key, Channel.name).where(
            Channel.workspace_id == workspace_id, Channel.id.in_(channel_ids)
        )
    )
    channels = {row.id: (row.key, row.name) for row in rows}
    found: dict[Key, rules.CampaignChannel] = {}
    for campaign_id, channel_id in sorted(set(pushed) | set(recorded)):
        if channel_id not in channels:
            continue  # a channel of another workspace
        base: Mapping[str, Decimal | None] = pushed.get((campaign_id, channel_id), {})
        figures = {
            key: book.value_of[key](base) if key in book.value_of else None for key in book.keys
        }
        key, name = channels[channel_id]
        money = allocations.channel_money(
            key=key,
            name=name,
            planned=rules.ZERO,
            expenses=recorded.get((campaign_id, channel_id)),
            pushed=figures,
            roi=book.roi,
        )
        found[(campaign_id, channel_id)] = rules.campaign_channel(
            money, pushed=figures, conversion_rate=book.conversion_rate
        )
    return found
