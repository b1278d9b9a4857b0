"""The channel history's pure rules: the month window, one campaign's figures on a channel,
and their pooling across campaigns with the spread between them.

No database here: `tests/channel_history/` checks these alone. The ratios are those of the
evaluation (`shared.evaluations.rules`), so a channel reads the same in a campaign's
evaluation and in the history that campaign feeds.
"""

import calendar
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Protocol

from shared.allocations.summary import ChannelMoney, SpendSource
from shared.evaluations import rules

MIN_MONTHS, MAX_MONTHS, DEFAULT_MONTHS = 1, 60, 12
SPEND, REVENUE, GMV = "spend", "revenue", "gmv"
CLICKS, CONVERSIONS = "clicks", "conversions"
ZERO = Decimal(0)
NO_MONEY = Decimal("0.00")

# A derived metric of the dictionary (ROI, conversion rate) from its base inputs.
Derived = Callable[[Mapping[str, Decimal | None]], Decimal | None]


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier; a day the earlier month
    lacks becomes its last (31 March less one month is 28 or 29 February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class CampaignChannel:
    """One campaign's figures on one channel, as its evaluation shows them.

    `spend` is the expenses recorded against the channel when there are any, else the
    pushed spend, else None (`spend_source` says which). `roi_inputs` are what the
    dictionary's ROI was computed from (the pushed figures with that spend and the revenue
    to the cent), `pushed` the figures as pushed (the conversion rate's inputs).
    """

    spend_source: SpendSource
    spend: Decimal | None
    expenses: Decimal | None
    pushed_spend: Decimal | None
    revenue: Decimal | None
    clicks: Decimal | None
    conversions: Decimal | None
    roi: Decimal | None
    cpa: Decimal | None
    conversion_rate: Decimal | None
    roi_inputs: Mapping[str, Decimal | None]
    pushed: Mapping[str, Decimal | None]


def campaign_channel(
    money: ChannelMoney, *, pushed: Mapping[str, Decimal | None], conversion_rate: Derived | None
) -> CampaignChannel:
    """The campaign's channel from its money (as its budget by channel and its evaluation
    compute it) and the base figures it pushed."""
    spend = None if money.spend_source == "none" else money.figures.spent
    conversions = pushed.get(CONVERSIONS)
    return CampaignChannel(
        spend_source=money.spend_source,
        spend=spend,
        expenses=money.expenses,
        pushed_spend=money.pushed_spend,
        revenue=money.revenue,
        clicks=pushed.get(CLICKS),
        conversions=conversions,
        roi=money.roi,
        cpa=rules.per_unit(spend, conversions),
        conversion_rate=_derived(conversion_rate, pushed),
        roi_inputs={**pushed, REVENUE: money.revenue, GMV: money.gmv, SPEND: spend},
        pushed=pushed,
    )


def _derived(metric: Derived | None, inputs: Mapping[str, Decimal | None]) -> Decimal | None:
    if metric is None:
        return None
    with localcontext(prec=rules.WIDE):
        value = metric(inputs)
    return None if value is None else value.quantize(rules.RATIO, ROUND_HALF_UP)


# --- the spread across campaigns -----------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """How a per-campaign figure varies: over the campaigns where it is defined."""

    campaigns: int
    minimum: Decimal | None
    p25: Decimal | None
    median: Decimal | None
    p75: Decimal | None
    maximum: Decimal | None


class Ordered(Protocol):
    """Sorted values, as a spread reads them: their number and some of them by rank."""

    def __len__(self) -> int: ...
    def __getitem__(self, rank: int, /) -> Decimal: ...


# The spread's quartiles, as fractions (numerator, denominator).
QUARTILES = ((1, 4), (1, 2), (3, 4))


def quantile(ordered: Ordered, fraction: Decimal) -> Decimal:
    """The quantile of sorted values, interpolated linearly between the two nearest ranks
    (PostgreSQL's `percentile_cont`): the median of 1, 2, 3, 10 is 2.5."""
    position = (len(ordered) - 1) * fraction
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def ranks_read(size: int) -> list[int]:
    """The ranks (from 0) of sorted values that their spread reads: the first, the last,
    and the two around each quartile (`quantile`)."""
    ranks = {0, size - 1}
    for numerator, denominator in QUARTILES:
        below = (size - 1) * numerator // denominator
        ranks |= {below, min(below + 1, size - 1)}
    return sorted(ranks)


class Ranked:
    """A long sorted sample known by its size and the values at the ranks its spread
    reads (`ranks_read`): what PostgreSQL returns of it, rather than all of it."""

    def __init__(self, size: int, at: Mapping[int, Decimal]) -> None:
        self.size = size
        self.at = dict(at)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, rank: int, /) -> Decimal:
        return self.at[rank]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ranked) and (self.size, self.at) == (other.size, other.at)

    __hash__ = None  # type: ignore[assignment]


