"""Computing the evaluation as it stands: the goals against the approved and the current
plan, the four dimensions, and each channel's contribution. Read in the caller's
transaction; nothing is written here."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.allocations import summary as allocations
from shared.allocations.summary import SpendSource
from shared.campaigns import plan
from shared.campaigns.models import Campaign, CampaignStatus, Direction, Goal, GoalType, TargetKind
from shared.change_requests import plan_versions
from shared.evaluations import rules
from shared.evaluations.models import Dimension, EvaluationGoalAnalysis
from shared.evaluations.schemas import (
    RANKING,
    BrandImpactOut,
    ChannelContributionOut,
    ChannelsOut,
    DataSourceOut,
    DimensionsOut,
    EvaluationDocument,
    EvaluationGoalOut,
    GoalAnalysisOut,
    GoalShareOut,
    GoalTypeOut,
    LateDataOut,
    MappedMetricOut,
    RoiDimensionOut,
    RoiOut,
    SearchLiftOut,
    UserValueOut,
)
from shared.evaluations.sources import Sources, late_data_closes_at, late_data_open, read_sources
from shared.figures import progress, series
from shared.metrics import service as metrics
from shared.metrics.models import Aggregation, Metric

# The dictionary's standard keys each dimension reads (absent keys read as no figure).
REVENUE, GMV, SPEND, ROI = "revenue", "gmv", "spend", "roi"
NEW_USERS, ORDERS, AOV = "new_users", "orders", "aov"
SEARCH_VOLUME, NEGATIVE_COMMENTS = "search_volume", "negative_comments"
CLICKS, CONVERSIONS, CONVERSION_RATE = "clicks", "conversions", "conversion_rate"
STANDARD_KEYS = frozenset(
    {
        REVENUE,
        GMV,
        SPEND,
        ROI,
        NEW_USERS,
        ORDERS,
        AOV,
        SEARCH_VOLUME,
        NEGATIVE_COMMENTS,
        CLICKS,
        CONVERSIONS,
        CONVERSION_RATE,
    }
)

Totals = Mapping[str, Decimal | None]


@dataclass(frozen=True)
class ApprovedTerms:
    """A goal's terms in the approved plan, for achievement against the approved target."""

    target_kind: TargetKind
    target_value: Decimal | None
    baseline_value: Decimal | None
    direction: Direction


def _approved_terms(terms: dict[str, Any] | None) -> ApprovedTerms | None:
    if terms is None:
        return None

    def number(name: str) -> Decimal | None:
        value = terms.get(name)
        return None if value is None else Decimal(value)

    return ApprovedTerms(
        target_kind=TargetKind(terms["target_kind"]),
        target_value=number("target_value"),
        baseline_value=number("baseline_value"),
        direction=Direction(terms["direction"]),
    )


def _inputs(key: str, dictionary: dict[str, Metric]) -> list[str]:
    return sorted(series.base_keys(key, dictionary)) if key in dictionary else [key]


def _additive(key: str, dictionary: dict[str, Metric]) -> bool:
    metric = dictionary.get(key)
    return metric is not None and metric.formula is None and metric.aggregation == Aggregation.sum


def _roi_on(spend: Decimal | None, totals: Totals, dictionary: dict[str, Metric]) -> Decimal | None:
    """The dictionary's ROI (revenue / spend in the standard one) with `spend` as spend."""
    if spend is None:
        return None
    inputs = {**totals, SPEND: spend}
    if ROI not in dictionary:
        return rules.ratio(inputs.get(REVENUE), spend)
    with localcontext(prec=rules.WIDE):
        value = series.evaluator(ROI, dictionary)(inputs)
    return None if value is None else value.quantize(rules.RATIO, ROUND_HALF_UP)


def _goal(
    goal: Goal,
    *,
    actual: Decimal | None,
    dictionary: dict[str, Metric],
    approved: ApprovedTerms | None,
    sources: Sources,
    late_open: bool,
    analysis: EvaluationGoalAnalysis | None,
) -> EvaluationGoalOut:
    rate = progress.achievement_rate(goal, actual)
    inputs = _inputs(goal.metric_key, dictionary)
    stats = sources.for_metrics(inputs)
    metric = dictionary.get(goal.metric_key)
    return EvaluationGoalOut(
        goal_id=goal.id,
        goal_type=goal.goal_type,
        metric_key=goal.metric_key,
        metric_name=metric.name if metric is not None else goal.metric_key,
        strategy=goal.strategy,
        target_kind=goal.target_kind,
        direction=goal.direction,
        baseline_value=goal.baseline_value,
        approved_target_value=approved.target_value if approved else None,
        target_value=goal.target_value,
        actual=actual,
        lift_percent=progress.lift_percent(goal, actual),
        achievement_rate=rate,
        approved_achievement_rate=(
            progress.achievement_rate(approved, actual) if approved is not None else None
        ),
        outcome=rules.outcome(rate),
        data_source=DataSourceOut(
            metric_key=goal.metric_key,
            inputs=inputs,
            channels=sources.channels_for(inputs),
            hourly_points=stats.hourly_points,
            channel_days=stats.channel_days,
            last_period_at=stats.last_period_at,
            last_received_at=stats.last_received_at,
            late_data_open=late_open,
        ),
        analysis=GoalAnalysisOut.of(goal.id, analysis),
    )


