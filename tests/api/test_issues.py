"""Tracked issues: the brief's table as a resource, its statuses, comments, history and SLA."""

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from shared import jobs
from shared.actor import Role
from shared.alerts.models import Alert, AlertStatus
from shared.db import unit_of_work
from shared.events.models import Event
from shared.issues import service as issues
from shared.issues.models import Issue
from shared.rules.models import Condition, Rule, Severity
from shared.timeutil import utcnow
from tests.helpers import (
    Tenant,
    add_member,
    assert_problem,
    fields_of,
    wait_until_a_query_waits_on_a_lock,
)

committed = pytest.mark.committed


async def make_campaign(client: httpx.AsyncClient, tenant: Tenant, name: str = "618") -> str:
    response = await client.post(
        "/v1/campaigns",
        json={"name": f"{name} skincare push", "kind": "promotion"},
        headers=tenant.auth(Role.editor),
    )
    assert response.status_code == 201, response.text
    campaign_id: str = response.json()["id"]
    return campaign_id


async def make_task(client: httpx.AsyncClient, tenant: Tenant, campaign_id: str, owner: str) -> str:
    response = await client.post(
        f"/v1/campaigns/{campaign_id}/tasks",
        json={"code": "M-003", "name": "Produce 10 posts", "owner_id": owner},
        headers=tenant.auth(Role.editor),
    )
    assert response.status_code == 201, response.text
    task_id: str = response.json()["id"]
    return task_id


@pytest.fixture
async def world(client, tenant: Tenant) -> dict[str, str]:
    owner = await add_member(client, tenant, name="Zhang Wei", title="Project manager")
    campaign = await make_campaign(client, tenant)
    return {
        "owner": owner["id"],
        "campaign": campaign,
        "task": await make_task(client, tenant, campaign, owner["id"]),
        "other_campaign": await make_campaign(client, tenant, "Double 11"),
    }


async def make_alert(session: Any, workspace_id: uuid.UUID, campaign_id: uuid.UUID) -> uuid.UUID:
    """A real alert (and its rule) for an issue to point at."""
    rule = Rule(
        workspace_id=workspace_id,
        name="CTR under target",
        condition=Condition.below_target,
        params={"metric": "ctr", "percent": "20"},
        severity=Severity.warning,
    )
    session.add(rule)
    await session.flush()
    now = utcnow()
    alert = Alert(
        workspace_id=workspace_id,
        rule_id=rule.id,
        campaign_id=campaign_id,
        subject="",
        fingerprint=f"{rule.id}:{campaign_id}:",
        status=AlertStatus.firing,
        severity=Severity.warning,
        message="ctr 0.012 is 20% under its target 0.015",
        first_seen_at=now,
        last_seen_at=now,
        fired_at=now,
    )
    session.add(alert)
    await session.flush()
    return alert.id


def issue_body(world: dict[str, str], **fields: Any) -> dict[str, Any]:
    return {
        "campaign_id": world["campaign"],
        "related_task_id": world.get("task"),
        "title": "CTR 1.2% on the social feed, 20% under target",
        "description": "Click-through has stayed at 1.2% for three days.",
        "impact": "New users 30% behind pace.",
        "owner_id": world["owner"],
        "expected_resolution_date": "2024-06-05",
        "severity": "warning",
    } | fields


async def open_issue(
    client: httpx.AsyncClient, tenant: Tenant, world: dict[str, str], **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/issues", json=issue_body(world, **fields), headers=tenant.auth(Role.editor)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def patch(
    client: httpx.AsyncClient, tenant: Tenant, issue_id: str, body: dict[str, Any], **headers: str
) -> httpx.Response:
    return await client.patch(
        f"/v1/issues/{issue_id}", json=body, headers=tenant.auth(Role.editor) | headers
    )


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_an_issue_is_opened_with_its_response_deadline_and_an_event(
    client, tenant, world, session
):
    response = await client.post(
        "/v1/issues", json=issue_body(world), headers=tenant.auth(Role.editor)
    )
    assert response.status_code == 201, response.text
    issue = response.json()
    assert response.headers["location"] == f"/v1/issues/{issue['id']}"
    assert response.headers["etag"] == '"1"'
    assert issue["status"] == "open"
    assert issue["source"] == "manual"
    assert issue["alert_id"] is None
    assert issue["owner_id"] == world["owner"]
    assert issue["related_task_id"] == world["task"]
    assert issue["progress"] == 0
    assert at(issue["response_due_at"]) - at(issue["opened_at"]) == timedelta(hours=24)
    assert issue["responded_at"] is None
    assert issue["response_overdue"] is False
    assert issue["allowed_statuses"] == ["in_progress", "resolved", "closed"]

    fetched = await client.get(f"/v1/issues/{issue['id']}", headers=tenant.auth(Role.viewer))
    assert fetched.status_code == 200
    assert fetched.json() == issue
    assert fetched.headers["etag"] == '"1"'

    events = (
        await session.scalars(select(Event).where(Event.subject_id == uuid.UUID(issue["id"])))
    ).all()
    assert [(e.kind, e.campaign_id, e.actor_api_key_id) for e in events] == [
        ("issue.created", uuid.UUID(world["campaign"]), tenant.key_ids[Role.editor])
    ]
    assert events[0].data["severity"] == "warning"


