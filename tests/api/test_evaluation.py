"""The campaign evaluation through the API: the brief's evaluation table, reproduced from
pushed figures; channel contribution with a too-small sample ranked last; analyses per
goal; finalised versions that stay frozen while later figures and corrections arrive.

The campaign ran for the last 20 days (Shanghai). Its figures, per channel:

| channel     | new users | GMV       | revenue | spend   | clicks | conv. | orders | search |
|-------------|-----------|-----------|---------|---------|--------|-------|--------|--------|
| social_feed | 120,000   | 2,000,000 | 600,000 | 100,000 | 50,000 | 3,000 | 20,000 | 9,000  |
| ecommerce   | 60,000    | 4,200,000 | 695,000 | 149,900 | 40,000 | 9,000 | 32,000 | 5,500  |
| short_video |           |           | 5,000   | 100     | 12     | 2     |        |        |

Totals: 180,000 new users (90% of 200,000), GMV 6,200,000 (124% of 5,000,000), 14,500
searches over a 10,000 baseline (+45% on a +30% target: 150%), ROI 1,300,000 / 250,000 =
5.2 (130% of 4). Finance recorded 260,000 of expenses (ROI 1:5 on them).
"""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from shared.actor import Role
from shared.campaigns.models import Campaign
from shared.evaluations import service as evaluations
from shared.events.models import Event
from shared.timeutil import utcnow
from tests.api import test_campaign_lifecycle as lifecycle
from tests.api.test_campaign_lifecycle import Team, action, decide
from tests.helpers import (
    Tenant,
    add_budget_lines,
    assert_problem,
    created,
    fields_of,
    register_channels,
)

team = lifecycle.team  # the brief's people, approvers bound to API keys

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHANNELS = {"social_feed": "Social feed", "ecommerce": "E-commerce", "short_video": "Short video"}
FIGURES = {
    "social_feed": {
        "new_users": 120_000,
        "gmv": 2_000_000,
        "revenue": 600_000,
        "spend": 100_000,
        "clicks": 50_000,
        "conversions": 3_000,
        "orders": 20_000,
        "search_volume": 9_000,
    },
    "ecommerce": {
        "new_users": 60_000,
        "gmv": 4_200_000,
        "revenue": 695_000,
        "spend": 149_900,
        "clicks": 40_000,
        "conversions": 9_000,
        "orders": 32_000,
        "search_volume": 5_500,
    },
    "short_video": {"revenue": 5_000, "spend": 100, "clicks": 12, "conversions": 2},
}


def day(offset: int) -> str:
    today: date = utcnow().astimezone(SHANGHAI).date()
    return (today + timedelta(days=offset)).isoformat()


@dataclass
class Evaluated:
    id: str
    base: str
    goals: dict[str, str]  # goal ids by metric key


async def push(client, tenant: Tenant, cid: str, points: list[dict[str, Any]]) -> None:
    entered = await client.post(
        f"/v1/campaigns/{cid}/metric-points",
        json={"points": points},
        headers=tenant.auth(Role.editor),
    )
    assert entered.status_code == 201, entered.text


def goal_bodies(team: Team) -> list[dict[str, Any]]:
    owner = team.manager["id"]
    return [
        body | {"owner_id": owner, "due_date": day(-1)}
        for body in (
            {"goal_type": "user_growth", "metric_key": "new_users", "target_value": "200000"},
            {
                "goal_type": "brand_awareness",
                "metric_key": "search_volume",
                "target_kind": "relative_lift",
                "target_value": "30",
                "baseline_value": "10000",
            },
            {"goal_type": "sales_conversion", "metric_key": "gmv", "target_value": "5000000"},
            {"goal_type": "cost_efficiency", "metric_key": "roi", "target_value": "4"},
        )
    ]


