"""Bodies of the retrospective: its items, the issue an action becomes, the suggestions
with their evidence, and the retrospective's overview."""

# ruff: noqa: RUF001 - the examples' Chinese text uses full-width punctuation

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import MISSING, ConfigDict, Field, JsonValue, StringConstraints

from shared.issues.models import Severity
from shared.retrospectives.models import RootCause, SuggestionKind, SuggestionState
from shared.schemas import CalendarDay, Name, RequestModel, ResponseModel

Paragraph = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)
]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
SuggestionId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{24}$")]

_CAMPAIGN = "01a2010c-3bd9-7716-be78-ba040ba1a6e8"
_NEXT_CAMPAIGN = "01a2010f-3bd9-7716-be78-ba040ba1a6e9"
_ITEM = "01a20111-7a3e-7c21-9d0e-5b4c3a2f1e10"
_OWNER = "01a2010c-5c6a-726e-a76a-f95b25ae53ba"
_ISSUE = "01a20111-d1a0-7a3e-8f21-3c2b1a0e9f11"
_GOAL = "01a2010c-c017-7a40-9e1d-3c5b7d9f1a20"
_SUGGESTION = "5d41402abc4b2a76b9719d91"

SAMPLE_ITEM: dict[str, JsonValue] = {
    "stage": "预热期 KOC seeding",
    "what_worked": "20 位美妆 KOC 按时上线，内容互动率高于预期。",
    "shortfall": "新注册用户 180,000，目标 200,000（达成率 90%）。",
    "root_cause": "strategy",
    "improvement_action": "下次活动提前两周锁定 KOC 档期，并增加信息流投放预算。",
    "owner_id": _OWNER,
    "due_date": "2024-09-30",
}


class RetrospectiveItemCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SAMPLE_ITEM]})

    stage: Name = Field(
        description="The stage or area: free text such as 预热期 or KOC seeding",
        examples=["预热期 KOC seeding"],
    )
    what_worked: Paragraph | None = Field(default=None, description="Up to 10,000 characters")
    shortfall: Paragraph | None = Field(default=None, description="What fell short")
    root_cause: RootCause | None = Field(
        default=None,
        description="strategy, execution, collaboration, budget or external",
    )
    improvement_action: Paragraph | None = Field(
        default=None, description="The fix; it may become a tracked issue"
    )
    owner_id: uuid.UUID | None = Field(
        default=None, description="The member of the workspace who carries the action out"
    )
    due_date: CalendarDay | None = Field(default=None, examples=["2024-09-30"])


class RetrospectiveItemUpdate(RequestModel):
    """Send only the fields to change; `null` clears an optional one."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"root_cause": "execution", "due_date": "2024-10-15"}]}
    )

    stage: Name | MISSING = MISSING
    what_worked: Paragraph | MISSING | None = MISSING
    shortfall: Paragraph | MISSING | None = MISSING
    root_cause: RootCause | MISSING | None = MISSING
    improvement_action: Paragraph | MISSING | None = MISSING
    owner_id: uuid.UUID | MISSING | None = MISSING
    due_date: CalendarDay | MISSING | None = MISSING


class RetrospectiveItemOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                SAMPLE_ITEM
                | {
                    "id": _ITEM,
                    "campaign_id": _CAMPAIGN,
                    "owner_name": "Manager Wu",
                    "suggestion_id": _SUGGESTION,
                    "issue_id": _ISSUE,
                    "created_at": "2024-07-20T09:00:00Z",
                    "updated_at": "2024-07-20T09:00:00Z",
                    "version": 1,
                }
            ]
        }
    )

    id: uuid.UUID
    campaign_id: uuid.UUID
    stage: str
    what_worked: str | None
    shortfall: str | None
    root_cause: RootCause | None
    improvement_action: str | None
    owner_id: uuid.UUID | None
    owner_name: str | None
    due_date: date | None
    suggestion_id: str | None = Field(description="The suggestion it was accepted from, if any")
    issue_id: uuid.UUID | None = Field(description="The issue tracking its action, if any")
    created_at: datetime
    updated_at: datetime
    version: int


class RetrospectiveIssueIn(RequestModel):
    """The item's action as a tracked issue; everything is optional."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"campaign_id": _NEXT_CAMPAIGN, "severity": "warning", "due": "2024-09-30"},
                {},
            ]
        }
    )

    campaign_id: uuid.UUID | None = Field(
        default=None,
        description="The campaign the issue belongs to: the next campaign (any of the "
        "workspace not archived or cancelled); by default this one",
    )
    severity: Severity = Severity.warning
    owner_id: uuid.UUID | None = Field(default=None, description="By default the item's owner")
    due: CalendarDay | None = Field(
        default=None,
        description="The issue's expected resolution date; by default the item's due date",
        examples=["2024-09-30"],
    )
    title: Name | None = Field(
        default=None, description="By default the improvement action (its first 200 characters)"
    )