async def test_an_action_plan_given_at_once_is_an_on_time_response(client, tenant, world):
    issue = await open_issue(client, tenant, world, action_plan="Swap the creatives.")
    assert issue["responded_at"] == issue["opened_at"]


async def test_bad_input_is_422_naming_the_field(client, tenant, world, other_tenant):
    editor = tenant.auth(Role.editor)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"owner_id": None}, "body.owner_id"),
        ({"owner_id": str(uuid.uuid4())}, "body.owner_id"),
        ({"campaign_id": str(uuid.uuid4())}, "body.campaign_id"),
        ({"related_task_id": str(uuid.uuid4())}, "body.related_task_id"),
        ({"progress": 101}, "body.progress"),
        ({"severity": "urgent"}, "body.severity"),
        ({"title": "x" * 201}, "body.title"),
        ({"description": "  "}, "body.description"),
        ({"owners": [world["owner"]]}, "body.owners"),  # one owner, never a list
    ]
    for fields, field in cases:
        response = await client.post("/v1/issues", json=issue_body(world, **fields), headers=editor)
        problem = assert_problem(response, 422)
        assert field in fields_of(problem), (fields, problem)

    # A task of another campaign of the same workspace.
    other_task = await make_task(client, tenant, world["other_campaign"], world["owner"])
    response = await client.post(
        "/v1/issues", json=issue_body(world, related_task_id=other_task), headers=editor
    )
    assert "body.related_task_id" in fields_of(assert_problem(response, 422))

    # Another workspace's campaign and member are unknown here.
    foreign_campaign = await make_campaign(client, other_tenant)
    foreign_member = await add_member(client, other_tenant)
    response = await client.post(
        "/v1/issues",
        json=issue_body(
            world,
            campaign_id=foreign_campaign,
            related_task_id=None,
            owner_id=foreign_member["id"],
        ),
        headers=editor,
    )
    assert fields_of(assert_problem(response, 422)) == {"body.campaign_id", "body.owner_id"}

    viewer = await client.post(
        "/v1/issues", json=issue_body(world), headers=tenant.auth(Role.viewer)
    )
    assert_problem(viewer, 403)
    listed = await client.get("/v1/issues", headers=tenant.auth(Role.viewer))
    assert listed.json()["items"] == []


async def test_another_workspaces_issue_answers_404(client, tenant, world, other_tenant):
    issue = await open_issue(client, tenant, world)
    theirs = other_tenant.auth()
    base = f"/v1/issues/{issue['id']}"
    for response in (
        await client.get(base, headers=theirs),
        await client.patch(base, json={"progress": 10}, headers=theirs),
        await client.post(f"{base}/reopen", json={"reason": "again"}, headers=theirs),
        await client.get(f"{base}/comments", headers=theirs),
        await client.post(f"{base}/comments", json={"body": "hello"}, headers=theirs),
        await client.get(f"{base}/history", headers=theirs),
    ):
        assert_problem(response, 404, "not_found")
    assert (await client.get("/v1/issues", headers=theirs)).json()["items"] == []
    unchanged = await client.get(base, headers=tenant.auth())
    assert unchanged.json()["progress"] == 0
    assert (await client.get(f"{base}/comments", headers=tenant.auth())).json()["items"] == []


