"""A table to export: typed columns and rows of plain values, whatever the file will be.

The kind of a column says how its values are written: text as text (never a formula),
numbers as numbers, money as exact decimals to the cent, percentages and fractions as
numbers with their format, days as dates.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

CENT = Decimal("0.01")


class Kind(StrEnum):
    text = "text"
    integer = "integer"  # whole numbers: progress %, days late
    number = "number"  # a figure as it is (counts, ratios such as ROI 5.2)
    money = "money"  # to the cent, in the campaign's currency
    percent = "percent"  # already in % (90.00 is 90%)
    fraction = "fraction"  # a share of 1 (0.021 is 2.1%: CTR, conversion rate)
    date = "date"


Value = str | int | Decimal | date | None


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.text
    width: int | None = None  # in characters; by default from the header and the kind


@dataclass(frozen=True)
class Table:
    title: str  # the worksheet's name
    columns: list[Column]
    rows: list[list[Value]]


def plain(value: Decimal) -> Decimal:
    """A figure without its trailing zeros and never in exponent form (180000.000000 ->
    180000, 0.021000 -> 0.021), so files carry the figure as people write it."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def cell_value(kind: Kind, value: Value) -> Value:
    """The value as it is written: figures in their shape (money and percentages to the
    hundredth, as the API shows them)."""
    if isinstance(value, Decimal):
        if kind in (Kind.money, Kind.percent):
            return value.quantize(CENT)
        return plain(value)
    return value
