"""A review as it is asked for and shown: notes, adjustments and the frozen snapshot.

The snapshot models are also the stored document (`campaign_reviews.snapshot`, their
JSON), so a review reads back exactly as it was frozen.
"""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints

from shared.allocations.summary import SpendSource
from shared.campaigns.models import BudgetCategory, Direction, TargetKind
from shared.change_requests.schemas import MOVE_EXAMPLE, ChangeRequestIn
from shared.reviews.models import CampaignReview, ReviewKind
from shared.schemas import CalendarDay, LongText, RequestModel, ResponseModel

Sentence = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

_CAMPAIGN = "01a2010c-aaaa-7bbb-8ccc-dddddddddddd"
_REVIEW = "01a2010e-3c4d-7e5f-8a6b-7c8d9e0f1a2b"
_OWNER = "01a2010c-5c6a-726e-a76a-f95b25ae53ba"
_KEY = "01a2010c-1111-7222-8333-444444444444"
_REQUEST = "01a2010d-0a1b-7c2d-8e3f-4a5b6c7d8e9f"
_GOAL = "01a2010c-c017-7a40-9e1d-3c5b7d9f1a20"


# --- asking for a review ------------------------------------------------------------------------


class ReviewAdjustmentIn(RequestModel):
    """A decision of the meeting: the manuals' "solution, owner, deadline"."""

    action: Sentence = Field(
        description="What was decided", examples=["Move 50,000 from the pop-up store to feed ads"]
    )
    owner_id: uuid.UUID = Field(description="The member who carries it out")
    due_date: CalendarDay = Field(
        description="By when; not before the review's day (campaign timezone)",
        examples=["2024-06-12"],
    )
    expected_effect: Sentence | None = Field(
        default=None, examples=["About 400 more new users by 06-18"]
    )
    change_request: ChangeRequestIn | None = Field(
        default=None,
        description="An adjustment of the plan (budget, goals, end date) opens this change "
        "request in the same call; when it cannot be opened, nothing is recorded",
    )


class ReviewIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "mid_term",
                    "notes": "Feed ads convert at 3.5%, the pop-up store runs 20% under "
                    "its traffic target.",
                    "adjustments": [
                        {
                            "action": "Move 50,000 from the pop-up store to feed ads",
                            "owner_id": _OWNER,
                            "due_date": "2024-06-12",
                            "expected_effect": "About 400 more new users by 06-18",
                            "change_request": {
                                "title": "Mid-term: from the store to the feed",
                                "plan_version": 1,
                                "changes": [MOVE_EXAMPLE],
                            },
                        },
                        {
                            "action": "New key visual for the feed ads",
                            "owner_id": _OWNER,
                            "due_date": "2024-06-14",
                        },
                    ],
                },
                {"kind": "daily", "notes": "M-003: two posts rewritten, resubmitted today."},
            ]
        }
    )

    kind: ReviewKind = Field(
        description="`daily` (stand-up), `weekly` (review of overall progress) or "
        "`mid_term` (the mid-campaign review) while the campaign runs; `final` once it is "
        "completed, at most once"
    )
    notes: LongText | None = Field(default=None, description="Up to 10,000 characters")
    adjustments: list[ReviewAdjustmentIn] = Field(
        default_factory=list, max_length=20, description="Up to 20 decisions, in order"
    )


# --- the snapshot ------------------------------------------------------------------------------


class ReviewGoalOut(ResponseModel):
    goal_id: uuid.UUID
    metric_key: str
    metric_name: str
    target_kind: TargetKind
    target_value: Decimal | None
    baseline_value: Decimal | None
    direction: Direction
    due_date: date | None
    actual: Decimal | None = Field(description="The campaign's figure so far")
    lift_percent: Decimal | None = Field(description="Relative-lift goals: over the baseline")
    achievement_rate: Decimal | None = Field(description="% of the target reached")
    expected_to_date: Decimal | None = Field(
        description="Cumulative goals: the target pro-rated to the review's day"
    )
    pace_percent: Decimal | None = Field(
        description="actual / expected to date x 100 (inverted when lower is better): 100 is "
        "on pace; null without an expected figure"
    )


class ReviewMoneyOut(ResponseModel):
    planned: Decimal
    spent: Decimal
    remaining: Decimal = Field(description="planned - spent; negative when overrun")
    burn_percent: Decimal | None = Field(description="spent / planned x 100")


class ReviewCategoryOut(ReviewMoneyOut):
    category: BudgetCategory


class ReviewChannelOut(ReviewMoneyOut):
    channel: str = Field(description="The channel's key")
    name: str
    spend_source: SpendSource = Field(
        description="`expenses` recorded against the channel, else its `pushed` spend"
    )
    roi: Decimal | None


