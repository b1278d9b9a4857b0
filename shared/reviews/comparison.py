"""Two reviews side by side: what moved between the snapshots they froze.

Pure: it reads the two stored snapshots only, so a comparison made today shows what the
two meetings saw. `before` is the review named `from`, `after` the one named `to`,
whichever came first. Alerts, issues and slipped tasks are matched by id among those the
snapshots list (up to 200 each); their counts are exact.
"""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, TypeVar

from pydantic import ConfigDict, Field

from shared.campaigns.models import BudgetCategory
from shared.reviews.models import ReviewKind
from shared.reviews.schemas import (
    ReviewAlertOut,
    ReviewGoalOut,
    ReviewIssueOut,
    ReviewMoneyOut,
    ReviewSnapshotOut,
    ReviewTaskOut,
)
from shared.schemas import ResponseModel

Presence = Literal["both", "added", "removed"]


class ReviewRefOut(ResponseModel):
    id: uuid.UUID
    number: int
    kind: ReviewKind
    as_of: datetime
    day: date


class ReviewNumberChangeOut(ResponseModel):
    before: Decimal | None
    after: Decimal | None
    change: Decimal | None = Field(description="after - before; null when either is null")


class ReviewCountChangeOut(ResponseModel):
    before: int
    after: int
    change: int


class ReviewGoalChangeOut(ResponseModel):
    goal_id: uuid.UUID
    metric_key: str
    metric_name: str
    presence: Presence = Field(
        description="`both`; `added` or `removed` between the reviews (a change request)"
    )
    target_value: ReviewNumberChangeOut
    actual: ReviewNumberChangeOut
    achievement_rate: ReviewNumberChangeOut
    expected_to_date: ReviewNumberChangeOut
    pace_percent: ReviewNumberChangeOut


class ReviewMoneyChangeOut(ResponseModel):
    planned: ReviewNumberChangeOut
    spent: ReviewNumberChangeOut
    burn_percent: ReviewNumberChangeOut


class ReviewCategoryChangeOut(ReviewMoneyChangeOut):
    category: BudgetCategory


class ReviewChannelChangeOut(ReviewMoneyChangeOut):
    channel: str
    presence: Presence


class ReviewBudgetChangeOut(ReviewMoneyChangeOut):
    categories: list[ReviewCategoryChangeOut]
    channels: list[ReviewChannelChangeOut]


class ReviewAlertChangesOut(ResponseModel):
    count: ReviewCountChangeOut = Field(description="Alerts firing or acknowledged")
    by_severity: dict[str, ReviewCountChangeOut]
    appeared: list[ReviewAlertOut] = Field(description="Open at `to`, not at `from`")
    cleared: list[ReviewAlertOut] = Field(description="Open at `from`, not at `to`")


class ReviewIssueChangesOut(ResponseModel):
    count: ReviewCountChangeOut = Field(description="Issues open or in progress")
    by_severity: dict[str, ReviewCountChangeOut]
    resolution_overdue_count: ReviewCountChangeOut
    appeared: list[ReviewIssueOut] = Field(description="Open at `to`, not at `from`")
    cleared: list[ReviewIssueOut] = Field(description="Open at `from`, not at `to`")


class ReviewSlipChangeOut(ResponseModel):
    task_id: uuid.UUID
    code: str
    name: str
    slip_days: ReviewCountChangeOut


class ReviewTaskChangesOut(ResponseModel):
    count: ReviewCountChangeOut = Field(description="Tasks overdue")
    appeared: list[ReviewTaskOut] = Field(description="Slipped at `to`, not at `from`")
    cleared: list[ReviewTaskOut] = Field(
        description="Slipped at `from`, not at `to` (done, or given a later end)"
    )
    continuing: list[ReviewSlipChangeOut] = Field(description="Slipped at both")


_REF = {"kind": "weekly", "as_of": "2024-06-04T09:30:00Z", "day": "2024-06-04"}


def _change(before: Any, after: Any, change: Any) -> dict[str, Any]:
    return {"before": before, "after": after, "change": change}