async def ran_campaign(client, tenant: Tenant, team: Team) -> Evaluated:
    """The campaign above, active, with its figures and expenses."""
    await register_channels(client, tenant, CHANNELS)
    campaign = await created(
        client,
        tenant,
        "/v1/campaigns",
        {
            "name": "Summer skincare launch",
            "kind": "new_product_launch",
            "timezone": "Asia/Shanghai",
            "start_date": day(-20),
            "end_date": day(-1),
            "owner_id": team.manager["id"],
        },
    )
    cid = campaign["id"]
    base = f"/v1/campaigns/{cid}"
    attached = await client.put(
        f"{base}/channels", json={"channel_keys": list(CHANNELS)}, headers=tenant.auth(Role.editor)
    )
    assert attached.status_code == 200, attached.text
    goals = {}
    for body in goal_bodies(team):
        goals[body["metric_key"]] = (await created(client, tenant, f"{base}/goals", body))["id"]
    await add_budget_lines(
        client,
        tenant,
        base,
        [
            ("promotion_media", "250000", "Media", None),
            ("third_party_services", "50000", "Agency", None),
            ("contingency", "30000", "Reserve", None),
        ],
    )
    assert (await action(client, tenant, cid, "submit")).status_code == 200
    assert (await decide(client, cid, team.department_head)).status_code == 200
    assert (await decide(client, cid, team.management)).status_code == 200
    assert (await action(client, tenant, cid, "activate")).status_code == 200
    await push(
        client,
        tenant,
        cid,
        [
            {"channel": channel, "metric": metric, "date": day(-3), "value": value}
            for channel, figures in FIGURES.items()
            for metric, value in figures.items()
        ],
    )
    await created(
        client,
        tenant,
        f"{base}/expenses",
        {"category": "third_party_services", "amount": "260000", "spent_on": day(-2)},
    )
    return Evaluated(cid, base, goals)


