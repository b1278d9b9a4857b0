"""Suggestions drawn from a campaign's history (pure, no database): what each rule picks,
the figures and sentences it cites, and ids that stay the same when computed again."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.retrospectives import evidence
from shared.retrospectives.models import RootCause, SuggestionKind

CAMPAIGN = uuid.uuid4()
OWNER = uuid.uuid4()
NOW = datetime(2024, 7, 20, 9, 0, tzinfo=UTC)


def goal(**changes) -> evidence.GoalFigures:
    base: dict[str, Any] = {
        "goal_id": uuid.uuid4(),
        "campaign_id": CAMPAIGN,
        "metric_key": "new_users",
        "metric_name": "新注册用户",
        "relative_lift": False,
        "lower_is_better": False,
        "target": Decimal("200000.0000"),
        "actual": Decimal("180000"),
        "lift_percent": None,
        "achievement_rate": Decimal("90.00"),
        "owner_id": OWNER,
    }
    return evidence.GoalFigures(**(base | changes))


def test_a_missed_goal_says_by_how_much_in_both_languages():
    missed = goal()
    found = evidence.goal_missed(missed)
    assert found is not None
    assert found.kind == SuggestionKind.goal_missed
    assert found.figures["gap"] == "20000"
    assert found.figures["gap_percent"] == "10"
    assert found.figures["achievement_rate"] == "90"
    assert "180,000 of 200,000 (90%), missed by 20,000 (10%)" in found.sentence
    assert "差 20,000（10%）" in found.sentence_zh  # noqa: RUF001
    assert "新注册用户" in found.sentence_zh
    assert found.refs[0].id == str(missed.goal_id)
    assert found.owner_id == OWNER
    assert found.root_cause == RootCause.strategy


def test_a_goal_reached_or_without_figures_suggests_nothing():
    assert evidence.goal_missed(goal(achievement_rate=Decimal("124.00"))) is None
    assert evidence.goal_missed(goal(achievement_rate=Decimal("100.00"))) is None
    assert evidence.goal_missed(goal(actual=None, achievement_rate=None)) is None


def test_a_lift_goal_misses_in_points_of_lift():
    found = evidence.goal_missed(
        goal(
            relative_lift=True,
            target=Decimal(30),
            actual=Decimal(12000),
            lift_percent=Decimal("20.00"),
            achievement_rate=Decimal("66.67"),
        )
    )
    assert found is not None
    assert "a lift of 20% for 30%" in found.sentence
    assert "missed by 10% (33.33%)" in found.sentence


def test_the_id_is_stable_and_depends_on_kind_and_subject():
    subject = str(uuid.uuid4())
    first = evidence.suggestion_id(SuggestionKind.goal_missed, subject)
    assert first == evidence.suggestion_id(SuggestionKind.goal_missed, subject)
    assert first != evidence.suggestion_id(SuggestionKind.task_slipped, subject)
    assert len(first) == 24
    int(first, 16)


def test_rules_that_fired_at_least_twice_most_first_with_their_worst_severity():
    noisy, twice, once = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    found = evidence.rules_fired_most(
        [
            evidence.RuleFirings(once, "CTR", ["critical"], [uuid.uuid4()]),
            evidence.RuleFirings(twice, "CPA", ["info", "info"], [uuid.uuid4(), uuid.uuid4()]),
            evidence.RuleFirings(
                noisy,
                "到店客流",
                ["warning", "critical", "warning"],
                [uuid.uuid4() for _ in range(3)],
            ),
        ]
    )
    assert [s.subject for s in found] == [str(noisy), str(twice)]
    assert found[0].figures == {"alerts": 3, "worst_severity": "critical"}
    assert [r.type for r in found[0].refs] == ["rule", "alert", "alert", "alert"]
    assert "触发 3 次" in found[0].sentence_zh


def issue(**changes) -> evidence.IssueTimes:
    opened = NOW - timedelta(days=10)
    base: dict[str, Any] = {
        "issue_id": uuid.uuid4(),
        "title": "客流不足",
        "severity": "warning",
        "owner_id": OWNER,
        "still_open": False,
        "response_due_at": opened + timedelta(hours=24),
        "responded_at": opened + timedelta(hours=1),
        "sla_breached_at": None,
        "resolution_due_at": opened + timedelta(hours=48),
        "resolved_at": opened + timedelta(hours=40),
        "resolution_overdue_at": None,
    }
    return evidence.IssueTimes(**(base | changes))


def test_an_issue_on_time_is_not_suggested_one_resolved_late_is():
    assert evidence.issue_sla_breached(issue(), NOW) is None
    late = issue()
    late = issue(resolved_at=late.resolution_due_at + timedelta(hours=30))
    found = evidence.issue_sla_breached(late, NOW)
    assert found is not None
    assert found.figures["resolution_late_hours"] == "30"
    assert found.figures["response_late_hours"] is None
    assert "resolved 30 h after the resolution time" in found.sentence


def test_an_issue_still_open_past_its_times_is_late_until_now():
    opened = NOW - timedelta(hours=72)
    found = evidence.issue_sla_breached(
        issue(
            still_open=True,
            responded_at=None,
            resolved_at=None,
            response_due_at=opened + timedelta(hours=24),
            resolution_due_at=opened + timedelta(hours=48),
        ),
        NOW,
    )
    assert found is not None
    assert found.figures["response_late_hours"] == "48"
    assert found.figures["resolution_late_hours"] == "24"
    assert "still open" in found.sentence


def test_critical_successors_follow_the_links_to_the_critical_tasks():
    a, b, c, d = (uuid.uuid4() for _ in range(4))
    successors = {a: [b, c], b: [d]}
    assert evidence.critical_successors(a, successors, [a, c, d]) == [c, d]
    assert evidence.critical_successors(d, successors, [a, c, d]) == []


def test_tasks_slipped_most_name_the_tasks_they_delayed():
    slipped, minor, on_time = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    successor = uuid.uuid4()
    found = evidence.tasks_slipped_most(
        [
            evidence.TaskSlip(
                minor, CAMPAIGN, "M-003", "制作素材", OWNER, date(2024, 5, 25), None, True, 1, False
            ),
            evidence.TaskSlip(
                on_time,
                CAMPAIGN,
                "M-002",
                "内容规划",
                OWNER,
                date(2024, 5, 15),
                None,
                False,
                0,
                True,
            ),
            evidence.TaskSlip(
                slipped,
                CAMPAIGN,
                "M-001",
                "筛选 20 位 KOC",
                OWNER,
                date(2024, 5, 10),
                date(2024, 5, 14),
                False,
                4,
                True,
                [(successor, "M-004", "KOC 发布排期")],
            ),
        ]
    )
    assert [s.subject for s in found] == [str(slipped), str(minor)]
    assert found[0].figures["slip_days"] == 4
    assert found[0].figures["delayed_on_critical_path"] == 1
    assert [r.id for r in found[0].refs] == [str(slipped), str(successor)]
    assert "finished 4 days after its planned end" in found[0].sentence
    assert "delaying M-004 on the critical path" in found[0].sentence
    assert "still not done 1 days" in found[1].sentence


def test_a_budget_category_over_plan_cites_its_lines_and_expenses():
    line, expense = uuid.uuid4(), uuid.uuid4()
    spend = evidence.CategorySpend(
        CAMPAIGN,
        "labour",
        "CNY",
        Decimal("50000.00"),
        Decimal("60000.00"),
        [(line, "团队")],
        [expense],
        OWNER,
    )
    found = evidence.budget_over_plan(spend)
    assert found is not None
    assert found.figures["over"] == "10000"
    assert found.figures["over_percent"] == "20"
    assert [r.type for r in found.refs] == ["budget_line", "expense"]
    assert "CNY 10,000 over plan (20%)" in found.sentence
    under = evidence.CategorySpend(
        CAMPAIGN, "labour", "CNY", Decimal(50000), Decimal(50000), [], [], OWNER
    )
    assert evidence.budget_over_plan(under) is None


def channel(key: str, spent: str, roi: str | None) -> evidence.ChannelReturn:
    return evidence.ChannelReturn(
        CAMPAIGN,
        key,
        key.replace("_", " "),
        "CNY",
        Decimal(spent),
        "expenses",
        None,
        Decimal(roi) if roi else None,
    )


def test_the_worst_roi_channels_are_those_under_the_blend_with_a_real_sample():
    found = evidence.worst_roi_channels(
        [
            channel("social_feed", "100000", "5.2"),
            channel("offline_store", "50000", "1.2"),
            channel("test_panel", "100", "0.1"),  # 0.07% of the spend: too small to judge
            channel("unpriced", "0", None),
        ],
        OWNER,
    )
    assert [s.subject for s in found] == ["offline_store"]
    assert found[0].figures["roi"] == "1.2"
    assert found[0].figures["blended_roi"] == "3.8667"
    assert "under the channels' 3.8667" in found[0].sentence


def test_a_lone_channel_is_only_suggested_when_it_loses_money():
    assert evidence.worst_roi_channels([channel("social_feed", "1000", "1.5")], OWNER) == []
    found = evidence.worst_roi_channels([channel("social_feed", "1000", "0.8")], OWNER)
    assert [s.subject for s in found] == ["social_feed"]
