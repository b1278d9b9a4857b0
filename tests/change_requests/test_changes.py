"""What a change request does to a plan, and who approves it: the pure rules (no database).

The plan is the brief's 1,000,000 budget: promotion split between the offline store
(200,000) and the social feed (250,000), and the rest by category.
"""

import itertools
import uuid
from decimal import Decimal
from typing import Any

import pytest

from shared.campaigns.models import BudgetCategory
from shared.change_requests import changes as rules
from shared.change_requests.models import ApprovalScope
from shared.change_requests.plan_versions import diff, planned_by_category, planned_total
from shared.change_requests.schemas import CHANGES

STORE_CHANNEL, FEED_CHANNEL = uuid.uuid4(), uuid.uuid4()
OWNER = uuid.uuid4()
LINES = {
    "store": ("promotion_media", STORE_CHANNEL, "offline_store", "200000.00"),
    "feed": ("promotion_media", FEED_CHANNEL, "social_feed", "250000.00"),
    "labour": ("labour", None, None, "150000.00"),
    "materials": ("materials", None, None, "80000.00"),
    "services": ("third_party_services", None, None, "120000.00"),
    "contingency": ("contingency", None, None, "100000.00"),
    "other": ("other", None, None, "100000.00"),
}
IDS = {name: str(uuid.uuid4()) for name in LINES}
GMV_GOAL = str(uuid.uuid4())


def the_plan() -> dict[str, Any]:
    return {
        "start_date": "2024-05-01",
        "end_date": "2024-07-15",
        "goals": [
            {
                "id": GMV_GOAL,
                "goal_type": "sales_conversion",
                "metric_key": "gmv",
                "strategy": "e-commerce discounts + community referral",
                "target_kind": "absolute",
                "target_value": "5000000.0000",
                "baseline_value": None,
                "direction": "higher_is_better",
                "owner_id": str(OWNER),
                "due_date": "2024-06-18",
            }
        ],
        "budget_lines": [
            {
                "id": IDS[name],
                "category": category,
                "channel_id": str(channel) if channel else None,
                "channel_key": key,
                "task_id": None,
                "planned_amount": amount,
                "note": name,
            }
            for name, (category, channel, key, amount) in LINES.items()
        ],
    }


def context(**overrides: Any) -> rules.Context:
    values: dict[str, Any] = {
        "metric_keys": frozenset({"gmv", "new_users", "visitors"}),
        "member_ids": frozenset({OWNER}),
        "task_ids": frozenset(),
        "channels": {"offline_store": STORE_CHANNEL, "social_feed": FEED_CHANNEL},
        "spent_by_category": {},
        "spent_by_channel": {},
    }
    return rules.Context(**(values | overrides))


def change(kind: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "reason": "why", "expected_effect": "what"} | fields


def move(source: str, target: str, amount: str) -> dict[str, Any]:
    return change(
        "move_budget",
        from_budget_line_id=IDS[source],
        to_budget_line_id=IDS[target],
        amount=amount,
    )


def evaluate(*requested: dict[str, Any], **overrides: Any) -> rules.Outcome:
    counter = itertools.count(1)
    return rules.evaluate(
        the_plan(),
        CHANGES.validate_python(list(requested)),
        context(**overrides),
        make_id=lambda: uuid.UUID(int=next(counter)),
    )


def amounts(plan: dict[str, Any]) -> dict[str, str]:
    return {line["note"]: line["planned_amount"] for line in plan["budget_lines"]}


def errors(outcome: rules.Outcome) -> dict[str, str]:
    return {e.field: e.code for e in outcome.errors}


def scope(*requested: dict[str, Any], share: str = "10") -> tuple[ApprovalScope, list[str]]:
    outcome = evaluate(*requested)
    assert outcome.valid, outcome.errors
    return rules.approval_scope(
        the_plan(), outcome.plan, CHANGES.validate_python(list(requested)), Decimal(share)
    )


