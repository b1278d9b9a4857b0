"""What stands between a draft and its submission: blockers and warnings (no database).

`assess` reads the plan through `plan.all_items`; here that read is answered from model
objects built in memory, so each rule is checked on the brief's sample campaign alone:
2024-05-01..2024-07-15 (its last goal, brand search volume, is due 07-15), the three
agreed goals, a budget with a 10% contingency, the four phases (preparation, warm-up,
burst, wrap-up) and a risk with its mitigation.
"""

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, cast

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import (
    BudgetCategory,
    BudgetLine,
    Campaign,
    CampaignItem,
    CampaignKind,
    CampaignStatus,
    Direction,
    Goal,
    GoalType,
    Level,
    Phase,
    Risk,
    RiskStatus,
    TargetKind,
)
from shared.campaigns.readiness import Readiness, assess

WORKSPACE = uuid.uuid5(uuid.NAMESPACE_URL, "campaignops:workspace:brief")
MANAGER, LEAD, SPECIALIST = (uuid.uuid5(WORKSPACE, who) for who in ("manager", "lead", "spec"))


def ident(name: str) -> uuid.UUID:
    return uuid.uuid5(WORKSPACE, name)


def brief_campaign(**changes: Any) -> Campaign:
    fields: dict[str, Any] = {
        "id": ident("campaign"),
        "workspace_id": WORKSPACE,
        "name": "2024 new product launch",
        "kind": CampaignKind.new_product_launch,
        "status": CampaignStatus.draft,
        "start_date": date(2024, 5, 1),
        "end_date": date(2024, 7, 15),
        "timezone": "Asia/Shanghai",
        "currency": "CNY",
        "owner_id": MANAGER,
    }
    return Campaign(**(fields | changes))


def goal(name: str, **changes: Any) -> Goal:
    fields: dict[str, Any] = {
        "id": ident(f"goal:{name}"),
        "workspace_id": WORKSPACE,
        "campaign_id": ident("campaign"),
        "goal_type": GoalType.user_growth,
        "metric_key": "new_users",
        "target_kind": TargetKind.absolute,
        "target_value": Decimal(200_000),
        "baseline_value": None,
        "direction": Direction.higher_is_better,
        "owner_id": MANAGER,
        "due_date": date(2024, 6, 30),
    }
    return Goal(**(fields | changes))


def brief_goals() -> list[Goal]:
    """The brief's goal agreement (the brand goal's +30% is a lift over a baseline)."""
    return [
        goal("users"),
        goal(
            "brand",
            goal_type=GoalType.brand_awareness,
            metric_key="search_volume",
            target_kind=TargetKind.relative_lift,
            target_value=Decimal(30),
            baseline_value=Decimal(80_000),
            owner_id=LEAD,
            due_date=date(2024, 7, 15),
        ),
        goal(
            "gmv",
            goal_type=GoalType.sales_conversion,
            metric_key="gmv",
            target_value=Decimal(5_000_000),
            owner_id=SPECIALIST,
            due_date=date(2024, 6, 18),
        ),
    ]


def budget(**amounts: int | str) -> list[BudgetLine]:
    return [
        BudgetLine(
            id=ident(f"budget:{category}"),
            workspace_id=WORKSPACE,
            campaign_id=ident("campaign"),
            category=BudgetCategory(category),
            planned_amount=Decimal(amount),
        )
        for category, amount in amounts.items()
    ]


# 450,000 of spending and 50,000 in reserve: 10% of the 500,000 total.
BRIEF_BUDGET = {
    "labour": 120_000,
    "materials": 60_000,
    "promotion_media": 200_000,
    "third_party_services": 70_000,
    "contingency": 50_000,
}


def phase(name: str, start: date, end: date) -> Phase:
    return Phase(
        id=ident(f"phase:{name}"),
        workspace_id=WORKSPACE,
        campaign_id=ident("campaign"),
        name=name,
        start_date=start,
        end_date=end,
    )


def brief_phases(**dates: tuple[date, date]) -> list[Phase]:
    spans = {
        "preparation": (date(2024, 5, 1), date(2024, 5, 31)),
        "warm-up": (date(2024, 6, 1), date(2024, 6, 7)),
        "burst": (date(2024, 6, 8), date(2024, 6, 18)),
        "wrap-up": (date(2024, 6, 19), date(2024, 7, 15)),
    } | dates
    return [phase(name, start, end) for name, (start, end) in spans.items()]


def risk(name: str, **changes: Any) -> Risk:
    fields: dict[str, Any] = {
        "id": ident(f"risk:{name}"),
        "workspace_id": WORKSPACE,
        "campaign_id": ident("campaign"),
        "description": "Posts rejected by the platform for medical claims",
        "probability": Level.high,
        "impact": Level.high,
        "mitigation": "Legal review of every claim before submission",
        "status": RiskStatus.open,
    }
    return Risk(**(fields | changes))


def brief_plan() -> list[CampaignItem]:
    return [*brief_goals(), *budget(**BRIEF_BUDGET), *brief_phases(), risk("claims")]