def spread(values: Iterable[Decimal | None], places: Decimal) -> Spread:
    return spread_of(sorted(v for v in values if v is not None), places)


def spread_of(ordered: Ordered, places: Decimal) -> Spread:
    """The spread of values already sorted."""
    size = len(ordered)
    if not size:
        return Spread(0, None, None, None, None, None)

    def at(numerator: int, denominator: int) -> Decimal:
        with localcontext(prec=rules.WIDE):
            fraction = Decimal(numerator) / Decimal(denominator)
            return quantile(ordered, fraction).quantize(places, ROUND_HALF_UP)

    p25, median, p75 = (at(*fraction) for fraction in QUARTILES)
    return Spread(
        campaigns=size,
        minimum=ordered[0].quantize(places, ROUND_HALF_UP),
        p25=p25,
        median=median,
        p75=p75,
        maximum=ordered[size - 1].quantize(places, ROUND_HALF_UP),
    )


# --- pooling --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pooled:
    """A channel's figures over several campaigns of one kind."""

    campaigns: int
    spend: Decimal  # the campaigns' spends (expenses, else pushed) added up
    spend_sources: Mapping[SpendSource, int]  # how many campaigns took their spend where
    expenses: Decimal | None
    pushed_spend: Decimal | None
    revenue: Decimal | None
    clicks: Decimal | None
    conversions: Decimal | None
    roi: Decimal | None
    cpa: Decimal | None
    conversion_rate: Decimal | None
    insufficient_sample: bool
    sample_shortfalls: list[str]
    roi_spread: Spread
    cpa_spread: Spread
    conversion_rate_spread: Spread


def _plus(total: Decimal | None, value: Decimal | None) -> Decimal | None:
    """`total` with `value` added; None while nothing is present."""
    if value is None:
        return total
    return (ZERO if total is None else total) + value


def _plus_each(totals: dict[str, Decimal | None], values: Mapping[str, Decimal | None]) -> None:
    for key, value in values.items():
        totals[key] = _plus(totals.get(key), value)


def _append(sample: list[Decimal] | Ranked, value: Decimal) -> None:
    if isinstance(sample, Ranked):
        raise ValueError("a sample known by some ranks only cannot take another value")
    sample.append(value)


def _spread(sample: list[Decimal] | Ranked, places: Decimal) -> Spread:
    return spread_of(sample, places) if isinstance(sample, Ranked) else spread(sample, places)


