"""The parameters of each condition, validated when a rule is written.

Comparison semantics (all figures are exact decimals; no float rounding at the edges):

- `threshold`: the metric's aggregate over the window (`today`: the campaign's current
  local day; `trailing`: the last `hours` hours) compared with `value` by `op`, exactly
  as written: `> 50` fires at 51 and not at 50.
- `below_target`: the shortfall against the goal of that metric, as a fraction of the
  reference: (reference - actual) / reference, or (actual - reference) / reference when
  lower is better. It fires when the shortfall is `percent`% or more: the manuals' "20%
  below target triggers" includes 20% itself (CTR 1.2% against 1.5% is exactly 20%
  short and fires). The reference is the goal's target, or with `basis:
  expected_to_date` what a cumulative goal should have reached by today. Relative-lift
  goals compare the lift over the baseline with the target lift.
- `change`: the last complete period (local day, or hour) against the one before it,
  or against the mean of the `periods` before it; change = (current - reference) /
  reference. `drop` fires when the fall is `percent`% or more, `rise` when the rise is,
  `any` for either. No reference (no data, or zero) means no finding.
- `no_data`: no point of the metric in the last `within_hours` hours, or, once the
  campaign's local time has passed `by_local_time` (the daily collection time, 17:00),
  none yet for today. Per channel, every channel attached to the campaign is watched.
- `task_overdue`: each task whose planned end is more than `grace_days` before the
  campaign's local today and that is not done or cancelled (optionally only the given
  priorities); one alert per task.
- `budget_burn`: `over_plan` fires when the spend (expenses of the category, or all)
  reaches `percent`% of the planned amount (100: the plan is used up); `pace` fires when
  the share of the plan spent exceeds the share of the campaign's days elapsed by more
  than `percent`% of it (spent_share > elapsed_share x (1 + percent / 100)).
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from shared.campaigns.models import BudgetCategory, Level
from shared.errors import FieldError, Invalid
from shared.rules.models import Condition

MetricKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Percent = Annotated[Decimal, Field(gt=0, le=1000, max_digits=10, decimal_places=4)]


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def metrics(self) -> set[str]:
        """The dictionary keys this condition reads."""
        metric = getattr(self, "metric", None)
        return {metric} if metric else set()


class Threshold(Params):
    metric: MetricKey
    op: Literal[">", ">=", "<", "<="] = ">"
    value: Annotated[Decimal, Field(max_digits=24, decimal_places=6)]
    window: Literal["today", "trailing"] = "today"
    hours: int = Field(default=24, ge=1, le=720, description="For a trailing window")


class BelowTarget(Params):
    metric: MetricKey
    percent: Percent
    basis: Literal["target", "expected_to_date"] = "target"


class Change(Params):
    metric: MetricKey
    percent: Percent
    direction: Literal["drop", "rise", "any"] = "drop"
    period: Literal["day", "hour"] = "day"
    against: Literal["previous", "trailing_mean"] = "previous"
    periods: int = Field(default=7, ge=2, le=30, description="For a trailing mean")


class NoData(Params):
    metric: MetricKey
    within_hours: int | None = Field(default=None, ge=1, le=168)
    by_local_time: dt.time | None = Field(default=None, description="e.g. 17:00")

    @model_validator(mode="after")
    def _one_deadline(self) -> "NoData":
        if (self.within_hours is None) == (self.by_local_time is None):
            raise ValueError("give exactly one of within_hours or by_local_time")
        return self


class TaskOverdue(Params):
    priorities: list[Level] = Field(default_factory=list, description="Empty: all")
    grace_days: int = Field(default=0, ge=0, le=60)


class BudgetBurn(Params):
    mode: Literal["over_plan", "pace"]
    category: BudgetCategory | None = Field(default=None, description="None: the whole plan")
    percent: Percent = Decimal(100)


PARAMS: dict[Condition, type[Params]] = {
    Condition.threshold: Threshold,
    Condition.below_target: BelowTarget,
    Condition.change: Change,
    Condition.no_data: NoData,
    Condition.task_overdue: TaskOverdue,
    Condition.budget_burn: BudgetBurn,
}
WITH_CHANNELS = {Condition.threshold, Condition.below_target, Condition.change, Condition.no_data}


def parse(condition: Condition, params: dict[str, Any], *, field: str = "params") -> Params:
    """The condition's parameters, or a 422 naming each bad one (`params.percent`)."""
    try:
        return PARAMS[condition].model_validate(params)
    except ValidationError as exc:
        raise Invalid(
            f"The parameters of a {condition.value} rule are not valid.",
            [
                FieldError(".".join([field, *(str(p) for p in e["loc"])]), e["msg"], code=e["type"])
                for e in exc.errors()
            ],
        ) from exc