async def test_statuses_follow_the_table_and_closed_is_final_until_reopened(client, tenant, world):
    issue = await open_issue(client, tenant, world)
    iid = issue["id"]

    started = await patch(client, tenant, iid, {"status": "in_progress", "progress": 40})
    assert started.status_code == 200, started.text
    assert started.json()["allowed_statuses"] == ["open", "resolved", "closed"]

    resolved = await patch(client, tenant, iid, {"status": "resolved"})
    assert resolved.status_code == 200
    assert resolved.json()["progress"] == 100
    assert resolved.json()["resolved_at"] is not None
    assert resolved.json()["allowed_statuses"] == ["closed"]

    back = await patch(client, tenant, iid, {"status": "in_progress"})
    problem = assert_problem(back, 409, "invalid_transition")
    assert problem["allowed_statuses"] == ["closed"]
    assert "reopen" in problem["detail"]

    closed = await patch(client, tenant, iid, {"status": "closed"})
    assert closed.status_code == 200
    assert closed.json()["closed_at"] is not None
    assert closed.json()["allowed_statuses"] == []
    assert_problem(await patch(client, tenant, iid, {"title": "Renamed"}), 409, "issue_closed")
    assert_problem(await patch(client, tenant, iid, {"status": "open"}), 409, "issue_closed")
    same = await patch(client, tenant, iid, {"status": "closed"})  # nothing to change
    assert same.status_code == 200

    reopened = await client.post(
        f"/v1/issues/{iid}/reopen",
        json={"reason": "CTR fell again after the swap."},
        headers=tenant.auth(Role.editor),
    )
    assert reopened.status_code == 200, reopened.text
    body = reopened.json()
    assert (body["status"], body["resolved_at"], body["closed_at"]) == ("open", None, None)
    comments = (await client.get(f"/v1/issues/{iid}/comments", headers=tenant.auth())).json()
    assert [c["body"] for c in comments["items"]] == ["Reopened: CTR fell again after the swap."]

    again = await client.post(
        f"/v1/issues/{iid}/reopen", json={"reason": "x"}, headers=tenant.auth(Role.editor)
    )
    assert assert_problem(again, 409, "invalid_transition")["issue_status"] == "open"

    # Straight from open to closed (no longer a problem) is allowed too.
    assert (await patch(client, tenant, iid, {"status": "closed"})).status_code == 200


async def test_patch_honours_if_match_and_validates_like_create(client, tenant, world):
    issue = await open_issue(client, tenant, world)
    iid = issue["id"]
    stale = await patch(client, tenant, iid, {"progress": 10}, **{"If-Match": '"7"'})
    assert_problem(stale, 412, "precondition_failed")

    fresh = await patch(client, tenant, iid, {"progress": 10}, **{"If-Match": '"1"'})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] == '"2"'
    assert fresh.json()["version"] == 2

    for body, field in (
        ({"owner_id": None}, "body.owner_id"),
        ({"owner_id": str(uuid.uuid4())}, "body.owner_id"),
        ({"related_task_id": str(uuid.uuid4())}, "body.related_task_id"),
        ({"progress": -1}, "body.progress"),
        ({"status": "done"}, "body.status"),
        ({"campaign_id": world["other_campaign"]}, "body.campaign_id"),
    ):
        problem = assert_problem(await patch(client, tenant, iid, body), 422)
        assert field in fields_of(problem), (body, problem)

    cleared = await patch(client, tenant, iid, {"related_task_id": None, "impact": None})
    assert cleared.status_code == 200
    assert (cleared.json()["related_task_id"], cleared.json()["impact"]) == (None, None)


async def test_the_first_action_plan_is_the_response(client, tenant, world):
    issue = await open_issue(client, tenant, world)
    first = await patch(client, tenant, issue["id"], {"action_plan": "Swap the creatives."})
    responded_at = first.json()["responded_at"]
    assert responded_at is not None
    second = await patch(client, tenant, issue["id"], {"action_plan": "Swap and retarget."})
    assert second.json()["responded_at"] == responded_at
    assert_problem(await patch(client, tenant, issue["id"], {"action_plan": ""}), 422)


