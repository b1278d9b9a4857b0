"""Task sign-off (R2) on the brief's M-001..M-004: the owner submits, the approver accepts
or returns; PATCH no longer finishes a task that has an approver."""

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from shared.actor import Role
from shared.timeutil import utcnow
from tests.api.test_events import feed
from tests.api.test_tasks import make_campaign
from tests.helpers import Tenant, add_member, assert_problem, fields_of
from tests.worker.test_alerts import SHANGHAI

committed = pytest.mark.committed


@dataclass
class Person:
    id: str
    name: str
    key: dict[str, str]  # Authorization header of an editor key bound to them


async def person(client: httpx.AsyncClient, tenant: Tenant, name: str, role: str = "editor"):
    member = await add_member(client, tenant, name=name)
    created = await client.post(
        "/v1/api-keys",
        json={"name": f"{name}'s key", "role": role, "member_id": member["id"]},
        headers=tenant.auth(),
    )
    assert created.status_code == 201, created.text
    return Person(member["id"], name, {"Authorization": f"Bearer {created.json()['key']}"})


async def hire_crew(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Person]:
    """The brief's people, each with an editor key bound to them."""
    return {
        who: await person(client, tenant, name)
        for who, name in (
            ("specialist", "Qian Specialist"),
            ("copywriter", "Sun Copywriter"),
            ("designer", "Wang Designer"),
            ("lead", "Zhao Lead"),
            ("stranger", "Li Stranger"),
        )
    }


@pytest.fixture
async def crew(client, tenant: Tenant) -> dict[str, Person]:
    return await hire_crew(client, tenant)


def breakdown(crew: dict[str, Person]) -> list[dict[str, Any]]:
    """The brief's tasks table; the brand lead signs off the posts and the schedule (R2)."""
    return [
        {
            "code": "M-001",
            "name": "Select 20 beauty KOCs (>= 50k followers)",
            "owner_id": crew["specialist"].id,
            "planned_start": "2024-05-01",
            "planned_end": "2024-05-10",
            "deliverable": "KOC list and quotes",
        },
        {
            "code": "M-002",
            "name": "Plan seeding content (10 selling points)",
            "owner_id": crew["copywriter"].id,
            "planned_start": "2024-05-11",
            "planned_end": "2024-05-15",
            "deliverable": "Content plan",
        },
        {
            "code": "M-003",
            "name": "Produce 10 posts + 5 short videos",
            "owner_id": crew["designer"].id,
            "approver_id": crew["lead"].id,
            "planned_start": "2024-05-16",
            "planned_end": "2024-05-25",
            "deliverable": "Final assets",
            "predecessors": [{"code": "M-002"}],
        },
        {
            "code": "M-004",
            "name": "Publishing schedule for KOCs (06-01..06-15)",
            "owner_id": crew["specialist"].id,
            "approver_id": crew["lead"].id,
            "planned_start": "2024-05-26",
            "planned_end": "2024-05-30",
            "deliverable": "Schedule",
            "predecessors": [{"code": "M-001"}, {"code": "M-003"}],
        },
    ]


async def create_breakdown(
    client: httpx.AsyncClient, tenant: Tenant, crew: dict[str, Person]
) -> tuple[str, dict[str, dict[str, Any]]]:
    campaign = await make_campaign(client, tenant)
    created = await client.post(
        f"/v1/campaigns/{campaign['id']}/tasks/bulk",
        json={"tasks": breakdown(crew)},
        headers=tenant.auth(Role.editor),
    )
    assert created.status_code == 201, created.text
    return campaign["id"], {t["code"]: t for t in created.json()}


