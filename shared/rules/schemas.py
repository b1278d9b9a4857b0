import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import MISSING, ConfigDict, Field, StrictBool, StringConstraints

from shared.campaigns.models import CampaignKind
from shared.rules.evaluate import State
from shared.rules.models import Condition, Severity
from shared.schemas import LongText, Name, RequestModel, ResponseModel

Labels = Annotated[
    dict[
        Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{0,49}$")],
        Annotated[str, StringConstraints(max_length=200)],
    ],
    Field(max_length=20),
]
MetricKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]

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


class RuleCreate(RequestModel):
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
    """Only the fields sent change; the campaign scope does not (create another rule)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"params": {"percent": "25"}}]})

    name: Name | MISSING = MISSING
    description: LongText | MISSING | None = MISSING
    per_channel: StrictBool | MISSING = MISSING
    params: dict[str, Any] | MISSING = MISSING
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


class RuleOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                RULE_EXAMPLE
                | {
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
    name: str
    description: str | None
    campaign_id: uuid.UUID | None
    campaign_kind: CampaignKind | None
    campaign_tag: str | None
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
    escalation_policy_id: uuid.UUID | None
    labels: dict[str, str]
    enabled: bool
    template_key: str | None
    created_at: datetime
    version: int


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
    rule: dict[str, Any]


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