def by_metric(evaluation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {goal["metric_key"]: goal for goal in evaluation["goals"]}


async def get(client, tenant: Tenant, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params=params, headers=tenant.auth(Role.viewer))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_the_briefs_evaluation_table_reproduces_exactly(client, tenant: Tenant, team: Team):
    campaign = await ran_campaign(client, tenant, team)
    running = await get(client, tenant, f"{campaign.base}/evaluation")
    assert running["state"] == "draft"
    assert running["provisional"] is True
    assert running["latest_version"] is None

    assert (await action(client, tenant, campaign.id, "complete")).status_code == 200
    evaluation = await get(client, tenant, f"{campaign.base}/evaluation")
    assert evaluation["provisional"] is False
    assert evaluation["late_data"]["open"] is True
    goals = by_metric(evaluation)
    table = {
        key: (goals[key]["target_value"], goals[key]["actual"], goals[key]["achievement_rate"])
        for key in goals
    }
    assert table == {
        "new_users": ("200000.0000", "180000.000000", "90.00"),
        "gmv": ("5000000.0000", "6200000.000000", "124.00"),
        "search_volume": ("30.0000", "14500.000000", "150.00"),
        "roi": ("4.0000", "5.2", "130.00"),
    }
    assert goals["search_volume"]["lift_percent"] == "45.00"
    assert {k: g["outcome"] for k, g in goals.items()} == {
        "new_users": "missed",
        "gmv": "met",
        "search_volume": "met",
        "roi": "met",
    }
    assert goals["gmv"]["approved_target_value"] == "5000000.0000"
    assert goals["gmv"]["metric_name"] == "GMV"

    source = goals["roi"]["data_source"]
    assert source["inputs"] == ["revenue", "spend"]
    assert source["channels"] == ["ecommerce", "short_video", "social_feed"]
    assert source["hourly_points"] == 6  # 2 metrics x 3 channels, one day's hour each
    assert source["channel_days"] == 6
    assert source["last_received_at"] is not None
    assert source["late_data_open"] is True

    dimensions = evaluation["dimensions"]
    assert [(g["goal_type"], g["met"], g["missed"]) for g in dimensions["goal_achievement"]] == [
        ("user_growth", 0, 1),
        ("brand_awareness", 1, 0),
        ("sales_conversion", 1, 0),
        ("cost_efficiency", 1, 0),
    ]
    roi = dimensions["roi"]
    assert roi["revenue"] == "1300000.00"
    assert roi["on_pushed_spend"] == {
        "spend_source": "pushed",
        "spend": "250000.00",
        "roi": "5.2000",
        "roi_display": "1:5.2",
    }
    assert roi["on_expenses"] == {
        "spend_source": "expenses",
        "spend": "260000.00",
        "roi": "5.0000",
        "roi_display": "1:5",
    }
    user_value = dimensions["user_value"]
    assert user_value["spend_source"] == "expenses"
    assert user_value["cost_per_new_user"] == "1.44"
    assert user_value["cost_per_order"] == "5.00"
    assert user_value["average_order_value"] == "119.23"
    brand = dimensions["brand_impact"]
    assert brand["search_volume_lift"]["lift_percent"] == "45.00"
    assert brand["search_volume_lift"]["achievement_rate"] == "150.00"


async def test_a_channel_with_twelve_clicks_is_flagged_and_not_crowned(
    client, tenant: Tenant, team: Team
):
    campaign = await ran_campaign(client, tenant, team)
    evaluation = await get(client, tenant, f"{campaign.base}/evaluation")
    channels = evaluation["channels"]["items"]
    assert [(c["rank"], c["channel"], c["roi"]) for c in channels] == [
        (1, "social_feed", "6.0000"),
        (2, "ecommerce", "4.6364"),
        (3, "short_video", "50.0000"),  # the highest ROI, on 12 clicks and 2 conversions
    ]
    tiny = channels[2]
    assert tiny["insufficient_sample"] is True
    assert tiny["sample_shortfalls"] == [
        "12 clicks, fewer than 100",
        "2 conversions, fewer than 30",
    ]
    assert (tiny["clicks"], tiny["conversions"], tiny["hourly_points"]) == (
        "12.000000",
        "2.000000",
        4,
    )
    feed = channels[0]
    assert feed["insufficient_sample"] is False
    assert feed["roi_display"] == "1:6"
    assert feed["cpa"] == "33.33"  # 100,000 / 3,000
    assert feed["conversion_rate"] == "0.0600"  # 3,000 / 50,000
    shares = {s["metric_key"]: s["share_percent"] for s in feed["goal_shares"]}
    assert shares == {"new_users": "66.67", "search_volume": "62.07", "gmv": "32.26", "roi": None}


async def test_finalised_versions_stay_frozen_and_a_correction_is_version_2(
    client, tenant: Tenant, team: Team, session
):
    campaign = await ran_campaign(client, tenant, team)
    editor = tenant.auth(Role.editor)
    early = await client.post(f"{campaign.base}/evaluation/finalise", headers=editor)
    assert_problem(early, 409, "campaign_not_completed")
    assert (await action(client, tenant, campaign.id, "complete")).status_code == 200

    goal = f"{campaign.base}/evaluation/goals/{campaign.goals['new_users']}"
    unwritten = await client.get(goal, headers=tenant.auth(Role.viewer))
    assert (unwritten.json()["version"], unwritten.headers["etag"]) == (0, '"0"')
    wrong = await client.patch(goal, json={"cause_category": "weather"}, headers=editor)
    assert fields_of(assert_problem(wrong, 422)) == {"body.cause_category"}
    written = await client.patch(
        goal,
        json={
            "cause_category": "execution",
            "analysis": "首周信息流素材点击率偏低: 1.2% 对目标 1.5%",
            "improvement_proposal": "Test two key visuals before the burst.",
        },
        headers=editor | {"If-Match": '"0"'},
    )
    assert written.status_code == 200, written.text
    assert written.headers["etag"] == '"1"'
    stale = await client.patch(
        goal, json={"analysis": "Overwritten"}, headers=editor | {"If-Match": '"0"'}
    )
    assert_problem(stale, 412)

    first = await client.post(f"{campaign.base}/evaluation/finalise", headers=editor)
    assert first.status_code == 201, first.text
    assert first.headers["location"].endswith("/evaluation/versions/1")
    assert (first.json()["state"], first.json()["version"]) == ("finalised", 1)
    assert first.json()["finalised_by_api_key_id"] == str(tenant.key_ids[Role.editor])
    # The feed shows events once their transaction is older than every open one; a test's
    # requests share one transaction, so the event is read from the table.
    events = await session.execute(
        select(Event.subject_type, Event.subject_id, Event.data).where(
            Event.workspace_id == tenant.workspace_id, Event.kind == "campaign.evaluated"
        )
    )
    assert events.all() == [("campaign", uuid.UUID(campaign.id), {"version": 1})]
    again = await client.post(f"{campaign.base}/evaluation/finalise", headers=editor)
    assert_problem(again, 409, "no_changes")

    # Late figures (inside the 30-day window) do not change version 1.
    await push(
        client,
        tenant,
        campaign.id,
        [{"channel": "social_feed", "metric": "new_users", "date": day(-2), "value": 10_000}],
    )
    latest = await get(client, tenant, f"{campaign.base}/evaluation")
    assert (latest["state"], latest["version"], latest["has_unfinalised_changes"]) == (
        "finalised",
        1,
        False,
    )
    assert by_metric(latest)["new_users"]["actual"] == "180000.000000"
    draft = await get(client, tenant, f"{campaign.base}/evaluation", view="draft")
    assert by_metric(draft)["new_users"]["actual"] == "190000.000000"
    assert by_metric(draft)["new_users"]["achievement_rate"] == "95.00"

    # A correction starts the next draft; finalising it makes version 2.
    corrected = await client.patch(
        goal, json={"cause_category": "external"}, headers=editor | {"If-Match": '"1"'}
    )
    assert corrected.status_code == 200, corrected.text
    pending = await get(client, tenant, f"{campaign.base}/evaluation")
    assert (pending["version"], pending["has_unfinalised_changes"]) == (1, True)
    stored = await session.get(Campaign, uuid.UUID(campaign.id))
    assert await evaluations.final_version(session, campaign=stored) == 1
    assert await evaluations.has_unfinalised_changes(session, campaign=stored) is True

    second = await client.post(f"{campaign.base}/evaluation/finalise", headers=editor)
    assert second.status_code == 201, second.text
    assert second.json()["version"] == 2
    assert await evaluations.final_version(session, campaign=stored) == 2
    assert await evaluations.has_unfinalised_changes(session, campaign=stored) is False

    one = await get(client, tenant, f"{campaign.base}/evaluation/versions/1")
    two = await get(client, tenant, f"{campaign.base}/evaluation/versions/2")
    assert by_metric(one)["new_users"]["analysis"]["cause_category"] == "execution"
    assert (
        by_metric(one)["new_users"]["analysis"]["analysis"]
        == "首周信息流素材点击率偏低: 1.2% 对目标 1.5%"
    )
    assert by_metric(one)["new_users"]["actual"] == "180000.000000"
    assert by_metric(two)["new_users"]["analysis"]["cause_category"] == "external"
    assert by_metric(two)["new_users"]["actual"] == "190000.000000"
    assert (one["latest_version"], two["latest_version"]) == (2, 2)
    listed = await get(client, tenant, f"{campaign.base}/evaluation/versions")
    assert [(v["number"], v["goals_met"], v["goals_missed"]) for v in listed["items"]] == [
        (1, 3, 1),
        (2, 3, 1),
    ]
    missing = await client.get(
        f"{campaign.base}/evaluation/versions/3", headers=tenant.auth(Role.viewer)
    )
    assert_problem(missing, 404)


async def test_a_campaign_that_never_ran_has_no_evaluation(client, tenant: Tenant, team: Team):
    campaign = await created(
        client, tenant, "/v1/campaigns", {"name": "Singles' Day", "kind": "promotion"}
    )
    response = await client.get(
        f"/v1/campaigns/{campaign['id']}/evaluation", headers=tenant.auth(Role.viewer)
    )
    problem = assert_problem(response, 409, "campaign_not_run")
    assert "never ran" in problem["detail"]


async def test_another_workspaces_campaign_is_404(
    client, tenant: Tenant, other_tenant: Tenant, team: Team
):
    campaign = await ran_campaign(client, tenant, team)
    goal = f"{campaign.base}/evaluation/goals/{campaign.goals['gmv']}"
    theirs = other_tenant.auth(Role.admin)
    assert_problem(await client.get(f"{campaign.base}/evaluation", headers=theirs), 404)
    assert_problem(await client.patch(goal, json={"analysis": "x"}, headers=theirs), 404)
    finalise = await client.post(f"{campaign.base}/evaluation/finalise", headers=theirs)
    assert_problem(finalise, 404)
    foreign_goal = await client.patch(
        f"{campaign.base}/evaluation/goals/{uuid.uuid4()}",
        json={"analysis": "x"},
        headers=tenant.auth(Role.editor),
    )
    assert_problem(foreign_goal, 404)


async def test_viewers_read_but_do_not_write(client, tenant: Tenant, team: Team):
    campaign = await ran_campaign(client, tenant, team)
    viewer = tenant.auth(Role.viewer)
    goal = f"{campaign.base}/evaluation/goals/{campaign.goals['gmv']}"
    assert_problem(await client.patch(goal, json={"analysis": "x"}, headers=viewer), 403)
    assert_problem(await client.post(f"{campaign.base}/evaluation/finalise", headers=viewer), 403)


async def test_mapped_metrics_show_under_their_dimension(client, tenant: Tenant, team: Team):
    campaign = await ran_campaign(client, tenant, team)
    unknown = await client.put(
        "/v1/evaluation-dimensions",
        json={"metrics": [{"metric_key": "nope", "dimension": "brand_impact"}]},
        headers=tenant.auth(Role.editor),
    )
    assert fields_of(assert_problem(unknown, 422)) == {"body.metrics.0.metric_key"}
    mapped = await client.put(
        "/v1/evaluation-dimensions",
        json={
            "metrics": [
                {"metric_key": "visitors", "dimension": "brand_impact"},
                {"metric_key": "clicks", "dimension": "user_value"},
            ]
        },
        headers=tenant.auth(Role.editor),
    )
    assert mapped.status_code == 200, mapped.text
    assert (await get(client, tenant, "/v1/evaluation-dimensions"))["metrics"] == [
        {"metric_key": "clicks", "dimension": "user_value", "metric_name": "Clicks"},
        {"metric_key": "visitors", "dimension": "brand_impact", "metric_name": "Visitors"},
    ]
    await push(
        client,
        tenant,
        campaign.id,
        [{"channel": "social_feed", "metric": "visitors", "date": day(-3), "value": 500}],
    )
    dimensions = (await get(client, tenant, f"{campaign.base}/evaluation"))["dimensions"]
    assert [(m["metric_key"], m["value"]) for m in dimensions["brand_impact"]["mapped"]] == [
        ("visitors", "500.000000")
    ]
    assert [(m["metric_key"], m["value"]) for m in dimensions["user_value"]["mapped"]] == [
        ("clicks", "90012.000000")
    ]
    assert dimensions["roi"]["mapped"] == []


async def test_targets_changed_by_a_change_request_show_beside_the_approved_ones(
    client, tenant: Tenant, team: Team
):
    campaign = await ran_campaign(client, tenant, team)
    request = await created(
        client,
        tenant,
        f"{campaign.base}/change-requests",
        {
            "title": "Raise the GMV target",
            "plan_version": 1,
            "changes": [
                {
                    "kind": "change_goal",
                    "goal_id": campaign.goals["gmv"],
                    "target_value": "6000000",
                    "reason": "Discounts outperform",
                    "expected_effect": "A target that still stretches",
                }
            ],
        },
    )
    approved = await client.post(
        f"{campaign.base}/change-requests/{request['id']}/approvals",
        json={"decision": "approve", "comment": "ok"},
        headers=team.department_head,
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "applied", approved.json()
    gmv = by_metric(await get(client, tenant, f"{campaign.base}/evaluation"))["gmv"]
    assert (gmv["approved_target_value"], gmv["target_value"]) == ("5000000.0000", "6000000.0000")
    assert (gmv["approved_achievement_rate"], gmv["achievement_rate"]) == ("124.00", "103.33")
