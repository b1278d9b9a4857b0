"""Reviews during the campaign, through the API: a snapshot frozen at the meeting, the
adjustments decided there (opening change requests in the same call), lists and
comparisons.

The campaign is a 41-day push running since 20 days ago (day 21 today, in Shanghai):
41,000 new users wanted (1,000 a day), 700,000 planned, of which 200,000 on the offline
store and 250,000 on the social feed. M-001 (select the KOCs) was due 3 days ago and is
not done; the store's traffic alert fires and its issue is open.
"""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from shared.actor import Role
from shared.alerts.models import Alert, AlertStatus
from shared.rules.models import Severity
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


def today() -> date:
    return utcnow().astimezone(SHANGHAI).date()


def day(offset: int) -> str:
    return (today() + timedelta(days=offset)).isoformat()


@dataclass
class Running:
    id: str
    base: str
    lines: dict[str, str]  # budget line ids by note
    tasks: dict[str, str]  # task ids by code
    issue: str
    alert: str


async def figures(client: httpx.AsyncClient, tenant: Tenant, cid: str, when: str, users: int):
    entered = await client.post(
        f"/v1/campaigns/{cid}/metric-points",
        json={
            "points": [
                {"channel": "social_feed", "metric": "new_users", "date": when, "value": users}
            ]
        },
        headers=tenant.auth(Role.editor),
    )
    assert entered.status_code == 201, entered.text


async def store_alert(tenant: Tenant, client, session, cid: str) -> str:
    rule = await created(
        client,
        tenant,
        "/v1/rules",
        {
            "name": "Store traffic",
            "campaign_id": cid,
            "condition": "threshold",
            "params": {"metric": "visitors", "op": "<", "value": "800"},
            "per_channel": True,
        },
    )
    now = utcnow()
    alert = Alert(
        workspace_id=tenant.workspace_id,
        rule_id=uuid.UUID(rule["id"]),
        campaign_id=uuid.UUID(cid),
        subject="offline_store",
        channel="offline_store",
        fingerprint=f"test:{uuid.uuid4()}",
        status=AlertStatus.firing,
        severity=Severity.warning,
        message="visitors 500 is under 800",
        labels={},
        first_seen_at=now,
        last_seen_at=now,
        fired_at=now,
        breaches=1,
        consecutive=1,
    )
    session.add(alert)
    await session.commit()
    return str(alert.id)


async def running_campaign(client, tenant: Tenant, team: Team, session) -> Running:
    await register_channels(
        client, tenant, {"offline_store": "Offline store", "social_feed": "Social feed"}
    )
    campaign = await created(
        client,
        tenant,
        "/v1/campaigns",
        {
            "name": "618 promotion",
            "kind": "promotion",
            "timezone": "Asia/Shanghai",
            "start_date": day(-20),
            "end_date": day(20),
            "owner_id": team.manager["id"],
        },
    )
    base = f"/v1/campaigns/{campaign['id']}"
    attached = await client.put(
        f"{base}/channels",
        json={"channel_keys": ["offline_store", "social_feed"]},
        headers=tenant.auth(Role.editor),
    )
    assert attached.status_code == 200, attached.text
    await created(
        client,
        tenant,
        f"{base}/goals",
        {
            "goal_type": "user_growth",
            "metric_key": "new_users",
            "target_value": "41000",
            "owner_id": team.manager["id"],
            "due_date": day(20),
        },
    )
    lines = await add_budget_lines(
        client,
        tenant,
        base,
        [
            ("promotion_media", "200000", "Offline store promotion", "offline_store"),
            ("promotion_media", "250000", "Social feed ads", "social_feed"),
            ("labour", "150000", "Team", None),
            ("contingency", "100000", "Reserve", None),
        ],
    )
    tasks = {}
    for code, name, start, end in (
        ("M-001", "Select 20 beauty KOCs", -10, -3),
        ("M-002", "Plan seeding content", 0, 5),
    ):
        task = await created(
            client,
            tenant,
            f"{base}/tasks",
            {
                "code": code,
                "name": name,
                "owner_id": team.specialist["id"],
                "planned_start": day(start),
                "planned_end": day(end),
            },
        )
        tasks[code] = task["id"]
    assert (await action(client, tenant, campaign["id"], "submit")).status_code == 200
    assert (await decide(client, campaign["id"], team.department_head)).status_code == 200
    assert (await decide(client, campaign["id"], team.management)).status_code == 200
    assert (await action(client, tenant, campaign["id"], "activate")).status_code == 200
    await created(
        client,
        tenant,
        f"{base}/expenses",
        {
            "category": "promotion_media",
            "amount": "30000",
            "spent_on": day(-1),
            "channel_key": "social_feed",
        },
    )
    await figures(client, tenant, campaign["id"], day(-1), 15000)
    issue = await created(
        client,
        tenant,
        "/v1/issues",
        {
            "campaign_id": campaign["id"],
            "title": "Pop-up store foot traffic 20% under expectation",
            "description": "500 visitors a day, 800 expected.",
            "owner_id": team.lead["id"],
            "severity": "warning",
        },
    )
    alert = await store_alert(tenant, client, session, campaign["id"])
    return Running(campaign["id"], base, lines, tasks, issue["id"], alert)


