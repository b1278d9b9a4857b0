"""Building blocks for every domain's request and response models."""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

# Text limits are explicit; surrounding whitespace never counts.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]


def contains_nul(value: Any) -> bool:
    """PostgreSQL text cannot hold U+0000: such input must be refused, not crash the insert."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(contains_nul(v) for v in value)
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    return False


class RequestModel(BaseModel):
    """Unknown fields are refused, so a misspelt field name never passes silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        if contains_nul(value):
            raise ValueError("must not contain NUL (\\u0000) characters")
        return value


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# Money: never negative, at most 2 decimals, 12 digits before the point (NUMERIC(14,2)).
# Normalised on the way in, so a write echoes "120000.00" exactly as a later read does.
MoneyAmount = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2),
    AfterValidator(lambda value: value.quantize(Decimal("0.01"))),
]
# Metric figures: targets and baselines (NUMERIC(20,4)).
Quantity = Annotated[
    Decimal,
    Field(max_digits=20, decimal_places=4),
    AfterValidator(lambda value: value.quantize(Decimal("0.0001"))),
]


# Days and instants are ISO 8601 text within the years the service plans and computes in:
# a day such as 9999-12-31 has no next day to compute with, and `0` is not a date (pydantic
# alone would read a number as seconds since 1970).
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2199, 12, 31)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ].+")


def _iso_text(pattern: re.Pattern[str], kind: type, shape: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, kind):
            return value
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValueError(f"must be {shape}")
        return value

    return BeforeValidator(check)


def _within_years(value: date | datetime) -> date | datetime:
    day = value.date() if isinstance(value, datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return value


CalendarDay = Annotated[
    date, _iso_text(_ISO_DAY, date, "a date as YYYY-MM-DD"), AfterValidator(_within_years)
]
Instant = Annotated[
    AwareDatetime,
    _iso_text(_ISO_INSTANT, datetime, "a date and time with an offset (2024-06-10T17:00:00+08:00)"),
    AfterValidator(_within_years),
]
