"""The resolution SLA: the manuals' 48-hour emergency window per severity, the deadline on
each issue, the overdue mark found once, and what a policy says about it."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from shared import jobs
from shared.actor import Role
from shared.db import unit_of_work
from shared.events.models import Event
from shared.issues import sla
from shared.issues.models import Issue
from shared.timeutil import utcnow
from tests.api.test_issues import at, make_campaign, open_issue, patch
from tests.helpers import Tenant, add_member, assert_problem, fields_of

committed = pytest.mark.committed


@pytest.fixture
async def people(client, tenant: Tenant) -> dict[str, str]:
    owner = await add_member(client, tenant, name="Zhang Wei", title="Project manager")
    campaign = await make_campaign(client, tenant)
    return {"owner": owner["id"], "campaign": campaign}


async def make_overdue(session: Any, *issues: dict[str, Any]) -> None:
    """Their resolution time ran out a minute ago."""
    await session.execute(
        update(Issue)
        .where(Issue.id.in_([uuid.UUID(i["id"]) for i in issues]))
        .values(resolution_due_at=utcnow() - timedelta(minutes=1))
    )
    await session.commit()


async def overdue_events(session: Any, issue_id: str | None = None) -> list[Event]:
    query = select(Event).where(Event.kind == "issue.resolution_overdue")
    if issue_id is not None:
        query = query.where(Event.subject_id == uuid.UUID(issue_id))
    return list((await session.scalars(query.order_by(Event.seq))).all())


async def test_resolution_times_per_severity_set_each_issues_deadline(client, tenant, people):
    defaults = await client.get("/v1/issues/resolution-times", headers=tenant.auth(Role.viewer))
    assert defaults.status_code == 200, defaults.text
    assert defaults.json() == {
        "info": 2880,
        "warning": 2880,
        "critical": 2880,
        "defaulted": ["info", "warning", "critical"],
    }
    assert_problem(
        await client.put(
            "/v1/issues/resolution-times", json={"critical": 240}, headers=tenant.auth(Role.editor)
        ),
        403,
    )
    for bad in ({"critical": 0}, {"warning": "48h"}, {"urgent": 10}, {"info": 525_601}):
        problem = assert_problem(
            await client.put("/v1/issues/resolution-times", json=bad, headers=tenant.auth()), 422
        )
        assert f"body.{next(iter(bad))}" in fields_of(problem)

    put = await client.put(
        "/v1/issues/resolution-times", json={"critical": 1440}, headers=tenant.auth()
    )
    assert put.json() == {
        "info": 2880,
        "warning": 2880,
        "critical": 1440,
        "defaulted": ["info", "warning"],
    }
    # The response times are a setting of their own.
    responses = await client.get("/v1/issues/response-times", headers=tenant.auth())
    assert responses.json()["defaulted"] == ["info", "warning", "critical"]

    critical = await open_issue(client, tenant, people, severity="critical")
    assert at(critical["resolution_due_at"]) - at(critical["opened_at"]) == timedelta(hours=24)
    assert (critical["resolution_overdue_at"], critical["resolution_overdue"]) == (None, False)
    warning = await open_issue(client, tenant, people, severity="warning")
    assert at(warning["resolution_due_at"]) - at(warning["opened_at"]) == timedelta(hours=48)
    assert at(warning["response_due_at"]) - at(warning["opened_at"]) == timedelta(hours=24)

    # A new severity brings its own resolution time, counted from the opening.
    raised = await patch(client, tenant, warning["id"], {"severity": "critical"})
    assert at(raised.json()["resolution_due_at"]) - at(warning["opened_at"]) == timedelta(hours=24)
    # A new setting leaves the deadlines already given.
    await client.put("/v1/issues/resolution-times", json={}, headers=tenant.auth())
    kept = await client.get(f"/v1/issues/{critical['id']}", headers=tenant.auth())
    assert kept.json()["resolution_due_at"] == critical["resolution_due_at"]


async def test_found_overdue_once_then_kept_through_severity_resolution_and_reopening(
    client, tenant, people, session
):
    late = await open_issue(client, tenant, people)
    in_progress = await open_issue(client, tenant, people)
    await patch(client, tenant, in_progress["id"], {"status": "in_progress"})
    resolved = await open_issue(client, tenant, people)
    await patch(client, tenant, resolved["id"], {"status": "resolved"})
    closed = await open_issue(client, tenant, people)
    await patch(client, tenant, closed["id"], {"status": "closed"})
    on_time = await open_issue(client, tenant, people)

    # The watch at 47 h 59 min finds nothing; at 48 hours, the two still being worked on.
    opened = at(late["opened_at"])
    just_before = opened + timedelta(hours=47, minutes=59)
    assert await sla.mark_resolution_overdue(session, now=just_before) == []
    await make_overdue(session, late, in_progress, resolved, closed)
    found = await sla.mark_resolution_overdue(session, now=utcnow())
    await session.commit()
    assert {str(i.id) for i in found} == {late["id"], in_progress["id"]}
    assert await sla.mark_resolution_overdue(session, now=utcnow() + timedelta(hours=1)) == []

    shown = (await client.get(f"/v1/issues/{late['id']}", headers=tenant.auth())).json()
    assert shown["resolution_overdue_at"] is not None
    assert shown["resolution_overdue"] is True
    [event] = await overdue_events(session, late["id"])
    assert (event.campaign_id, event.actor_api_key_id) == (uuid.UUID(people["campaign"]), None)
    assert at(event.data["resolution_due_at"]) == at(shown["resolution_due_at"])
    assert event.data["title"] == late["title"]
    for other in (resolved, closed, on_time):
        current = (await client.get(f"/v1/issues/{other['id']}", headers=tenant.auth())).json()
        assert (current["resolution_overdue_at"], current["resolution_overdue"]) == (None, False)

    # Once found overdue, a new severity no longer moves the deadline.
    moved = (await patch(client, tenant, late["id"], {"severity": "critical"})).json()
    assert moved["resolution_due_at"] == shown["resolution_due_at"]
    # Resolved late: no longer overdue, and the mark stays as history.
    done = (await patch(client, tenant, late["id"], {"status": "resolved"})).json()
    assert (done["resolution_overdue"], done["resolution_overdue_at"]) == (
        False,
        shown["resolution_overdue_at"],
    )
    # Reopened: overdue again at once (its deadline has passed), never announced twice.
    reopened = await client.post(
        f"/v1/issues/{late['id']}/reopen", json={"reason": "CTR fell again."}, headers=tenant.auth()
    )
    assert reopened.json()["resolution_overdue"] is True
    assert await sla.mark_resolution_overdue(session, now=utcnow()) == []
    await session.commit()
    assert len(await overdue_events(session, late["id"])) == 1


async def test_list_filters_and_sorts_by_the_resolution_deadline(client, tenant, people, session):
    first = await open_issue(client, tenant, people, severity="critical")
    second = await open_issue(client, tenant, people)
    third = await open_issue(client, tenant, people)
    await make_overdue(session, first)
    await make_overdue(session, second)  # a moment later
    await sla.mark_resolution_overdue(session, now=utcnow())
    await session.commit()
    await patch(client, tenant, second["id"], {"status": "resolved"})

    async def ids(**params: Any) -> list[str]:
        response = await client.get("/v1/issues", params=params, headers=tenant.auth(Role.viewer))
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    assert await ids(overdue_resolution="true") == [first["id"]]
    assert await ids(overdue_resolution="false") == [third["id"], second["id"]]
    assert await ids(resolution_breached="true") == [second["id"], first["id"]]
    assert await ids(resolution_breached="false") == [third["id"]]
    assert await ids(sort="resolution_due_at") == [first["id"], second["id"], third["id"]]
    assert await ids(sort="-resolution_due_at") == [third["id"], second["id"], first["id"]]
    assert "query.overdue_resolution" in fields_of(
        assert_problem(
            await client.get("/v1/issues?overdue_resolution=maybe", headers=tenant.auth()), 422
        )
    )


async def test_a_policy_says_whom_to_tell_about_an_overdue_resolution(client, tenant, people):
    installed = await client.post("/v1/escalation-policies/default", headers=tenant.auth())
    assert installed.status_code == 200, installed.text
    assert installed.json()["resolution_overdue"] == {
        "targets": [
            {"type": "role", "role": "issue_owner"},
            {"type": "role", "role": "campaign_owner"},
            {"type": "role", "role": "final_approver"},
        ]
    }
    policy = installed.json()["id"]
    changed = await client.patch(
        f"/v1/escalation-policies/{policy}",
        json={
            "resolution_overdue": {"targets": [{"type": "member", "member_id": people["owner"]}]}
        },
        headers=tenant.auth(),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["resolution_overdue"]["targets"][0]["member_id"] == people["owner"]
    cleared = await client.patch(
        f"/v1/escalation-policies/{policy}",
        json={"resolution_overdue": None},
        headers=tenant.auth(),
    )
    assert cleared.json()["resolution_overdue"] is None

    for bad, field in (
        ({"targets": []}, "body.resolution_overdue.targets"),
        ({"targets": [{"type": "role", "role": "intern"}]},
         "body.resolution_overdue.targets.0.role"),
        ({"targets": [{"type": "member"}]}, "body.resolution_overdue.targets.0"),
        ({"targets": [{"type": "member", "member_id": str(uuid.uuid4())}]},
         "body.resolution_overdue.targets.0"),
        ({"who": "everyone"}, "body.resolution_overdue.who"),
    ):  # fmt: skip
        refused = await client.patch(
            f"/v1/escalation-policies/{policy}",
            json={"resolution_overdue": bad},
            headers=tenant.auth(),
        )
        assert field in fields_of(assert_problem(refused, 422)), (bad, refused.text)


@committed
async def test_two_workers_mark_an_overdue_issue_once(client, tenant, runtime, run_worker):
    owner = await add_member(client, tenant)
    campaign = await make_campaign(client, tenant)
    world = {"campaign": campaign, "owner": owner["id"]}
    late = await open_issue(client, tenant, world)
    also_late = await open_issue(client, tenant, world, severity="critical")
    on_time = await open_issue(client, tenant, world)
    async with runtime.sessionmaker() as session:
        await make_overdue(session, late, also_late)

    # Two workers' ticks at once: the first holds the rows, the second skips them.
    async with runtime.sessionmaker() as first, runtime.sessionmaker() as second:
        mine = await sla.mark_resolution_overdue(first, now=utcnow())
        theirs = await sla.mark_resolution_overdue(second, now=utcnow())
        assert (len(mine), theirs) == (2, [])
        await first.commit()
        await second.commit()
    # And the worker's job, twice, afterwards: nothing left to mark.
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
        # Fresh ids: arq keeps a finished job's id for an hour and drops a repeat.
        for _ in range(2):
            jobs.enqueue(work, "check_issue_resolution_sla", job_id=f"resolution-{uuid.uuid4()}")
    worker = await run_worker()
    assert worker.jobs_failed == 0

    async with runtime.sessionmaker() as session:
        events = await overdue_events(session)
        marked = await session.scalar(
            select(func.count()).select_from(Issue).where(Issue.resolution_overdue_at.is_not(None))
        )
    assert sorted(str(e.subject_id) for e in events) == sorted([late["id"], also_late["id"]])
    assert marked == 2
    assert (await client.get(f"/v1/issues/{on_time['id']}", headers=tenant.auth())).json()[
        "resolution_overdue_at"
    ] is None
    history = (await client.get(f"/v1/issues/{late['id']}/history", headers=tenant.auth())).json()
    last = history["items"][-1]
    assert last["actor_api_key_id"] is None  # campaignops itself
    assert [c["field"] for c in last["changes"]] == ["resolution_overdue_at"]
    feed = await client.get(
        "/v1/events", params={"kind": "issue.resolution_overdue"}, headers=tenant.auth()
    )
    assert len(feed.json()["items"]) == 2