@pytest.fixture
async def running(client, tenant: Tenant, team: Team, session) -> Running:
    return await running_campaign(client, tenant, team, session)


def store_to_feed(running: Running, amount: str = "50000", plan_version: int = 1):
    return {
        "title": "Mid-term: from the store to the feed",
        "plan_version": plan_version,
        "changes": [
            {
                "kind": "move_budget",
                "from_budget_line_id": running.lines["Offline store promotion"],
                "to_budget_line_id": running.lines["Social feed ads"],
                "amount": amount,
                "reason": "Pop-up store traffic runs 20% under expectation",
                "expected_effect": "About 400 more new users",
            }
        ],
    }


async def review(
    client, tenant: Tenant, running: Running, body: dict[str, Any], role: Role = Role.editor
) -> httpx.Response:
    response: httpx.Response = await client.post(
        f"{running.base}/reviews", json=body, headers=tenant.auth(role)
    )
    return response


async def read(client, tenant: Tenant, path: str, **params: Any) -> Any:
    response = await client.get(path, params=params, headers=tenant.auth(Role.viewer))
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_mid_term_review_freezes_the_campaign_and_opens_the_change_request_decided(
    client, tenant: Tenant, team: Team, running: Running
):
    request_body = {
        "kind": "mid_term",
        "notes": "Feed converts, the pop-up store does not.",
        "adjustments": [
            {
                "action": "Move 50,000 from the pop-up store to feed ads",
                "owner_id": team.manager["id"],
                "due_date": day(2),
                "expected_effect": "About 400 more new users",
                "change_request": store_to_feed(running),
            },
            {
                "action": "Finish the KOC list",
                "owner_id": team.specialist["id"],
                "due_date": day(1),
            },
        ],
    }
    response = await client.post(
        f"{running.base}/reviews",
        json=request_body,
        headers=tenant.auth(Role.editor) | {"Idempotency-Key": "mid-term-review"},
    )
    assert response.status_code == 201, response.text
    recorded = response.json()
    assert response.headers["location"] == f"{running.base}/reviews/{recorded['id']}"
    assert response.headers["etag"] == '"1"'
    assert (recorded["number"], recorded["kind"], recorded["day"]) == (1, "mid_term", day(0))
    move, finish = recorded["adjustments"]
    assert (move["owner_name"], move["due_date"], move["change_request_number"]) == (
        "Manager Wu",
        day(2),
        1,
    )
    assert (finish["change_request_id"], finish["owner_name"]) == (None, "Specialist Qian")

    snapshot = recorded["snapshot"]
    assert (snapshot["day_number"], snapshot["days_total"]) == (21, 41)
    assert (snapshot["time_elapsed_percent"], snapshot["plan_version"]) == ("51.22", 1)
    [users] = snapshot["goals"]
    assert (users["actual"], users["expected_to_date"]) == ("15000.000000", "21000.00")
    assert (users["achievement_rate"], users["pace_percent"]) == ("36.59", "71.43")
    budget = snapshot["budget"]
    assert (budget["planned"], budget["spent"], budget["burn_percent"]) == (
        "700000.00",
        "30000.00",
        "4.29",
    )
    promotion = next(c for c in budget["categories"] if c["category"] == "promotion_media")
    assert (promotion["planned"], promotion["spent"]) == ("450000.00", "30000.00")
    channels = {c["channel"]: c for c in budget["channels"]}
    assert (channels["social_feed"]["spent"], channels["social_feed"]["spend_source"]) == (
        "30000.00",
        "expenses",
    )
    assert channels["offline_store"]["planned"] == "200000.00"  # the move is only requested
    alerts = snapshot["open_alerts"]
    assert (alerts["count"], alerts["by_severity"]) == (1, {"warning": 1})
    assert [(a["alert_id"], a["channel"]) for a in alerts["items"]] == [
        (running.alert, "offline_store")
    ]
    issues = snapshot["open_issues"]
    assert issues["count"] == 1
    assert [(i["issue_id"], i["owner_name"]) for i in issues["items"]] == [
        (running.issue, "Lead Zhao")
    ]
    slipped = snapshot["slipped_tasks"]
    assert slipped["count"] == 1
    [late] = slipped["items"]
    assert (late["code"], late["slip_days"], late["owner_name"]) == ("M-001", 3, "Specialist Qian")

    request = await read(
        client, tenant, f"{running.base}/change-requests/{move['change_request_id']}"
    )
    assert (request["status"], request["title"], request["plan_version"]) == (
        "pending",
        "Mid-term: from the store to the feed",
        1,
    )
    log = await read(client, tenant, f"{running.base}/activity", kind="review")
    [note] = log["items"]
    assert note["note"].startswith("Mid-term review 1 (" + day(0) + "). Feed converts")
    assert "change request 1" in note["note"]

    replayed = await client.post(
        f"{running.base}/reviews",
        json=request_body,
        headers=tenant.auth(Role.editor) | {"Idempotency-Key": "mid-term-review"},
    )
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == recorded
    again = await client.post(
        f"{running.base}/reviews",
        json={"kind": "daily"},
        headers=tenant.auth(Role.editor) | {"Idempotency-Key": "mid-term-review"},
    )
    assert_problem(again, 422)  # the same key for another body
    assert len((await read(client, tenant, f"{running.base}/reviews"))["items"]) == 1
    assert len((await read(client, tenant, f"{running.base}/change-requests"))["items"]) == 1


