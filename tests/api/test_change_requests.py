"""Change requests on an active campaign: from request to applied plan, through the API.

The campaign is the brief's 618 push, active, with a budget of 1,000,000 in which the
promotion money is split between the offline store (200,000) and the social feed
(250,000). The chain is the default: the department head, then management.
"""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from shared.activity.models import ActivityEntry
from shared.actor import Role
from shared.events.models import Event
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


@dataclass
class Running:
    id: str
    base: str
    lines: dict[str, str]  # budget line ids by note
    goals: dict[str, str]  # goal ids by metric


async def running_campaign(client: httpx.AsyncClient, tenant: Tenant, team: Team) -> Running:
    await register_channels(
        client, tenant, {"offline_store": "Offline store", "social_feed": "Social feed"}
    )
    campaign = await created(
        client,
        tenant,
        "/v1/campaigns",
        {
            "name": "618 promotion 2024",
            "kind": "promotion",
            "start_date": "2024-05-01",
            "end_date": "2024-07-15",
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
    goals = {}
    for metric, target, owner, due in (
        ("new_users", "200000", team.manager, "2024-06-30"),
        ("gmv", "5000000", team.specialist, "2024-06-18"),
    ):
        goal = await created(
            client,
            tenant,
            f"{base}/goals",
            {
                "goal_type": "user_growth" if metric == "new_users" else "sales_conversion",
                "metric_key": metric,
                "target_value": target,
                "owner_id": owner["id"],
                "due_date": due,
            },
        )
        goals[metric] = goal["id"]
    lines = await add_budget_lines(
        client,
        tenant,
        base,
        [
            ("labour", "150000", "Team", None),
            ("materials", "80000", "Materials", None),
            ("promotion_media", "200000", "Offline store promotion", "offline_store"),
            ("promotion_media", "250000", "Social feed ads", "social_feed"),
            ("promotion_media", "100000", "KOC seeding", None),
            ("third_party_services", "120000", "Agency", None),
            ("contingency", "100000", "Reserve", None),
        ],
    )
    await created(
        client,
        tenant,
        f"{base}/phases",
        {"name": "burst", "start_date": "2024-06-01", "end_date": "2024-06-18"},
    )
    assert (await action(client, tenant, campaign["id"], "submit")).status_code == 200
    assert (await decide(client, campaign["id"], team.department_head)).status_code == 200
    assert (await decide(client, campaign["id"], team.management)).status_code == 200
    assert (await action(client, tenant, campaign["id"], "activate")).status_code == 200
    return Running(campaign["id"], base, lines, goals)


@pytest.fixture
async def running(client, tenant: Tenant, team: Team) -> Running:
    return await running_campaign(client, tenant, team)


def change(kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "reason": "Pop-up store traffic runs 20% under expectation",
        "expected_effect": "About 400 more new users by 06-18",
    } | fields


def move(running: Running, source: str, target: str, amount: str) -> dict[str, Any]:
    return change(
        "move_budget",
        from_budget_line_id=running.lines[source],
        to_budget_line_id=running.lines[target],
        amount=amount,
    )


STORE_TO_FEED = ("Offline store promotion", "Social feed ads", "50000")


async def request_changes(
    client, tenant: Tenant, running: Running, *changes: dict[str, Any], **fields: Any
) -> httpx.Response:
    body = {"title": "Mid-term adjustment", "changes": list(changes)} | fields
    response: httpx.Response = await client.post(
        f"{running.base}/change-requests", json=body, headers=tenant.auth(Role.editor)
    )
    return response


async def requested(client, tenant: Tenant, running: Running, *changes, **fields) -> dict[str, Any]:
    response = await request_changes(client, tenant, running, *changes, **fields)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def decide_request(
    client,
    running: Running,
    request: dict[str, Any],
    auth: dict[str, str],
    decision="approve",
    comment=None,
) -> httpx.Response:
    response: httpx.Response = await client.post(
        f"{running.base}/change-requests/{request['id']}/approvals",
        json={"decision": decision, "comment": comment},
        headers=auth,
    )
    return response


async def get(client, tenant: Tenant, path: str, **params: Any) -> Any:
    response = await client.get(path, params=params, headers=tenant.auth(Role.viewer))
    assert response.status_code == 200, response.text
    return response.json()


def planned(plan: dict[str, Any]) -> dict[str, str]:
    return {line["note"]: line["planned_amount"] for line in plan["budget_lines"]}


async def events_of(session, subject_id: str) -> list[Event]:
    rows = await session.scalars(
        select(Event).where(Event.subject_id == uuid.UUID(subject_id)).order_by(Event.seq)
    )
    return list(rows)


async def test_the_readme_example_a_budget_move_from_request_to_applied_plan(
    client, tenant: Tenant, team: Team, running: Running, session
):
    plan = await get(client, tenant, f"{running.base}/plan")
    assert (plan["version"], plan["current_version"], plan["recorded_at"]) == (1, 1, None)
    assert plan["planned_total"] == "1000000.00"

    response = await client.post(
        f"{running.base}/change-requests",
        json={
            "title": "Mid-term: from the store to the feed",
            "plan_version": 1,
            "changes": [move(running, *STORE_TO_FEED)],
        },
        headers=tenant.auth(Role.editor) | {"Idempotency-Key": "cr-store-to-feed"},
    )
    assert response.status_code == 201, response.text
    request = response.json()
    assert response.headers["location"].endswith(request["id"])
    assert (request["number"], request["status"], request["plan_version"]) == (1, "pending", 1)
    assert request["approval_scope"] == "first_step"
    assert [s["name"] for s in request["steps"]] == ["Department head"]
    assert request["changes"][0]["amount"] == "50000.00"
    assert request["decisions"] == []
    # Nothing changes before the approval.
    assert planned(await get(client, tenant, f"{running.base}/plan")) == planned(plan)

    approved = await decide_request(client, running, request, team.department_head, comment="Go")
    assert approved.status_code == 200, approved.text
    request = approved.json()
    assert (request["status"], request["applied_plan_version"]) == ("applied", 2)
    assert [(d["step_name"], d["member_id"]) for d in request["decisions"]] == [
        ("Department head", team.department_head_id)
    ]

    current = await get(client, tenant, f"{running.base}/plan")
    assert (current["version"], current["change_request_id"]) == (2, request["id"])
    assert planned(current)["Offline store promotion"] == "150000.00"
    assert planned(current)["Social feed ads"] == "300000.00"
    assert current["planned_total"] == "1000000.00"
    baseline = await get(client, tenant, f"{running.base}/plan", version=1)
    assert planned(baseline) == planned(plan)
    assert baseline["current_version"] == 2
    assert baseline["recorded_at"] is not None

    diff = await get(client, tenant, f"{running.base}/plan/diff")
    assert (diff["from_version"], diff["to_version"]) == (1, 2)
    assert diff["planned_total"] == {
        "before": "1000000.00",
        "after": "1000000.00",
        "change": "0.00",
    }
    assert (diff["categories"], diff["goals"], diff["dates"]) == ([], [], {})
    assert sorted((line["label"], line["changes"]) for line in diff["budget_lines"]) == [
        (
            "promotion_media/offline_store: Offline store promotion",
            {"planned_amount": ["200000.00", "150000.00"]},
        ),
        (
            "promotion_media/social_feed: Social feed ads",
            {"planned_amount": ["250000.00", "300000.00"]},
        ),
    ]

    # The same Idempotency-Key replays the request as made: no second request.
    replay = await client.post(
        f"{running.base}/change-requests",
        json={
            "title": "Mid-term: from the store to the feed",
            "plan_version": 1,
            "changes": [move(running, *STORE_TO_FEED)],
        },
        headers=tenant.auth(Role.editor) | {"Idempotency-Key": "cr-store-to-feed"},
    )
    assert replay.headers.get("idempotent-replayed") == "true"
    listed = await get(client, tenant, f"{running.base}/change-requests")
    assert [(r["number"], r["status"]) for r in listed["items"]] == [(1, "applied")]

    kinds = [(e.kind, e.actor_member_id, e.data) for e in await events_of(session, request["id"])]
    assert [k for k, _, _ in kinds] == [
        "change_request.submitted",
        "change_request.approved",
        "change_request.applied",
    ]
    head = uuid.UUID(team.department_head_id)
    assert kinds[1][1] == kinds[2][1] == head
    assert kinds[2][2] | {} == {
        "number": 1,
        "from_plan_version": 1,
        "plan_version": 2,
        "planned_total": ["1000000.00", "1000000.00"],
        "end_date": "2024-07-15",
    }

    log = (
        await session.scalars(
            select(ActivityEntry).where(
                ActivityEntry.campaign_id == uuid.UUID(running.id),
                ActivityEntry.entity_type == "budget_line",
                ActivityEntry.action == "updated",
            )
        )
    ).all()
    assert sorted((str(e.entity_id), e.changes, e.actor_member_id) for e in log) == sorted(
        [
            (
                running.lines["Offline store promotion"],
                {"planned_amount": ["200000.00", "150000.00"]},
                head,
            ),
            (
                running.lines["Social feed ads"],
                {"planned_amount": ["250000.00", "300000.00"]},
                head,
            ),
        ]
    )
    activity = await get(client, tenant, f"{running.base}/activity", kind="decision")
    assert (
        "Change request 1 (Mid-term: from the store to the feed) applied: plan version 2"
        in (activity["items"][0]["note"])
    )


async def test_a_raised_total_goes_to_the_head_then_management(
    client, tenant: Tenant, team: Team, running: Running
):
    request = await requested(
        client,
        tenant,
        running,
        change(
            "change_budget_line",
            budget_line_id=running.lines["Social feed ads"],
            planned_amount="320000",
        ),
        plan_version=1,
    )
    assert request["approval_scope"] == "full_chain"
    assert request["approval_reasons"] == [
        "Raises the total planned from 1000000.00 to 1070000.00."
    ]
    assert [s["name"] for s in request["steps"]] == ["Department head", "Management"]

    early = await decide_request(client, running, request, team.management)
    assert assert_problem(early, 409, "out_of_turn")["current_step"] == "Department head"
    stranger = await decide_request(client, running, request, team.other_approver)
    assert_problem(stranger, 403, "forbidden")
    unbound = await decide_request(client, running, request, tenant.auth(Role.approver))
    assert_problem(unbound, 403)
    editor = await decide_request(client, running, request, tenant.auth(Role.editor))
    assert_problem(editor, 403)

    first = await decide_request(client, running, request, team.department_head)
    assert first.status_code == 200, first.text
    assert (first.json()["status"], first.json()["current_step"]) == ("pending", 1)
    assert (await get(client, tenant, f"{running.base}/plan"))["version"] == 1
    again = await decide_request(client, running, request, team.department_head)
    assert_problem(again, 403)  # the head's step is done; the head is no manager

    last = await decide_request(client, running, request, team.management)
    assert last.status_code == 200, last.text
    assert (last.json()["status"], last.json()["applied_plan_version"]) == ("applied", 2)
    summary = await get(client, tenant, f"{running.base}/budget")
    assert (summary["planned"], summary["approved_planned"]) == ("1070000.00", "1000000.00")
    assert summary["plan_version"] == 2
    promotion = next(c for c in summary["categories"] if c["category"] == "promotion_media")
    assert (promotion["planned"], promotion["approved_planned"]) == ("620000.00", "550000.00")


async def test_a_move_over_the_workspace_share_needs_management_too(
    client, tenant: Tenant, team: Team, running: Running
):
    rule = await get(client, tenant, "/v1/change-requests/approval-rule")
    assert rule == {"move_share_percent": "10.00", "is_default": True}
    big = await requested(
        client, tenant, running, move(running, "Social feed ads", "KOC seeding", "100000.01")
    )
    assert big["approval_scope"] == "full_chain"
    assert "100000.01, 10.00% of the total 1000000.00" in big["approval_reasons"][0]

    refused = await client.put(
        "/v1/change-requests/approval-rule",
        json={"move_share_percent": "4"},
        headers=tenant.auth(Role.editor),
    )
    assert_problem(refused, 403)
    for bad in ("0", "100.01", "4.001"):
        response = await client.put(
            "/v1/change-requests/approval-rule",
            json={"move_share_percent": bad},
            headers=tenant.auth(),
        )
        assert fields_of(assert_problem(response, 422)) == {"body.move_share_percent"}
    before = await requested(client, tenant, running, move(running, *STORE_TO_FEED))
    assert before["approval_scope"] == "first_step"  # 5% of the total
    set_rule = await client.put(
        "/v1/change-requests/approval-rule", json={"move_share_percent": "4"}, headers=tenant.auth()
    )
    assert set_rule.json() == {"move_share_percent": "4.00", "is_default": False}
    after = await requested(client, tenant, running, move(running, *STORE_TO_FEED))
    assert after["approval_scope"] == "full_chain"  # 5% of the total, over 4%
    # A request keeps the approvers it was given when it was made.
    shown = await get(client, tenant, f"{running.base}/change-requests/{before['id']}")
    assert [s["name"] for s in shown["steps"]] == ["Department head"]
    reset = await client.put(
        "/v1/change-requests/approval-rule",
        json={"move_share_percent": None},
        headers=tenant.auth(),
    )
    assert reset.json()["is_default"] is True


async def test_a_rejection_needs_a_comment_and_changes_nothing(
    client, tenant: Tenant, team: Team, running: Running, session
):
    request = await requested(client, tenant, running, move(running, *STORE_TO_FEED))
    silent = await decide_request(client, running, request, team.department_head, "reject")
    assert fields_of(assert_problem(silent, 422)) == {"body.comment"}

    rejected = await decide_request(
        client, running, request, team.department_head, "reject", "Wait for the weekend figures"
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["decisions"][0]["comment"] == "Wait for the weekend figures"
    closed = await decide_request(client, running, request, team.department_head)
    assert_problem(closed, 409, "change_request_closed")
    assert (await get(client, tenant, f"{running.base}/plan"))["version"] == 1
    events = await events_of(session, request["id"])
    assert [e.kind for e in events] == ["change_request.submitted", "change_request.rejected"]
    assert events[1].data["comment"] == "Wait for the weekend figures"


async def test_a_request_against_a_plan_that_changed_meanwhile_is_a_conflict(
    client, tenant: Tenant, team: Team, running: Running
):
    first = await requested(client, tenant, running, move(running, *STORE_TO_FEED), plan_version=1)
    second = await requested(
        client,
        tenant,
        running,
        move(running, "KOC seeding", "Social feed ads", "20000"),
        plan_version=1,
    )
    applied = await decide_request(client, running, first, team.department_head)
    assert applied.status_code == 200, applied.text

    stale = await decide_request(client, running, second, team.department_head)
    problem = assert_problem(stale, 409, "plan_changed")
    assert (problem["plan_version"], problem["current_plan_version"]) == (1, 2)
    shown = await get(client, tenant, f"{running.base}/change-requests/{second['id']}")
    assert (shown["status"], shown["plan_changed"], shown["decisions"]) == ("pending", True, [])
    assert planned(await get(client, tenant, f"{running.base}/plan"))["KOC seeding"] == "100000.00"

    late = await request_changes(
        client, tenant, running, move(running, *STORE_TO_FEED), plan_version=1
    )
    assert_problem(late, 409, "plan_changed")
    withdrawn = await client.post(
        f"{running.base}/change-requests/{second['id']}/withdraw",
        headers=tenant.auth(Role.editor) | {"If-Match": f'"{shown["version"]}"'},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    listed = await get(client, tenant, f"{running.base}/change-requests", status="pending")
    assert listed["items"] == []


async def test_one_change_that_cannot_apply_and_nothing_applies(
    client, tenant: Tenant, team: Team, running: Running
):
    refused = await request_changes(
        client,
        tenant,
        running,
        move(running, *STORE_TO_FEED),
        move(running, "Materials", "Social feed ads", "80000.01"),
        change("extend_end_date", end_date="2024-07-01"),
    )
    problem = assert_problem(refused, 422)
    assert fields_of(problem) == {"body.changes.1.amount", "body.changes.2.end_date"}
    assert (await get(client, tenant, f"{running.base}/change-requests"))["items"] == []

    # Valid when requested, no longer when approved: 120,000 of labour spent meanwhile.
    request = await requested(
        client,
        tenant,
        running,
        move(running, *STORE_TO_FEED),
        change("change_budget_line", budget_line_id=running.lines["Team"], planned_amount="100000"),
    )
    spent = await client.post(
        f"{running.base}/expenses",
        json={"category": "labour", "amount": "120000", "spent_on": "2024-06-05"},
        headers=tenant.auth(Role.editor),
    )
    assert spent.status_code == 201, spent.text
    approval = await decide_request(client, running, request, team.department_head)
    problem = assert_problem(approval, 422)
    assert [(e["field"], e["type"]) for e in problem["errors"]] == [
        ("changes.1.planned_amount", "below_spent")
    ]
    plan = await get(client, tenant, f"{running.base}/plan")
    assert plan["version"] == 1
    assert planned(plan)["Offline store promotion"] == "200000.00"  # the move did not apply
    shown = await get(client, tenant, f"{running.base}/change-requests/{request['id']}")
    assert (shown["status"], shown["decisions"]) == ("pending", [])


async def test_bodies_are_checked_field_by_field(client, tenant: Tenant, running: Running):
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"changes": []}, {"body.changes"}),
        (
            {"changes": [change("move_budget", from_budget_line_id="x")]},
            {
                "body.changes.0.from_budget_line_id",
                "body.changes.0.to_budget_line_id",
                "body.changes.0.amount",
            },
        ),
        (
            {"changes": [change("move_budget", amount="0")]},
            {
                "body.changes.0.from_budget_line_id",
                "body.changes.0.to_budget_line_id",
                "body.changes.0.amount",
            },
        ),
        ({"changes": [change("teleport")]}, {"body.changes.0"}),
        (
            {"changes": [change("extend_end_date", end_date="2024-07-20", reason="")]},
            {"body.changes.0.reason"},
        ),
        (
            {"changes": [change("extend_end_date", end_date="9999-12-31")]},
            {"body.changes.0.end_date"},
        ),
        ({"changes": [change("extend_end_date", end_date="2024-07-20")] * 21}, {"body.changes"}),
        (
            {"title": "x" * 201, "changes": [change("extend_end_date", end_date="2024-07-20")]},
            {"body.title"},
        ),
    ]
    for body, fields in cases:
        response = await client.post(
            f"{running.base}/change-requests",
            json={"title": "Adjust"} | body,
            headers=tenant.auth(Role.editor),
        )
        problem = assert_problem(response, 422)
        assert fields_of(problem) == fields, (body, problem)
        assert all(
            e["pointer"] == "#/" + e["field"].replace(".", "/") for e in problem["errors"]
        ), problem


async def test_goal_progress_shows_the_approved_target_beside_the_current_one(
    client, tenant: Tenant, team: Team, running: Running
):
    request = await requested(
        client,
        tenant,
        running,
        change(
            "change_goal",
            goal_id=running.goals["gmv"],
            target_value="5500000",
            due_date="2024-06-20",
        ),
        change(
            "add_goal",
            goal_type="brand_awareness",
            metric_key="visitors",
            target_value="800",
            owner_id=team.lead["id"],
            due_date="2024-06-30",
            notes="Pop-up store footfall",
        ),
        change("extend_end_date", end_date="2024-07-22"),
    )
    assert request["approval_scope"] == "first_step"
    assert (await decide_request(client, running, request, team.department_head)).status_code == 200

    progress = {
        p["metric_key"]: p for p in await get(client, tenant, f"{running.base}/goals/progress")
    }
    gmv = progress["gmv"]
    assert (gmv["target_value"], gmv["approved_target_value"]) == ("5500000.0000", "5000000.0000")
    assert (gmv["due_date"], gmv["approved_due_date"]) == ("2024-06-20", "2024-06-18")
    assert progress["new_users"]["approved_target_value"] == "200000.0000"
    visitors = progress["visitors"]
    assert (visitors["target_value"], visitors["approved_target_value"]) == ("800.0000", None)
    campaign = await get(client, tenant, running.base)
    assert campaign["end_date"] == "2024-07-22"
    diff = await get(client, tenant, f"{running.base}/plan/diff", **{"from": 1, "to": 2})
    assert diff["dates"] == {"end_date": ["2024-07-15", "2024-07-22"]}
    assert sorted((g["label"], g["action"]) for g in diff["goals"]) == [
        ("gmv", "changed"),
        ("visitors", "added"),
    ]
    goal_log = await get(client, tenant, f"{running.base}/activity", entity_type="goal")
    changed = [e for e in goal_log["items"] if e["action"] == "updated"]
    assert changed[0]["changes"] == {
        "target_value": ["5000000.0000", "5500000.0000"],
        "due_date": ["2024-06-18", "2024-06-20"],
    }
    assert changed[0]["actor_member_id"] == team.department_head_id


async def test_alert_rules_judge_against_the_target_an_approved_change_set(
    client, tenant: Tenant, team: Team, running: Running
):
    rule = await created(
        client,
        tenant,
        "/v1/rules",
        {
            "name": "New users under target",
            "campaign_id": running.id,
            "condition": "below_target",
            "params": {"metric": "new_users", "percent": "20"},
        },
    )

    async def threshold() -> str:
        preview = await client.post(f"/v1/rules/{rule['id']}/preview", headers=tenant.auth())
        assert preview.status_code == 200, preview.text
        [finding] = preview.json()["findings"]
        return str(finding["threshold"])

    assert await threshold() == "160000.00000"  # 80% of the approved 200,000
    request = await requested(
        client,
        tenant,
        running,
        change("change_goal", goal_id=running.goals["new_users"], target_value="250000"),
    )
    assert (await decide_request(client, running, request, team.department_head)).status_code == 200
    assert await threshold() == "200000.00000"  # 80% of the target the change set


async def test_plan_versions_that_do_not_exist(
    client, tenant: Tenant, team: Team, running: Running
):
    assert_problem(
        await client.get(
            f"{running.base}/plan", params={"version": 2}, headers=tenant.auth(Role.viewer)
        ),
        404,
    )
    bad = await client.get(
        f"{running.base}/plan", params={"version": 0}, headers=tenant.auth(Role.viewer)
    )
    assert fields_of(assert_problem(bad, 422)) == {"query.version"}
    draft = await created(client, tenant, "/v1/campaigns", {"name": "Next launch", "kind": "other"})
    none_yet = await client.get(
        f"/v1/campaigns/{draft['id']}/plan", headers=tenant.auth(Role.viewer)
    )
    assert_problem(none_yet, 404, "no_plan_versions")
    budget = await get(client, tenant, f"/v1/campaigns/{draft['id']}/budget")
    assert (budget["plan_version"], budget["approved_planned"]) == (None, None)


async def test_only_an_active_campaign_takes_change_requests(
    client, tenant: Tenant, team: Team, running: Running
):
    draft = await created(client, tenant, "/v1/campaigns", {"name": "Next launch", "kind": "other"})
    refused = await client.post(
        f"/v1/campaigns/{draft['id']}/change-requests",
        json={"title": "Later", "changes": [change("extend_end_date", end_date="2024-07-20")]},
        headers=tenant.auth(Role.editor),
    )
    assert assert_problem(refused, 409, "campaign_not_active")["campaign_status"] == "draft"
    viewer = await client.post(
        f"{running.base}/change-requests",
        json={"title": "Later", "changes": [change("extend_end_date", end_date="2024-07-20")]},
        headers=tenant.auth(Role.viewer),
    )
    assert_problem(viewer, 403)
    request = await requested(client, tenant, running, move(running, *STORE_TO_FEED))
    assert (await action(client, tenant, running.id, "complete")).status_code == 200
    too_late = await decide_request(client, running, request, team.department_head)
    assert_problem(too_late, 409, "campaign_not_active")


async def test_another_workspace_sees_none_of_it(
    client, tenant: Tenant, other_tenant: Tenant, team: Team, running: Running
):
    request = await requested(client, tenant, running, move(running, *STORE_TO_FEED))
    for path in (
        f"{running.base}/change-requests",
        f"{running.base}/change-requests/{request['id']}",
        f"{running.base}/plan",
        f"{running.base}/plan/diff",
    ):
        response = await client.get(path, headers=other_tenant.auth())
        assert_problem(response, 404)
    foreign = await client.post(
        f"{running.base}/change-requests",
        json={"title": "x", "changes": [move(running, *STORE_TO_FEED)]},
        headers=other_tenant.auth(),
    )
    assert_problem(foreign, 404)
    decided = await client.post(
        f"{running.base}/change-requests/{request['id']}/approvals",
        json={"decision": "approve"},
        headers=other_tenant.auth(),
    )
    assert_problem(decided, 404)
    other = await created(client, tenant, "/v1/campaigns", {"name": "Elsewhere", "kind": "other"})
    wrong_campaign = await client.get(
        f"/v1/campaigns/{other['id']}/change-requests/{request['id']}",
        headers=tenant.auth(),
    )
    assert_problem(wrong_campaign, 404)
