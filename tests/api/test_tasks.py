"""The brief's breakdown M-001..M-004: one owner per task, order of work, critical path, log."""

from typing import Any

import httpx
import pytest

from shared.actor import Role
from tests.helpers import Tenant, add_member, assert_problem, fields_of


async def make_campaign(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "Summer skincare launch 2024",
        "kind": "new_product_launch",
        "start_date": "2024-05-01",
        "end_date": "2024-07-15",
    } | fields
    response = await client.post("/v1/campaigns", json=body, headers=tenant.auth(Role.editor))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.fixture
async def people(client, tenant: Tenant) -> dict[str, str]:
    return {
        role: (await add_member(client, tenant, name=role.title(), title=role))["id"]
        for role in ("specialist", "copywriter", "designer", "lead")
    }


def breakdown(people: dict[str, str]) -> list[dict[str, Any]]:
    """The brief's tasks table."""
    return [
        {
            "code": "M-001",
            "name": "Select 20 beauty KOCs (>= 50k followers)",
            "owner_id": people["specialist"],
            "planned_start": "2024-05-01",
            "planned_end": "2024-05-10",
            "deliverable": "KOC list and quotes",
            "priority": "high",
        },
        {
            "code": "M-002",
            "name": "Plan seeding content (10 selling points)",
            "owner_id": people["copywriter"],
            "planned_start": "2024-05-11",
            "planned_end": "2024-05-15",
            "deliverable": "Content plan",
            "priority": "high",
        },
        {
            "code": "M-003",
            "name": "Produce 10 posts + 5 short videos",
            "owner_id": people["designer"],
            "planned_start": "2024-05-16",
            "planned_end": "2024-05-25",
            "deliverable": "Final assets",
            "priority": "high",
            "predecessors": [{"code": "M-002"}],
        },
        {
            "code": "M-004",
            "name": "Publishing schedule for KOCs (06-01..06-15)",
            "owner_id": people["specialist"],
            "approver_id": people["lead"],
            "planned_start": "2024-05-26",
            "planned_end": "2024-05-30",
            "deliverable": "Schedule",
            "priority": "medium",
            "predecessors": [{"code": "M-001"}, {"code": "M-003"}],
        },
    ]


async def create_breakdown(
    client: httpx.AsyncClient, tenant: Tenant, people: dict[str, str]
) -> tuple[str, dict[str, Any]]:
    campaign = await make_campaign(client, tenant)
    response = await client.post(
        f"/v1/campaigns/{campaign['id']}/tasks/bulk",
        json={"tasks": breakdown(people)},
        headers=tenant.auth(Role.editor),
    )
    assert response.status_code == 201, response.text
    return campaign["id"], {t["code"]: t for t in response.json()}