async def test_an_adjustment_whose_change_request_cannot_open_records_nothing(
    client, tenant: Tenant, team: Team, running: Running
):
    def body(change_request: dict[str, Any]) -> dict[str, Any]:
        return {
            "kind": "mid_term",
            "adjustments": [
                {"action": "Keep going", "owner_id": team.lead["id"], "due_date": day(3)},
                {
                    "action": "Move everything to the feed",
                    "owner_id": team.manager["id"],
                    "due_date": day(2),
                    "change_request": change_request,
                },
            ],
        }

    too_much = await review(client, tenant, running, body(store_to_feed(running, "500000")))
    problem = assert_problem(too_much, 422)
    assert fields_of(problem) == {"body.adjustments.1.change_request.changes.0.amount"}
    assert problem["errors"][0]["pointer"] == "#/adjustments/1/change_request/changes/0/amount"

    stale = await review(client, tenant, running, body(store_to_feed(running, plan_version=7)))
    problem = assert_problem(stale, 409, "plan_changed")
    assert (problem["adjustment"], problem["current_plan_version"]) == (1, 1)

    assert (await read(client, tenant, f"{running.base}/reviews"))["items"] == []
    assert (await read(client, tenant, f"{running.base}/change-requests"))["items"] == []
    assert (await read(client, tenant, f"{running.base}/activity", kind="review"))["items"] == []


