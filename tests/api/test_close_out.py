"""The close-out of the brief's sample campaign through the API, from active to archived:
the checklist that lists what is missing, the archive refused until nothing is, and each
step that clears a blocker (the evaluation finalised, the settlement explained, settled
and signed off, the last task and problem closed, the retrospective written, the final
review held). The campaign is tests/api/test_evaluation.py's: the brief's four goals and
figures (90%, 124%, 150%, 130%), 260,000 of expenses against a 330,000 plan.
"""

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from shared.actor import Role
from shared.events.models import Event
from tests.api.test_campaign_lifecycle import Team, action
from tests.api.test_evaluation import by_metric, day, ran_campaign, team
from tests.api.test_settlement import bound_key
from tests.helpers import Tenant, assert_problem, created, fields_of

__all__ = ["team"]  # the brief's people (a fixture)


async def read(client: httpx.AsyncClient, tenant: Tenant, path: str) -> Any:
    response = await client.get(path, headers=tenant.auth(Role.viewer))
    assert response.status_code == 200, response.text
    return response.json()


def codes(findings: list[dict[str, Any]]) -> list[str]:
    return [finding["code"] for finding in findings]


async def test_the_sample_campaign_closes_out_from_active_to_archived(
    client, tenant: Tenant, team: Team, session
):
    ran = await ran_campaign(client, tenant, team)
    base, editor = ran.base, tenant.auth(Role.editor)
    _, finance = await bound_key(client, tenant, "approver", "Finance")
    _, management = await bound_key(client, tenant, "admin", "CMO")
    koc = await created(
        client,
        tenant,
        f"{base}/tasks",
        {
            "code": "M-001",
            "name": "选定 20 位美妆 KOC",
            "owner_id": team.specialist["id"],
            "planned_start": day(-20),
            "planned_end": day(-12),
        },
    )
    teardown = await created(
        client,
        tenant,
        f"{base}/tasks",
        {"code": "M-005", "name": "快闪店撤场", "owner_id": team.specialist["id"]},
    )
    problem = await created(
        client,
        tenant,
        "/v1/issues",
        {
            "campaign_id": ran.id,
            "title": "快闪店客流 500/天, 低于预期 800",
            "description": "商场人流不足, 品牌曝光减少",
            "owner_id": team.lead["id"],
            "severity": "warning",
        },
    )

    completed = await action(client, tenant, ran.id, "complete")
    assert completed.status_code == 200, completed.text
    completed_at = datetime.fromisoformat(completed.json()["completed_at"])

    # The checklist names every missing step; the archive refuses with the same list.
    checklist = await read(client, tenant, f"{base}/close-out")
    assert checklist["ready"] is False
    assert codes(checklist["blockers"]) == [
        "evaluation_not_final",
        "settlement_not_signed_off",
        "open_issue",
        "task_not_finished",
        "task_not_finished",
        "retrospective_empty",
    ]
    refs = [finding["ref"] for finding in checklist["blockers"]]
    assert refs[2:5] == [f"issues/{problem['id']}", f"tasks/{koc['id']}", f"tasks/{teardown['id']}"]
    assert codes(checklist["warnings"]) == ["late_data_window_open"]
    late_until = datetime.fromisoformat(checklist["late_data_until"])
    assert late_until == completed_at + timedelta(days=30)
    refused = assert_problem(await action(client, tenant, ran.id, "archive"), 409)
    assert refused["code"] == "close_out_incomplete"
    assert refused["blockers"] == checklist["blockers"]

    # Evaluation: the brief's table, an analysis of the missed goal, finalised.
    evaluation = await read(client, tenant, f"{base}/evaluation")
    rates = {key: goal["achievement_rate"] for key, goal in by_metric(evaluation).items()}
    assert rates == {
        "new_users": "90.00",
        "gmv": "124.00",
        "search_volume": "150.00",
        "roi": "130.00",
    }
    analysed = await client.patch(
        f"{base}/evaluation/goals/{ran.goals['new_users']}",
        json={
            "cause_category": "execution",
            "analysis": "KOC 档期晚两周, 预热期新增用户不足",
            "improvement_proposal": "提前两周锁定 KOC 档期",
        },
        headers=editor | {"If-Match": '"0"'},
    )
    assert analysed.status_code == 200, analysed.text
    finalised = await client.post(f"{base}/evaluation/finalise", headers=editor)
    assert finalised.status_code == 201, finalised.text

    # Settlement: every line off plan by more than 5% explained, settled, signed off.
    settlement = f"{base}/settlement"
    assert (await client.post(f"{settlement}/verify", headers=finance)).status_code == 200
    unexplained = assert_problem(await client.post(f"{settlement}/settle", headers=finance), 422)
    missing = sorted(fields_of(unexplained))
    assert "body.lines.third_party_services.explanation" in missing  # 260,000 of 50,000
    for field in missing:
        key = field.removeprefix("body.lines.").removesuffix(".explanation")
        explained = await client.put(
            f"{settlement}/lines/{key}/explanation",
            json={"text": f"{key}: 代理费用按合同追加 (agency fees per contract)"},
            headers=editor,
        )
        assert explained.status_code == 200, explained.text
    settled = await client.post(f"{settlement}/settle", headers=finance)
    assert settled.status_code == 200, settled.text
    signed = await client.post(
        f"{settlement}/sign-off", json={"comment": "同意结算"}, headers=management
    )
    assert signed.status_code == 200, signed.text

    # The last work and the last problem: closed, not edited (the campaign has ended).
    renamed = await client.patch(f"/v1/tasks/{koc['id']}", json={"name": "x"}, headers=editor)
    assert_problem(renamed, 409, "campaign_locked")
    done = await client.patch(
        f"/v1/tasks/{koc['id']}",
        json={"status": "done", "actual_end": day(-10)},
        headers=editor,
    )
    assert done.status_code == 200, done.text
    dropped = await client.patch(
        f"/v1/tasks/{teardown['id']}", json={"status": "cancelled"}, headers=editor
    )
    assert dropped.status_code == 200, dropped.text
    resolved = await client.patch(
        f"/v1/issues/{problem['id']}", json={"status": "resolved"}, headers=editor
    )
    assert resolved.status_code == 200, resolved.text

    # Retrospective: the missed goal's suggestion accepted, its action a follow-up issue
    # (work for after the campaign: it does not hold the archive).
    suggestions = await read(client, tenant, f"{base}/retrospective/suggestions")
    missed = next(
        s
        for s in suggestions["items"]
        if s["kind"] == "goal_missed" and s["subject"] == ran.goals["new_users"]
    )
    accepted = await client.post(
        f"{base}/retrospective/suggestions/{missed['id']}/accept",
        json={
            "improvement_action": "下次活动提前两周锁定 KOC 档期",
            "owner_id": team.manager["id"],
        },
        headers=editor,
    )
    assert accepted.status_code == 201, accepted.text
    follow_up = await client.post(
        f"{base}/retrospective/items/{accepted.json()['id']}/issue",
        json={"severity": "info"},
        headers=editor,
    )
    assert follow_up.status_code == 201, follow_up.text
    final = await client.post(
        f"{base}/reviews", json={"kind": "final", "notes": "结项复盘会"}, headers=editor
    )
    assert final.status_code == 201, final.text

    checklist = await read(client, tenant, f"{base}/close-out")
    assert (checklist["ready"], checklist["blockers"]) == (True, [])
    assert codes(checklist["warnings"]) == ["late_data_window_open"]
    archived = await action(client, tenant, ran.id, "archive")
    assert archived.status_code == 200, archived.text
    assert archived.json()["status"] == "archived"
    assert archived.json()["allowed_actions"] == []

    kinds = await session.scalars(
        select(Event.kind)
        .where(
            Event.campaign_id == uuid.UUID(ran.id),
            Event.kind.in_(
                [
                    "campaign.completed",
                    "campaign.evaluated",
                    "campaign.settled",
                    "campaign.archived",
                ]
            ),
        )
        .order_by(Event.id)
    )
    assert list(kinds) == [
        "campaign.completed",
        "campaign.evaluated",
        "campaign.settled",
        "campaign.archived",
    ]
    # Filed away: the retrospective and the expenses no longer change.
    late_item = await client.post(
        f"{base}/retrospective/items", json={"stage": "收尾期"}, headers=editor
    )
    assert_problem(late_item, 409)
    late_expense = await client.post(
        f"{base}/expenses",
        json={"category": "materials", "amount": "100", "spent_on": day(-1)},
        headers=editor,
    )
    assert_problem(late_expense, 409)


