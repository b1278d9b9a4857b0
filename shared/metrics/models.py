"""The data dictionary: every metric defined once, so every team computes it the same way."""

from enum import StrEnum

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, WorkspaceScoped, str_enum


class Unit(StrEnum):
    count = "count"  # type: ignore[assignment]  # shadows str.count; the value is what counts
    currency = "currency"
    percent = "percent"
    ratio = "ratio"
    duration = "duration"


# Stored as fractions: 2.1% is 0.021, whether the dictionary calls it a percent or a ratio.
FRACTION_UNITS = frozenset({Unit.percent, Unit.ratio})


class Aggregation(StrEnum):
    """How values combine over time buckets and channels."""

    sum = "sum"
    max = "max"
    last = "last"
    average = "average"


class Metric(Base, WorkspaceScoped):
    """A base metric (pushed by integrations) or a derived one (`formula` over other keys)."""

    __tablename__ = "metrics"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[Unit] = mapped_column(str_enum(Unit))
    aggregation: Mapped[Aggregation] = mapped_column(str_enum(Aggregation))
    description: Mapped[str | None] = mapped_column(Text)
    formula: Mapped[str | None] = mapped_column(String(500))

    @property
    def derived(self) -> bool:
        return self.formula is not None