# --- suggestions --------------------------------------------------------------------------

RefType = Literal["goal", "rule", "alert", "issue", "task", "budget_line", "expense", "channel"]


class SuggestionRefOut(ResponseModel):
    type: RefType
    id: str = Field(description="The id (a channel: its key)")
    label: str | None = Field(description="A code, a name or a title")
    href: str | None = Field(description="Where the API shows it")


class SuggestionEvidenceOut(ResponseModel):
    kind: SuggestionKind
    figures: dict[str, str | int | bool | None] = Field(
        description="The figures the suggestion rests on (amounts and rates as decimal text)"
    )
    refs: list[SuggestionRefOut] = Field(
        description="The goals, rules, alerts, issues, tasks, budget lines, expenses or "
        "channels it rests on"
    )
    sentence: str = Field(description="What happened, in a sentence")
    sentence_zh: str = Field(description="The same in Chinese")


class SuggestionDraftOut(ResponseModel):
    """The item accepting the suggestion would create, unless the body overrides it."""

    stage: str
    what_worked: str | None
    shortfall: str | None
    root_cause: RootCause | None
    improvement_action: str | None
    owner_id: uuid.UUID | None
    due_date: date | None


_GOAL_SUGGESTION: dict[str, JsonValue] = {
    "id": _SUGGESTION,
    "kind": "goal_missed",
    "subject": _GOAL,
    "state": "proposed",
    "evidence": {
        "kind": "goal_missed",
        "figures": {
            "metric_key": "new_users",
            "target": "200000",
            "actual": "180000",
            "achievement_rate": "90",
            "gap": "20000",
            "gap_percent": "10",
        },
        "refs": [
            {
                "type": "goal",
                "id": _GOAL,
                "label": "New users",
                "href": f"/v1/campaigns/{_CAMPAIGN}/goals/{_GOAL}",
            }
        ],
        "sentence": "Goal New users: 180,000 of 200,000 (90%), missed by 20,000 (10%).",
        "sentence_zh": "目标「New users」未达成：180,000 / 200,000（达成率 90%），"
        "差 20,000（10%）。",
    },
    "draft": {
        "stage": "New users",
        "what_worked": None,
        "shortfall": "Goal New users: 180,000 of 200,000 (90%), missed by 20,000 (10%).",
        "root_cause": "strategy",
        "improvement_action": None,
        "owner_id": _OWNER,
        "due_date": None,
    },
    "item_id": None,
    "reason": None,
    "decided_at": None,
}


class SuggestionOut(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_GOAL_SUGGESTION]})

    id: str = Field(description="Stable: a hash of its kind and subject")
    kind: SuggestionKind
    subject: str = Field(
        description="What it is about: a goal, rule, issue or task id, a "
        "budget category or a channel key"
    )
    state: SuggestionState
    evidence: SuggestionEvidenceOut
    draft: SuggestionDraftOut
    item_id: uuid.UUID | None = Field(description="Accepted: the item made of it")
    reason: str | None = Field(description="Dismissed: why")
    decided_at: datetime | None


class SuggestionsOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaign_id": _CAMPAIGN,
                    "as_of": "2024-07-20T09:00:00Z",
                    "counts": {"proposed": 1, "accepted": 0, "dismissed": 0},
                    "items": [_GOAL_SUGGESTION],
                }
            ]
        }
    )

    campaign_id: uuid.UUID
    as_of: datetime
    counts: dict[SuggestionState, int]
    items: list[SuggestionOut]


class SuggestionAcceptIn(RetrospectiveItemUpdate):
    """Fields of the item to create that differ from the suggestion's draft."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "improvement_action": "下次活动提前两周锁定 KOC 档期。",
                    "due_date": "2024-09-30",
                },
                {},
            ]
        }
    )


class SuggestionDismissIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "天气原因，非可控因素。"}, {}]}
    )

    reason: Reason | None = None


# --- the retrospective as a whole ---------------------------------------------------------


class RetrospectiveOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaign_id": _CAMPAIGN,
                    "campaign_status": "completed",
                    "editable": True,
                    "item_count": 4,
                    "items_with_issue": 2,
                    "by_root_cause": {"strategy": 2, "execution": 1},
                }
            ]
        }
    )

    campaign_id: uuid.UUID
    campaign_status: str
    editable: bool = Field(description="Items change while the campaign is completed")
    item_count: int
    items_with_issue: int
    by_root_cause: dict[str, int] = Field(description="Items without a root cause are not counted")