_EXAMPLE: dict[str, Any] = {
    "campaign_id": "01a2010c-aaaa-7bbb-8ccc-dddddddddddd",
    "from_review": _REF | {"id": "01a2010e-1a2b-7c3d-8e4f-5a6b7c8d9e0f", "number": 2},
    "to_review": {
        "id": "01a2010e-3c4d-7e5f-8a6b-7c8d9e0f1a2b",
        "number": 3,
        "kind": "mid_term",
        "as_of": "2024-06-11T09:30:00Z",
        "day": "2024-06-11",
    },
    "days_between": 7,
    "time_elapsed_percent": _change("46.05", "55.26", "9.21"),
    "plan_version_before": 1,
    "plan_version_after": 1,
    "goals": [
        {
            "goal_id": "01a2010c-c017-7a40-9e1d-3c5b7d9f1a20",
            "metric_key": "new_users",
            "metric_name": "New users",
            "presence": "both",
            "target_value": _change("200000.0000", "200000.0000", "0.0000"),
            "actual": _change("81000", "98000", "17000"),
            "achievement_rate": _change("40.50", "49.00", "8.50"),
            "expected_to_date": _change("92105.26", "110526.32", "18421.06"),
            "pace_percent": _change("87.94", "88.67", "0.73"),
        }
    ],
    "budget": {
        "planned": _change("1000000.00", "1000000.00", "0.00"),
        "spent": _change("350000.00", "412000.00", "62000.00"),
        "burn_percent": _change("35.00", "41.20", "6.20"),
        "categories": [],
        "channels": [],
    },
    "open_alerts": {
        "count": _change(0, 1, 1),
        "by_severity": {"warning": _change(0, 1, 1)},
        "appeared": [],
        "cleared": [],
    },
    "open_issues": {
        "count": _change(2, 1, -1),
        "by_severity": {"warning": _change(2, 1, -1)},
        "resolution_overdue_count": _change(0, 0, 0),
        "appeared": [],
        "cleared": [],
    },
    "slipped_tasks": {
        "count": _change(0, 1, 1),
        "appeared": [],
        "cleared": [],
        "continuing": [],
    },
}