def _by_goal_type(goals: Sequence[EvaluationGoalOut]) -> list[GoalTypeOut]:
    groups = []
    for goal_type in GoalType:
        members = [g for g in goals if g.goal_type == goal_type]
        if members:
            tally = rules.tally([g.outcome for g in members])
            groups.append(
                GoalTypeOut(
                    goal_type=goal_type,
                    goal_ids=[g.goal_id for g in members],
                    met=tally.met,
                    missed=tally.missed,
                    unmeasured=tally.unmeasured,
                )
            )
    return groups


def _mapped(
    dimension: Dimension,
    mapping: Sequence[tuple[str, Dimension]],
    totals: Totals,
    dictionary: dict[str, Metric],
) -> list[MappedMetricOut]:
    return [
        MappedMetricOut(
            metric_key=key,
            name=dictionary[key].name,
            unit=dictionary[key].unit.value,
            value=totals.get(key),
        )
        for key, mapped_to in mapping
        if mapped_to == dimension and key in dictionary
    ]


@dataclass(frozen=True)
class _Money:
    expenses: Decimal  # every expense recorded for the campaign
    has_expenses: bool
    channels: allocations.ChannelBudget


def _search_lift(goals: Sequence[EvaluationGoalOut]) -> SearchLiftOut | None:
    for goal in goals:
        if goal.metric_key == SEARCH_VOLUME and goal.target_kind == TargetKind.relative_lift:
            return SearchLiftOut(
                goal_id=goal.goal_id,
                baseline_value=goal.baseline_value,
                actual=goal.actual,
                lift_percent=goal.lift_percent,
                target_lift_percent=goal.target_value,
                achievement_rate=goal.achievement_rate,
            )
    return None


def _dimensions(
    goals: Sequence[EvaluationGoalOut],
    totals: Totals,
    money: _Money,
    dictionary: dict[str, Metric],
    mapping: Sequence[tuple[str, Dimension]],
) -> DimensionsOut:
    pushed_spend = rules.money(totals.get(SPEND))
    expenses = money.expenses if money.has_expenses else None
    source: SpendSource
    spend: Decimal | None
    if expenses is not None:
        spend, source = expenses, "expenses"
    elif pushed_spend is not None:
        spend, source = pushed_spend, "pushed"
    else:
        spend, source = None, "none"
    orders, gmv = totals.get(ORDERS), totals.get(GMV)
    aov = rules.money(totals.get(AOV)) if AOV in dictionary else rules.per_unit(gmv, orders)
    on_expenses = _roi_on(expenses, totals, dictionary)
    on_pushed = _roi_on(pushed_spend, totals, dictionary)
    return DimensionsOut(
        goal_achievement=_by_goal_type(goals),
        roi=RoiDimensionOut(
            revenue=rules.money(totals.get(REVENUE)),
            gmv=rules.money(gmv),
            on_expenses=RoiOut(
                spend_source="expenses",
                spend=expenses,
                roi=on_expenses,
                roi_display=rules.roi_display(on_expenses),
            ),
            on_pushed_spend=RoiOut(
                spend_source="pushed",
                spend=pushed_spend,
                roi=on_pushed,
                roi_display=rules.roi_display(on_pushed),
            ),
            mapped=_mapped(Dimension.roi, mapping, totals, dictionary),
        ),
        user_value=UserValueOut(
            spend_source=source,
            spend=spend,
            new_users=totals.get(NEW_USERS),
            orders=orders,
            cost_per_new_user=rules.per_unit(spend, totals.get(NEW_USERS)),
            cost_per_order=rules.per_unit(spend, orders),
            average_order_value=aov,
            mapped=_mapped(Dimension.user_value, mapping, totals, dictionary),
        ),
        brand_impact=BrandImpactOut(
            search_volume=totals.get(SEARCH_VOLUME),
            search_volume_lift=_search_lift(goals),
            negative_comments=totals.get(NEGATIVE_COMMENTS),
            mapped=_mapped(Dimension.brand_impact, mapping, totals, dictionary),
        ),
    )


