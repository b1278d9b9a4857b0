"""The evaluation's pure rules: outcomes, ratios, the "1:X" ROI, samples and channel ranking.

No database here: `tests/evaluations/` checks these alone.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Literal

Outcome = Literal["met", "missed", "unmeasured"]

# A channel below either minimum has too small a sample for its ratios (ROI, CPA,
# conversion rate) to be trusted: it is flagged `insufficient_sample` and ranked after
# every channel with a sufficient one. Clicks count only for channels that report clicks
# (an offline store sends none and is judged on its conversions alone).
MIN_CLICKS = 100
MIN_CONVERSIONS = 30

MET_AT = Decimal(100)  # a goal is met at 100% of its target or more
CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
WIDE = 80  # digits: a large revenue over a cent of spend runs beyond the default 28


def outcome(rate: Decimal | None) -> Outcome:
    """Met at an achievement rate of 100% or more; unmeasured without a rate (no figures,
    no target, a zero baseline)."""
    if rate is None:
        return "unmeasured"
    return "met" if rate >= MET_AT else "missed"


def ratio(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    """numerator / denominator to 4 decimals; None when either is missing or the
    denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    with localcontext(prec=WIDE):
        return (numerator / denominator).quantize(RATIO, ROUND_HALF_UP)


def money(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT, ROUND_HALF_UP)


def per_unit(cost: Decimal | None, units: Decimal | None) -> Decimal | None:
    """A cost per unit (per new user, per order), to the cent; None without units."""
    if cost is None or units is None or units == 0:
        return None
    with localcontext(prec=WIDE):
        return (cost / units).quantize(CENT, ROUND_HALF_UP)


def roi_display(value: Decimal | None) -> str | None:
    """The manuals' way of writing ROI: 5.2 is "1:5.2", 4 is "1:4" (to 2 decimals)."""
    if value is None:
        return None
    rounded = value.quantize(CENT, ROUND_HALF_UP)
    text = format(rounded, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"1:{text}"


def share_percent(part: Decimal | None, total: Decimal | None) -> Decimal | None:
    """part / total x 100 to 2 decimals; None without a part or with a zero total."""
    if part is None or total is None or total == 0:
        return None
    with localcontext(prec=WIDE):
        return (part / total * 100).quantize(CENT, ROUND_HALF_UP)


def sample_shortfalls(clicks: Decimal | None, conversions: Decimal | None) -> list[str]:
    """Why a channel's sample is too small (empty: it is sufficient)."""
    reasons = []
    if clicks is not None and clicks < MIN_CLICKS:
        reasons.append(f"{_count(clicks)} clicks, fewer than {MIN_CLICKS}")
    if conversions is None or conversions < MIN_CONVERSIONS:
        reasons.append(
            f"{_count(conversions or Decimal(0))} conversions, fewer than {MIN_CONVERSIONS}"
        )
    return reasons


def _count(value: Decimal) -> str:
    normal = value.normalize()
    return format(normal, "f") if normal == normal.to_integral_value() else format(value, "f")


@dataclass(frozen=True)
class Rankable:
    key: str
    roi: Decimal | None
    revenue: Decimal | None
    insufficient_sample: bool


def ranked(channels: Iterable[Rankable]) -> list[Rankable]:
    """Channels by contribution: those with a sufficient sample first, then the others; in
    each group by ROI (highest first, none last), then revenue (highest first), then key."""

    def order(channel: Rankable) -> tuple[bool, bool, Decimal, bool, Decimal, str]:
        return (
            channel.insufficient_sample,
            channel.roi is None,
            -(channel.roi or Decimal(0)),
            channel.revenue is None,
            -(channel.revenue or Decimal(0)),
            channel.key,
        )

    return sorted(channels, key=order)


@dataclass(frozen=True)
class Tally:
    met: int
    missed: int
    unmeasured: int


def tally(outcomes: Sequence[Outcome]) -> Tally:
    return Tally(
        met=outcomes.count("met"),
        missed=outcomes.count("missed"),
        unmeasured=outcomes.count("unmeasured"),
    )
