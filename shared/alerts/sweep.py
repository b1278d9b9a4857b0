"""The minute sweep: every active campaign's rules, in chunks of campaigns.

A sweep is one job per chunk of campaigns, each its own transaction, so several workers
share it and none does a chunk twice (the chunk's job id names the minute). A chunk reads
what its campaigns' rules need (rules, open alerts, channels, goals, tasks, budget,
latest points, silences, the dictionary, and the figures' windows and series) in one
query each for all its campaigns, evaluates each campaign as after a batch
(`service.findings_of`), and records them all at once (`state.record`: one statement
for the locks, one for the open alerts, one for the breaches counted again), under the
same advisory locks and the same unique index on open fingerprints. Its cost per
campaign is Python's, not round trips: measured with `bench/sweep.py`.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import func, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.alerts import service, state
from shared.alerts.models import OPEN, Alert, AlertStatus
from shared.campaigns.models import BudgetLine, Campaign, CampaignStatus, Expense, Goal
from shared.figures import series
from shared.figures.models import CampaignChannel, Channel, MetricPoint
from shared.metrics import service as metrics
from shared.metrics.models import Metric
from shared.rules import conditions, evaluate
from shared.rules import service as rules
from shared.rules.models import Condition, Rule
from shared.tasks.models import Task

logger = structlog.get_logger(__name__)
# The worker's job that runs `watch_campaigns` on one chunk, registered under this name
# by services/worker/jobs/alerts.py.
WATCH_CHUNK_JOB = "watch_campaigns"
CHUNK = 25  # campaigns per job: short transactions, far inside the job timeout, shared by workers


async def chunks(session: AsyncSession, size: int = CHUNK) -> list[list[uuid.UUID]]:
    """The active campaigns, in chunks of `size`."""
    ids = list(
        await session.scalars(
            select(Campaign.id)
            .where(Campaign.status == CampaignStatus.active)
            .order_by(Campaign.id)
        )
    )
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _grouped(rows: Any) -> dict[uuid.UUID, list[Any]]:
    found: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for campaign_id, *rest in rows:
        found[campaign_id].append(rest[0] if len(rest) == 1 else tuple(rest))
    return found


async def _read_figures(
    session: AsyncSession,
    campaigns: list[Campaign],
    rules_of: dict[uuid.UUID, list[Rule]],
    dictionaries: dict[uuid.UUID, dict[str, Metric]],
    now: datetime,
) -> dict[uuid.UUID, dict[object, Any]]:
    """Each campaign's `Context.cache` entries for the windows and series its rules will
    read (`evaluate.planned_reads`), each read once for all the campaigns that need it."""
    caches: dict[uuid.UUID, dict[object, Any]] = defaultdict(dict)
    windows: dict[tuple[uuid.UUID, datetime | None], list[Campaign]] = defaultdict(list)
    wanted: dict[tuple[uuid.UUID, datetime | None], set[str]] = defaultdict(set)
    serieses: dict[tuple[uuid.UUID, evaluate.SeriesRead], list[Campaign]] = defaultdict(list)
    for campaign in campaigns:
        dictionary = dictionaries[campaign.workspace_id]
        parsed = [(r, conditions.parse(r.condition, r.params)) for r in rules_of[campaign.id]]
        context = evaluate.Context(
            campaign, dictionary, now, evaluate.wanted_metrics(parsed, dictionary)
        )
        reads = evaluate.planned_reads(parsed, context)
        for start in reads.windows:
            windows[(campaign.workspace_id, start)].append(campaign)
            wanted[(campaign.workspace_id, start)] |= context.wanted
        for read in reads.series:
            serieses[(campaign.workspace_id, read)].append(campaign)
    for (workspace_id, start), found in windows.items():
        keys = wanted[(workspace_id, start)]
        totals = await series.totals_of_campaigns(
            session, campaigns=found, dictionary=dictionaries[workspace_id], keys=keys, start=start
        )
        for campaign in found:
            caches[campaign.id][("totals", start)] = (keys, totals[campaign.id])
    for (workspace_id, read), found in serieses.items():
        read_series = await series.series_of_campaigns(
            session,
            campaigns=found,
            dictionary=dictionaries[workspace_id],
            metric_key=read.metric,
            granularity=read.period,
            start=read.start,
            end=read.end,
        )
        for campaign in found:
            caches[campaign.id][read] = read_series[campaign.id]
    return caches


async def _prefetched(
    session: AsyncSession,
    campaigns: list[Campaign],
    rules_of: dict[uuid.UUID, list[Rule]],
    dictionaries: dict[uuid.UUID, dict[str, Metric]],
    now: datetime,
) -> dict[uuid.UUID, dict[object, Any]]:
    """Each campaign's `Context.cache`, filled with what its rules will read."""
    ids = [c.id for c in campaigns]
    channels = _grouped(
        await session.execute(
            select(CampaignChannel.campaign_id, Channel.key)
            .join(Channel, Channel.id == CampaignChannel.channel_id)
            .where(CampaignChannel.campaign_id.in_(ids))
        )
    )
    goals = _grouped(
        await session.execute(
            select(Goal.campaign_id, Goal)
            .where(Goal.campaign_id.in_(ids))
            .order_by(Goal.created_at)
        )
    )
    tasks = _grouped(
        await session.execute(
            select(Task.campaign_id, Task).where(
                Task.campaign_id.in_(ids), Task.planned_end.is_not(None)
            )
        )
    )
    budget: dict[str, dict[uuid.UUID, dict[str, Decimal]]] = {}
    for model, column in ((BudgetLine, BudgetLine.planned_amount), (Expense, Expense.amount)):
        sums: dict[uuid.UUID, dict[str, Decimal]] = defaultdict(dict)
        for campaign_id, category, total in await session.execute(
            select(model.campaign_id, model.category, func.sum(column))
            .where(model.campaign_id.in_(ids))
            .group_by(model.campaign_id, model.category)
        ):
            sums[campaign_id][category.value] = Decimal(total or 0)
        budget[model.__tablename__] = sums
    unseen = {
        conditions.parse(rule.condition, rule.params).metrics().pop()
        for found in rules_of.values()
        for rule in found
        if rule.condition == Condition.no_data
    }
    latest: dict[tuple[uuid.UUID, str], dict[str, datetime]] = defaultdict(dict)
    if unseen:
        for campaign_id, metric, channel, bucket in await session.execute(
            select(
                MetricPoint.campaign_id,
                MetricPoint.metric_key,
                Channel.key,
                func.max(MetricPoint.bucket),
            )
            .join(Channel, Channel.id == MetricPoint.channel_id)
            .where(MetricPoint.campaign_id.in_(ids), MetricPoint.metric_key.in_(unseen))
            .group_by(MetricPoint.campaign_id, MetricPoint.metric_key, Channel.key)
        ):
            latest[(campaign_id, metric)][channel] = bucket
    caches = await _read_figures(session, campaigns, rules_of, dictionaries, now)
    for campaign_id in ids:
        cache: dict[object, Any] = caches[campaign_id]
        cache |= {
            "channels": set(channels.get(campaign_id, [])),
            "goals": goals.get(campaign_id, []),
            "tasks": tasks.get(campaign_id, []),
        }
        for table, sums in budget.items():
            cache[("budget", table)] = sums.get(campaign_id, {})
        for metric in unseen:
            cache[("latest", metric)] = latest.get((campaign_id, metric), {})
    return caches