def _channels(
    goals: Sequence[Goal],
    per_channel: Mapping[str | None, Totals],
    money: _Money,
    sources: Sources,
    dictionary: dict[str, Metric],
) -> ChannelsOut:
    campaign_totals = per_channel[None]
    rows = []
    for channel in money.channels.channels:
        figures = per_channel.get(channel.key, {})
        clicks, conversions = figures.get(CLICKS), figures.get(CONVERSIONS)
        spent = None if channel.spend_source == "none" else channel.figures.spent
        shortfalls = rules.sample_shortfalls(clicks, conversions)
        rate = figures.get(CONVERSION_RATE)
        rows.append(
            ChannelContributionOut(
                rank=0,
                channel=channel.key,
                name=channel.name,
                spend=channel.figures.spent,
                spend_source=channel.spend_source,
                expenses=channel.expenses,
                pushed_spend=channel.pushed_spend,
                revenue=channel.revenue,
                roi=channel.roi,
                roi_display=rules.roi_display(channel.roi),
                cpa=rules.per_unit(spent, conversions),
                conversion_rate=(
                    None if rate is None else rate.quantize(rules.RATIO, ROUND_HALF_UP)
                ),
                clicks=clicks,
                conversions=conversions,
                hourly_points=sources.for_channel(channel.key).hourly_points,
                insufficient_sample=bool(shortfalls),
                sample_shortfalls=shortfalls,
                goal_shares=[
                    GoalShareOut(
                        goal_id=goal.id,
                        metric_key=goal.metric_key,
                        value=figures.get(goal.metric_key),
                        share_percent=(
                            rules.share_percent(
                                figures.get(goal.metric_key), campaign_totals.get(goal.metric_key)
                            )
                            if _additive(goal.metric_key, dictionary)
                            else None
                        ),
                    )
                    for goal in goals
                ],
            )
        )
    by_key = {row.channel: row for row in rows}
    order = rules.ranked(
        rules.Rankable(r.channel, r.roi, r.revenue, r.insufficient_sample) for r in rows
    )
    return ChannelsOut(
        ranking=RANKING,
        minimum_clicks=rules.MIN_CLICKS,
        minimum_conversions=rules.MIN_CONVERSIONS,
        items=[
            by_key[item.key].model_copy(update={"rank": rank})
            for rank, item in enumerate(order, start=1)
        ],
    )


async def compute(
    session: AsyncSession,
    *,
    campaign: Campaign,
    analyses: Mapping[uuid.UUID, EvaluationGoalAnalysis],
    mapping: Sequence[tuple[str, Dimension]],
    now: datetime,
) -> EvaluationDocument:
    dictionary = await metrics.dictionary(session, workspace_id=campaign.workspace_id)
    goals = await plan.all_items(session, plan.GOALS, campaign=campaign)
    approved = await plan_versions.baseline(session, campaign)
    keys = {g.metric_key for g in goals} | {k for k, _ in mapping} | STANDARD_KEYS
    if ROI in dictionary:
        keys |= series.base_keys(ROI, dictionary)
    per_channel = await series.window_totals(
        session, campaign=campaign, dictionary=dictionary, keys=keys
    )
    totals = per_channel[None]
    channels = await allocations.by_channel(session, campaign=campaign)
    recorded = [c.expenses for c in channels.channels if c.expenses is not None]
    has_expenses = bool(recorded) or channels.unassigned.spent > 0
    money = _Money(
        expenses=sum(recorded, channels.unassigned.spent),
        has_expenses=has_expenses,
        channels=channels,
    )
    sources = await read_sources(session, campaign=campaign)
    late_open = late_data_open(campaign, now)
    approved_goals = approved.goals if approved is not None else {}
    goal_rows = [
        _goal(
            goal,
            actual=totals.get(goal.metric_key),
            dictionary=dictionary,
            approved=_approved_terms(approved_goals.get(goal.id)),
            sources=sources,
            late_open=late_open,
            analysis=analyses.get(goal.id),
        )
        for goal in goals
    ]
    return EvaluationDocument(
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        registration_number=campaign.registration_number,
        campaign_status=campaign.status,
        currency=campaign.currency,
        provisional=campaign.status == CampaignStatus.active,
        plan_version=approved.current_version if approved is not None else None,
        computed_at=now,
        late_data=LateDataOut(open=late_open, closes_at=late_data_closes_at(campaign)),
        goals=goal_rows,
        dimensions=_dimensions(goal_rows, totals, money, dictionary, mapping),
        channels=_channels(goals, per_channel, money, sources, dictionary),
    )