async def act(
    client: httpx.AsyncClient, task: dict[str, Any], action: str, who: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(f"/v1/tasks/{task['id']}/{action}", json=body, headers=who)


async def plan_done(client: httpx.AsyncClient, tasks: dict[str, Any], crew: dict[str, Person]):
    """M-002, before M-003 can be handed in: its owner signs it off (it has no approver)."""
    done = await act(client, tasks["M-002"], "submit", crew["copywriter"].key, note="Plan v1")
    assert done.json()["status"] == "done", done.text


def local_days() -> set[str]:
    """Today in the campaign's timezone (Shanghai), both sides of a midnight the test spans."""
    return {utcnow().astimezone(SHANGHAI).date().isoformat()}


async def test_owner_submits_approver_returns_with_a_comment_then_accepts(client, tenant, crew):
    _, tasks = await create_breakdown(client, tenant, crew)
    designer, lead = crew["designer"].key, crew["lead"].key
    today = local_days()

    # M-002 has no approver: its owner signs it off by submitting it.
    plan = await act(client, tasks["M-002"], "submit", crew["copywriter"].key, note="Plan v1")
    assert plan.status_code == 200, plan.text
    assert (plan.json()["status"], plan.json()["progress"]) == ("done", 100)
    assert plan.json()["actual_end"] in today | local_days()

    submitted = await act(
        client,
        tasks["M-003"],
        "submit",
        designer,
        link="https://drive.example.com/posts-v1",
        note="8 of 10 posts, 5 videos",
    )
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "in_review"
    assert submitted.json()["actual_start"] in today | local_days()
    assert submitted.headers["etag"] == f'"{submitted.json()["version"]}"'

    returned = await act(
        client, tasks["M-003"], "return", lead, comment="Two posts make medical claims."
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "in_progress"
    assert returned.json()["actual_end"] is None

    again = await act(client, tasks["M-003"], "submit", designer, note="Claims rewritten")
    assert again.json()["status"] == "in_review"
    accepted = await act(client, tasks["M-003"], "accept", lead, comment="Good to publish.")
    assert accepted.status_code == 200, accepted.text
    done = accepted.json()
    assert (done["status"], done["progress"]) == ("done", 100)
    assert done["actual_end"] in today | local_days()

    reviews = (
        await client.get(f"/v1/tasks/{tasks['M-003']['id']}/reviews", headers=tenant.auth())
    ).json()
    assert [(r["number"], r["outcome"], r["comment"]) for r in reviews] == [
        (1, "returned", "Two posts make medical claims."),
        (2, "accepted", "Good to publish."),
    ]
    assert reviews[0]["link"] == "https://drive.example.com/posts-v1"
    assert reviews[0]["submitted_by_member_id"] == crew["designer"].id
    assert reviews[1]["decided_by_member_id"] == crew["lead"].id

    # The task's log tells the story in words, by whom, beside the field changes.
    log = (
        await client.get(f"/v1/tasks/{tasks['M-003']['id']}/activity", headers=tenant.auth())
    ).json()["items"]
    notes = [e["note"] for e in reversed(log) if e["action"] == "note"]
    assert notes == [
        "M-003 submitted for review to Zhao Lead: 8 of 10 posts, 5 videos "
        "https://drive.example.com/posts-v1",
        "M-003 returned by Zhao Lead: Two posts make medical claims.",
        "M-003 submitted for review to Zhao Lead: Claims rewritten",
        "M-003 accepted by Zhao Lead: Good to publish.",
    ]
    statuses = [
        e["changes"]["status"]
        for e in reversed(log)
        if e["action"] == "updated" and "status" in e["changes"]
    ]
    assert statuses == [
        ["todo", "in_review"],
        ["in_review", "in_progress"],
        ["in_progress", "in_review"],
        ["in_review", "done"],
    ]
    assert next(e for e in log if e["action"] == "note")["actor_member_id"] == crew["lead"].id


async def test_only_the_owner_submits_and_only_the_approver_decides(
    client, tenant, other_tenant, crew
):
    _, tasks = await create_breakdown(client, tenant, crew)
    await plan_done(client, tasks, crew)
    m003 = tasks["M-003"]
    stranger = await act(client, m003, "submit", crew["stranger"].key, note="Mine now")
    problem = assert_problem(stranger, 403, "not_task_owner")
    assert "Wang Designer" in problem["detail"]
    assert "Li Stranger" in problem["detail"]
    admin = await act(client, m003, "submit", tenant.auth(), note="On their behalf")
    assert_problem(admin, 403, "member_key_required")
    viewer = await person(client, tenant, "Viewer Designer", role="viewer")
    assert_problem(await act(client, m003, "submit", viewer.key, note="x"), 403)
    foreign = await act(client, m003, "submit", other_tenant.auth(), note="x")
    assert_problem(foreign, 404)
    assert_problem(await act(client, m003, "accept", crew["lead"].key), 409, "not_in_review")

    assert (await act(client, m003, "submit", crew["designer"].key, note="v1")).status_code == 200
    twice = await act(client, m003, "submit", crew["designer"].key, note="v1 again")
    assert_problem(twice, 409, "invalid_transition")
    own = await act(client, m003, "accept", crew["designer"].key)
    assert_problem(own, 403, "not_task_approver")
    assert_problem(await act(client, m003, "accept", tenant.auth()), 403, "member_key_required")
    assert_problem(
        await act(client, m003, "return", crew["stranger"].key, comment="No"),
        403,
        "not_task_approver",
    )
    task = (await client.get(f"/v1/tasks/{m003['id']}", headers=tenant.auth())).json()
    assert task["status"] == "in_review"  # nothing refused changed it

    # Handing the review to someone else is a PATCH of the approver; they decide then.
    moved = await client.patch(
        f"/v1/tasks/{m003['id']}",
        json={"approver_id": crew["stranger"].id},
        headers=tenant.auth(Role.editor),
    )
    assert moved.status_code == 200, moved.text
    accepted = await act(client, m003, "accept", crew["stranger"].key)
    assert accepted.json()["status"] == "done"


async def test_patch_cannot_finish_a_task_with_an_approver(client, tenant, crew):
    _, tasks = await create_breakdown(client, tenant, crew)
    m003 = tasks["M-003"]

    async def patch(body: dict[str, Any]) -> httpx.Response:
        response: httpx.Response = await client.patch(
            f"/v1/tasks/{m003['id']}", json=body, headers=tenant.auth(Role.editor)
        )
        return response

    finished = assert_problem(
        await patch({"status": "done", "force_reason": "x"}), 409, "sign_off_required"
    )
    assert finished["review_actions"] == ["submit"]
    assert f"/v1/tasks/{m003['id']}/submit" in finished["detail"]
    assert_problem(await patch({"status": "in_review"}), 409, "sign_off_required")

    await act(client, m003, "submit", crew["designer"].key, note="v1", force_reason="Plan is ok")
    left = assert_problem(await patch({"status": "in_progress"}), 409, "task_in_review")
    assert left["review_actions"] == ["accept", "return"]
    assert_problem(await patch({"status": "cancelled"}), 409, "task_in_review")
    cleared = assert_problem(await patch({"approver_id": None}), 422)
    assert fields_of(cleared) == {"body.approver_id"}
    assert (await patch({"progress": 90})).status_code == 200  # other fields stay editable

    # Without an approver the owner's work is done by PATCH as before, or by submitting.
    m001 = await client.patch(
        f"/v1/tasks/{tasks['M-001']['id']}",
        json={"status": "done"},
        headers=crew["specialist"].key,
    )
    assert m001.json()["status"] == "done"
    assert m001.json()["progress"] == 100


async def test_submitting_follows_the_order_of_work(client, tenant, crew):
    cid, tasks = await create_breakdown(client, tenant, crew)
    early = await act(client, tasks["M-004"], "submit", crew["specialist"].key, note="Draft")
    problem = assert_problem(early, 409, "predecessors_not_done")
    assert problem["blockers"] == ["M-001", "M-003"]
    forced = await act(
        client,
        tasks["M-004"],
        "submit",
        crew["specialist"].key,
        note="Draft",
        force_reason="KOC list agreed by phone",
    )
    assert forced.json()["status"] == "in_review"
    overrides = (
        await client.get(
            f"/v1/campaigns/{cid}/log", params={"kind": "override"}, headers=tenant.auth()
        )
    ).json()["items"]
    assert "KOC list agreed by phone" in overrides[0]["note"]


async def test_review_bodies_are_checked(client, tenant, crew):
    _, tasks = await create_breakdown(client, tenant, crew)
    await plan_done(client, tasks, crew)
    m003, designer = tasks["M-003"], crew["designer"].key
    nothing = assert_problem(await act(client, m003, "submit", designer), 422)
    assert fields_of(nothing) == {"body.link"}
    for body, field in (
        ({"link": "ftp://files.example.com/a"}, "body.link"),
        ({"link": "https://x.example.com/" + "a" * 2048}, "body.link"),
        ({"note": "n" * 2001}, "body.note"),
        ({"note": "ok", "reviewer": "me"}, "body.reviewer"),
    ):
        refused = await act(client, m003, "submit", designer, **body)
        assert fields_of(assert_problem(refused, 422)) == {field}, body
    await act(client, m003, "submit", designer, note="v1")
    for body in ({}, {"comment": "   "}, {"comment": "c" * 2001}):
        refused = await act(client, m003, "return", crew["lead"].key, **body)
        assert fields_of(assert_problem(refused, 422)) == {"body.comment"}
    # Accept takes no body at all, or an optional comment.
    bare = await client.post(f"/v1/tasks/{m003['id']}/accept", headers=crew["lead"].key)
    assert bare.status_code == 200, bare.text


async def test_a_retried_submit_replays_and_if_match_guards_it(client, tenant, crew):
    _, tasks = await create_breakdown(client, tenant, crew)
    await plan_done(client, tasks, crew)
    m003 = tasks["M-003"]
    stale = await client.post(
        f"/v1/tasks/{m003['id']}/submit",
        json={"note": "v1"},
        headers=crew["designer"].key | {"If-Match": '"999"'},
    )
    assert_problem(stale, 412)
    headers = crew["designer"].key | {"Idempotency-Key": "submit-m003-v1"}
    first = await client.post(
        f"/v1/tasks/{m003['id']}/submit", json={"note": "v1"}, headers=headers
    )
    retry = await client.post(
        f"/v1/tasks/{m003['id']}/submit", json={"note": "v1"}, headers=headers
    )
    assert first.status_code == retry.status_code == 200
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()


async def test_due_soon_days_per_workspace_and_campaign(client, tenant, other_tenant):
    settings = await client.get("/v1/task-reminders", headers=tenant.auth(Role.viewer))
    assert settings.json() == {"due_soon_days": 3}  # the manuals' 3 days
    refused = await client.put(
        "/v1/task-reminders", json={"due_soon_days": 5}, headers=tenant.auth(Role.editor)
    )
    assert_problem(refused, 403)
    put = await client.put("/v1/task-reminders", json={"due_soon_days": 5}, headers=tenant.auth())
    assert put.json() == {"due_soon_days": 5}
    for bad in ({"due_soon_days": 21}, {"due_soon_days": -1}, {"due_soon_days": "3"}, {}):
        wrong = await client.put("/v1/task-reminders", json=bad, headers=tenant.auth())
        assert fields_of(assert_problem(wrong, 422)) == {"body.due_soon_days"}

    campaign = await make_campaign(client, tenant)
    path = f"/v1/campaigns/{campaign['id']}/task-reminders"
    inherited = await client.get(path, headers=tenant.auth(Role.viewer))
    assert inherited.json() == {"due_soon_days": None, "effective_due_soon_days": 5}
    own = await client.put(path, json={"due_soon_days": 1}, headers=tenant.auth(Role.editor))
    assert own.json() == {"due_soon_days": 1, "effective_due_soon_days": 1}
    off = await client.put(path, json={"due_soon_days": 0}, headers=tenant.auth(Role.editor))
    assert off.json() == {"due_soon_days": 0, "effective_due_soon_days": 0}
    back = await client.put(path, json={"due_soon_days": None}, headers=tenant.auth(Role.editor))
    assert back.json() == {"due_soon_days": None, "effective_due_soon_days": 5}
    assert_problem(await client.get(path, headers=other_tenant.auth()), 404)


@committed
async def test_assignments_submissions_and_returns_are_in_the_feed(client, tenant, crew):
    cid, tasks = await create_breakdown(client, tenant, crew)
    await plan_done(client, tasks, crew)
    m003 = tasks["M-003"]
    await act(client, m003, "submit", crew["designer"].key, link="https://drive.example.com/v1")
    await act(client, m003, "return", crew["lead"].key, comment="Add the video captions.")
    reassigned = await client.patch(
        f"/v1/tasks/{tasks['M-001']['id']}",
        json={"owner_id": crew["copywriter"].id},
        headers=crew["lead"].key,
    )
    assert reassigned.status_code == 200, reassigned.text

    events = (await feed(client, tenant, campaign_id=cid, limit=50))["items"]
    assigned = [e for e in events if e["kind"] == "task.assigned"]
    assert [(e["data"]["code"], e["data"]["owner_id"]) for e in assigned] == [
        ("M-001", crew["specialist"].id),
        ("M-002", crew["copywriter"].id),
        ("M-003", crew["designer"].id),
        ("M-004", crew["specialist"].id),
        ("M-001", crew["copywriter"].id),
    ]
    assert assigned[-1]["data"]["previous_owner_id"] == crew["specialist"].id
    assert assigned[-1]["actor_member_id"] == crew["lead"].id
    assert assigned[0]["data"]["message"] == (
        "M-001 Select 20 beauty KOCs (>= 50k followers) is assigned to Qian Specialist "
        "(due 2024-05-10)."
    )
    [submitted] = [e for e in events if e["kind"] == "task.submitted_for_review"]
    assert submitted["subject_id"] == m003["id"]
    assert submitted["actor_member_id"] == crew["designer"].id
    assert submitted["data"]["approver_id"] == crew["lead"].id
    assert submitted["data"]["deliverable_link"] == "https://drive.example.com/v1"
    [returned] = [e for e in events if e["kind"] == "task.returned"]
    assert returned["data"]["comment"] == "Add the video captions."
    assert returned["data"]["owner_id"] == crew["designer"].id
    assert returned["data"]["status"] == "in_progress"