async def test_the_checklist_lists_at_most_twenty_of_a_kind_then_counts(
    client, tenant: Tenant, team: Team
):
    ran = await ran_campaign(client, tenant, team)
    bulk = await client.post(
        f"{ran.base}/tasks/bulk",
        json={
            "tasks": [
                {"code": f"T-{n:03}", "name": f"任务 {n}", "owner_id": team.specialist["id"]}
                for n in range(25)
            ]
        },
        headers=tenant.auth(Role.editor),
    )
    assert bulk.status_code == 201, bulk.text
    assert (await action(client, tenant, ran.id, "complete")).status_code == 200
    checklist = await read(client, tenant, f"{ran.base}/close-out")
    unfinished = [f for f in checklist["blockers"] if f["code"] == "task_not_finished"]
    assert len(unfinished) == 21
    assert [f["message"] for f in unfinished[:2]] == [
        "Task neither done nor cancelled: T-000 任务 0 (todo)",
        "Task neither done nor cancelled: T-001 任务 1 (todo)",
    ]
    assert unfinished[-1] == {
        "code": "task_not_finished",
        "message": "...and 5 more (task neither done nor cancelled).",
        "ref": None,
    }


async def test_an_active_campaign_is_not_ready_and_cannot_be_archived(
    client, tenant: Tenant, team: Team
):
    ran = await ran_campaign(client, tenant, team)
    checklist = await read(client, tenant, f"{ran.base}/close-out")
    assert codes(checklist["blockers"])[0] == "not_completed"
    assert checklist["late_data_until"] is None
    assert checklist["warnings"] == []
    refused = assert_problem(await action(client, tenant, ran.id, "archive"), 409)
    assert refused["code"] == "invalid_transition"


async def test_another_workspaces_close_out_is_404(
    client, tenant: Tenant, other_tenant: Tenant, team: Team
):
    ran = await ran_campaign(client, tenant, team)
    foreign = await client.get(f"{ran.base}/close-out", headers=other_tenant.auth())
    assert_problem(foreign, 404)
    archive = await client.post(f"{ran.base}/archive", headers=other_tenant.auth(Role.editor))
    assert_problem(archive, 404)
