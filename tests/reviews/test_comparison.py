"""Two reviews compared: what moved between their snapshots (pure, no database).

The brief's 618 campaign at its weekly review (day 35) and at its mid-term review a week
later: new users up, the promotion budget burning faster, the pop-up store's traffic
alert raised, the medical-claims issue solved and a new one opened, M-003 still late and
M-004 now late too, and a GMV goal added by a change request in between.
"""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from shared.reviews.comparison import ReviewRefOut, compare
from shared.reviews.models import ReviewKind
from shared.reviews.schemas import ReviewSnapshotOut

USERS_GOAL, GMV_GOAL = uuid.uuid4(), uuid.uuid4()
STORE_ALERT, CTR_ALERT = uuid.uuid4(), uuid.uuid4()
CLAIMS_ISSUE, TRAFFIC_ISSUE = uuid.uuid4(), uuid.uuid4()
M003, M004, M001 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
OWNER = uuid.uuid4()


def money(planned: str, spent: str, burn: str | None) -> dict[str, Any]:
    return {
        "planned": planned,
        "spent": spent,
        "remaining": str(Decimal(planned) - Decimal(spent)),
        "burn_percent": burn,
    }


def goal(goal_id: uuid.UUID, metric: str, target: str, actual: str, rate: str, pace: str):
    return {
        "goal_id": goal_id,
        "metric_key": metric,
        "metric_name": metric,
        "target_kind": "absolute",
        "target_value": target,
        "baseline_value": None,
        "direction": "higher_is_better",
        "due_date": "2024-06-30",
        "actual": actual,
        "lift_percent": None,
        "achievement_rate": rate,
        "expected_to_date": "1",
        "pace_percent": pace,
    }


def alert(alert_id: uuid.UUID, severity: str, message: str) -> dict[str, Any]:
    return {
        "alert_id": alert_id,
        "severity": severity,
        "status": "firing",
        "channel": "offline_store",
        "message": message,
        "fired_at": "2024-06-10T09:00:00Z",
        "silenced": False,
    }


def issue(issue_id: uuid.UUID, title: str, overdue: bool = False) -> dict[str, Any]:
    return {
        "issue_id": issue_id,
        "title": title,
        "severity": "warning",
        "status": "in_progress",
        "owner_id": OWNER,
        "owner_name": "Manager Wu",
        "progress": 50,
        "opened_at": "2024-06-01T09:00:00Z",
        "expected_resolution_date": None,
        "resolution_due_at": "2024-06-03T09:00:00Z",
        "resolution_overdue": overdue,
    }


def task(task_id: uuid.UUID, code: str, slip: int) -> dict[str, Any]:
    return {
        "task_id": task_id,
        "code": code,
        "name": code,
        "owner_id": OWNER,
        "owner_name": "Designer Sun",
        "status": "in_progress",
        "planned_end": "2024-06-01",
        "slip_days": slip,
        "on_critical_path": True,
    }


def channel(key: str, source: str, *figures: str) -> dict[str, Any]:
    return money(*figures) | {"channel": key, "name": key, "spend_source": source, "roi": None}


def snapshot(day: date, **parts: Any) -> ReviewSnapshotOut:
    return ReviewSnapshotOut.model_validate(
        {
            "as_of": datetime(day.year, day.month, day.day, 2, tzinfo=UTC),
            "day": day,
            "campaign_status": "active",
            "start_date": "2024-05-01",
            "end_date": "2024-07-15",
            "day_number": (day - date(2024, 5, 1)).days + 1,
            "days_total": 76,
            "time_elapsed_percent": parts.pop("elapsed"),
            "plan_version": parts.pop("plan_version"),
        }
        | parts
    )


WEEKLY = snapshot(
    date(2024, 6, 4),
    elapsed="46.05",
    plan_version=1,
    goals=[goal(USERS_GOAL, "new_users", "200000", "81000", "40.50", "87.94")],
    budget=money("1000000.00", "350000.00", "35.00")
    | {
        "currency": "CNY",
        "approved_planned": "1000000.00",
        "categories": [
            money("550000.00", "200000.00", "36.36") | {"category": "promotion_media"},
            money("150000.00", "90000.00", "60.00") | {"category": "labour"},
        ],
        "channels": [channel("offline_store", "expenses", "200000.00", "60000.00", "30.00")],
        "unassigned": money("800000.00", "290000.00", "36.25"),
    },
    open_alerts={
        "count": 1,
        "by_severity": {"critical": 1},
        "items": [alert(CTR_ALERT, "critical", "feed CTR 1.2% under 1.5%")],
    },
    open_issues={
        "count": 1,
        "by_severity": {"warning": 1},
        "resolution_overdue_count": 0,
        "items": [issue(CLAIMS_ISSUE, "2 posts rejected for medical claims")],
    },
    slipped_tasks={"count": 2, "items": [task(M003, "M-003", 3), task(M001, "M-001", 1)]},
)
MID_TERM = snapshot(
    date(2024, 6, 11),
    elapsed="55.26",
    plan_version=2,
    goals=[
        goal(USERS_GOAL, "new_users", "200000", "98000", "49.00", "88.67"),
        goal(GMV_GOAL, "gmv", "5000000", "2100000", "42.00", "95.00"),
    ],
    budget=money("1000000.00", "412000.00", "41.20")
    | {
        "currency": "CNY",
        "approved_planned": "1000000.00",
        "categories": [
            money("550000.00", "260000.00", "47.27") | {"category": "promotion_media"},
            money("150000.00", "90000.00", "60.00") | {"category": "labour"},
        ],
        "channels": [
            channel("offline_store", "expenses", "150000.00", "70000.00", "46.67"),
            channel("social_feed", "none", "50000.00", "0.00", "0.00"),
        ],
        "unassigned": money("800000.00", "342000.00", "42.75"),
    },
    open_alerts={
        "count": 2,
        "by_severity": {"critical": 1, "warning": 1},
        "items": [
            alert(CTR_ALERT, "critical", "feed CTR 1.2% under 1.5%"),
            alert(STORE_ALERT, "warning", "visitors 500 under 800"),
        ],
    },
    open_issues={
        "count": 1,
        "by_severity": {"warning": 1},
        "resolution_overdue_count": 1,
        "items": [issue(TRAFFIC_ISSUE, "Pop-up store traffic 20% under", overdue=True)],
    },
    slipped_tasks={"count": 2, "items": [task(M003, "M-003", 10), task(M004, "M-004", 2)]},
)