async def test_the_snapshot_stays_as_frozen_and_two_reviews_compare(
    client, tenant: Tenant, team: Team, running: Running
):
    first = await review(client, tenant, running, {"kind": "weekly", "notes": "Week 3."})
    assert first.status_code == 201, first.text
    weekly = first.json()

    # After the meeting: more figures and money, the issue solved, M-001 done.
    await figures(client, tenant, running.id, day(0), 6000)
    await created(
        client,
        tenant,
        f"{running.base}/expenses",
        {
            "category": "promotion_media",
            "amount": "20000",
            "spent_on": day(0),
            "channel_key": "offline_store",
        },
    )
    solved = await client.patch(
        f"/v1/issues/{running.issue}", json={"status": "resolved"}, headers=tenant.auth()
    )
    assert solved.status_code == 200, solved.text
    done = await client.patch(
        f"/v1/tasks/{running.tasks['M-001']}", json={"status": "done"}, headers=tenant.auth()
    )
    assert done.status_code == 200, done.text

    stored = await client.get(
        f"{running.base}/reviews/{weekly['id']}", headers=tenant.auth(Role.viewer)
    )
    assert stored.status_code == 200, stored.text
    assert stored.headers["etag"] == '"1"'
    assert stored.json() == weekly  # the review shows what the meeting saw

    second = await review(client, tenant, running, {"kind": "mid_term"})
    assert second.status_code == 201, second.text
    mid_term = second.json()
    assert mid_term["number"] == 2
    assert mid_term["snapshot"]["goals"][0]["actual"] == "21000.000000"
    assert mid_term["snapshot"]["slipped_tasks"] == {"count": 0, "items": []}

    compared = await read(
        client,
        tenant,
        f"{running.base}/reviews/compare",
        **{"from": weekly["id"], "to": mid_term["id"]},
    )
    assert (compared["from_review"]["number"], compared["to_review"]["number"]) == (1, 2)
    assert compared["days_between"] == 0
    [users] = compared["goals"]
    assert (users["presence"], users["actual"]["change"]) == ("both", "6000.000000")
    assert users["pace_percent"] == {"before": "71.43", "after": "100.00", "change": "28.57"}
    assert compared["budget"]["spent"] == {
        "before": "30000.00",
        "after": "50000.00",
        "change": "20000.00",
    }
    store = next(c for c in compared["budget"]["channels"] if c["channel"] == "offline_store")
    assert store["spent"]["change"] == "20000.00"
    assert compared["open_alerts"]["count"] == {"before": 1, "after": 1, "change": 0}
    assert compared["open_issues"]["count"] == {"before": 1, "after": 0, "change": -1}
    assert [i["issue_id"] for i in compared["open_issues"]["cleared"]] == [running.issue]
    tasks = compared["slipped_tasks"]
    assert ([t["code"] for t in tasks["cleared"]], tasks["appeared"]) == (["M-001"], [])

    listed = await read(client, tenant, f"{running.base}/reviews")
    assert [(r["number"], r["kind"]) for r in listed["items"]] == [(1, "weekly"), (2, "mid_term")]
    assert [(r["open_issues"], r["slipped_tasks"]) for r in listed["items"]] == [(1, 1), (0, 0)]
    assert [r["budget_burn_percent"] for r in listed["items"]] == ["4.29", "7.14"]
    assert "snapshot" not in listed["items"][0]
    weeklies = await read(client, tenant, f"{running.base}/reviews", kind="weekly")
    assert [r["id"] for r in weeklies["items"]] == [weekly["id"]]
    page = await read(client, tenant, f"{running.base}/reviews", limit=1)
    assert [r["number"] for r in page["items"]] == [1]
    rest = await read(
        client, tenant, f"{running.base}/reviews", limit=1, cursor=page["next_cursor"]
    )
    assert ([r["number"] for r in rest["items"]], rest["next_cursor"]) == ([2], None)
