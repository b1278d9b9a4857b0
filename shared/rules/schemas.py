import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Union

from pydantic import MISSING, BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from shared.campaigns.models import CampaignKind
from shared.rules import conditions
from shared.rules.evaluate import State
from shared.rules.models import Condition, Severity
from shared.schemas import (
    DocumentedAs,
    LongText,
    Name,
    RequestModel,
    ResponseModel,
    Variants,
    one_of,
    partial,
    variant,
)

Labels = Annotated[
    dict[
        Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{0,49}$")],
        Annotated[str, StringConstraints(max_length=200)],
    ],
    Field(max_length=20),
]
MetricKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]

# --- each condition's parameters, as the OpenAPI document shows them -----------------------
# The service checks `params` against the condition itself (conditions.parse: a 422 names
# `params.<field>`); the document shows one rule shape per condition (`condition` chooses).

CONDITION_GUIDE: dict[Condition, str] = {
    Condition.threshold: "The metric's aggregate over the window (`today`: the campaign's "
    "local day; `trailing`: the last `hours` hours) compared with `value` by `op`, exactly "
    "as written: `> 50` fires at 51, not at 50.",
    Condition.below_target: "The shortfall against the goal of the metric, as a share of "
    "the target (or, with `basis: expected_to_date`, of what a cumulative goal should have "
    "reached by today): fires at `percent`% short or more (CTR 1.2% against 1.5% is 20% "
    "short and fires a 20% rule).",
    Condition.change: "The last complete period (day or hour) against the one before, or "
    "the mean of the `periods` before it: `drop` fires at a fall of `percent`% or more, "
    "`rise` at a rise, `any` at either.",
    Condition.no_data: "No point of the metric in the last `within_hours` hours, or none "
    "yet today once the campaign's local time passes `by_local_time` (the 17:00 "
    "collection); exactly one of the two.",
    Condition.task_overdue: "Each task more than `grace_days` past its planned end and not "
    "done or cancelled (only the given `priorities`; empty: all); one alert per task.",
    Condition.budget_burn: "`over_plan`: the spend (of the `category`, or all) reaches "
    "`percent`% of the plan; `pace`: the share of the plan spent exceeds the share of the "
    "campaign's days elapsed by more than `percent`% of it.",
}


def _camel(condition: Condition) -> str:
    return "".join(word.capitalize() for word in condition.value.split("_"))


def _params(suffix: str, description: str) -> dict[Condition, type[conditions.Params]]:
    return {
        condition: variant(
            model,
            f"{_camel(condition)}Params{suffix}",
            f"`{condition.value}`{description}: {CONDITION_GUIDE[condition]}",
        )
        for condition, model in conditions.PARAMS.items()
    }


# Decimals are read as numbers or strings, and written back as strings: two shapes.
PARAMS_IN = _params("", " parameters")
PARAMS_OUT = _params("Out", " parameters as stored (decimals as strings)")
PARAMS_PATCH = {
    condition: partial(
        model,
        f"{_camel(condition)}ParamsPatch",
        f"`{condition.value}` parameters to change; the others keep their value",
    )
    for condition, model in conditions.PARAMS.items()
}


def by_condition(
    base: type[BaseModel], name: str, params: dict[Condition, type[conditions.Params]]
) -> Any:
    """`base` as one variant per condition, each with its own `params`."""
    return one_of(
        "condition",
        [
            variant(
                base,
                f"{_camel(condition)}{name}",
                f"A `{condition.value}` rule. {CONDITION_GUIDE[condition]}",
                condition=Literal[condition.value],
                params=(model, Field(description=f"The `{condition.value}` parameters")),
            )
            for condition, model in params.items()
        ],
    )


RULE_EXAMPLE: dict[str, Any] = {
    "name": "Conversion 20% under target",
    "condition": "below_target",
    "params": {"metric": "conversion_rate", "percent": "20"},
    "severity": "warning",
    "per_channel": True,
    "min_sample_metric": "clicks",
    "min_sample_count": 100,
    "hold_minutes": 0,
    "opens_issue": True,
    "labels": {"team": "growth"},
}


class RuleCreate(Variants, RequestModel):
    """A warning rule: what it watches (`condition` and its `params`), how loud
    (`severity`), and what it does (opens an issue, escalates by a policy)."""

    model_config = ConfigDict(json_schema_extra={"examples": [RULE_EXAMPLE]})

    name: Name
    description: LongText | None = None
    campaign_id: uuid.UUID | None = Field(
        default=None, description="One campaign; none: every active campaign (a template)"
    )
    campaign_kind: CampaignKind | None = Field(default=None, description="Template filter")
    campaign_tag: Annotated[str, StringConstraints(max_length=50)] | None = None
    per_channel: StrictBool = False
    condition: Condition
    params: dict[str, Any] = Field(description="The condition's parameters (see the guide)")
    severity: Severity = Severity.warning
    min_sample_metric: MetricKey | None = None
    min_sample_count: int | None = Field(default=None, ge=1, le=10**12)
    hold_minutes: int = Field(default=0, ge=0, le=10_080)
    hold_evaluations: int = Field(default=1, ge=1, le=100)
    auto_resolve: StrictBool = True
    clear_minutes: int = Field(default=0, ge=0, le=10_080)
    opens_issue: StrictBool = False
    escalation_policy_id: uuid.UUID | None = None
    labels: Labels = Field(default_factory=dict)
    enabled: StrictBool = True


