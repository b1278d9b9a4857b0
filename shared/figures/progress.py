"""Goals against the figures: actual, achievement rate, expected to date."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns import plan
from shared.campaigns.models import Campaign, Direction, Goal, TargetKind
from shared.figures.series import campaign_totals
from shared.metrics.models import Aggregation, Metric

CENT = Decimal("0.01")
# Digits for rates and lifts: over a tiny target or baseline they run far beyond the
# default 28, and quantizing a number wider than its context raises.
WIDE = 80


@dataclass(frozen=True)
class GoalProgress:
    goal: Goal
    actual: Decimal | None
    lift_percent: Decimal | None  # relative-lift goals: actual over the baseline, in %
    achievement_rate: Decimal | None  # % of the target reached (inverted if lower is better)
    expected_to_date: Decimal | None  # cumulative goals: the target pro-rated over the days


def _rate(goal: Goal, measured: Decimal | None) -> Decimal | None:
    target = goal.target_value
    if measured is None or target is None or target == 0:
        return None
    if goal.direction == Direction.lower_is_better and goal.target_kind == TargetKind.absolute:
        return None if measured == 0 else (target / measured * 100).quantize(CENT)
    return (measured / target * 100).quantize(CENT)


def expected_to_date(
    goal: Goal, campaign: Campaign, metric: Metric | None, today: date
) -> Decimal | None:
    """What a cumulative goal should have reached by `today`: the target pro-rated."""
    cumulative = (
        metric is not None and metric.formula is None and metric.aggregation == Aggregation.sum
    )
    if not cumulative or goal.target_kind != TargetKind.absolute or goal.target_value is None:
        return None
    if campaign.start_date is None or campaign.end_date is None:
        return None
    days = (campaign.end_date - campaign.start_date).days + 1
    elapsed = min(max((today - campaign.start_date).days + 1, 0), days)
    return (goal.target_value * elapsed / days).quantize(CENT)


async def goal_progress(
    session: AsyncSession, *, campaign: Campaign, dictionary: dict[str, Metric], today: date
) -> list[GoalProgress]:
    goals = await plan.all_items(session, plan.GOALS, campaign=campaign)
    totals = await campaign_totals(
        session, campaign=campaign, dictionary=dictionary, keys={g.metric_key for g in goals}
    )
    result = []
    with localcontext(prec=WIDE):
        for goal in goals:
            actual = totals.get(goal.metric_key)
            lift = None
            measured = actual
            if goal.target_kind == TargetKind.relative_lift:
                baseline = goal.baseline_value
                lift = (
                    None
                    if actual is None or not baseline
                    else ((actual - baseline) / baseline * 100).quantize(CENT)
                )
                measured = lift
            result.append(
                GoalProgress(
                    goal=goal,
                    actual=actual,
                    lift_percent=lift,
                    achievement_rate=_rate(goal, measured),
                    expected_to_date=expected_to_date(
                        goal, campaign, dictionary.get(goal.metric_key), today
                    ),
                )
            )
    return result