async def test_comments_are_kept_oldest_first_with_their_author(client, tenant, world):
    issue = await open_issue(client, tenant, world)
    url = f"/v1/issues/{issue['id']}/comments"
    for text in ("New creatives go live at 10:00.", "CTR back to 1.4%."):
        response = await client.post(url, json={"body": text}, headers=tenant.auth(Role.editor))
        assert response.status_code == 201, response.text
        assert response.json()["kind"] == "person"
        assert response.json()["actor_api_key_id"] == str(tenant.key_ids[Role.editor])
    assert_problem(await client.post(url, json={"body": ""}, headers=tenant.auth()), 422)
    assert_problem(
        await client.post(url, json={"body": "hi"}, headers=tenant.auth(Role.viewer)), 403
    )

    first = await client.get(url, params={"limit": 1}, headers=tenant.auth(Role.viewer))
    assert [c["body"] for c in first.json()["items"]] == ["New creatives go live at 10:00."]
    rest = await client.get(
        url, params={"limit": 1, "cursor": first.json()["next_cursor"]}, headers=tenant.auth()
    )
    assert [c["body"] for c in rest.json()["items"]] == ["CTR back to 1.4%."]
    assert rest.json()["next_cursor"] is None


async def test_history_shows_who_when_field_before_and_after(client, tenant, world):
    issue = await open_issue(client, tenant, world)
    iid = issue["id"]
    await patch(client, tenant, iid, {"status": "in_progress", "action_plan": "Swap creatives."})
    await client.post(
        f"/v1/issues/{iid}/comments", json={"body": "Done by noon."}, headers=tenant.auth()
    )

    response = await client.get(f"/v1/issues/{iid}/history", headers=tenant.auth(Role.viewer))
    assert response.status_code == 200, response.text
    entries = response.json()["items"]
    assert [(e["entity_type"], e["action"]) for e in entries] == [
        ("issue", "created"),
        ("issue", "updated"),
        ("issue_comment", "created"),
    ]
    created, updated, commented = entries
    assert created["actor_api_key_id"] == str(tenant.key_ids[Role.editor])
    assert {"field": "title", "old": None, "new": issue["title"]} in created["changes"]
    changes = {c["field"]: (c["old"], c["new"]) for c in updated["changes"]}
    assert changes["status"] == ("open", "in_progress")
    assert changes["action_plan"] == (None, "Swap creatives.")
    assert changes["responded_at"][0] is None
    assert updated["actor_api_key_id"] == str(tenant.key_ids[Role.editor])
    assert at(updated["at"]) >= at(created["at"])
    assert commented["actor_api_key_id"] == str(tenant.key_ids[Role.admin])
    assert {"field": "body", "old": None, "new": "Done by noon."} in commented["changes"]

    # The campaign's execution log carries the issue's changes too.
    activity = await client.get(
        f"/v1/campaigns/{world['campaign']}/activity",
        params={"entity_type": "issue"},
        headers=tenant.auth(),
    )
    assert len(activity.json()["items"]) == 2


async def test_response_times_per_severity(client, tenant, world):
    defaults = await client.get("/v1/issues/response-times", headers=tenant.auth(Role.viewer))
    assert defaults.status_code == 200, defaults.text
    assert defaults.json() == {
        "info": 1440,
        "warning": 1440,
        "critical": 1440,
        "defaulted": ["info", "warning", "critical"],
    }
    assert_problem(
        await client.put(
            "/v1/issues/response-times", json={"critical": 240}, headers=tenant.auth(Role.editor)
        ),
        403,
    )
    for bad in ({"critical": 0}, {"critical": "4h"}, {"urgent": 10}):
        problem = assert_problem(
            await client.put("/v1/issues/response-times", json=bad, headers=tenant.auth()), 422
        )
        assert f"body.{next(iter(bad))}" in fields_of(problem)

    put = await client.put(
        "/v1/issues/response-times", json={"critical": 240, "info": 2880}, headers=tenant.auth()
    )
    assert put.json() == {"info": 2880, "warning": 1440, "critical": 240, "defaulted": ["warning"]}
    critical = await open_issue(client, tenant, world, severity="critical")
    assert at(critical["response_due_at"]) - at(critical["opened_at"]) == timedelta(hours=4)
    warning = await open_issue(client, tenant, world, severity="warning")
    assert at(warning["response_due_at"]) - at(warning["opened_at"]) == timedelta(hours=24)

    # Raising the severity before the response brings the shorter deadline.
    raised = await patch(client, tenant, warning["id"], {"severity": "critical"})
    assert at(raised.json()["response_due_at"]) - at(warning["opened_at"]) == timedelta(hours=4)

    reset = await client.put("/v1/issues/response-times", json={}, headers=tenant.auth())
    assert reset.json()["defaulted"] == ["info", "warning", "critical"]