class ReviewBudgetOut(ReviewMoneyOut):
    currency: str
    approved_planned: Decimal | None = Field(
        description="The total of the approved plan (version 1); null before approval"
    )
    categories: list[ReviewCategoryOut]
    channels: list[ReviewChannelOut]
    unassigned: ReviewMoneyOut = Field(description="Money naming no channel")


class ReviewAlertOut(ResponseModel):
    alert_id: uuid.UUID
    severity: str
    status: str
    channel: str | None
    message: str
    fired_at: datetime | None
    silenced: bool


class ReviewAlertsOut(ResponseModel):
    count: int = Field(description="Alerts firing or acknowledged (silenced ones included)")
    by_severity: dict[str, int]
    items: list[ReviewAlertOut] = Field(description="Oldest first, at most 200")


class ReviewIssueOut(ResponseModel):
    issue_id: uuid.UUID
    title: str
    severity: str
    status: str
    owner_id: uuid.UUID
    owner_name: str | None
    progress: int
    opened_at: datetime
    expected_resolution_date: date | None
    resolution_due_at: datetime
    resolution_overdue: bool = Field(description="Past its resolution time at the review")


class ReviewIssuesOut(ResponseModel):
    count: int = Field(description="Issues open or in progress")
    by_severity: dict[str, int]
    resolution_overdue_count: int
    items: list[ReviewIssueOut] = Field(description="Oldest first, at most 200")


class ReviewTaskOut(ResponseModel):
    task_id: uuid.UUID
    code: str
    name: str
    owner_id: uuid.UUID | None
    owner_name: str | None
    status: str
    planned_end: date | None
    slip_days: int = Field(description="Days past the planned end at the review")
    on_critical_path: bool


class ReviewTasksOut(ResponseModel):
    count: int = Field(description="Tasks (not strategies or modules) overdue at the review")
    items: list[ReviewTaskOut] = Field(description="Most slipped first, at most 200")


class ReviewSnapshotOut(ResponseModel):
    as_of: datetime = Field(description="When the snapshot was taken")
    day: date = Field(description="The review's day in the campaign's timezone")
    campaign_status: str
    start_date: date | None
    end_date: date | None
    day_number: int | None = Field(description="Day N of the campaign; null outside its dates")
    days_total: int | None
    time_elapsed_percent: Decimal | None = Field(description="Share of the days gone by")
    plan_version: int | None = Field(description="The plan version the figures were read on")
    goals: list[ReviewGoalOut] = Field(description="Goal progress and pace")
    budget: ReviewBudgetOut = Field(description="Burn by category and by channel")
    open_alerts: ReviewAlertsOut
    open_issues: ReviewIssuesOut
    slipped_tasks: ReviewTasksOut


# --- a review as shown ---------------------------------------------------------------------------


class ReviewAdjustmentOut(ResponseModel):
    action: str
    owner_id: uuid.UUID
    owner_name: str | None = Field(description="As the member was named at the review")
    due_date: date
    expected_effect: str | None
    change_request_id: uuid.UUID | None = Field(description="The change request it opened")
    change_request_number: int | None