class RuleUpdate(RequestModel):
    """Only the fields sent change; the campaign scope and the condition do not (create
    another rule). `params` are merged key by key into the rule's own."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"params": {"percent": "25"}}]})

    name: Name | MISSING = MISSING
    description: LongText | MISSING | None = MISSING
    per_channel: StrictBool | MISSING = MISSING
    params: (
        Annotated[dict[str, Any], DocumentedAs(Union[tuple(PARAMS_PATCH.values())])]  # noqa: UP007
        | MISSING
    ) = MISSING
    severity: Severity | MISSING = MISSING
    min_sample_metric: MetricKey | MISSING | None = MISSING
    min_sample_count: Annotated[int, Field(ge=1, le=10**12)] | MISSING | None = MISSING
    hold_minutes: Annotated[int, Field(ge=0, le=10_080)] | MISSING = MISSING
    hold_evaluations: Annotated[int, Field(ge=1, le=100)] | MISSING = MISSING
    auto_resolve: StrictBool | MISSING = MISSING
    clear_minutes: Annotated[int, Field(ge=0, le=10_080)] | MISSING = MISSING
    opens_issue: StrictBool | MISSING = MISSING
    escalation_policy_id: uuid.UUID | MISSING | None = MISSING
    labels: Labels | MISSING = MISSING
    enabled: StrictBool | MISSING = MISSING


class RuleSettingsOut(ResponseModel):
    """What a warning rule watches and does, wherever it is shown: stored, in a template,
    or in the preview of a new campaign."""

    name: str
    description: str | None
    per_channel: bool
    condition: Condition
    params: dict[str, Any]
    severity: Severity
    min_sample_metric: str | None
    min_sample_count: int | None
    hold_minutes: int
    hold_evaluations: int
    auto_resolve: bool
    clear_minutes: int
    opens_issue: bool
    labels: dict[str, str]
    enabled: bool
    template_key: str | None


class RuleOut(Variants, RuleSettingsOut):
    """A warning rule as stored: its parameters complete, with their defaults."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                RULE_EXAMPLE
                | {
                    "params": {"metric": "conversion_rate", "percent": "20", "basis": "target"},
                    "id": "01a2010c-c015-761b-9bc5-6ac427b850dc",
                    "description": None,
                    "campaign_id": None,
                    "campaign_kind": None,
                    "campaign_tag": None,
                    "hold_evaluations": 1,
                    "auto_resolve": True,
                    "clear_minutes": 0,
                    "escalation_policy_id": None,
                    "enabled": True,
                    "template_key": None,
                    "created_at": "2024-06-01T08:00:00Z",
                    "version": 1,
                }
            ]
        }
    )

    id: uuid.UUID
    campaign_id: uuid.UUID | None
    campaign_kind: CampaignKind | None
    campaign_tag: str | None
    escalation_policy_id: uuid.UUID | None
    created_at: datetime
    version: int


RuleCreate.__variants__ = by_condition(RuleCreate, "RuleCreate", PARAMS_IN)
RuleOut.__variants__ = by_condition(RuleOut, "RuleOut", PARAMS_OUT)


class TemplateRule(Variants, ResponseModel):
    """The rule a ready-made template creates: a rule's settings (its name and description
    are the template's)."""

    condition: Condition
    params: dict[str, Any]
    severity: Severity
    per_channel: bool = False
    min_sample_metric: str | None = None
    min_sample_count: int | None = None
    opens_issue: bool = False


TemplateRule.__variants__ = by_condition(TemplateRule, "TemplateRule", PARAMS_OUT)


class TemplateOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "key": "negative_comments",
                    "name": "More than 50 negative comments in a day",
                    "description": "Negative comments over 50 on the campaign's day.",
                    "rule": {
                        "condition": "threshold",
                        "params": {"metric": "negative_comments", "op": ">", "value": "50"},
                        "severity": "critical",
                        "opens_issue": True,
                    },
                }
            ]
        }
    )

    key: str
    name: str
    description: str
    rule: Annotated[dict[str, Any], DocumentedAs(TemplateRule)]


class EnableTemplates(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"keys": ["negative_comments", "no_data_by_1700"]}]}
    )

    keys: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        min_length=1, max_length=20
    )
    campaign_id: uuid.UUID | None = Field(
        default=None, description="Only this campaign; none: every active campaign"
    )


class RuleFinding(ResponseModel):
    campaign_id: uuid.UUID
    subject: str = Field(description="'' for the campaign total, a channel key or a task id")
    channel: str | None
    task_id: uuid.UUID | None
    state: State = Field(
        description="insufficient: too little data; inhibited: breached, but its channel "
        "already has a no-data alert"
    )
    value: Decimal | None
    threshold: Decimal | None
    message: str
    open_alert_id: uuid.UUID | None
    open_alert_status: str | None


class PreviewOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rule_id": "01a2010c-c015-761b-9bc5-6ac427b850dc",
                    "evaluated_at": "2024-06-10T09:00:00Z",
                    "campaigns": 1,
                    "findings": [
                        {
                            "campaign_id": "01a2010c-c015-761b-9bc5-6ac427b850dd",
                            "subject": "",
                            "channel": None,
                            "task_id": None,
                            "state": "breached",
                            "value": "0.012",
                            "threshold": "0.012",
                            "message": "ctr 0.012 is 20% under its target 0.015",
                            "open_alert_id": None,
                            "open_alert_status": None,
                        }
                    ],
                }
            ]
        }
    )

    rule_id: uuid.UUID
    evaluated_at: datetime
    campaigns: int
    findings: list[RuleFinding]