async def patch(
    client: httpx.AsyncClient, tenant: Tenant, task_id: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.patch(f"/v1/tasks/{task_id}", json=body, headers=tenant.auth(Role.editor))


async def test_breakdown_in_one_call_order_of_work_and_critical_path(client, tenant, people):
    cid, tasks = await create_breakdown(client, tenant, people)
    assert sorted(tasks) == ["M-001", "M-002", "M-003", "M-004"]
    assert {p["code"] for p in tasks["M-004"]["predecessors"]} == {"M-001", "M-003"}

    # M-004 cannot start before M-001 and M-003 are done.
    blocked = await patch(client, tenant, tasks["M-004"]["id"], {"status": "in_progress"})
    problem = assert_problem(blocked, 409, "predecessors_not_done")
    assert problem["blockers"] == ["M-001", "M-003"]
    for code in ("M-001", "M-002", "M-003"):
        done = await patch(client, tenant, tasks[code]["id"], {"status": "done"})
        assert done.status_code == 200, done.text
        assert done.json()["progress"] == 100
        assert done.json()["actual_end"] is not None
    started = await patch(client, tenant, tasks["M-004"]["id"], {"status": "in_progress"})
    assert started.status_code == 200
    assert started.json()["actual_start"] is not None

    # Floats by hand (planned starts are "no earlier than" dates; the plan ends 05-30):
    # M-002 11..15 -> M-003 16..25 -> M-004 26..30 leaves no slack: critical.
    # M-001 1..10 must finish by 05-25 (M-004's late start 05-26 - 1): float 15 days.
    schedule = (await client.get(f"/v1/campaigns/{cid}/schedule", headers=tenant.auth())).json()
    assert schedule["critical_path"] == ["M-002", "M-003", "M-004"]
    assert schedule["finish"] == "2024-05-30"
    rows = {r["code"]: r for r in schedule["rows"]}
    assert {code: rows[code]["total_float"] for code in rows} == {
        "M-001": 15,
        "M-002": 0,
        "M-003": 0,
        "M-004": 0,
    }
    assert rows["M-001"]["late_start"] == "2024-05-16"
    assert rows["M-001"]["late_finish"] == "2024-05-25"
    assert rows["M-004"]["early_start"] == "2024-05-26"
    assert [r["critical"] for r in schedule["rows"]] == [False, True, True, True]
    assert {d["code"] for d in rows["M-004"]["dependencies"]} == {"M-001", "M-003"}
    assert schedule["conflicts"] == []

    critical = await client.get(
        f"/v1/campaigns/{cid}/tasks", params={"critical": "true"}, headers=tenant.auth()
    )
    assert sorted(t["code"] for t in critical.json()["items"]) == ["M-002", "M-003", "M-004"]


async def test_forcing_the_order_of_work_needs_a_reason_and_is_logged(client, tenant, people):
    cid, tasks = await create_breakdown(client, tenant, people)
    forced = await patch(
        client,
        tenant,
        tasks["M-003"]["id"],
        {"status": "in_progress", "force_reason": "Designer free early"},
    )
    assert forced.status_code == 200
    log = (
        await client.get(
            f"/v1/campaigns/{cid}/log", params={"kind": "override"}, headers=tenant.auth()
        )
    ).json()["items"]
    assert len(log) == 1
    assert "M-002" in log[0]["note"]
    assert "Designer free early" in log[0]["note"]


async def test_a_cycle_introduced_by_patch_is_refused_and_nothing_changes(client, tenant, people):
    cid, tasks = await create_breakdown(client, tenant, people)
    before = (await client.get(f"/v1/tasks/{tasks['M-002']['id']}", headers=tenant.auth())).json()
    cycle = await patch(
        client,
        tenant,
        tasks["M-002"]["id"],
        {"predecessors": [{"task_id": tasks["M-004"]["id"]}], "name": "Renamed"},
    )
    problem = assert_problem(cycle, 422, "dependency_cycle")
    assert problem["cycle"][0] == problem["cycle"][-1]
    assert set(problem["cycle"]) == {"M-002", "M-003", "M-004"}
    assert "M-002 -> M-003 -> M-004 -> M-002" in problem["detail"]
    after = (await client.get(f"/v1/tasks/{tasks['M-002']['id']}", headers=tenant.auth())).json()
    assert after == before
    schedule = (await client.get(f"/v1/campaigns/{cid}/schedule", headers=tenant.auth())).json()
    assert schedule["critical_path"] == ["M-002", "M-003", "M-004"]


async def test_activity_shows_before_and_after_and_who(client, tenant, people):
    cid, tasks = await create_breakdown(client, tenant, people)
    editor_member = await add_member(client, tenant, name="Editor Sun")
    key = await client.post(
        "/v1/api-keys",
        headers=tenant.auth(),
        json={"name": "sun", "role": "editor", "member_id": editor_member["id"]},
    )
    sun = {"Authorization": f"Bearer {key.json()['key']}"}
    response = await client.patch(
        f"/v1/tasks/{tasks['M-003']['id']}",
        headers=sun,
        json={"progress": 80, "deliverable": "8 of 10 posts"},
    )
    assert response.status_code == 200

    timeline = (
        await client.get(
            f"/v1/tasks/{tasks['M-003']['id']}/activity", headers=tenant.auth(Role.viewer)
        )
    ).json()["items"]
    latest = timeline[0]
    assert latest["action"] == "updated"
    assert latest["changes"] == {
        "progress": [0, 80],
        "deliverable": ["Final assets", "8 of 10 posts"],
    }
    assert latest["actor_member_id"] == editor_member["id"]
    assert latest["actor_api_key_id"] == key.json()["id"]
    assert timeline[-1]["action"] == "created"

    campaign_log = (
        await client.get(
            f"/v1/campaigns/{cid}/activity", params={"entity_type": "task"}, headers=tenant.auth()
        )
    ).json()["items"]
    assert {e["entity_id"] for e in campaign_log} == {t["id"] for t in tasks.values()}


async def test_plan_changes_are_logged_too(client, tenant, people):
    campaign = await make_campaign(client, tenant)
    base = f"/v1/campaigns/{campaign['id']}"
    await client.patch(base, json={"name": "Summer launch"}, headers=tenant.auth(Role.editor))
    goal = await client.post(
        f"{base}/goals",
        headers=tenant.auth(Role.editor),
        json={"goal_type": "user_growth", "metric_key": "new_users"},
    )
    entries = (await client.get(f"{base}/activity", headers=tenant.auth())).json()["items"]
    assert [(e["entity_type"], e["action"]) for e in entries] == [
        ("goal", "created"),
        ("campaign", "updated"),
        ("campaign", "created"),
    ]
    assert entries[1]["changes"] == {"name": ["Summer skincare launch 2024", "Summer launch"]}
    assert entries[0]["entity_id"] == goal.json()["id"]


async def test_a_task_with_two_owners_cannot_be_expressed(client, tenant, people):
    cid = (await make_campaign(client, tenant))["id"]
    base = f"/v1/campaigns/{cid}/tasks"
    two = [people["specialist"], people["designer"]]
    for body in (
        {"name": "Shared", "owner_id": two},
        {"name": "Shared", "owner_ids": two},
        {"name": "Shared", "owners": two},
        {"name": "Shared", "owner_id": people["specialist"], "co_owner_id": two[1]},
    ):
        response = await client.post(base, json=body, headers=tenant.auth(Role.editor))
        assert_problem(response, 422)
    nobody = await client.post(base, json={"name": "Orphan"}, headers=tenant.auth(Role.editor))
    assert fields_of(assert_problem(nobody, 422)) == {"body.owner_id"}
    module = await client.post(
        base, json={"name": "Content module", "level": "module"}, headers=tenant.auth(Role.editor)
    )
    assert module.status_code == 201  # grouping nodes need no owner


async def test_bulk_is_all_or_nothing_with_per_item_errors(client, tenant, people):
    cid = (await make_campaign(client, tenant))["id"]
    items = breakdown(people)
    items[1]["owner_id"] = None
    items[2]["planned_end"] = "2024-05-01"
    items[3]["predecessors"] = [{"code": "M-999"}]
    response = await client.post(
        f"/v1/campaigns/{cid}/tasks/bulk", json={"tasks": items}, headers=tenant.auth(Role.editor)
    )
    problem = assert_problem(response, 422)
    assert fields_of(problem) == {
        "body.tasks.1.owner_id",
        "body.tasks.2.planned_end",
        "body.tasks.3.predecessors.0.code",
    }
    listing = await client.get(f"/v1/campaigns/{cid}/tasks", headers=tenant.auth())
    assert listing.json()["items"] == []


async def test_tree_rollup_overdue_and_delay_reasons(client, tenant, people):
    cid = (await make_campaign(client, tenant))["id"]
    tasks = [
        {"code": "S-1", "name": "KOC seeding", "level": "strategy"},
        {"code": "MOD-1", "name": "Content", "level": "module", "parent_code": "S-1"},
        {
            "code": "A",
            "name": "Ten days",
            "parent_code": "MOD-1",
            "owner_id": people["designer"],
            "planned_start": "2024-05-01",
            "planned_end": "2024-05-10",
        },
        {
            "code": "B",
            "name": "Five days",
            "parent_code": "MOD-1",
            "owner_id": people["designer"],
            "planned_start": "2024-05-11",
            "planned_end": "2024-05-15",
        },
    ]
    created = await client.post(
        f"/v1/campaigns/{cid}/tasks/bulk", json={"tasks": tasks}, headers=tenant.auth(Role.editor)
    )
    by_code = {t["code"]: t for t in created.json()}
    await patch(client, tenant, by_code["A"]["id"], {"status": "done"})
    module = (await client.get(f"/v1/tasks/{by_code['MOD-1']['id']}", headers=tenant.auth())).json()
    # 10 days at 100% and 5 days at 0%: 10 * 100 / 15 = 67%.
    assert module["rollup"] == {"progress": 67, "start": "2024-05-01", "end": "2024-05-15"}
    strategy = (await client.get(f"/v1/tasks/{by_code['S-1']['id']}", headers=tenant.auth())).json()
    assert strategy["rollup"]["progress"] == 67

    b = (await client.get(f"/v1/tasks/{by_code['B']['id']}", headers=tenant.auth())).json()
    assert b["overdue"] is True  # 2024 is long past in the campaign's timezone
    assert b["slip_days"] > 900
    overdue = await client.get(
        f"/v1/campaigns/{cid}/tasks", params={"overdue": "true"}, headers=tenant.auth()
    )
    assert {t["code"] for t in overdue.json()["items"]} == {"B", "MOD-1", "S-1"}

    later = await patch(client, tenant, by_code["B"]["id"], {"planned_end": "2024-05-20"})
    assert fields_of(assert_problem(later, 422)) == {"body.delay_reason"}
    explained = await patch(
        client,
        tenant,
        by_code["B"]["id"],
        {"planned_end": "2024-05-20", "delay_reason": "Claims under review"},
    )
    assert explained.json()["planned_end"] == "2024-05-20"
    backwards = await patch(client, tenant, by_code["B"]["id"], {"planned_end": "2024-05-09"})
    assert fields_of(assert_problem(backwards, 422)) == {"body.planned_end"}


async def test_predecessors_must_be_in_the_same_campaign(client, tenant, people):
    _, tasks = await create_breakdown(client, tenant, people)
    other = await make_campaign(client, tenant, name="Other")
    response = await client.post(
        f"/v1/campaigns/{other['id']}/tasks",
        json={
            "name": "Borrowed",
            "owner_id": people["lead"],
            "predecessors": [{"task_id": tasks["M-001"]["id"]}],
        },
        headers=tenant.auth(Role.editor),
    )
    assert fields_of(assert_problem(response, 422)) == {"body.predecessors.0.task_id"}


async def test_schedule_reports_conflicts(client, tenant, people):
    cid = (await make_campaign(client, tenant, end_date="2024-05-20"))["id"]
    items = breakdown(people)
    items[2]["planned_start"] = "2024-05-14"  # M-003 before M-002 ends
    response = await client.post(
        f"/v1/campaigns/{cid}/tasks/bulk", json={"tasks": items}, headers=tenant.auth(Role.editor)
    )
    assert response.status_code == 201, response.text
    schedule = (await client.get(f"/v1/campaigns/{cid}/schedule", headers=tenant.auth())).json()
    codes = {
        (c["code"], next(r["code"] for r in schedule["rows"] if r["id"] == c["task_id"]))
        for c in schedule["conflicts"]
    }
    assert ("starts_before_predecessor_ends", "M-003") in codes
    assert ("outside_campaign", "M-003") in codes  # ends 05-25, campaign ends 05-20
    assert ("outside_campaign", "M-004") in codes


async def test_free_log_entries(client, tenant, people):
    cid, tasks = await create_breakdown(client, tenant, people)
    entry = await client.post(
        f"/v1/campaigns/{cid}/log",
        json={
            "kind": "blocker",
            "note": "2 posts rejected for medical claims",
            "related_task_ids": [tasks["M-003"]["id"]],
        },
        headers=tenant.auth(Role.editor),
    )
    assert entry.status_code == 201, entry.text
    assert entry.json()["kind"] == "blocker"
    task_timeline = (
        await client.get(f"/v1/tasks/{tasks['M-003']['id']}/activity", headers=tenant.auth())
    ).json()["items"]
    assert task_timeline[0]["note"] == "2 posts rejected for medical claims"
    stranger = await client.post(
        f"/v1/campaigns/{cid}/log",
        headers=tenant.auth(Role.editor),
        json={"note": "x", "related_task_ids": [cid]},
    )
    assert fields_of(assert_problem(stranger, 422)) == {"body.related_task_ids"}
    viewer = await client.post(
        f"/v1/campaigns/{cid}/log", json={"note": "x"}, headers=tenant.auth(Role.viewer)
    )
    assert_problem(viewer, 403)


async def test_tasks_of_another_workspace_are_404(client, tenant, other_tenant, people):
    _, tasks = await create_breakdown(client, tenant, people)
    task_id = tasks["M-001"]["id"]
    assert_problem(await client.get(f"/v1/tasks/{task_id}", headers=other_tenant.auth()), 404)
    assert_problem(
        await client.patch(
            f"/v1/tasks/{task_id}", json={"progress": 5}, headers=other_tenant.auth()
        ),
        404,
    )
    assert_problem(
        await client.get(f"/v1/tasks/{task_id}/activity", headers=other_tenant.auth()), 404
    )


async def test_the_schedule_follows_every_change_of_the_plan(client, tenant, people):
    cid, tasks = await create_breakdown(client, tenant, people)
    url = f"/v1/campaigns/{cid}/schedule"
    first = (await client.get(url, headers=tenant.auth())).json()
    assert {r["code"]: r["total_float"] for r in first["rows"]}["M-001"] == 15
    # M-001 now ends 05-20: its float shrinks to 5 days.
    moved = await patch(
        client,
        tenant,
        tasks["M-001"]["id"],
        {"planned_end": "2024-05-20", "delay_reason": "Quotes late"},
    )
    assert moved.status_code == 200
    second = (await client.get(url, headers=tenant.auth())).json()
    assert {r["code"]: r["total_float"] for r in second["rows"]}["M-001"] == 5
    # Dropping M-003 -> M-004 takes M-003 off the driving chain into M-004.
    await patch(
        client, tenant, tasks["M-004"]["id"], {"predecessors": [{"task_id": tasks["M-001"]["id"]}]}
    )
    third = (await client.get(url, headers=tenant.auth())).json()
    assert third["critical_path"] != second["critical_path"]


async def test_tasks_and_activity_are_paginated(client, tenant, people):
    cid, tasks = await create_breakdown(client, tenant, people)
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = (
            await client.get(f"/v1/campaigns/{cid}/tasks", params=params, headers=tenant.auth())
        ).json()
        seen += [t["code"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["M-001", "M-002", "M-003", "M-004"]  # creation order, each once

    for progress in (10, 20, 30):
        await patch(client, tenant, tasks["M-001"]["id"], {"progress": progress})
    url = f"/v1/tasks/{tasks['M-001']['id']}/activity"
    first = (await client.get(url, params={"limit": 2}, headers=tenant.auth())).json()
    assert [e["changes"]["progress"] for e in first["items"]] == [[20, 30], [10, 20]]
    entries, cursor = list(first["items"]), first["next_cursor"]
    while cursor:
        more = await client.get(url, params={"limit": 2, "cursor": cursor}, headers=tenant.auth())
        entries += more.json()["items"]
        cursor = more.json()["next_cursor"]
    # Newest first: three edits, then its creation and the link to M-004 (same flush).
    assert [e["changes"].get("progress") for e in entries[:3]] == [[20, 30], [10, 20], [0, 10]]
    assert sorted((e["entity_type"], e["action"]) for e in entries[3:]) == [
        ("task", "created"),
        ("task_dependency", "created"),
    ]
    assert len({e["id"] for e in entries}) == 5
    mismatched = await client.get(
        f"/v1/campaigns/{cid}/tasks", params={"cursor": first["next_cursor"]}, headers=tenant.auth()
    )
    assert_problem(mismatched, 400)


async def test_a_draft_with_a_breakdown_can_still_be_deleted(client, tenant, people):
    cid = (await make_campaign(client, tenant))["id"]
    tree = [
        {"code": "S-1", "name": "Strategy", "level": "strategy"},
        {"code": "MOD-1", "name": "Module", "level": "module", "parent_code": "S-1"},
        {"code": "A", "name": "Task", "parent_code": "MOD-1", "owner_id": people["lead"]},
        {
            "code": "B",
            "name": "Task",
            "parent_code": "MOD-1",
            "owner_id": people["lead"],
            "predecessors": [{"code": "A"}],
        },
    ]
    created = await client.post(
        f"/v1/campaigns/{cid}/tasks/bulk", json={"tasks": tree}, headers=tenant.auth(Role.editor)
    )
    assert created.status_code == 201
    module = next(t for t in created.json() if t["code"] == "MOD-1")
    demoted = await patch(
        client, tenant, module["id"], {"level": "task", "owner_id": people["lead"]}
    )
    assert fields_of(assert_problem(demoted, 422)) == {"body.level"}
    parent = await client.delete(f"/v1/tasks/{module['id']}", headers=tenant.auth(Role.editor))
    assert_problem(parent, 409, "has_children")
    deleted = await client.delete(f"/v1/campaigns/{cid}", headers=tenant.auth(Role.editor))
    assert deleted.status_code == 204
    assert_problem(await client.get(f"/v1/tasks/{module['id']}", headers=tenant.auth()), 404)


async def test_times_without_an_offset_are_refused_not_crashing(client, tenant, people):
    cid, _ = await create_breakdown(client, tenant, people)
    naive = await client.get(
        f"/v1/campaigns/{cid}/activity",
        params={"since": "2024-06-01T00:00:00"},
        headers=tenant.auth(),
    )
    assert fields_of(assert_problem(naive, 422)) == {"query.since"}
    aware = await client.get(
        f"/v1/campaigns/{cid}/activity",
        params={"since": "2024-06-01T00:00:00+08:00"},
        headers=tenant.auth(),
    )
    assert aware.status_code == 200
    series = await client.get(
        f"/v1/campaigns/{cid}/series",
        params={"metric": "clicks", "from": "2024-06-01T00:00:00"},
        headers=tenant.auth(),
    )
    assert fields_of(assert_problem(series, 422)) == {"query.from"}


async def test_a_breakdown_can_be_built_one_task_at_a_time(client, tenant, people):
    campaign = await make_campaign(client, tenant)
    url = f"/v1/campaigns/{campaign['id']}/tasks"

    async def add(**body: Any) -> dict[str, Any]:
        response = await client.post(url, json=body, headers=tenant.auth(Role.editor))
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    strategy = await add(name="KOC seeding", level="strategy")
    second_strategy = await add(name="Feed ads", level="strategy")
    module = await add(name="Seeding content", level="module", parent_id=strategy["id"])
    first = await add(name="Plan selling points", owner_id=people["copywriter"])
    task = await add(
        name="Produce posts",
        owner_id=people["designer"],
        parent_id=module["id"],
        predecessors=[{"task_id": first["id"]}],
    )
    assert [t["level"] for t in (strategy, second_strategy, module, first, task)] == [
        "strategy", "strategy", "module", "task", "task",
    ]  # fmt: skip
    assert task["parent_id"] == module["id"]
    listed = await client.get(url, headers=tenant.auth())
    assert len(listed.json()["items"]) == 5
