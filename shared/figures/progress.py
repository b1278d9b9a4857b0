"""Goals against the figures: actual, achievement rate, expected to date."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import Protocol

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


class GoalTarget(Protocol):
    """What achievement needs of a goal: the goal itself, or a plain copy of its terms."""

    @property
    def target_kind(self) -> TargetKind: ...
    @property
    def target_value(self) -> Decimal | None: ...
    @property
    def baseline_value(self) -> Decimal | None: ...
    @property
    def direction(self) -> Direction: ...


def lift_percent(goal: GoalTarget, actual: Decimal | None) -> Decimal | None:
    """A relative-lift goal's actual over its baseline, in %; None for other goals."""
    baseline = goal.baseline_value
    if goal.target_kind != TargetKind.relative_lift or actual is None or not baseline:
        return None
    with localcontext(prec=WIDE):
        return ((actual - baseline) / baseline * 100).quantize(CENT)


def achievement_rate(goal: GoalTarget, actual: Decimal | None) -> Decimal | None:
    """% of the target reached: on the lift over the baseline for a relative-lift goal,
    inverted (target / actual) for an absolute lower-is-better one."""
    lift = goal.target_kind == TargetKind.relative_lift
    measured = lift_percent(goal, actual) if lift else actual
    target = goal.target_value
    if measured is None or target is None or target == 0:
        return None
    with localcontext(prec=WIDE):
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


def pace_percent(
    direction: Direction, actual: Decimal | None, expected: Decimal | None
) -> Decimal | None:
    """How far along a goal is against where it should be by now, 100 being on pace; for a
    lower-is-better goal less than expected is ahead (expected / actual)."""
    if actual is None or expected is None or expected == 0:
        return None
    with localcontext(prec=WIDE):
        if direction == Direction.lower_is_better:
            return None if actual == 0 else (expected / actual * 100).quantize(CENT)
        return (actual / expected * 100).quantize(CENT)


async def goal_progress(
    session: AsyncSession, *, campaign: Campaign, dictionary: dict[str, Metric], today: date
) -> list[GoalProgress]:
    goals = await plan.all_items(session, plan.GOALS, campaign=campaign)
    totals = await campaign_totals(
        session, campaign=campaign, dictionary=dictionary, keys={g.metric_key for g in goals}
    )
    result = []
    with localcontext(prec=WIDE):  # expected to date divides a target too
        for goal in goals:
            actual = totals.get(goal.metric_key)
            result.append(
                GoalProgress(
                    goal=goal,
                    actual=actual,
                    lift_percent=lift_percent(goal, actual),
                    achievement_rate=achievement_rate(goal, actual),
                    expected_to_date=expected_to_date(
                        goal, campaign, dictionary.get(goal.metric_key), today
                    ),
                )
            )
    return result