def _rules_of(campaigns: list[Campaign], candidates: list[Rule]) -> dict[uuid.UUID, list[Rule]]:
    """Each campaign's rules, in the candidates' order: its own, and the workspace's
    templates that apply to it (looked at per campaign of their workspace only)."""
    by_id = {c.id: c for c in campaigns}
    in_workspace: dict[uuid.UUID, list[Campaign]] = defaultdict(list)
    for campaign in campaigns:
        in_workspace[campaign.workspace_id].append(campaign)
    found: dict[uuid.UUID, list[Rule]] = {c.id: [] for c in campaigns}
    for rule in candidates:
        if rule.campaign_id is not None:
            watched = [by_id[rule.campaign_id]] if rule.campaign_id in by_id else []
        else:
            watched = in_workspace[rule.workspace_id]
        for campaign in watched:
            if rules.applies_to(rule, campaign):
                found[campaign.id].append(rule)
    return found


async def watches(
    session: AsyncSession, campaigns: list[Campaign], now: datetime
) -> dict[uuid.UUID, service.Watch]:
    """What each campaign's evaluation reads (`service.watch_of`), read for all of them
    together, the figures its rules will ask for included."""
    ids = [c.id for c in campaigns]
    workspace_ids = {c.workspace_id for c in campaigns}
    dictionaries = {
        w: await metrics.dictionary(session, workspace_id=w) for w in sorted(workspace_ids)
    }
    silences = {w: await service.active_silences(session, w, now) for w in sorted(workspace_ids)}
    candidates = list(
        await session.scalars(
            select(Rule)
            .where(
                Rule.workspace_id.in_(workspace_ids),
                Rule.enabled.is_(True),
                or_(Rule.campaign_id.in_(ids), Rule.campaign_id.is_(None)),
            )
            .order_by(Rule.created_at)
        )
    )
    rules_of = _rules_of(campaigns, candidates)
    open_now = _grouped(
        await session.execute(
            select(Alert.campaign_id, Alert.rule_id, Alert.subject).where(
                Alert.campaign_id.in_(ids), Alert.status.in_(OPEN)
            )
        )
    )
    inhibited = _grouped(
        await session.execute(
            select(Alert.campaign_id, Alert.channel)
            .join(Rule, Rule.id == Alert.rule_id)
            .where(
                Alert.campaign_id.in_(ids),
                Alert.status.in_((AlertStatus.firing, AlertStatus.acknowledged)),
                Alert.channel.is_not(None),
                Rule.condition == Condition.no_data,
            )
        )
    )
    caches = await _prefetched(session, campaigns, rules_of, dictionaries, now)
    return {
        c.id: service.Watch(
            dictionary=dictionaries[c.workspace_id],
            silences=silences[c.workspace_id],
            rules=rules_of[c.id],
            open_now=set(open_now.get(c.id, [])),
            inhibited={channel for channel in inhibited.get(c.id, []) if channel},
            cache=caches[c.id],
        )
        for c in campaigns
    }


async def watch_campaigns(
    session: AsyncSession, *, campaign_ids: Sequence[uuid.UUID], now: datetime
) -> list[Alert]:
    """Evaluate every rule of these campaigns (those still active) and move their
    alerts; returns the alerts that changed state. A campaign whose evaluation raises is
    logged and left for the next sweep: the others in its chunk still count. (A database
    error fails the chunk's transaction, and the job is tried again.)"""
    campaigns = list(
        await session.scalars(
            select(Campaign)
            .where(Campaign.id.in_(campaign_ids), Campaign.status == CampaignStatus.active)
            .order_by(Campaign.id)
        )
    )
    if not campaigns:
        return []
    found = await watches(session, campaigns, now)
    evaluated = []
    for campaign in campaigns:
        try:
            evaluated.append(
                await service.findings_of(
                    session, campaign=campaign, watch=found[campaign.id], now=now
                )
            )
        except DBAPIError:
            raise
        except Exception:
            logger.exception("campaign not watched", campaign_id=str(campaign.id))
    return await state.record(session, evaluated=evaluated, now=now)
