"""Warning rules without a database: each condition's parameters as a rule author writes
them, the brief's ready-made rules, and how a finding is judged from given figures.

The judging part runs `evaluate` with its reads answered in memory: the goals (from
`plan.all_items`), the window totals (from `series.window_totals`) and the two sums of a
budget rule (planned and spent, from a stand-in session).
"""

import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import (
    BudgetCategory,
    Campaign,
    CampaignStatus,
    Direction,
    Goal,
    Level,
    TargetKind,
)
from shared.errors import Invalid
from shared.metrics.models import Metric
from shared.metrics.standard import STANDARD_METRICS
from shared.rules import conditions, evaluate
from shared.rules.models import Condition, Rule, Severity
from shared.rules.templates import TEMPLATES

SHANGHAI = ZoneInfo("Asia/Shanghai")
STANDARD = {m["key"]: Metric(**m) for m in STANDARD_METRICS}


def parse(condition: str, params: dict[str, Any]) -> conditions.Params:
    return conditions.parse(Condition(condition), params)


def refused(condition: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(Invalid) as error:
        parse(condition, params)
    assert error.value.detail == f"The parameters of a {condition} rule are not valid."
    return [(e.field, e.code) for e in error.value.errors]


# --- parameters -----------------------------------------------------------------------------


def test_every_condition_has_its_parameters():
    assert set(conditions.PARAMS) == set(Condition)
    # Figures can be watched channel by channel; tasks and the budget belong to no channel.
    watched_per_channel = {
        Condition.threshold,
        Condition.below_target,
        Condition.change,
        Condition.no_data,
    }
    assert watched_per_channel == conditions.WITH_CHANNELS


@pytest.mark.parametrize(
    ("condition", "params", "expected"),
    [
        ("threshold", {"metric": "negative_comments", "value": "50"},
         conditions.Threshold(metric="negative_comments", op=">", value=Decimal(50),
                              window="today", hours=24)),
        ("below_target", {"metric": "conversion_rate", "percent": 20},
         conditions.BelowTarget(metric="conversion_rate", percent=Decimal(20), basis="target")),
        ("change", {"metric": "ctr", "percent": "30"},
         conditions.Change(metric="ctr", percent=Decimal(30), direction="drop", period="day",
                           against="previous", periods=7)),
        ("no_data", {"metric": "impressions", "by_local_time": "17:00"},
         conditions.NoData(metric="impressions", within_hours=None, by_local_time=time(17))),
        ("task_overdue", {},
         conditions.TaskOverdue(priorities=[], grace_days=0)),
        ("budget_burn", {"mode": "over_plan"},
         conditions.BudgetBurn(mode="over_plan", category=None, percent=Decimal(100))),
    ],
)  # fmt: skip
def test_unstated_parameters_take_their_documented_defaults(condition, params, expected):
    assert parse(condition, params) == expected


@pytest.mark.parametrize(
    ("condition", "params", "errors"),
    [
        # A percentage of 0 would fire on everything.
        ("below_target", {"metric": "conversion_rate", "percent": "0"},
         [("params.percent", "greater_than")]),
        ("below_target", {"metric": "conversion_rate", "percent": "1000.5"},
         [("params.percent", "less_than_equal")]),
        ("below_target", {"metric": "ctr", "percent": "20.12345"},
         [("params.percent", "decimal_max_places")]),
        # A misspelt parameter is not silently ignored.
        ("below_target", {"metric": "conversion_rate", "percentage": "20"},
         [("params.percent", "missing"), ("params.percentage", "extra_forbidden")]),
        ("threshold", {"op": "=>", "value": "50"},
         [("params.metric", "missing"), ("params.op", "literal_error")]),
        ("threshold", {"metric": "Negative Comments", "value": "fifty"},
         [("params.metric", "string_pattern_mismatch"), ("params.value", "decimal_parsing")]),
        ("threshold", {"metric": "visitors", "value": 800, "window": "trailing", "hours": 0},
         [("params.hours", "greater_than_equal")]),
        ("change", {"metric": "ctr", "percent": "30", "against": "trailing_mean", "periods": 1},
         [("params.periods", "greater_than_equal")]),
        ("change", {"metric": "ctr", "percent": "30", "direction": "down"},
         [("params.direction", "literal_error")]),
        ("no_data", {"metric": "impressions", "by_local_time": "25:00"},
         [("params.by_local_time", "time_parsing")]),
        ("task_overdue", {"priorities": ["urgent"]}, [("params.priorities.0", "enum")]),
        ("task_overdue", {"grace_days": 61}, [("params.grace_days", "less_than_equal")]),
        ("budget_burn", {}, [("params.mode", "missing")]),
        ("budget_burn", {"mode": "pace", "category": "coffee"}, [("params.category", "enum")]),
    ],
)  # fmt: skip
def test_each_bad_parameter_is_named_by_its_path(condition, params, errors):
    assert refused(condition, params) == errors


@pytest.mark.parametrize(
    "deadline",
    [{}, {"within_hours": 4, "by_local_time": "17:00"}],
    ids=["neither", "both"],
)
def test_a_no_data_rule_takes_exactly_one_deadline(deadline):
    with pytest.raises(Invalid) as error:
        parse("no_data", {"metric": "impressions", **deadline})
    assert [(e.field, e.message) for e in error.value.errors] == [
        ("params", "Value error, give exactly one of within_hours or by_local_time")
    ]


def test_a_rule_in_a_list_has_its_errors_named_from_its_place_in_the_list():
    with pytest.raises(Invalid) as error:
        conditions.parse(Condition.threshold, {"metric": "gmv"}, field="rules.2.params")
    assert [e.field for e in error.value.errors] == ["rules.2.params.value"]


@pytest.mark.parametrize(
    ("condition", "params", "metrics"),
    [
        ("threshold", {"metric": "negative_comments", "value": 50}, {"negative_comments"}),
        ("below_target", {"metric": "ctr", "percent": 20}, {"ctr"}),
        ("task_overdue", {"priorities": ["high"]}, set()),
        ("budget_burn", {"mode": "pace", "percent": 10}, set()),
    ],
)
def test_a_rule_reads_the_metric_it_names_and_nothing_else(condition, params, metrics):
    assert parse(condition, params).metrics() == metrics


# --- the brief's ready-made rules -----------------------------------------------------------


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_every_ready_made_rule_is_valid_on_the_standard_dictionary(key):
    rule = TEMPLATES[key].rule
    params = parse(rule["condition"], rule["params"])
    read = params.metrics() | (
        {rule["min_sample_metric"]} if "min_sample_metric" in rule else set()
    )
    assert read <= set(STANDARD)
    Severity(rule["severity"])
    assert TEMPLATES[key].key == key


def test_the_ready_made_rules_carry_the_brief_numbers():
    params = {key: parse(t.rule["condition"], t.rule["params"]) for key, t in TEMPLATES.items()}
    assert params == {
        # "Conversion rate more than 20% under target triggers a warning."
        "conversion_below_target": conditions.BelowTarget(
            metric="conversion_rate", percent=Decimal(20)
        ),
        # "Conversion runs 30% below what was expected": a solution within 24 hours.
        "conversion_behind_expected": conditions.BelowTarget(
            metric="conversion_rate", percent=Decimal(30)
        ),
        # "Negative comments exceed 50."
        "negative_comments": conditions.Threshold(
            metric="negative_comments", op=">", value=Decimal(50)
        ),
        # "Data is collected at a fixed time every day (17:00)."
        "no_data_by_1700": conditions.NoData(metric="impressions", by_local_time=time(17)),
        "overdue_high_priority_task": conditions.TaskOverdue(priorities=[Level.high]),
        "contingency_eaten": conditions.BudgetBurn(
            mode="over_plan", category=BudgetCategory.contingency, percent=Decimal(100)
        ),
    }
    assert TEMPLATES["conversion_behind_expected"].rule["opens_issue"] is True


# --- judging a finding ----------------------------------------------------------------------


def june_campaign(**changes: Any) -> Campaign:
    """A 618 promotion, 2024-06-01..06-30 in Shanghai: 30 days."""
    fields: dict[str, Any] = {
        "id": uuid.uuid5(uuid.NAMESPACE_URL, "campaignops:campaign:618"),
        "status": CampaignStatus.active,
        "timezone": "Asia/Shanghai",
        "start_date": date(2024, 6, 1),
        "end_date": date(2024, 6, 30),
    }
    return Campaign(**(fields | changes))


# 2024-06-10 at noon in Shanghai: the 10th of the campaign's 30 days, a third of them.
JUNE_10 = datetime(2024, 6, 10, 12, 0, tzinfo=SHANGHAI)


def context(
    now: datetime = JUNE_10, channels: set[str] | None = None, **campaign: Any
) -> evaluate.Context:
    cache: dict[object, Any] = {} if channels is None else {"channels": channels}
    return evaluate.Context(
        campaign=june_campaign(**campaign), dictionary=STANDARD, now=now, cache=cache
    )


def rule(**fields: Any) -> Rule:
    return Rule(**({"per_channel": False, "min_sample_metric": None, "min_sample_count": None}
                   | fields))  # fmt: skip


def test_a_campaign_day_starts_at_midnight_in_its_own_timezone():
    # 17:30 UTC on 06-10 is already 01:30 on 06-11 in Shanghai.
    late = context(now=datetime(2024, 6, 10, 17, 30, tzinfo=UTC))
    assert late.midnight() == datetime(2024, 6, 11, tzinfo=SHANGHAI)
    assert late.midnight(days_ago=1) == datetime(2024, 6, 10, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("key", "value", "counted"),
    [
        ("negative_comments", None, Decimal(0)),  # no comment reported: none, so 0
        ("negative_comments", Decimal(51), Decimal(51)),
        ("ctr", None, None),  # no clicks or impressions: the rate is unknown, not 0%
    ],
)
def test_no_figure_of_a_summed_count_is_zero_and_of_a_rate_is_unknown(key, value, counted):
    assert evaluate._counted(STANDARD[key], value) == counted


@pytest.mark.parametrize(
    ("clicks", "enough"),
    [(None, False), (Decimal(99), False), (Decimal(100), True), (Decimal(2500), True)],
)
def test_a_rate_is_judged_only_once_it_has_its_minimum_sample(clicks, enough):
    # The brief's conversion rules wait for 100 clicks behind the rate.
    watched = rule(min_sample_metric="clicks", min_sample_count=100)
    assert evaluate._sample_ok(watched, {"clicks": clicks}) is enough
    assert evaluate._sample_ok(rule(), {"clicks": clicks}) is True  # no minimum set


def test_a_rule_per_channel_judges_each_channel_and_otherwise_the_campaign_total():
    channels: set[str | None] = {"social_feed", None, "offline_store"}
    assert evaluate._subjects(rule(), channels) == [("", None)]
    assert evaluate._subjects(rule(per_channel=True), channels) == [
        ("offline_store", "offline_store"),
        ("social_feed", "social_feed"),
    ]


class Figures:
    """`series.window_totals` answered from given totals: None is the campaign total."""

    def __init__(self, totals: dict[str | None, dict[str, Decimal | None]]) -> None:
        self.totals = totals

    async def __call__(self, session: object, **_: Any) -> dict[str | None, Any]:
        return self.totals


def goal(metric: str, target: str, **fields: Any) -> Goal:
    return Goal(**({"metric_key": metric, "target_value": Decimal(target),
                    "target_kind": TargetKind.absolute, "baseline_value": None,
                    "direction": Direction.higher_is_better} | fields))  # fmt: skip


async def below_target(
    monkeypatch: pytest.MonkeyPatch,
    goals: list[Goal],
    totals: dict[str | None, dict[str, Decimal | None]],
    params: dict[str, Any],
    watched: Rule | None = None,
    channels: set[str] | None = None,
) -> list[evaluate.Finding]:
    async def all_items(session: object, kind: Any, *, campaign: Campaign) -> list[Goal]:
        return goals

    # Where evaluate reads them, whichever modules they live in.
    monkeypatch.setattr("shared.rules.evaluate.plan.all_items", all_items)
    monkeypatch.setattr("shared.rules.evaluate.series.window_totals", Figures(totals))
    return await evaluate.evaluate(
        cast(AsyncSession, None),
        watched or rule(),
        parse("below_target", params),
        context(channels=channels),
    )


@pytest.mark.parametrize(
    ("cpa", "state", "message"),
    [
        ("59.99", "clear", ""),
        ("60", "breached", "cpa 60 is 20% over its target 50"),
        ("75", "breached", "cpa 75 is 50% over its target 50"),
    ],
)
async def test_a_cost_goal_falls_short_when_the_cost_runs_over_its_target(
    monkeypatch, cpa, state, message
):
    # CPA target 50 (lower is better): 60 is 20% over, the 20% rule's edge.
    cost = goal("cpa", "50", direction=Direction.lower_is_better)
    [finding] = await below_target(
        monkeypatch, [cost], {None: {"cpa": Decimal(cpa)}}, {"metric": "cpa", "percent": 20}
    )
    assert (finding.state, finding.value, finding.threshold) == (state, Decimal(cpa), Decimal(60))
    assert finding.message == message


@pytest.mark.parametrize(
    ("volume", "state", "lift"),
    [
        (99_200, "breached", 24),  # +24% against +30%: 20% short of the target lift
        (100_000, "clear", 25),  # +25%: 16.7% short
        (116_000, "clear", 45),  # the brief's actual +45%
    ],
)
async def test_a_lift_goal_compares_the_lift_over_its_baseline_with_the_target_lift(
    monkeypatch, volume, state, lift
):
    # Brand keyword search volume +30% over a baseline of 80,000 searches.
    brand = goal(
        "search_volume", "30", target_kind=TargetKind.relative_lift, baseline_value=Decimal(80_000)
    )
    [finding] = await below_target(
        monkeypatch,
        [brand],
        {None: {"search_volume": Decimal(volume)}},
        {"metric": "search_volume", "percent": 20},
    )
    assert (finding.state, finding.value) == (state, Decimal(lift))


async def test_behind_the_pro_rated_target_to_date(monkeypatch):
    # GMV 5,000,000 over June's 30 days: by day 10, 1,666,666.67 expected. 1,300,000 is
    # 22% short of that (a 20% rule fires), though only 26% of the whole target.
    gmv = goal("gmv", "5000000")
    [finding] = await below_target(
        monkeypatch,
        [gmv],
        {None: {"gmv": Decimal(1_300_000)}},
        {"metric": "gmv", "percent": 20, "basis": "expected_to_date"},
    )
    assert finding.state == "breached"
    assert finding.message.endswith("under its expected value to date 1666666.67")


async def test_without_a_goal_on_the_metric_there_is_nothing_to_fall_short_of(monkeypatch):
    users = goal("new_users", "200000")
    [finding] = await below_target(
        monkeypatch, [users], {None: {"ctr": Decimal("0.012")}}, {"metric": "ctr", "percent": 20}
    )
    assert (finding.state, finding.message) == ("insufficient", "no goal measures ctr")


async def test_a_channel_with_too_few_clicks_is_not_judged_yet(monkeypatch):
    # Conversion 2.5% against 3.5% is 28.6% short on both channels, but the offline
    # store has 40 clicks behind its rate, under the 100 the brief's rule asks.
    conversion = goal("conversion_rate", "0.035")
    totals: dict[str | None, dict[str, Decimal | None]] = {
        None: {"conversion_rate": Decimal("0.025"), "clicks": Decimal(1040)},
        "social_feed": {"conversion_rate": Decimal("0.025"), "clicks": Decimal(1000)},
        "offline_store": {"conversion_rate": Decimal("0.025"), "clicks": Decimal(40)},
    }
    findings = await below_target(
        monkeypatch,
        [conversion],
        totals,
        {"metric": "conversion_rate", "percent": 20},
        rule(per_channel=True, min_sample_metric="clicks", min_sample_count=100),
        channels={"social_feed", "offline_store"},
    )
    assert [(f.channel, f.state) for f in findings] == [
        ("offline_store", "insufficient"),
        ("social_feed", "breached"),
    ]


class Sums:
    """A stand-in session for a budget rule: the planned and the spent sum it asks for."""

    def __init__(self, planned: str | int, spent: str | int) -> None:
        self.sums = {"budget_lines": Decimal(planned), "expenses": Decimal(spent)}

    async def scalar(self, query: Any) -> Decimal:
        [table] = query.get_final_froms()
        return self.sums[table.name]


async def budget_burn(
    params: dict[str, Any], planned: str | int, spent: str | int, **campaign: Any
) -> evaluate.Finding:
    [finding] = await evaluate.evaluate(
        cast(AsyncSession, Sums(planned, spent)),
        rule(),
        parse("budget_burn", params),
        context(**campaign),
    )
    return finding


@pytest.mark.parametrize(("spent", "state"), [("49999.99", "clear"), ("50000", "breached")])
async def test_the_contingency_is_eaten_once_spending_reaches_its_plan(spent, state):
    finding = await budget_burn(
        {"mode": "over_plan", "category": "contingency"}, planned=50_000, spent=spent
    )
    assert (finding.state, finding.threshold) == (state, Decimal(50_000))


@pytest.mark.parametrize(
    ("percent", "spent", "state"),
    [
        # Day 10 of 30: a third of the days. 20% leeway: up to 40% of 300,000 spent.
        (20, "120000", "clear"),
        (20, "120000.01", "breached"),
        # 10% leeway: up to 36.67%, 110,000 of 300,000.
        (10, "110000", "clear"),  # exactly at it (10/30 x 1.1 rounds, the check must not)
        (10, "110000.01", "breached"),
        (10, "100000", "clear"),  # right on pace
    ],
)  # fmt: skip
async def test_spending_ahead_of_the_days_fires_only_beyond_the_leeway(percent, spent, state):
    finding = await budget_burn({"mode": "pace", "percent": percent}, 300_000, spent)
    assert finding.state == state


async def test_a_pace_needs_the_campaign_dates_and_a_plan():
    no_dates = await budget_burn({"mode": "pace"}, 300_000, 1, start_date=None)
    assert (no_dates.state, no_dates.message) == ("insufficient", "the campaign has no dates")
    no_plan = await budget_burn({"mode": "pace", "category": "materials"}, 0, 10)
    assert (no_plan.state, no_plan.message) == ("insufficient", "no plan for materials")