async def readiness(
    monkeypatch: pytest.MonkeyPatch, campaign: Campaign, items: Sequence[CampaignItem]
) -> Readiness:
    async def all_items(session: object, kind: Any, *, campaign: Campaign) -> list[Any]:
        return [item for item in items if isinstance(item, kind.model)]

    monkeypatch.setattr("shared.campaigns.readiness.plan.all_items", all_items)
    return await assess(cast(AsyncSession, None), campaign)


def codes(findings: Sequence[Any]) -> list[str]:
    return [f.code for f in findings]


async def test_the_brief_campaign_is_ready_to_submit(monkeypatch):
    result = await readiness(monkeypatch, brief_campaign(), brief_plan())
    assert result.blockers == []
    assert result.warnings == []
    assert result.ready


async def test_an_empty_draft_lists_everything_it_still_needs(monkeypatch):
    bare = brief_campaign(owner_id=None, start_date=None, end_date=None)
    result = await readiness(monkeypatch, bare, [])
    assert codes(result.blockers) == ["no_owner", "no_dates", "no_goal", "no_budget"]
    assert codes(result.warnings) == ["no_phases"]
    assert not result.ready


@pytest.mark.parametrize(
    ("dates", "blocker"),
    [
        ({"start_date": None}, "no_dates"),
        ({"end_date": None}, "no_dates"),
        ({"start_date": date(2024, 7, 15), "end_date": date(2024, 5, 1)}, "end_before_start"),
    ],
)
async def test_a_campaign_needs_a_start_and_an_end_in_that_order(monkeypatch, dates, blocker):
    result = await readiness(monkeypatch, brief_campaign(**dates), brief_plan())
    assert blocker in codes(result.blockers)


async def test_a_one_day_campaign_ends_on_the_day_it_starts(monkeypatch):
    one_day = brief_campaign(start_date=date(2024, 6, 18), end_date=date(2024, 6, 18))
    items = [
        goal("gmv", metric_key="gmv", target_value=Decimal(5_000_000), due_date=date(2024, 6, 18)),
        *budget(**BRIEF_BUDGET),
        phase("burst", date(2024, 6, 18), date(2024, 6, 18)),
    ]
    assert (await readiness(monkeypatch, one_day, items)).blockers == []


@pytest.mark.parametrize(
    ("missing", "code", "message"),
    [
        ({"owner_id": None}, "goal_without_owner", "Goal 'gmv' has no owner."),
        ({"target_value": None}, "goal_without_target", "Goal 'gmv' has no target value."),
        ({"due_date": None}, "goal_without_due_date", "Goal 'gmv' has no due date."),
    ],
)
async def test_every_goal_needs_one_owner_a_target_and_a_due_date(
    monkeypatch, missing, code, message
):
    items = [
        goal("gmv", **{"metric_key": "gmv", "target_value": Decimal(5_000_000)} | missing),
        *budget(**BRIEF_BUDGET),
        *brief_phases(),
    ]
    result = await readiness(monkeypatch, brief_campaign(), items)
    assert [(f.code, f.message, f.ref) for f in result.blockers] == [
        (code, message, f"goals/{ident('goal:gmv')}")
    ]


async def test_a_lift_goal_needs_the_baseline_it_lifts_from(monkeypatch):
    # "+30% brand keyword search volume" means nothing without last period's volume.
    lift = goal(
        "brand",
        metric_key="search_volume",
        target_kind=TargetKind.relative_lift,
        target_value=Decimal(30),
        baseline_value=None,
    )
    result = await readiness(monkeypatch, brief_campaign(), [lift, *budget(**BRIEF_BUDGET)])
    assert [(f.code, f.message) for f in result.blockers] == [
        ("goal_without_baseline", "Goal 'search_volume' is a lift but has no baseline.")
    ]


async def test_an_absolute_goal_needs_no_baseline(monkeypatch):
    # 200,000 new users is a count to reach, not a lift.
    items = [goal("users", baseline_value=None), *budget(**BRIEF_BUDGET), *brief_phases()]
    assert (await readiness(monkeypatch, brief_campaign(), items)).ready


async def test_a_goal_due_after_the_campaign_ends_is_a_warning(monkeypatch):
    # The campaign cut to end 06-30: the brand goal, due 07-15, is measured after it.
    cut = brief_campaign(end_date=date(2024, 6, 30))
    phases = brief_phases(**{"wrap-up": (date(2024, 6, 19), date(2024, 6, 30))})
    items = [*brief_goals(), *budget(**BRIEF_BUDGET), *phases, risk("claims")]
    result = await readiness(monkeypatch, cut, items)
    assert result.ready
    assert [(f.code, f.message, f.ref) for f in result.warnings] == [
        (
            "goal_due_after_end",
            "Goal 'search_volume' is due after the campaign ends.",
            f"goals/{ident('goal:brand')}",
        )
    ]


# --- the budget -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lines",
    [{}, {"labour": 0, "contingency": 0}],
    ids=["no budget lines", "lines of zero"],
)
async def test_a_campaign_needs_a_budget(monkeypatch, lines):
    items = [*brief_goals(), *budget(**lines), *brief_phases()]
    result = await readiness(monkeypatch, brief_campaign(), items)
    assert codes(result.blockers) == ["no_budget"]