async def test_list_filters_sorts_and_pages(client, tenant, world, session):
    other_owner = await add_member(client, tenant, name="Wang Fang")
    first = await open_issue(client, tenant, world, severity="critical")
    second = await open_issue(
        client, tenant, world, owner_id=other_owner["id"], expected_resolution_date=None
    )
    third = await open_issue(
        client,
        tenant,
        world,
        campaign_id=world["other_campaign"],
        related_task_id=None,
        expected_resolution_date="2024-05-30",
        action_plan="Already on it.",
    )
    await patch(client, tenant, second["id"], {"status": "resolved"})
    # The first issue's response time has run out (nobody gave an action plan).
    await session.execute(
        update(Issue)
        .where(Issue.id == uuid.UUID(first["id"]))
        .values(response_due_at=utcnow() - timedelta(minutes=1))
    )
    await session.commit()

    async def ids(**params: Any) -> list[str]:
        response = await client.get("/v1/issues", params=params, headers=tenant.auth(Role.viewer))
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    assert await ids() == [third["id"], second["id"], first["id"]]  # newest first
    assert await ids(sort="created_at") == [first["id"], second["id"], third["id"]]
    assert await ids(status=["open", "in_progress"]) == [third["id"], first["id"]]
    assert await ids(severity="critical") == [first["id"]]
    assert await ids(owner_id=other_owner["id"]) == [second["id"]]
    assert await ids(campaign_id=world["other_campaign"]) == [third["id"]]
    assert await ids(source="alert") == []
    assert await ids(alert_id=str(uuid.uuid4())) == []
    assert await ids(overdue_response="true") == [first["id"]]
    assert set(await ids(overdue_response="false")) == {second["id"], third["id"]}
    assert await ids(sort="expected_resolution_date") == [third["id"], first["id"], second["id"]]
    assert await ids(sort="-expected_resolution_date") == [second["id"], first["id"], third["id"]]

    overdue = await client.get(f"/v1/issues/{first['id']}", headers=tenant.auth())
    assert overdue.json()["response_overdue"] is True

    page = await client.get(
        "/v1/issues", params={"limit": 2, "sort": "response_due_at"}, headers=tenant.auth()
    )
    assert [i["id"] for i in page.json()["items"]] == [first["id"], second["id"]]
    rest = await client.get(
        "/v1/issues",
        params={"limit": 2, "sort": "response_due_at", "cursor": page.json()["next_cursor"]},
        headers=tenant.auth(),
    )
    assert [i["id"] for i in rest.json()["items"]] == [third["id"]]
    mismatched = await client.get(
        "/v1/issues", params={"cursor": page.json()["next_cursor"]}, headers=tenant.auth()
    )
    assert_problem(mismatched, 400)
    assert "query.sort" in fields_of(
        assert_problem(await client.get("/v1/issues?sort=title", headers=tenant.auth()), 422)
    )


async def test_an_alert_opens_one_issue_and_its_resolution_is_a_comment(
    client, tenant, world, session
):
    alert_id = await make_alert(session, tenant.workspace_id, uuid.UUID(world["campaign"]))
    arguments: dict[str, Any] = {
        "workspace_id": tenant.workspace_id,
        "campaign_id": uuid.UUID(world["campaign"]),
        "alert_id": alert_id,
        "title": "CTR 20% below target",
        "description": "CTR 1.2% against a 1.5% target.",
        "severity": "warning",
        "owner_id": uuid.UUID(world["owner"]),
        "now": utcnow(),
    }
    opened = await issues.open_issue_for_alert(session, **arguments)
    again = await issues.open_issue_for_alert(session, **arguments)
    assert again.id == opened.id
    await issues.note_alert_resolved(
        session, alert_id=alert_id, note="The alert resolved: recovered.", now=utcnow()
    )
    await session.commit()

    listed = await client.get(
        "/v1/issues", params={"alert_id": str(alert_id)}, headers=tenant.auth()
    )
    [issue] = listed.json()["items"]
    assert (issue["source"], issue["status"], issue["owner_id"]) == (
        "alert",
        "open",
        world["owner"],
    )
    comments = (
        await client.get(f"/v1/issues/{issue['id']}/comments", headers=tenant.auth())
    ).json()["items"]
    assert [(c["kind"], c["body"], c["actor_api_key_id"]) for c in comments] == [
        ("system", "The alert resolved: recovered.", None)
    ]
    created = await session.scalar(
        select(func.count()).select_from(Event).where(Event.subject_id == opened.id)
    )
    assert created == 1