@dataclass
class Tally:
    """What pooling needs of a channel's campaigns, added up as they come: a campaign at a
    time (`add`), or many at once by PostgreSQL from their stored figures (the history's
    totals), then the few computed live added on top. Money and counts are sums, each
    ratio's inputs are summed over the campaigns where that ratio is defined, and the
    per-campaign ratios are kept for the spread."""

    campaigns: int = 0
    spend: Decimal | None = None
    spend_sources: dict[SpendSource, int] = field(
        default_factory=lambda: {"expenses": 0, "pushed": 0, "none": 0}
    )
    expenses: Decimal | None = None
    pushed_spend: Decimal | None = None
    revenue: Decimal | None = None
    clicks: Decimal | None = None
    conversions: Decimal | None = None
    roi_campaigns: int = 0  # campaigns with a ROI, whose ROI inputs are added up below
    roi_inputs: dict[str, Decimal | None] = field(default_factory=dict)
    cpa_spend: Decimal | None = None  # spend and conversions of the campaigns with a CPA
    cpa_conversions: Decimal | None = None
    rate_campaigns: int = 0  # campaigns with a conversion rate, and their inputs
    rate_inputs: dict[str, Decimal | None] = field(default_factory=dict)
    # Each ratio's per-campaign values for its spread: all of them, or (from PostgreSQL)
    # only those its spread reads, which then takes no more values.
    rois: list[Decimal] | Ranked = field(default_factory=list)
    cpas: list[Decimal] | Ranked = field(default_factory=list)
    conversion_rates: list[Decimal] | Ranked = field(default_factory=list)

    @classmethod
    def of(cls, found: Iterable[CampaignChannel]) -> "Tally":
        tally = cls()
        for campaign in found:
            tally.add(campaign)
        return tally

    def add(self, c: CampaignChannel) -> None:
        self.campaigns += 1
        self.spend = _plus(self.spend, c.spend)
        self.spend_sources[c.spend_source] += 1
        self.expenses = _plus(self.expenses, c.expenses)
        self.pushed_spend = _plus(self.pushed_spend, c.pushed_spend)
        self.revenue = _plus(self.revenue, c.revenue)
        self.clicks = _plus(self.clicks, c.clicks)
        self.conversions = _plus(self.conversions, c.conversions)
        if c.roi is not None:
            self.roi_campaigns += 1
            _plus_each(self.roi_inputs, c.roi_inputs)
            _append(self.rois, c.roi)
        if c.cpa is not None:
            self.cpa_spend = _plus(self.cpa_spend, c.spend)
            self.cpa_conversions = _plus(self.cpa_conversions, c.conversions)
            _append(self.cpas, c.cpa)
        if c.conversion_rate is not None:
            self.rate_campaigns += 1
            _plus_each(self.rate_inputs, c.pushed)
            _append(self.conversion_rates, c.conversion_rate)

    def pooled(self, *, roi: Derived | None, conversion_rate: Derived | None) -> "Pooled":
        shortfalls = rules.sample_shortfalls(self.clicks, self.conversions)
        return Pooled(
            campaigns=self.campaigns,
            spend=self.spend or NO_MONEY,
            spend_sources=dict(self.spend_sources),
            expenses=self.expenses,
            pushed_spend=self.pushed_spend,
            revenue=self.revenue,
            clicks=self.clicks,
            conversions=self.conversions,
            roi=_derived(roi, self.roi_inputs) if self.roi_campaigns else None,
            cpa=rules.per_unit(self.cpa_spend, self.cpa_conversions),
            conversion_rate=(
                _derived(conversion_rate, self.rate_inputs) if self.rate_campaigns else None
            ),
            insufficient_sample=bool(shortfalls),
            sample_shortfalls=shortfalls,
            roi_spread=_spread(self.rois, rules.RATIO),
            cpa_spread=_spread(self.cpas, rules.CENT),
            conversion_rate_spread=_spread(self.conversion_rates, rules.RATIO),
        )


def pool(
    found: Sequence[CampaignChannel], *, roi: Derived | None, conversion_rate: Derived | None
) -> Pooled:
    """Money and counts add up. Each ratio is computed once from the added-up inputs of the
    campaigns where that campaign's own ratio is defined (never an average of ratios): a
    campaign that pushed revenue but had no spend does not lift the ROI, one without
    clicks does not lower the conversion rate."""
    return Tally.of(found).pooled(roi=roi, conversion_rate=conversion_rate)
