"""Reading the cells of the daily channel report: numbers and percentages as written,
days, channels by key or name, and the dictionary's metrics as plain values.

Pure: text in, values or a `CellError` out (its message is shown to the person who wrote
the cell), so it is tested without a database.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from shared.metrics import formula as formulas
from shared.metrics.models import FRACTION_UNITS

NO_FIGURE = {"", "-", "\u2013", "\u2014"}  # Excel users write dashes, plain or typographic
LARGEST = Decimal(10) ** 18  # NUMERIC(24, 6): 18 digits before the point
SCALE = Decimal("0.000001")

_NUMBER = re.compile(r"^[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.[0-9]+)?$")
_DAY = re.compile(r"^([0-9]{4})([-/])([0-9]{1,2})\2([0-9]{1,2})$")


# --- the dictionary, as plain values --------------------------------------------------------


@dataclass(frozen=True)
class MetricSpec:
    """What the import needs of a dictionary entry (a plain value: no database needed)."""

    key: str
    name: str
    unit: str
    formula: str | None = None


def ratio_parts(metric: MetricSpec, metrics: Mapping[str, MetricSpec]) -> tuple[str, str] | None:
    """(numerator, denominator) when the metric is `a / b` of two base metrics, else None."""
    if metric.formula is None:
        return None
    try:
        expression = formulas.parse(metric.formula)
    except formulas.FormulaError:
        return None
    if not (
        isinstance(expression, formulas.BinOp)
        and expression.op == "/"
        and isinstance(expression.left, formulas.Ref)
        and isinstance(expression.right, formulas.Ref)
    ):
        return None
    numerator = metrics.get(expression.left.key)
    denominator = metrics.get(expression.right.key)
    if numerator is None or denominator is None or numerator.key == denominator.key:
        return None
    if numerator.formula is not None or denominator.formula is not None:
        return None
    return numerator.key, denominator.key


# --- cells ----------------------------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot be read; the message is shown to the person who wrote it."""


@dataclass(frozen=True)
class Amount:
    """A figure as written: its value (a percentage already divided by 100), whether it
    was written with %, and half the step of its last written digit (how exact it is)."""

    value: Decimal
    percent: bool
    text: str
    tolerance: Decimal


def normalise(text: str) -> str:
    """Header spelling: `New users`, `new-users` and `new_users` are the same column."""
    return re.sub(r"[\s\-_]+", "_", text.strip().casefold()).strip("_")


def parse_number(text: str) -> Decimal | None:
    """`50000`, `50,000`, `2.5`; `-` or empty is no figure (None)."""
    cell = text.strip()
    if cell in NO_FIGURE:
        return None
    if not _NUMBER.match(cell) or not any(c.isdigit() for c in cell):
        raise CellError(
            f"'{cell}' is not a number: write 50000 or 50,000 (a point before decimals)"
        )
    return Decimal(cell.replace(",", ""))


def parse_amount(text: str) -> Amount | None:
    """A number, or a percentage (`2.1%` is 0.021); None for no figure."""
    cell = text.strip()
    if cell in NO_FIGURE:
        return None
    percent = cell.endswith("%")
    number = parse_number(cell[:-1].rstrip() if percent else cell)
    if number is None:
        raise CellError(f"'{cell}' is not a number")
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite: the pattern admits digits only
    step = Decimal(1).scaleb(exponent)
    if percent:
        number, step = number.scaleb(-2), step.scaleb(-2)
    return Amount(number, percent, cell, step / 2)


def in_unit(amount: Amount, metric: MetricSpec) -> Decimal:
    """The amount as the dictionary stores this metric: ratios and percents as fractions."""
    if metric.unit in FRACTION_UNITS:
        if not amount.percent and abs(amount.value) > 1:
            raise CellError(
                f"'{amount.text}' is not a fraction: write {amount.text}% or "
                f"{amount.value.scaleb(-2)}"
            )
        return amount.value
    if amount.percent:
        raise CellError(f"{metric.key} is a {metric.unit}: write a number, not a percentage")
    return amount.value


def storable(value: Decimal) -> Decimal:
    """Rounded to the 6 decimals a figure keeps; refused when it does not fit at all."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        value = value.quantize(SCALE, rounding=ROUND_HALF_UP)
    if abs(value) >= LARGEST:
        raise CellError(f"{value} is too large to store (at most 18 digits before the point)")
    return value


def parse_day(text: str) -> date:
    """`2024-06-10` or `2024/06/10`: a day in the campaign's timezone."""
    cell = text.strip()
    if not cell:
        raise CellError("no date: write 2024-06-10")
    match = _DAY.match(cell)
    if match is None:
        raise CellError(f"'{cell}' is not a date: write 2024-06-10")
    try:
        return date(int(match[1]), int(match[3]), int(match[4]))
    except ValueError as exc:
        raise CellError(f"'{cell}' is not a day of the calendar") from exc


def resolve_channel(text: str, channels: Mapping[str, str]) -> str:
    """The key of the channel named by its key or (case-insensitively) by its name."""
    cell = " ".join(text.split())
    if not cell:
        raise CellError("no channel: write its key or name")
    if cell in channels:
        return cell
    if normalise(cell) in channels:
        return normalise(cell)
    folded = cell.casefold()
    for key in sorted(channels):
        if " ".join(channels[key].split()).casefold() == folded:
            return key
    raise CellError(f"no channel '{cell}' in this workspace")