@committed
async def test_concurrent_openings_for_one_alert_make_one_issue(client, tenant, runtime):
    owner = await add_member(client, tenant)
    campaign = await make_campaign(client, tenant)
    async with runtime.sessionmaker() as session, session.begin():
        alert_id = await make_alert(session, tenant.workspace_id, uuid.UUID(campaign))

    async def open_for_alert(session: Any) -> Issue:
        return await issues.open_issue_for_alert(
            session,
            workspace_id=tenant.workspace_id,
            campaign_id=uuid.UUID(campaign),
            alert_id=alert_id,
            title="Negative comments over 50",
            description="51 negative comments today.",
            severity="critical",
            owner_id=uuid.UUID(owner["id"]),
            now=utcnow(),
        )

    async with runtime.sessionmaker() as first, runtime.sessionmaker() as second:
        mine = await open_for_alert(first)  # inserted, not committed yet
        theirs = asyncio.create_task(open_for_alert(second))
        await wait_until_a_query_waits_on_a_lock(runtime.engine)  # on the unique index
        assert not theirs.done()
        await first.commit()
        found = await theirs
        await second.commit()
    assert found.id == mine.id

    async with runtime.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(Issue).where(Issue.alert_id == alert_id)
        )
        events = await session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == "issue.created")
        )
    assert (count, events) == (1, 1)


@committed
async def test_the_sla_watch_marks_each_overdue_issue_once(client, tenant, runtime, run_worker):
    owner = await add_member(client, tenant)
    campaign = await make_campaign(client, tenant)
    world = {"campaign": campaign, "owner": owner["id"]}
    late = await open_issue(client, tenant, world)
    answered = await open_issue(client, tenant, world, action_plan="On it.")
    resolved = await open_issue(client, tenant, world)
    await patch(client, tenant, resolved["id"], {"status": "resolved"})
    on_time = await open_issue(client, tenant, world)
    async with runtime.sessionmaker() as session, session.begin():
        await session.execute(
            update(Issue)
            .where(Issue.id.in_([uuid.UUID(i["id"]) for i in (late, answered, resolved)]))
            .values(response_due_at=utcnow() - timedelta(minutes=5))
        )

    # Two runs at once (two workers' ticks), then another one later.
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
        jobs.enqueue(work, "check_issue_response_sla", job_id="sla-a")
        jobs.enqueue(work, "check_issue_response_sla", job_id="sla-b")
    worker = await run_worker()
    assert worker.jobs_failed == 0
    assert worker.jobs_complete >= 2  # a cron tick may have joined them
    breached = (await client.get(f"/v1/issues/{late['id']}", headers=tenant.auth())).json()
    assert breached["sla_breached_at"] is not None
    assert breached["response_overdue"] is True
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
        jobs.enqueue(work, "check_issue_response_sla", job_id="sla-c")
    await run_worker()

    again = (await client.get(f"/v1/issues/{late['id']}", headers=tenant.auth())).json()
    assert again["sla_breached_at"] == breached["sla_breached_at"]
    for other in (answered, resolved, on_time):
        current = (await client.get(f"/v1/issues/{other['id']}", headers=tenant.auth())).json()
        assert current["sla_breached_at"] is None
    async with runtime.sessionmaker() as session:
        events = (
            await session.scalars(select(Event).where(Event.kind == "issue.sla_breached"))
        ).all()
    assert [(e.subject_id, e.actor_api_key_id) for e in events] == [(uuid.UUID(late["id"]), None)]
    filtered = await client.get(
        "/v1/issues", params={"sla_breached": "true"}, headers=tenant.auth()
    )
    assert [i["id"] for i in filtered.json()["items"]] == [late["id"]]

    history = (await client.get(f"/v1/issues/{late['id']}/history", headers=tenant.auth())).json()[
        "items"
    ]
    assert history[-1]["actor_api_key_id"] is None  # campaignops itself
    assert [c["field"] for c in history[-1]["changes"]] == ["sla_breached_at"]
