"""The settlement statement: planned (baseline and current plan) against actual, per budget
category and per channel, with the variance and whether it needs an explanation.

Pure: it takes the plan's lines and the expenses as plain values, so the rules read and
test without a database. Money stays Decimal throughout.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from shared.campaigns.budget import CENT, ZERO
from shared.campaigns.models import BudgetCategory

DEFAULT_THRESHOLD_PERCENT = Decimal("5.00")
NO_CHANNEL = "no_channel"  # the line of money that names no channel
CHANNEL_PREFIX = "channel:"  # channel lines are keyed `channel:<key>`; categories by name
NOTHING_PLANNED = (
    "Nothing was planned here: no variance percentage (any spending needs an explanation)."
)

Dimension = Literal["category", "channel"]


@dataclass(frozen=True)
class Money:
    """An amount of a plan line or an expense, where it went."""

    category: BudgetCategory
    channel_key: str | None
    amount: Decimal


@dataclass(frozen=True)
class Explanation:
    text: str
    written_by_member_id: UUID | None
    written_at: datetime


def channel_line_key(channel_key: str | None) -> str:
    return NO_CHANNEL if channel_key is None else CHANNEL_PREFIX + channel_key


def variance_percent(actual: Decimal, planned: Decimal) -> Decimal | None:
    """(actual - planned) / planned x 100, to the hundredth; None when nothing was planned."""
    if planned == 0:
        return None
    return ((actual - planned) / planned * 100).quantize(CENT)


def needs_explanation(actual: Decimal, planned: Decimal, threshold_percent: Decimal) -> bool:
    """|variance %| above the threshold, judged exactly (not on the rounded percentage);
    or money spent where none was planned."""
    if planned == 0:
        return actual > 0
    return abs(actual - planned) * 100 > threshold_percent * planned


@dataclass(frozen=True)
class Line:
    key: str
    dimension: Dimension
    category: BudgetCategory | None
    channel_key: str | None
    baseline_planned: Decimal | None  # None before the plan was approved
    planned: Decimal
    actual: Decimal
    threshold_percent: Decimal
    explanation: Explanation | None = None

    @property
    def variance(self) -> Decimal:
        return self.actual - self.planned

    @property
    def variance_percent(self) -> Decimal | None:
        return variance_percent(self.actual, self.planned)

    @property
    def variance_note(self) -> str | None:
        return NOTHING_PLANNED if self.planned == 0 else None

    @property
    def plan_change(self) -> Decimal | None:
        """Current planned - baseline planned: what approved change requests moved."""
        return None if self.baseline_planned is None else self.planned - self.baseline_planned

    @property
    def needs_explanation(self) -> bool:
        return needs_explanation(self.actual, self.planned, self.threshold_percent)

    @property
    def explanation_missing(self) -> bool:
        return self.needs_explanation and self.explanation is None


@dataclass(frozen=True)
class Totals:
    baseline_planned: Decimal | None
    planned: Decimal
    actual: Decimal

    @property
    def variance(self) -> Decimal:
        return self.actual - self.planned

    @property
    def variance_percent(self) -> Decimal | None:
        return variance_percent(self.actual, self.planned)


@dataclass(frozen=True)
class Statement:
    currency: str
    threshold_percent: Decimal
    categories: list[Line]
    channels: list[Line]
    totals: Totals
    lines_by_key: dict[str, Line] = field(repr=False)

    @property
    def missing_explanations(self) -> list[Line]:
        return [line for line in self.categories + self.channels if line.explanation_missing]


def _sums(items: Iterable[Money], key: str) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for item in items:
        name = item.category.value if key == "category" else channel_line_key(item.channel_key)
        totals[name] = totals.get(name, ZERO) + item.amount
    return totals


def build(
    *,
    currency: str,
    baseline: list[Money] | None,
    current: list[Money],
    actual: list[Money],
    threshold_percent: Decimal,
    explanations: Mapping[str, Explanation],
) -> Statement:
    """The statement; a line shows when any of its figures is not zero or it is explained."""

    def lines(dimension: Dimension, keys: list[str]) -> list[Line]:
        base = None if baseline is None else _sums(baseline, dimension)
        planned, spent = _sums(current, dimension), _sums(actual, dimension)
        shown = []
        for key in keys:
            figures = (planned.get(key, ZERO), spent.get(key, ZERO))
            base_figure = None if base is None else base.get(key, ZERO)
            if not any(figures) and not base_figure and key not in explanations:
                continue
            channel = key.removeprefix(CHANNEL_PREFIX) if key.startswith(CHANNEL_PREFIX) else None
            shown.append(
                Line(
                    key=key,
                    dimension=dimension,
                    category=BudgetCategory(key) if dimension == "category" else None,
                    channel_key=channel,
                    baseline_planned=base_figure,
                    planned=figures[0],
                    actual=figures[1],
                    threshold_percent=threshold_percent,
                    explanation=explanations.get(key),
                )
            )
        return shown

    everything = (baseline or []) + current + actual
    channel_keys = sorted({m.channel_key for m in everything if m.channel_key is not None})
    categories = lines("category", [c.value for c in BudgetCategory])
    channels = lines("channel", [channel_line_key(k) for k in channel_keys] + [NO_CHANNEL])
    totals = Totals(
        baseline_planned=None if baseline is None else sum((m.amount for m in baseline), ZERO),
        planned=sum((m.amount for m in current), ZERO),
        actual=sum((m.amount for m in actual), ZERO),
    )
    return Statement(
        currency=currency,
        threshold_percent=threshold_percent,
        categories=categories,
        channels=channels,
        totals=totals,
        lines_by_key={line.key: line for line in categories + channels},
    )