class ReviewComparisonOut(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    campaign_id: uuid.UUID
    from_review: ReviewRefOut
    to_review: ReviewRefOut
    days_between: int = Field(description="`to`'s day - `from`'s day")
    time_elapsed_percent: ReviewNumberChangeOut
    plan_version_before: int | None
    plan_version_after: int | None
    goals: list[ReviewGoalChangeOut] = Field(description="Goal progress and pace, goal by goal")
    budget: ReviewBudgetChangeOut = Field(description="Burn in total, by category and by channel")
    open_alerts: ReviewAlertChangesOut
    open_issues: ReviewIssueChangesOut
    slipped_tasks: ReviewTaskChangesOut


# --- the differences ----------------------------------------------------------------------------


def number_change(before: Decimal | None, after: Decimal | None) -> ReviewNumberChangeOut:
    change = None if before is None or after is None else after - before
    return ReviewNumberChangeOut(before=before, after=after, change=change)


def count_change(before: int, after: int) -> ReviewCountChangeOut:
    return ReviewCountChangeOut(before=before, after=after, change=after - before)


def _presence(before: object | None, after: object | None) -> Presence:
    if before is None:
        return "added"
    return "removed" if after is None else "both"


def _money(before: ReviewMoneyOut | None, after: ReviewMoneyOut | None) -> dict[str, Any]:
    return {
        name: number_change(
            getattr(before, name) if before else None, getattr(after, name) if after else None
        )
        for name in ("planned", "spent", "burn_percent")
    }


K = TypeVar("K")
V = TypeVar("V")


def _union(before: dict[K, V], after: dict[K, V]) -> list[K]:
    """Keys of both, in `before`'s order then those only `after` has."""
    return list(before) + [k for k in after if k not in before]


def _goal(before: ReviewGoalOut | None, after: ReviewGoalOut | None) -> ReviewGoalChangeOut:
    either = after or before
    assert either is not None
    return ReviewGoalChangeOut.model_validate(
        {
            "goal_id": either.goal_id,
            "metric_key": either.metric_key,
            "metric_name": either.metric_name,
            "presence": _presence(before, after),
        }
        | {
            name: number_change(
                getattr(before, name) if before else None,
                getattr(after, name) if after else None,
            )
            for name in (
                "target_value",
                "actual",
                "achievement_rate",
                "expected_to_date",
                "pace_percent",
            )
        }
    )


def _by_severity(before: dict[str, int], after: dict[str, int]) -> dict[str, ReviewCountChangeOut]:
    return {s: count_change(before.get(s, 0), after.get(s, 0)) for s in _union(before, after)}


def compare(
    *,
    campaign_id: uuid.UUID,
    from_review: ReviewRefOut,
    to_review: ReviewRefOut,
    before: ReviewSnapshotOut,
    after: ReviewSnapshotOut,
) -> ReviewComparisonOut:
    """What moved from the snapshot `before` (of `from_review`) to `after`."""
    goals_before = {g.goal_id: g for g in before.goals}
    goals_after = {g.goal_id: g for g in after.goals}
    categories_before = {c.category: c for c in before.budget.categories}
    categories_after = {c.category: c for c in after.budget.categories}
    channels_before = {c.channel: c for c in before.budget.channels}
    channels_after = {c.channel: c for c in after.budget.channels}
    alerts_before = {a.alert_id: a for a in before.open_alerts.items}
    alerts_after = {a.alert_id: a for a in after.open_alerts.items}
    issues_before = {i.issue_id: i for i in before.open_issues.items}
    issues_after = {i.issue_id: i for i in after.open_issues.items}
    tasks_before = {t.task_id: t for t in before.slipped_tasks.items}
    tasks_after = {t.task_id: t for t in after.slipped_tasks.items}
    return ReviewComparisonOut(
        campaign_id=campaign_id,
        from_review=from_review,
        to_review=to_review,
        days_between=(after.day - before.day).days,
        time_elapsed_percent=number_change(before.time_elapsed_percent, after.time_elapsed_percent),
        plan_version_before=before.plan_version,
        plan_version_after=after.plan_version,
        goals=[
            _goal(goals_before.get(g), goals_after.get(g))
            for g in _union(goals_before, goals_after)
        ],
        budget=ReviewBudgetChangeOut.model_validate(
            _money(before.budget, after.budget)
            | {
                "categories": [
                    ReviewCategoryChangeOut.model_validate(
                        _money(categories_before.get(c), categories_after.get(c)) | {"category": c}
                    )
                    for c in _union(categories_before, categories_after)
                ],
                "channels": [
                    ReviewChannelChangeOut.model_validate(
                        _money(channels_before.get(c), channels_after.get(c))
                        | {
                            "channel": c,
                            "presence": _presence(channels_before.get(c), channels_after.get(c)),
                        }
                    )
                    for c in _union(channels_before, channels_after)
                ],
            }
        ),
        open_alerts=ReviewAlertChangesOut(
            count=count_change(before.open_alerts.count, after.open_alerts.count),
            by_severity=_by_severity(before.open_alerts.by_severity, after.open_alerts.by_severity),
            appeared=[a for i, a in alerts_after.items() if i not in alerts_before],
            cleared=[a for i, a in alerts_before.items() if i not in alerts_after],
        ),
        open_issues=ReviewIssueChangesOut(
            count=count_change(before.open_issues.count, after.open_issues.count),
            by_severity=_by_severity(before.open_issues.by_severity, after.open_issues.by_severity),
            resolution_overdue_count=count_change(
                before.open_issues.resolution_overdue_count,
                after.open_issues.resolution_overdue_count,
            ),
            appeared=[x for i, x in issues_after.items() if i not in issues_before],
            cleared=[x for i, x in issues_before.items() if i not in issues_after],
        ),
        slipped_tasks=ReviewTaskChangesOut(
            count=count_change(before.slipped_tasks.count, after.slipped_tasks.count),
            appeared=[t for i, t in tasks_after.items() if i not in tasks_before],
            cleared=[t for i, t in tasks_before.items() if i not in tasks_after],
            continuing=[
                ReviewSlipChangeOut(
                    task_id=t.task_id,
                    code=t.code,
                    name=t.name,
                    slip_days=count_change(tasks_before[i].slip_days, t.slip_days),
                )
                for i, t in tasks_after.items()
                if i in tasks_before
            ],
        ),
    )