async def test_a_budget_without_a_contingency_reserve_blocks(monkeypatch):
    spending = {k: v for k, v in BRIEF_BUDGET.items() if k != "contingency"}
    items = [*brief_goals(), *budget(**spending), *brief_phases()]
    result = await readiness(monkeypatch, brief_campaign(), items)
    assert [(f.code, f.message) for f in result.blockers] == [
        ("no_contingency", "The budget has no contingency reserve.")
    ]


@pytest.mark.parametrize(
    ("contingency", "warning"),
    [
        # 40,000 of 490,000 is 8.16%: under the brief's 10-15%.
        (40_000, "The contingency reserve is 8.16% of the budget; the norm is 10-15%."),
        (50_000, None),  # 50,000 of 500,000: exactly 10%
        (75_000, None),  # 75,000 of 525,000: 14.29%
    ],
)
async def test_a_contingency_under_ten_percent_of_the_total_is_a_warning(
    monkeypatch, contingency, warning
):
    items = [*brief_goals(), *budget(**BRIEF_BUDGET | {"contingency": contingency})]
    items += brief_phases()
    result = await readiness(monkeypatch, brief_campaign(), items)
    assert result.ready
    expected = [("contingency_below_10_percent", warning)] if warning else []
    assert [(f.code, f.message) for f in result.warnings] == expected


async def test_the_contingency_share_shown_in_the_warning_is_under_ten_percent(monkeypatch):
    # 49,995 in reserve of 499,995: 9.9991%, short of 10% by 5 (so a warning).
    items = [*brief_goals(), *budget(**BRIEF_BUDGET | {"contingency": 49_995})]
    result = await readiness(monkeypatch, brief_campaign(), [*items, *brief_phases()])
    [warning] = result.warnings
    share = warning.message.removeprefix("The contingency reserve is ").split("%")[0]
    assert Decimal(share) < 10


# --- phases ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dates", "outside"),
    [
        ({"preparation": (date(2024, 4, 25), date(2024, 5, 31))}, "preparation"),
        ({"wrap-up": (date(2024, 6, 19), date(2024, 7, 16))}, "wrap-up"),
    ],
)
async def test_a_phase_outside_the_campaign_dates_blocks(monkeypatch, dates, outside):
    items = [*brief_goals(), *budget(**BRIEF_BUDGET), *brief_phases(**dates)]
    result = await readiness(monkeypatch, brief_campaign(), items)
    assert [(f.code, f.message, f.ref) for f in result.blockers] == [
        (
            "phase_outside_campaign",
            f"Phase '{outside}' lies outside the campaign dates.",
            f"phases/{ident(f'phase:{outside}')}",
        )
    ]


async def test_phases_sharing_a_day_overlap_and_back_to_back_phases_do_not(monkeypatch):
    # Warm-up to 06-07 and burst from 06-07: both claim 06-07.
    dates = {"burst": (date(2024, 6, 7), date(2024, 6, 18))}
    items = [*brief_goals(), *budget(**BRIEF_BUDGET), *brief_phases(**dates)]
    result = await readiness(monkeypatch, brief_campaign(), items)
    assert result.ready
    assert [(f.code, f.message, f.ref) for f in result.warnings] == [
        (
            "phases_overlap",
            "Phases 'warm-up' and 'burst' overlap.",
            f"phases/{ident('phase:burst')}",
        )
    ]


async def test_phases_are_compared_in_date_order_whatever_order_they_were_added(monkeypatch):
    # Burst added first, then a warm-up that runs into it.
    items = [
        *brief_goals(),
        *budget(**BRIEF_BUDGET),
        phase("burst", date(2024, 6, 8), date(2024, 6, 18)),
        phase("warm-up", date(2024, 6, 1), date(2024, 6, 10)),
    ]
    result = await readiness(monkeypatch, brief_campaign(), items)
    assert [f.message for f in result.warnings] == ["Phases 'warm-up' and 'burst' overlap."]


# --- risks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "blocks"),
    [
        ({"mitigation": None}, True),
        ({"mitigation": ""}, True),
        ({}, False),  # high and high, with its mitigation
        ({"mitigation": None, "impact": Level.medium}, False),
        ({"mitigation": None, "probability": Level.medium}, False),
        ({"mitigation": None, "status": RiskStatus.closed}, False),
    ],
)
async def test_a_likely_and_severe_risk_needs_a_mitigation(monkeypatch, changes, blocks):
    items = [*brief_goals(), *budget(**BRIEF_BUDGET), *brief_phases(), risk("claims", **changes)]
    result = await readiness(monkeypatch, brief_campaign(), items)
    expected = (
        [
            (
                "risk_without_mitigation",
                "A high-probability, high-impact risk has no mitigation: "
                "Posts rejected by the platform for medical claims",
                f"risks/{ident('risk:claims')}",
            )
        ]
        if blocks
        else []
    )
    assert [(f.code, f.message, f.ref) for f in result.blockers] == expected