_SNAPSHOT: dict[str, Any] = {
    "as_of": "2024-06-11T09:30:00Z",
    "day": "2024-06-11",
    "campaign_status": "active",
    "start_date": "2024-05-01",
    "end_date": "2024-07-15",
    "day_number": 42,
    "days_total": 76,
    "time_elapsed_percent": "55.26",
    "plan_version": 1,
    "goals": [
        {
            "goal_id": _GOAL,
            "metric_key": "new_users",
            "metric_name": "New users",
            "target_kind": "absolute",
            "target_value": "200000.0000",
            "baseline_value": None,
            "direction": "higher_is_better",
            "due_date": "2024-06-30",
            "actual": "98000",
            "lift_percent": None,
            "achievement_rate": "49.00",
            "expected_to_date": "110526.32",
            "pace_percent": "88.67",
        }
    ],
    "budget": {
        "currency": "CNY",
        "planned": "1000000.00",
        "spent": "412000.00",
        "remaining": "588000.00",
        "burn_percent": "41.20",
        "approved_planned": "1000000.00",
        "categories": [
            {
                "category": "promotion_media",
                "planned": "550000.00",
                "spent": "260000.00",
                "remaining": "290000.00",
                "burn_percent": "47.27",
            }
        ],
        "channels": [
            {
                "channel": "offline_store",
                "name": "Offline store",
                "planned": "200000.00",
                "spent": "90000.00",
                "remaining": "110000.00",
                "burn_percent": "45.00",
                "spend_source": "expenses",
                "roi": "0.8000",
            }
        ],
        "unassigned": {
            "planned": "350000.00",
            "spent": "152000.00",
            "remaining": "198000.00",
            "burn_percent": "43.43",
        },
    },
    "open_alerts": {
        "count": 1,
        "by_severity": {"warning": 1},
        "items": [
            {
                "alert_id": "01a2010c-7a1e-7b2c-8d3e-4f5a6b7c8d9e",
                "severity": "warning",
                "status": "firing",
                "channel": "offline_store",
                "message": "visitors 500 is 37.5% below the target of 800",
                "fired_at": "2024-06-10T09:00:00Z",
                "silenced": False,
            }
        ],
    },
    "open_issues": {
        "count": 1,
        "by_severity": {"warning": 1},
        "resolution_overdue_count": 0,
        "items": [
            {
                "issue_id": "01a2010c-155e-7b2c-8d3e-4f5a6b7c8d9e",
                "title": "Pop-up store foot traffic 20% under expectation",
                "severity": "warning",
                "status": "in_progress",
                "owner_id": _OWNER,
                "owner_name": "Manager Wu",
                "progress": 60,
                "opened_at": "2024-06-10T09:05:00Z",
                "expected_resolution_date": "2024-06-11",
                "resolution_due_at": "2024-06-12T09:05:00Z",
                "resolution_overdue": False,
            }
        ],
    },
    "slipped_tasks": {
        "count": 1,
        "items": [
            {
                "task_id": "01a2010c-7a5c-7b2c-8d3e-4f5a6b7c8d9e",
                "code": "M-003",
                "name": "Produce 10 posts + 5 short videos",
                "owner_id": _OWNER,
                "owner_name": "Designer Sun",
                "status": "in_progress",
                "planned_end": "2024-06-08",
                "slip_days": 3,
                "on_critical_path": True,
            }
        ],
    },
}
_ADJUSTMENT = {
    "action": "Move 50,000 from the pop-up store to feed ads",
    "owner_id": _OWNER,
    "owner_name": "Manager Wu",
    "due_date": "2024-06-12",
    "expected_effect": "About 400 more new users by 06-18",
    "change_request_id": _REQUEST,
    "change_request_number": 1,
}
_COMMON: dict[str, Any] = {
    "id": _REVIEW,
    "campaign_id": _CAMPAIGN,
    "number": 3,
    "kind": "mid_term",
    "as_of": "2024-06-11T09:30:00Z",
    "day": "2024-06-11",
    "notes": "Feed ads convert at 3.5%, the pop-up store runs 20% under its traffic target.",
    "adjustments": [_ADJUSTMENT],
    "recorded_by_member_id": _OWNER,
    "recorded_by_api_key_id": _KEY,
    "created_at": "2024-06-11T09:30:00Z",
}


class _Review(ResponseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID
    number: int = Field(description="1, 2, 3... per campaign")
    kind: ReviewKind
    as_of: datetime
    day: date
    notes: str | None
    adjustments: list[ReviewAdjustmentOut]
    recorded_by_member_id: uuid.UUID | None
    recorded_by_api_key_id: uuid.UUID | None
    created_at: datetime


class ReviewOut(_Review):
    model_config = ConfigDict(
        json_schema_extra={"examples": [_COMMON | {"snapshot": _SNAPSHOT, "version": 1}]}
    )

    snapshot: ReviewSnapshotOut = Field(description="The campaign as the review saw it")
    version: int

    @classmethod
    def of(cls, review: CampaignReview) -> "ReviewOut":
        return cls.model_validate(review, from_attributes=True)


class ReviewSummaryOut(_Review):
    """A review in a list: the snapshot's headline figures (GET the review for the rest)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _COMMON
                | {
                    "time_elapsed_percent": "55.26",
                    "budget_burn_percent": "41.20",
                    "open_alerts": 1,
                    "open_issues": 1,
                    "slipped_tasks": 1,
                }
            ]
        }
    )

    time_elapsed_percent: Decimal | None
    budget_burn_percent: Decimal | None
    open_alerts: int
    open_issues: int
    slipped_tasks: int

    @classmethod
    def of(cls, review: CampaignReview) -> "ReviewSummaryOut":
        frozen = ReviewSnapshotOut.model_validate(review.snapshot)
        return cls.model_validate(
            {name: getattr(review, name) for name in _Review.model_fields}
            | {
                "time_elapsed_percent": frozen.time_elapsed_percent,
                "budget_burn_percent": frozen.budget.burn_percent,
                "open_alerts": frozen.open_alerts.count,
                "open_issues": frozen.open_issues.count,
                "slipped_tasks": frozen.slipped_tasks.count,
            }
        )