def test_a_move_between_channels_keeps_the_total():
    outcome = evaluate(move("store", "feed", "50000"))
    assert outcome.valid
    assert amounts(outcome.plan)["store"] == "150000.00"
    assert amounts(outcome.plan)["feed"] == "300000.00"
    assert planned_total(outcome.plan) == Decimal("1000000.00")


def test_changes_apply_in_order_so_money_moved_in_can_move_on():
    outcome = evaluate(move("labour", "store", "50000"), move("store", "feed", "250000"))
    assert outcome.valid, outcome.errors
    assert amounts(outcome.plan)["labour"] == "100000.00"
    assert amounts(outcome.plan)["store"] == "0.00"
    assert amounts(outcome.plan)["feed"] == "500000.00"


def test_a_move_cannot_take_more_than_the_line_plans():
    outcome = evaluate(move("store", "feed", "200000.01"))
    assert errors(outcome) == {"changes.0.amount": "invalid"}


def test_every_bad_change_is_named_and_none_applies():
    outcome = evaluate(
        move("store", "feed", "50000"),
        change(
            "move_budget",
            from_budget_line_id=str(uuid.uuid4()),
            to_budget_line_id=IDS["feed"],
            amount="1",
        ),
        change("change_goal", goal_id=GMV_GOAL),
        change("extend_end_date", end_date="2024-07-15"),
        change("change_budget_line", budget_line_id=IDS["labour"], planned_amount="150000"),
    )
    assert errors(outcome) == {
        "changes.1.from_budget_line_id": "not_found",
        "changes.2.target_value": "invalid",
        "changes.3.end_date": "invalid",
        "changes.4.planned_amount": "invalid",
    }


def test_a_move_to_the_same_line_is_refused():
    assert errors(evaluate(move("feed", "feed", "1"))) == {"changes.0.to_budget_line_id": "invalid"}


def test_money_already_spent_in_a_category_or_on_a_channel_stays_planned():
    spent_in_store = {"spent_by_channel": {STORE_CHANNEL: Decimal("180000.00")}}
    assert errors(evaluate(move("store", "feed", "50000"), **spent_in_store)) == {
        "changes.0.amount": "below_spent"
    }
    assert evaluate(move("store", "feed", "20000"), **spent_in_store).valid
    spent_on_labour = {"spent_by_category": {BudgetCategory.labour: Decimal("120000.00")}}
    cut = change("change_budget_line", budget_line_id=IDS["labour"], planned_amount="100000")
    assert errors(evaluate(cut, **spent_on_labour)) == {"changes.0.planned_amount": "below_spent"}
    # Raising a line whose category is overspent is no reason to refuse.
    raised = change("change_budget_line", budget_line_id=IDS["labour"], planned_amount="160000")
    assert evaluate(raised, spent_by_category={BudgetCategory.labour: Decimal("170000")}).valid


def test_goals_and_lines_added_need_what_a_goal_needs_mid_campaign():
    visitors = change(
        "add_goal",
        goal_type="brand_awareness",
        metric_key="visitors",
        target_value="800",
        owner_id=str(OWNER),
        due_date="2024-06-30",
    )
    line = change(
        "add_budget_line",
        category="promotion_media",
        planned_amount="60000",
        channel_key="social_feed",
    )
    outcome = evaluate(visitors, line)
    assert outcome.valid, outcome.errors
    added_goal = outcome.plan["goals"][-1]
    assert added_goal["id"] == str(uuid.UUID(int=1))
    assert (added_goal["metric_key"], added_goal["target_value"]) == ("visitors", "800.0000")
    added_line = outcome.plan["budget_lines"][-1]
    assert (added_line["channel_id"], added_line["planned_amount"]) == (
        str(FEED_CHANNEL),
        "60000.00",
    )

    stranger, unknown_metric = uuid.uuid4(), visitors | {"metric_key": "footfall"}
    refused = evaluate(
        unknown_metric,
        visitors | {"owner_id": str(stranger)},
        visitors | {"target_kind": "relative_lift"},
        line | {"channel_key": "short_video"},
    )
    assert errors(refused) == {
        "changes.0.metric_key": "unknown_metric",
        "changes.1.owner_id": "invalid",
        "changes.2.baseline_value": "invalid",
        "changes.3.channel_key": "unknown_channel",
    }


