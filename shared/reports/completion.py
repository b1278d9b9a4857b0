"""Completion rates: a day's figures against that day's share of each goal.

- A cumulative goal (a summed base metric with an absolute target T) owes T / D each day
  of a campaign of D days (the same pro-rating as goal progress' expected to date):
  completion = the day's actual / (T / D) x 100.
- A goal on a rate, an average, a maximum or a latest value is not shared out over days:
  each day is judged against the target itself (completion = the day's value / T x 100).
- A relative-lift goal (+L% over the baseline B) aims at the level B x (1 + L/100); that
  level is shared out over the days when the metric is cumulative, and is the day's aim
  otherwise.
- Lower is better (cost per acquisition, negative comments): the ratio is inverted
  (aim / actual x 100), so 100% still means on target and more is better.

A channel's row is measured against the same day target as the campaign: for cumulative
goals the channels' rates add up to the total's (each shows its contribution), for rates
each channel is judged against the target. Days outside the campaign's dates, goals
without a target (or a lift without a baseline), figures not reported, and zero where it
would divide give no rate (null).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import Literal

from shared.campaigns.models import Direction, TargetKind
from shared.figures import progress
from shared.metrics.models import Aggregation

CENT = Decimal("0.01")
WIDE = 80  # digits: rates over tiny targets run beyond the default 28 before quantizing


# day_share: the target shared out over the campaign's days; target: each day against it.
Basis = Literal["day_share", "target"]


@dataclass(frozen=True)
class GoalTerms:
    """What completion needs of a goal and its metric (plain values: testable alone)."""

    metric_key: str
    target_kind: TargetKind
    target_value: Decimal | None
    baseline_value: Decimal | None
    direction: Direction
    cumulative: bool  # a summed base metric: a day's figures add up to the campaign's


def is_cumulative(*, aggregation: Aggregation, formula: str | None) -> bool:
    return formula is None and aggregation == Aggregation.sum


def basis(terms: GoalTerms) -> Basis:
    return "day_share" if terms.cumulative else "target"


def day_target(
    terms: GoalTerms, *, day: date, start_date: date | None, end_date: date | None
) -> Decimal | None:
    """What the day should bring (cumulative goals) or reach (the others); unrounded."""
    if terms.target_value is None:
        return None
    with localcontext(prec=WIDE):
        if terms.target_kind == TargetKind.relative_lift:
            if not terms.baseline_value:
                return None
            aim = terms.baseline_value * (1 + terms.target_value / 100)
        else:
            aim = terms.target_value
        if not terms.cumulative:
            return aim
        if start_date is None or end_date is None or not start_date <= day <= end_date:
            return None
        return aim / ((end_date - start_date).days + 1)


def shown(terms: GoalTerms, target: Decimal | None) -> Decimal | None:
    """A day target as reports show it: a share of a total to the cent; a target that
    is not shared out (a rate such as 0.015) as it is."""
    if target is None or not terms.cumulative:
        return target
    with localcontext(prec=WIDE):
        return target.quantize(CENT)


def completion_rate(
    terms: GoalTerms, *, actual: Decimal | None, target: Decimal | None
) -> Decimal | None:
    """The day's actual against its target, in % (two decimals); None when it cannot be
    computed or nothing was reported (a channel that does not measure the metric)."""
    return progress.pace_percent(
        terms.direction, actual, target
    )  # a day's pace, against its target


def achievement_rate(terms: GoalTerms, *, actual: Decimal | None) -> Decimal | None:
    """% of the whole target reached, as goal progress computes it: inverted for an
    absolute lower-is-better goal, on the lift over the baseline for a lift goal."""
    return progress.achievement_rate(terms, actual)


def change_percent(current: Decimal | None, previous: Decimal | None) -> Decimal | None:
    """Week over week: (current - previous) / previous x 100; null without a previous
    figure to compare with."""
    if current is None or previous is None or previous == 0:
        return None
    with localcontext(prec=WIDE):
        return ((current - previous) / abs(previous) * 100).quantize(CENT)
