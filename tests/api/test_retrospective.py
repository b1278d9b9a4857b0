"""The retrospective of a completed campaign, through the API: items in Chinese, actions
tracked as issues, suggestions drawn from the campaign's history with their evidence,
and the final review.

The campaign ran from 40 to 10 days ago (Shanghai). It wanted 200,000 new users and got
180,000 (90%). The store-traffic rule fired 3 times (worst: critical). An issue was
resolved 30 hours after its resolution time. M-001 finished 4 days late, delaying M-002,
its successor on the critical path. Labour spent 60,000 of 50,000. The offline store
returned 1.2 on 50,000, the social feed 5.2 on 100,000.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from shared.actor import Role
from shared.alerts.models import Alert, AlertStatus
from shared.campaigns.models import Campaign, CampaignStatus
from shared.issues.models import Issue, IssueStatus
from shared.rules.models import Severity
from shared.tasks.models import Task, TaskStatus
from shared.timeutil import utcnow
from tests.api import test_campaign_lifecycle as lifecycle
from tests.api.test_campaign_lifecycle import Team, action, decide
from tests.api.test_reviews import day, today
from tests.helpers import (
    Tenant,
    add_budget_lines,
    add_member,
    assert_problem,
    created,
    fields_of,
    register_channels,
)

team = lifecycle.team


@dataclass
class Done:
    id: str
    base: str
    goal: str
    lines: dict[str, str]
    tasks: dict[str, str]
    late_issue: str
    rule: str
    alerts: list[str]


async def points(client, tenant: Tenant, cid: str, rows: list[tuple[str, str, int]]) -> None:
    entered = await client.post(
        f"/v1/campaigns/{cid}/metric-points",
        json={
            "points": [
                {"channel": channel, "metric": metric, "date": day(-15), "value": value}
                for channel, metric, value in rows
            ]
        },
        headers=tenant.auth(Role.editor),
    )
    assert entered.status_code == 201, entered.text


async def fired(session, tenant: Tenant, cid: str, rule_id: str, severities: list[Severity]):
    ids = []
    for index, severity in enumerate(severities):
        at = utcnow() - timedelta(days=30 - index)
        alert = Alert(
            workspace_id=tenant.workspace_id,
            rule_id=uuid.UUID(rule_id),
            campaign_id=uuid.UUID(cid),
            subject="offline_store",
            channel="offline_store",
            fingerprint=f"test:{uuid.uuid4()}",
            status=AlertStatus.resolved,
            severity=severity,
            message="visitors 500 is under 800",
            labels={},
            first_seen_at=at,
            last_seen_at=at,
            fired_at=at,
            resolved_at=at + timedelta(hours=2),
            breaches=1,
            consecutive=1,
        )
        session.add(alert)
        await session.flush()
        ids.append(str(alert.id))
    await session.commit()
    return ids


async def a_campaign(client, tenant: Tenant, team: Team, name: str = "618 大促") -> dict[str, Any]:
    campaign: dict[str, Any] = await created(
        client,
        tenant,
        "/v1/campaigns",
        {
            "name": name,
            "kind": "promotion",
            "timezone": "Asia/Shanghai",
            "start_date": day(-40),
            "end_date": day(-10),
            "owner_id": team.manager["id"],
        },
    )
    return campaign


async def approve_and_activate(client, tenant: Tenant, team: Team, cid: str) -> None:
    assert (await action(client, tenant, cid, "submit")).status_code == 200
    assert (await decide(client, cid, team.department_head)).status_code == 200
    assert (await decide(client, cid, team.management)).status_code == 200
    assert (await action(client, tenant, cid, "activate")).status_code == 200


async def completed_campaign(client, tenant: Tenant, team: Team, session) -> Done:
    await register_channels(
        client, tenant, {"offline_store": "Offline store", "social_feed": "Social feed"}
    )
    campaign = await a_campaign(client, tenant, team)
    cid, base = campaign["id"], f"/v1/campaigns/{campaign['id']}"
    attached = await client.put(
        f"{base}/channels",
        json={"channel_keys": ["offline_store", "social_feed"]},
        headers=tenant.auth(Role.editor),
    )
    assert attached.status_code == 200, attached.text
    goal = await created(
        client,
        tenant,
        f"{base}/goals",
        {
            "goal_type": "user_growth",
            "metric_key": "new_users",
            "target_value": "200000",
            "owner_id": team.manager["id"],
            "due_date": day(-10),
        },
    )
    lines = await add_budget_lines(
        client,
        tenant,
        base,
        [
            ("promotion_media", "200000", "Social feed ads", "social_feed"),
            ("promotion_media", "100000", "Offline store", "offline_store"),
            ("labour", "50000", "团队人力", None),
            ("contingency", "40000", "Reserve", None),
        ],
    )
    tasks: dict[str, str] = {}
    for code, start, end, after in (
        ("M-001", -40, -31, None),
        ("M-002", -30, -21, "M-001"),
        ("M-003", -40, -38, None),
    ):
        body: dict[str, Any] = {
            "code": code,
            "name": f"任务 {code}",
            "owner_id": team.specialist["id"],
            "planned_start": day(start),
            "planned_end": day(end),
        }
        if after:
            body["predecessors"] = [{"task_id": tasks[after]}]
        tasks[code] = (await created(client, tenant, f"{base}/tasks", body))["id"]
    await approve_and_activate(client, tenant, team, cid)
    for category, amount, channel in (
        ("labour", "60000", None),
        ("promotion_media", "100000", "social_feed"),
        ("promotion_media", "50000", "offline_store"),
    ):
        expense = {"category": category, "amount": amount, "spent_on": day(-15)}
        if channel:
            expense["channel_key"] = channel
        await created(client, tenant, f"{base}/expenses", expense)
    await points(
        client,
        tenant,
        cid,
        [
            ("social_feed", "new_users", 180000),
            ("social_feed", "revenue", 520000),
            ("offline_store", "revenue", 60000),
        ],
    )
    rule = await created(
        client,
        tenant,
        "/v1/rules",
        {
            "name": "到店客流 Store traffic",
            "campaign_id": cid,
            "condition": "threshold",
            "params": {"metric": "visitors", "op": "<", "value": "800"},
            "per_channel": True,
        },
    )
    once = await created(
        client,
        tenant,
        "/v1/rules",
        {
            "name": "CTR",
            "campaign_id": cid,
            "condition": "threshold",
            "params": {"metric": "ctr", "op": "<", "value": "0.015"},
        },
    )
    alerts = await fired(
        session, tenant, cid, rule["id"], [Severity.warning, Severity.critical, Severity.warning]
    )
    await fired(session, tenant, cid, once["id"], [Severity.critical])
    issues = {}
    for title in ("客流不足 Foot traffic low", "Creative rejected"):
        issues[title] = await created(
            client,
            tenant,
            "/v1/issues",
            {
                "campaign_id": cid,
                "title": title,
                "description": "500 visitors a day, 800 expected.",
                "owner_id": team.lead["id"],
                "action_plan": "Mall elevator ads",
                "severity": "warning",
            },
        )
    late = await session.get(Issue, uuid.UUID(issues["客流不足 Foot traffic low"]["id"]))
    on_time = await session.get(Issue, uuid.UUID(issues["Creative rejected"]["id"]))
    late.status, late.resolved_at = (
        IssueStatus.resolved,
        late.resolution_due_at + timedelta(hours=30),
    )
    on_time.status, on_time.resolved_at = IssueStatus.resolved, on_time.opened_at
    for code, slip in (("M-001", 4), ("M-002", 0), ("M-003", 0)):
        task = await session.get(Task, uuid.UUID(tasks[code]))
        task.status, task.progress = TaskStatus.done, 100
        task.actual_end = task.planned_end + timedelta(days=slip)
    await session.commit()
    assert (await action(client, tenant, cid, "complete")).status_code == 200
    return Done(cid, base, goal["id"], lines, tasks, str(late.id), rule["id"], alerts)


@pytest.fixture
async def done(client, tenant: Tenant, team: Team, session) -> Done:
    return await completed_campaign(client, tenant, team, session)


async def set_status(session, cid: str, status: CampaignStatus) -> None:
    await session.execute(
        update(Campaign).where(Campaign.id == uuid.UUID(cid)).values(status=status)
    )
    await session.commit()


def item_body(team: Team, **changes: Any) -> dict[str, Any]:
    return {
        "stage": "预热期 KOC seeding",
        "what_worked": "20 位美妆 KOC 按时上线，互动率高于预期。",  # noqa: RUF001
        "shortfall": "新注册用户 180,000，目标 200,000。",  # noqa: RUF001
        "root_cause": "strategy",
        "improvement_action": "下次活动提前两周锁定 KOC 档期。",
        "owner_id": team.lead["id"],
        "due_date": (today() + timedelta(days=30)).isoformat(),
    } | changes


async def add_item(client, tenant: Tenant, done: Done, body: dict[str, Any]) -> httpx.Response:
    response: httpx.Response = await client.post(
        f"{done.base}/retrospective/items", json=body, headers=tenant.auth(Role.editor)
    )
    return response


async def read(client, tenant: Tenant, path: str, **params: Any) -> Any:
    response = await client.get(path, params=params, headers=tenant.auth(Role.viewer))
    assert response.status_code == 200, response.text
    return response.json()


# --- items --------------------------------------------------------------------------------


async def test_items_in_chinese_are_added_listed_edited_and_removed(
    client, tenant: Tenant, team: Team, done: Done
):
    response = await add_item(client, tenant, done, item_body(team))
    assert response.status_code == 201, response.text
    item = response.json()
    assert item["stage"] == "预热期 KOC seeding"
    assert item["owner_name"] == "Lead Zhao"
    assert item["issue_id"] is None
    assert response.headers["location"].endswith(f"/retrospective/items/{item['id']}")
    second = await add_item(
        client, tenant, done, {"stage": "爆发期 直播", "root_cause": "external"}
    )
    assert second.status_code == 201, second.text

    first_page = await read(client, tenant, f"{done.base}/retrospective/items", limit=1)
    assert [i["id"] for i in first_page["items"]] == [item["id"]]
    rest = await read(
        client, tenant, f"{done.base}/retrospective/items", cursor=first_page["next_cursor"]
    )
    assert [i["stage"] for i in rest["items"]] == ["爆发期 直播"]

    path = f"{done.base}/retrospective/items/{item['id']}"
    stale = await client.patch(
        path,
        json={"root_cause": "execution"},
        headers=tenant.auth(Role.editor) | {"If-Match": '"9"'},
    )
    assert_problem(stale, 412)
    edited = await client.patch(
        path,
        json={"root_cause": "execution", "due_date": None},
        headers=tenant.auth(Role.editor) | {"If-Match": '"1"'},
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["root_cause"], edited.json()["due_date"]) == ("execution", None)
    assert edited.headers["etag"] == '"2"'
    assert (await read(client, tenant, path))["root_cause"] == "execution"

    summary = await read(client, tenant, f"{done.base}/retrospective")
    assert summary["item_count"] == 2
    assert summary["by_root_cause"] == {"execution": 1, "external": 1}
    assert summary["editable"] is True

    viewer = await client.post(
        f"{done.base}/retrospective/items", json=item_body(team), headers=tenant.auth(Role.viewer)
    )
    assert_problem(viewer, 403)
    removed = await client.delete(path, headers=tenant.auth(Role.editor))
    assert removed.status_code == 204
    assert_problem(await client.get(path, headers=tenant.auth()), 404)


async def test_a_bad_root_cause_or_an_outsider_as_owner_is_422_naming_the_field(
    client, tenant: Tenant, other_tenant: Tenant, team: Team, done: Done
):
    wrong = await add_item(client, tenant, done, item_body(team, root_cause="weather"))
    assert "body.root_cause" in fields_of(assert_problem(wrong, 422))
    outsider = await add_member(client, other_tenant, name="Outsider")
    foreign = await add_item(client, tenant, done, item_body(team, owner_id=outsider["id"]))
    problem = assert_problem(foreign, 422)
    assert "body.owner_id" in fields_of(problem)
    too_long = await add_item(client, tenant, done, item_body(team, stage="期" * 201))
    assert "body.stage" in fields_of(assert_problem(too_long, 422))
    assert (await read(client, tenant, f"{done.base}/retrospective/items"))["items"] == []


async def test_items_change_only_while_the_campaign_is_completed(
    client, tenant: Tenant, team: Team, done: Done, session
):
    running = await a_campaign(client, tenant, team, "Running")
    base = f"/v1/campaigns/{running['id']}/retrospective"
    early = await client.post(f"{base}/items", json=item_body(team), headers=tenant.auth())
    assert_problem(early, 409, "campaign_not_completed")
    assert (await read(client, tenant, f"{base}/items"))["items"] == []  # readable, empty
    assert_problem(
        await client.get(f"{base}/suggestions", headers=tenant.auth()),
        409,
        "campaign_not_completed",
    )

    item = (await add_item(client, tenant, done, item_body(team))).json()
    await set_status(session, done.id, CampaignStatus.archived)
    path = f"{done.base}/retrospective/items/{item['id']}"
    for response in (
        await add_item(client, tenant, done, item_body(team)),
        await client.patch(path, json={"stage": "改"}, headers=tenant.auth()),
        await client.delete(path, headers=tenant.auth()),
        await client.post(f"{path}/issue", headers=tenant.auth()),
    ):
        assert_problem(response, 409, "retrospective_archived")
    assert (await read(client, tenant, path))["stage"] == "预热期 KOC seeding"
    assert (await read(client, tenant, f"{done.base}/retrospective"))["editable"] is False


# --- actions as issues --------------------------------------------------------------------


async def test_an_action_becomes_one_issue_linked_both_ways(
    client, tenant: Tenant, team: Team, done: Done
):
    item = (await add_item(client, tenant, done, item_body(team))).json()
    nextone = await a_campaign(client, tenant, team, "双十一 Singles' Day")
    path = f"{done.base}/retrospective/items/{item['id']}/issue"
    response = await client.post(
        path,
        json={"campaign_id": nextone["id"], "severity": "info"},
        headers=tenant.auth(Role.editor),
    )
    assert response.status_code == 201, response.text
    issue = response.json()
    assert response.headers["location"] == f"/v1/issues/{issue['id']}"
    assert issue["source"] == "retrospective"
    assert issue["retrospective_item_id"] == item["id"]
    assert issue["campaign_id"] == nextone["id"]
    assert issue["owner_id"] == team.lead["id"]  # the item's owner
    assert issue["title"] == "下次活动提前两周锁定 KOC 档期。"
    assert issue["expected_resolution_date"] == item["due_date"]
    assert issue["severity"] == "info"

    shown = await read(client, tenant, f"{done.base}/retrospective/items/{item['id']}")
    assert shown["issue_id"] == issue["id"]
    listed = await read(client, tenant, "/v1/issues", source="retrospective")
    assert [i["id"] for i in listed["items"]] == [issue["id"]]

    again = await client.post(path, headers=tenant.auth(Role.editor))
    problem = assert_problem(again, 409, "issue_exists")
    assert problem["issue_id"] == issue["id"]
    assert issue["id"] in problem["detail"]


async def test_an_issue_goes_to_this_campaign_by_default_never_to_a_closed_one(
    client, tenant: Tenant, team: Team, done: Done, session
):
    item = (await add_item(client, tenant, done, item_body(team))).json()
    path = f"{done.base}/retrospective/items/{item['id']}/issue"
    cancelled = await a_campaign(client, tenant, team, "Cancelled")
    assert (await action(client, tenant, cancelled["id"], "cancel")).status_code == 200
    refused = await client.post(
        path, json={"campaign_id": cancelled["id"]}, headers=tenant.auth(Role.editor)
    )
    assert "body.campaign_id" in fields_of(assert_problem(refused, 422))

    no_action = (
        await add_item(client, tenant, done, {"stage": "收尾期", "what_worked": "复盘会准时"})
    ).json()
    assert_problem(
        await client.post(
            f"{done.base}/retrospective/items/{no_action['id']}/issue", headers=tenant.auth()
        ),
        409,
        "no_improvement_action",
    )

    opened = await client.post(
        path, json={"owner_id": team.specialist["id"]}, headers=tenant.auth(Role.editor)
    )
    assert opened.status_code == 201, opened.text
    assert opened.json()["campaign_id"] == done.id
    assert opened.json()["owner_id"] == team.specialist["id"]
    stored = await session.scalar(
        select(Issue.retrospective_item_id).where(Issue.id == uuid.UUID(opened.json()["id"]))
    )
    assert str(stored) == item["id"]


# --- suggestions --------------------------------------------------------------------------


def by_kind(suggestions: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for s in suggestions["items"]:
        found.setdefault(s["kind"], []).append(s)
    return found


async def test_suggestions_cite_the_campaigns_own_history(
    client, tenant: Tenant, team: Team, done: Done
):
    found = by_kind(await read(client, tenant, f"{done.base}/retrospective/suggestions"))
    assert set(found) == {
        "goal_missed",
        "rule_fired",
        "issue_sla_breached",
        "task_slipped",
        "budget_over_plan",
        "channel_low_roi",
    }

    (goal,) = found["goal_missed"]
    assert goal["state"] == "proposed"
    assert goal["subject"] == done.goal
    assert goal["evidence"]["refs"][0] == {
        "type": "goal",
        "id": done.goal,
        "label": "New users",
        "href": f"{done.base}/goals/{done.goal}",
    }
    assert goal["evidence"]["figures"]["achievement_rate"] == "90"
    assert "180,000 of 200,000 (90%), missed by 20,000 (10%)" in goal["evidence"]["sentence"]
    assert "达成率 90%" in goal["evidence"]["sentence_zh"]
    assert goal["draft"]["owner_id"] == team.manager["id"]

    (rule,) = found["rule_fired"]  # the rule that fired once is not a pattern
    assert rule["subject"] == done.rule
    assert rule["evidence"]["figures"] == {"alerts": 3, "worst_severity": "critical"}
    assert [r["id"] for r in rule["evidence"]["refs"]] == [done.rule, *done.alerts]

    (issue,) = found["issue_sla_breached"]  # the one resolved on time is not suggested
    assert issue["subject"] == done.late_issue
    assert issue["evidence"]["figures"]["resolution_late_hours"] == "30"
    assert issue["evidence"]["figures"]["response_late_hours"] is None
    assert issue["draft"]["owner_id"] == team.lead["id"]

    (task,) = found["task_slipped"]
    assert task["subject"] == done.tasks["M-001"]
    assert task["evidence"]["figures"]["slip_days"] == 4
    assert [r["id"] for r in task["evidence"]["refs"]] == [
        done.tasks["M-001"],
        done.tasks["M-002"],
    ]
    assert "delaying M-002 on the critical path" in task["evidence"]["sentence"]

    (budget,) = found["budget_over_plan"]
    assert budget["subject"] == "labour"
    assert budget["evidence"]["figures"]["over"] == "10000"
    assert budget["evidence"]["figures"]["over_percent"] == "20"
    line_refs = [r for r in budget["evidence"]["refs"] if r["type"] == "budget_line"]
    assert [r["id"] for r in line_refs] == [done.lines["团队人力"]]
    assert budget["draft"]["root_cause"] == "budget"

    (channel,) = found["channel_low_roi"]
    assert channel["subject"] == "offline_store"
    assert channel["evidence"]["figures"]["roi"] == "1.2"
    assert channel["evidence"]["figures"]["spend_source"] == "expenses"
    assert channel["evidence"]["refs"][0]["id"] == "offline_store"

    again = by_kind(await read(client, tenant, f"{done.base}/retrospective/suggestions"))
    assert again["goal_missed"][0]["id"] == goal["id"]  # stable ids


async def test_accepting_with_edits_makes_the_item_and_dismissed_stays_dismissed(
    client, tenant: Tenant, team: Team, done: Done
):
    path = f"{done.base}/retrospective/suggestions"
    found = by_kind(await read(client, tenant, path))
    goal, channel = found["goal_missed"][0], found["channel_low_roi"][0]
    assert (await read(client, tenant, f"{done.base}/retrospective/items"))["items"] == []

    accepted = await client.post(
        f"{path}/{goal['id']}/accept",
        json={"improvement_action": "提前锁定 KOC 档期", "root_cause": "execution"},
        headers=tenant.auth(Role.editor),
    )
    assert accepted.status_code == 201, accepted.text
    item = accepted.json()
    assert item["suggestion_id"] == goal["id"]
    assert item["improvement_action"] == "提前锁定 KOC 档期"
    assert item["root_cause"] == "execution"  # the edit over the draft's "strategy"
    assert item["shortfall"] == goal["evidence"]["sentence"]
    assert item["owner_id"] == team.manager["id"]
    twice = await client.post(f"{path}/{goal['id']}/accept", headers=tenant.auth(Role.editor))
    assert assert_problem(twice, 409, "suggestion_accepted")["item_id"] == item["id"]

    dismissed = await client.post(
        f"{path}/{channel['id']}/dismiss",
        json={"reason": "门店为品牌曝光，不看 ROI"},  # noqa: RUF001
        headers=tenant.auth(Role.editor),
    )
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json()["state"] == "dismissed"

    now = await read(client, tenant, path)
    states = {s["id"]: (s["state"], s["item_id"], s["reason"]) for s in now["items"]}
    assert states[goal["id"]] == ("accepted", item["id"], None)
    assert states[channel["id"]] == ("dismissed", None, "门店为品牌曝光，不看 ROI")  # noqa: RUF001
    assert now["counts"] == {"proposed": 4, "accepted": 1, "dismissed": 1}
    only = await read(client, tenant, path, state="dismissed")
    assert [s["id"] for s in only["items"]] == [channel["id"]]
    items = await read(client, tenant, f"{done.base}/retrospective/items")
    assert [i["id"] for i in items["items"]] == [item["id"]]  # never written by themselves

    deleted = await client.delete(
        f"{done.base}/retrospective/items/{item['id']}", headers=tenant.auth(Role.editor)
    )
    assert deleted.status_code == 204
    after_delete = {s["id"]: s["state"] for s in (await read(client, tenant, path))["items"]}
    assert after_delete[goal["id"]] == "proposed"

    unknown = await client.post(f"{path}/{'0' * 24}/accept", headers=tenant.auth(Role.editor))
    assert_problem(unknown, 404)


# --- the final review ---------------------------------------------------------------------


async def test_the_final_review_is_held_once_and_only_on_a_completed_campaign(
    client, tenant: Tenant, team: Team, done: Done, session
):
    running = await a_campaign(client, tenant, team, "Still running")
    await set_status(session, running["id"], CampaignStatus.active)
    early = await client.post(
        f"/v1/campaigns/{running['id']}/reviews",
        json={"kind": "final"},
        headers=tenant.auth(Role.editor),
    )
    assert_problem(early, 409, "campaign_not_completed")

    daily = await client.post(
        f"{done.base}/reviews", json={"kind": "daily"}, headers=tenant.auth(Role.editor)
    )
    assert_problem(daily, 409, "campaign_not_running")
    final = await client.post(
        f"{done.base}/reviews",
        json={"kind": "final", "notes": "终期复盘：新用户达成 90%。"},  # noqa: RUF001
        headers=tenant.auth(Role.editor),
    )
    assert final.status_code == 201, final.text
    review = final.json()
    assert review["kind"] == "final"
    assert review["snapshot"]["campaign_status"] == "completed"
    assert review["snapshot"]["goals"][0]["achievement_rate"] == "90.00"
    again = await client.post(
        f"{done.base}/reviews", json={"kind": "final"}, headers=tenant.auth(Role.editor)
    )
    assert assert_problem(again, 409, "final_review_recorded")["review_id"] == review["id"]
    listed = await read(client, tenant, f"{done.base}/reviews", kind="final")
    assert [r["id"] for r in listed["items"]] == [review["id"]]


# --- tenancy ------------------------------------------------------------------------------


async def test_another_workspaces_ids_are_404(
    client, tenant: Tenant, other_tenant: Tenant, team: Team, done: Done
):
    item = (await add_item(client, tenant, done, item_body(team))).json()
    suggestion = (await read(client, tenant, f"{done.base}/retrospective/suggestions"))["items"][0]
    theirs = other_tenant.auth(Role.admin)
    path = f"{done.base}/retrospective/items/{item['id']}"
    for response in (
        await client.get(f"{done.base}/retrospective", headers=theirs),
        await client.get(f"{done.base}/retrospective/items", headers=theirs),
        await client.get(path, headers=theirs),
        await client.patch(path, json={"stage": "x"}, headers=theirs),
        await client.delete(path, headers=theirs),
        await client.post(f"{path}/issue", headers=theirs),
        await client.get(f"{done.base}/retrospective/suggestions", headers=theirs),
        await client.post(
            f"{done.base}/retrospective/suggestions/{suggestion['id']}/dismiss", headers=theirs
        ),
        await client.post(f"{done.base}/retrospective/items", json=item_body(team), headers=theirs),
    ):
        assert_problem(response, 404)
    # Their own campaign cannot reach our item either.
    own = await created(
        client,
        other_tenant,
        "/v1/campaigns",
        {"name": "Theirs", "kind": "other", "timezone": "Asia/Shanghai"},
    )
    assert_problem(
        await client.get(
            f"/v1/campaigns/{own['id']}/retrospective/items/{item['id']}", headers=theirs
        ),
        404,
    )
    unchanged = await read(client, tenant, path)
    assert unchanged["version"] == 1
