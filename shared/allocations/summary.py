"""The budget by channel and by work: planned against spent, where the money goes.

A channel's spend is the money finance recognises when there is some: the expenses
recorded against the channel. Until then it is the `spend` the channel's integration
pushed, and the answer says which (`spend_source`). ROI is the dictionary's `roi`
(revenue / spend in the standard one) computed on that spend, so it moves to finance's
figures as soon as expenses are recorded. Work (strategies, modules, tasks) only has
the money recorded against it: integrations push figures per channel, not per task.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Literal, Protocol

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.budget import CENT, ZERO, Figures
from shared.campaigns.models import BudgetLine, Campaign, Expense
from shared.figures import series
from shared.figures.channels import campaign_channels
from shared.figures.models import Channel
from shared.metrics import service as metrics
from shared.tasks.models import Task, TaskLevel

SpendSource = Literal["expenses", "pushed", "none"]
SPEND, REVENUE, GMV, ROI = "spend", "revenue", "gmv", "roi"
RATIO = Decimal("0.0001")
WIDE = 80  # digits for ROI: a large revenue over a cent of spend runs beyond the default 28


def cents(value: Decimal | None) -> Decimal | None:
    """Pushed figures keep 6 decimals; money is shown to the cent, halves away from zero."""
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ChannelMoney:
    key: str
    name: str
    planned: Decimal
    expenses: Decimal | None  # recorded against the channel; None when none is
    pushed_spend: Decimal | None  # the integration's `spend`; None when none was pushed
    revenue: Decimal | None
    gmv: Decimal | None
    roi: Decimal | None

    @property
    def spend_source(self) -> SpendSource:
        if self.expenses is not None:
            return "expenses"
        return "pushed" if self.pushed_spend is not None else "none"

    @property
    def figures(self) -> Figures:
        spent = self.expenses if self.expenses is not None else self.pushed_spend
        return Figures(self.planned, ZERO if spent is None else spent)


def channel_money(
    *,
    key: str,
    name: str,
    planned: Decimal,
    expenses: Decimal | None,
    pushed: Mapping[str, Decimal | None],
    roi: series.Evaluator | None,
) -> ChannelMoney:
    """One channel's money from its sums: `pushed` holds its totals of the pushed metrics
    (spend, revenue, gmv and the inputs of the dictionary's ROI)."""
    pushed_spend = cents(pushed.get(SPEND))
    revenue, gmv = cents(pushed.get(REVENUE)), cents(pushed.get(GMV))
    spent = expenses if expenses is not None else pushed_spend
    value = None
    if roi is not None and spent is not None:
        # On the figures as shown, so that revenue / spent gives the same answer.
        inputs = {**pushed, REVENUE: revenue, GMV: gmv, SPEND: spent}
        with localcontext(prec=WIDE):
            computed = roi(inputs)
            value = None if computed is None else computed.quantize(RATIO, ROUND_HALF_UP)
    return ChannelMoney(key, name, planned, expenses, pushed_spend, revenue, gmv, value)


@dataclass(frozen=True)
class ChannelBudget:
    currency: str
    channels: list[ChannelMoney]
    unassigned: Figures  # budget lines and expenses that name no channel


class WorkNode(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def parent_id(self) -> uuid.UUID | None: ...
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def level(self) -> TaskLevel: ...


@dataclass(frozen=True)
class WorkMoney:
    node: WorkNode
    own: Figures  # the lines and expenses that name this node
    rollup: Figures  # with everything under it in the breakdown


@dataclass(frozen=True)
class WorkBudget:
    currency: str
    work: list[WorkMoney]
    unassigned: Figures  # budget lines and expenses that name no work


def money_by_work(
    nodes: Sequence[WorkNode],
    planned: Mapping[uuid.UUID, Decimal],
    spent: Mapping[uuid.UUID, Decimal],
) -> list[WorkMoney]:
    """Every node with money in it or under it, in breakdown order: each parent before its
    children, siblings by code."""
    by_id = {node.id: node for node in nodes}
    totals: dict[uuid.UUID, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for node_id in set(planned) | set(spent):
        step: uuid.UUID | None = node_id
        seen: set[uuid.UUID] = set()
        while step is not None and step in by_id and step not in seen:
            seen.add(step)
            totals[step][0] += planned.get(node_id, ZERO)
            totals[step][1] += spent.get(node_id, ZERO)
            step = by_id[step].parent_id
    children: dict[uuid.UUID | None, list[WorkNode]] = defaultdict(list)
    for node in nodes:
        if node.id in totals:
            parent = node.parent_id if node.parent_id in by_id else None
            children[parent].append(node)
    ordered: list[WorkMoney] = []
    stack = sorted(children[None], key=lambda n: n.code, reverse=True)
    while stack:
        node = stack.pop()
        ordered.append(
            WorkMoney(
                node,
                Figures(planned.get(node.id, ZERO), spent.get(node.id, ZERO)),
                Figures(*totals[node.id]),
            )
        )
        stack.extend(sorted(children[node.id], key=lambda n: n.code, reverse=True))
    return ordered


async def _sums(
    session: AsyncSession, campaign: Campaign, amount: Any, group: Any
) -> dict[Any, Decimal]:
    """Sums of `amount` per value of `group` (None: naming nothing), for this campaign."""
    model = amount.class_
    rows = await session.execute(
        select(group, func.sum(amount))
        .where(model.workspace_id == campaign.workspace_id, model.campaign_id == campaign.id)
        .group_by(group)
    )
    return {key: Decimal(total) for key, total in rows}


async def _channels(
    session: AsyncSession, campaign: Campaign, ids: Iterable[uuid.UUID], keys: Iterable[str]
) -> list[Channel]:
    """The campaign's channels, and any other of the workspace that money or figures name
    (a channel detached after money was recorded against it still shows its money)."""
    found = {c.id: c for c in await campaign_channels(session, campaign)}
    ids = set(ids) - set(found)
    keys = set(keys) - {c.key for c in found.values()}
    if ids or keys:
        others = await session.scalars(
            select(Channel).where(
                Channel.workspace_id == campaign.workspace_id,
                or_(Channel.id.in_(ids), Channel.key.in_(keys)),
            )
        )
        found.update({c.id: c for c in others})
    return sorted(found.values(), key=lambda c: c.key)


async def by_channel(session: AsyncSession, *, campaign: Campaign) -> ChannelBudget:
    planned = await _sums(session, campaign, BudgetLine.planned_amount, BudgetLine.channel_id)
    recorded = await _sums(session, campaign, Expense.amount, Expense.channel_id)
    dictionary = await metrics.dictionary(session, workspace_id=campaign.workspace_id)
    roi = series.evaluator(ROI, dictionary) if ROI in dictionary else None
    keys = {SPEND, REVENUE, GMV} | (series.base_keys(ROI, dictionary) if roi else set())
    pushed = await series.window_totals(
        session, campaign=campaign, dictionary=dictionary, keys=keys
    )
    named = {key for key in pushed if key is not None}
    named_by_money = (set(planned) | set(recorded)) - {None}
    channels = await _channels(session, campaign, named_by_money, named)
    return ChannelBudget(
        currency=campaign.currency,
        channels=[
            channel_money(
                key=channel.key,
                name=channel.name,
                planned=planned.get(channel.id, ZERO),
                expenses=recorded.get(channel.id),
                pushed=pushed.get(channel.key, {}),
                roi=roi,
            )
            for channel in channels
        ],
        unassigned=Figures(planned.get(None, ZERO), recorded.get(None, ZERO)),
    )


async def by_work(session: AsyncSession, *, campaign: Campaign) -> WorkBudget:
    planned = await _sums(session, campaign, BudgetLine.planned_amount, BudgetLine.task_id)
    spent = await _sums(session, campaign, Expense.amount, Expense.task_id)
    nodes = (
        await session.execute(
            select(Task.id, Task.parent_id, Task.code, Task.name, Task.level).where(
                Task.workspace_id == campaign.workspace_id, Task.campaign_id == campaign.id
            )
        )
    ).all()
    return WorkBudget(
        currency=campaign.currency,
        work=money_by_work(
            nodes,
            {k: v for k, v in planned.items() if k is not None},
            {k: v for k, v in spent.items() if k is not None},
        ),
        unassigned=Figures(planned.get(None, ZERO), spent.get(None, ZERO)),
    )