def ref(number: int, kind: ReviewKind, snap: ReviewSnapshotOut) -> ReviewRefOut:
    return ReviewRefOut(id=uuid.uuid4(), number=number, kind=kind, as_of=snap.as_of, day=snap.day)


def weekly_to_mid_term():
    return compare(
        campaign_id=uuid.uuid4(),
        from_review=ref(2, ReviewKind.weekly, WEEKLY),
        to_review=ref(3, ReviewKind.mid_term, MID_TERM),
        before=WEEKLY,
        after=MID_TERM,
    )


def changes(found) -> tuple[Any, Any, Any]:
    return (str(found.before), str(found.after), str(found.change))


def test_goal_progress_and_pace_move_goal_by_goal_and_a_goal_added_since_says_so():
    result = weekly_to_mid_term()
    assert (result.days_between, result.plan_version_before, result.plan_version_after) == (
        7,
        1,
        2,
    )
    assert changes(result.time_elapsed_percent) == ("46.05", "55.26", "9.21")
    users, gmv = result.goals
    assert (users.goal_id, users.presence) == (USERS_GOAL, "both")
    assert changes(users.actual) == ("81000", "98000", "17000")
    assert changes(users.achievement_rate) == ("40.50", "49.00", "8.50")
    assert changes(users.pace_percent) == ("87.94", "88.67", "0.73")
    assert (gmv.goal_id, gmv.presence) == (GMV_GOAL, "added")
    assert (gmv.actual.before, gmv.actual.after, gmv.actual.change) == (
        None,
        Decimal("2100000"),
        None,
    )


def test_budget_burn_moves_in_total_by_category_and_by_channel():
    budget = weekly_to_mid_term().budget
    assert changes(budget.spent) == ("350000.00", "412000.00", "62000.00")
    assert changes(budget.burn_percent) == ("35.00", "41.20", "6.20")
    promotion, labour = budget.categories
    assert (promotion.category, changes(promotion.spent)) == (
        "promotion_media",
        ("200000.00", "260000.00", "60000.00"),
    )
    assert labour.spent.change == 0
    store, feed = budget.channels
    assert (store.channel, store.presence, changes(store.planned)) == (
        "offline_store",
        "both",
        ("200000.00", "150000.00", "-50000.00"),
    )
    assert (feed.channel, feed.presence, feed.planned.before) == ("social_feed", "added", None)


def test_alerts_and_issues_that_appeared_and_cleared_between_the_reviews():
    result = weekly_to_mid_term()
    alerts = result.open_alerts
    assert (alerts.count.before, alerts.count.after, alerts.count.change) == (1, 2, 1)
    assert {s: c.change for s, c in alerts.by_severity.items()} == {"critical": 0, "warning": 1}
    assert [a.alert_id for a in alerts.appeared] == [STORE_ALERT]
    assert alerts.cleared == []
    issues = result.open_issues
    assert issues.count.change == 0  # one solved, one opened: the count alone hides both
    assert [i.issue_id for i in issues.appeared] == [TRAFFIC_ISSUE]
    assert [i.issue_id for i in issues.cleared] == [CLAIMS_ISSUE]
    assert issues.resolution_overdue_count.change == 1


def test_slipped_tasks_new_recovered_and_still_slipping():
    tasks = weekly_to_mid_term().slipped_tasks
    assert (tasks.count.before, tasks.count.after) == (2, 2)
    assert [t.code for t in tasks.appeared] == ["M-004"]
    assert [t.code for t in tasks.cleared] == ["M-001"]
    [still] = tasks.continuing
    assert (still.code, still.slip_days.before, still.slip_days.after) == ("M-003", 3, 10)
    assert still.slip_days.change == 7


def test_compared_the_other_way_round_the_changes_turn_over():
    result = compare(
        campaign_id=uuid.uuid4(),
        from_review=ref(3, ReviewKind.mid_term, MID_TERM),
        to_review=ref(2, ReviewKind.weekly, WEEKLY),
        before=MID_TERM,
        after=WEEKLY,
    )
    assert result.days_between == -7
    assert result.budget.spent.change == Decimal("-62000.00")
    assert [g.presence for g in result.goals] == ["both", "removed"]
    assert [a.alert_id for a in result.open_alerts.cleared] == [STORE_ALERT]
    assert [t.code for t in result.slipped_tasks.appeared] == ["M-001"]


def test_a_review_compared_with_itself_shows_no_change():
    result = compare(
        campaign_id=uuid.uuid4(),
        from_review=ref(3, ReviewKind.mid_term, MID_TERM),
        to_review=ref(3, ReviewKind.mid_term, MID_TERM),
        before=MID_TERM,
        after=MID_TERM,
    )
    assert result.days_between == 0
    assert all(g.actual.change == 0 and g.presence == "both" for g in result.goals)
    assert result.budget.spent.change == 0
    assert result.open_alerts.appeared == result.open_alerts.cleared == []
    assert [t.slip_days.change for t in result.slipped_tasks.continuing] == [0, 0]