def test_a_goal_gets_a_new_target_and_due_date_and_the_campaign_a_later_end():
    outcome = evaluate(
        change("change_goal", goal_id=GMV_GOAL, target_value="5500000", due_date="2024-06-20"),
        change("extend_end_date", end_date="2024-07-22"),
    )
    assert outcome.valid
    goal = outcome.plan["goals"][0]
    assert (goal["target_value"], goal["due_date"]) == ("5500000.0000", "2024-06-20")
    assert outcome.plan["end_date"] == "2024-07-22"


def test_the_department_head_alone_decides_moves_within_the_total():
    decided_by, reasons = scope(move("store", "feed", "50000"), move("other", "feed", "100000"))
    assert decided_by == ApprovalScope.first_step
    assert "no move over 10%" in reasons[0]


def test_management_decides_as_well_when_the_total_rises():
    raised = change("change_budget_line", budget_line_id=IDS["feed"], planned_amount="250000.01")
    decided_by, reasons = scope(raised)
    assert decided_by == ApprovalScope.full_chain
    assert reasons == ["Raises the total planned from 1000000.00 to 1000000.01."]
    # A cut elsewhere that pays for it keeps the total: the first step again.
    cut = change("change_budget_line", budget_line_id=IDS["other"], planned_amount="99999.99")
    assert scope(raised, cut)[0] == ApprovalScope.first_step


def test_management_decides_as_well_when_one_move_exceeds_the_share():
    assert scope(move("store", "feed", "100000.00"))[0] == ApprovalScope.first_step  # 10% exactly
    decided_by, reasons = scope(move("store", "feed", "100000.01"))
    assert decided_by == ApprovalScope.full_chain
    assert "100000.01, 10.00% of the total 1000000.00" in reasons[0]
    assert scope(move("store", "feed", "100000.01"), share="15")[0] == ApprovalScope.first_step


@pytest.mark.parametrize(
    ("requested", "lines", "categories", "goals", "dates"),
    [
        ([move("store", "feed", "50000")], {"store", "feed"}, set(), [], {}),
        (
            [move("labour", "feed", "10000"), change("extend_end_date", end_date="2024-07-20")],
            {"labour", "feed"},
            {BudgetCategory.labour, BudgetCategory.promotion_media},
            [],
            {"end_date": ["2024-07-15", "2024-07-20"]},
        ),
        (
            [change("change_goal", goal_id=GMV_GOAL, due_date="2024-06-19")],
            set(),
            set(),
            [("changed", {"due_date": ["2024-06-18", "2024-06-19"]})],
            {},
        ),
    ],
)
def test_the_diff_names_what_moved(requested, lines, categories, goals, dates):
    outcome = evaluate(*requested)
    found = diff(the_plan(), outcome.plan)
    names = {line["id"]: line["note"] for line in the_plan()["budget_lines"]}
    assert {names[item.id] for item in found.budget_lines} == lines
    assert all(set(item.changes) == {"planned_amount"} for item in found.budget_lines)
    assert set(found.categories) == categories
    assert [(g.action, g.changes) for g in found.goals] == goals
    assert found.dates == dates
    assert found.total_before == found.total_after == Decimal("1000000.00")


def test_the_diff_of_a_store_to_feed_move_reads_like_the_plan():
    found = diff(the_plan(), evaluate(move("store", "feed", "50000")).plan)
    assert [(i.label, i.changes) for i in found.budget_lines] == [
        ("promotion_media/offline_store: store", {"planned_amount": ["200000.00", "150000.00"]}),
        ("promotion_media/social_feed: feed", {"planned_amount": ["250000.00", "300000.00"]}),
    ]
    assert planned_by_category(the_plan()) == planned_by_category(
        evaluate(move("store", "feed", "1")).plan
    )
