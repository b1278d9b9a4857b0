"""Task events reach people: assignments, reviews and due dates on members' personal
endpoints, through a real worker and real receivers; due-soon warnings computed from an
injected `now`, once per task and planned end however many sweeps run."""

import asyncio
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, update
from standardwebhooks.webhooks import Webhook

from shared import jobs
from shared.actor import Role
from shared.campaigns.models import Campaign, CampaignStatus
from shared.db import unit_of_work
from shared.events import kinds
from shared.events.models import Event
from shared.notifications.service import SEND_JOB
from shared.tasks import reminders
from shared.tasks.models import Task
from tests.api.test_task_sign_off import (
    Person,
    act,
    create_breakdown,
    hire_crew,
    person,
    plan_done,
)
from tests.helpers import Tenant, wait_until_a_query_waits_on_a_lock
from tests.worker.test_notifications import Received, Receiver, add_endpoint, receiving

pytestmark = pytest.mark.committed
SHANGHAI, NEW_YORK = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")
TASK_KINDS = [
    kinds.TASK_ASSIGNED,
    kinds.TASK_SUBMITTED_FOR_REVIEW,
    kinds.TASK_RETURNED,
    kinds.TASK_DUE_SOON,
]


def received(receiver: Receiver, path: str) -> list[tuple[str, str]]:
    """(kind, task code) of each webhook a path received (sent concurrently: sorted)."""
    return sorted(
        (r.json()["type"], r.json()["data"]["code"]) for r in receiver.requests if r.path == path
    )


def one(receiver: Receiver, path: str, kind: str) -> Received:
    [request] = [r for r in receiver.requests if r.path == path and r.json()["type"] == kind]
    return request


async def test_people_hear_of_their_tasks_on_their_own_endpoints(client, tenant, run_worker):
    crew = await hire_crew(client, tenant)
    async with receiving() as receiver:
        ops = await add_endpoint(client, tenant, receiver.url + "/ops", event_kinds=TASK_KINDS)
        phone = await add_endpoint(
            client,
            tenant,
            receiver.url + "/designer",
            name="Wang's phone",
            member_id=crew["designer"].id,
        )
        # A personal endpoint listing the kinds is still reached once per event.
        await add_endpoint(
            client,
            tenant,
            receiver.url + "/designer-subscribed",
            member_id=crew["designer"].id,
            event_kinds=[kinds.TASK_ASSIGNED, kinds.TASK_RETURNED],
        )
        await add_endpoint(client, tenant, receiver.url + "/lead", member_id=crew["lead"].id)
        await add_endpoint(
            client,
            tenant,
            receiver.url + "/specialist",
            format="slack",
            member_id=crew["specialist"].id,
        )

        _, tasks = await create_breakdown(client, tenant, crew)  # by a key bound to nobody
        await plan_done(client, tasks, crew)
        await act(
            client,
            tasks["M-003"],
            "submit",
            crew["designer"].key,
            link="https://drive.example.com/posts",
        )
        await act(client, tasks["M-003"], "return", crew["lead"].key, comment="Captions, please.")
        # The lead takes M-002 over themselves: nobody is told what they did.
        took = await client.patch(
            f"/v1/tasks/{tasks['M-002']['id']}",
            json={"owner_id": crew["lead"].id},
            headers=crew["lead"].key,
        )
        assert took.status_code == 200, took.text
        worker = await run_worker()
        assert worker.jobs_failed == 0

        assert received(receiver, "/designer") == [
            ("task.assigned", "M-003"),
            ("task.returned", "M-003"),
        ]
        assert received(receiver, "/designer-subscribed") == received(receiver, "/designer")
        assert received(receiver, "/lead") == [("task.submitted_for_review", "M-003")]
        assert received(receiver, "/ops") == [
            ("task.assigned", "M-001"),
            ("task.assigned", "M-002"),
            ("task.assigned", "M-002"),
            ("task.assigned", "M-003"),
            ("task.assigned", "M-004"),
            ("task.returned", "M-003"),
            ("task.submitted_for_review", "M-003"),
        ]
        slack = [r.json() for r in receiver.requests if r.path == "/specialist"]
        assert len(slack) == 2  # M-001 and M-004
        assert all("Task assigned" in message["text"] for message in slack)
        assert any("M-004" in message["text"] for message in slack)

        returned = one(receiver, "/designer", "task.returned")
        # Verified as the designer's receiver does, with the secret it was shown once.
        data = Webhook(phone["secret"]).verify(returned.body, returned.headers)["data"]
        assert data["member_id"] == crew["designer"].id
        assert data["member_role"] == "owner"
        assert data["comment"] == "Captions, please."
        assert data["message"] == (
            "M-003 Produce 10 posts + 5 short videos is returned by Zhao Lead: Captions, please."
        )
        assert data["link"].endswith(f"/v1/tasks/{tasks['M-003']['id']}")
        assert data["campaign_name"] == "Summer skincare launch 2024"
        review = one(receiver, "/lead", "task.submitted_for_review").json()["data"]
        assert review["member_role"] == "approver"
        assert review["deliverable_link"] == "https://drive.example.com/posts"
        assert review["link"].endswith(f"/v1/tasks/{tasks['M-003']['id']}")
        # The ops endpoint (subscribed) and the person's own get different deliveries.
        assert (
            returned.headers["webhook-id"]
            != one(receiver, "/ops", "task.returned").headers["webhook-id"]
        )
        assert ops["member_id"] is None


def local(zone: ZoneInfo, day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=zone)


async def running_campaign(
    client: httpx.AsyncClient, tenant: Tenant, session: Any, name: str, zone: ZoneInfo
) -> str:
    created = await client.post(
        "/v1/campaigns",
        json={"name": name, "kind": "promotion", "timezone": zone.key},
        headers=tenant.auth(Role.editor),
    )
    assert created.status_code == 201, created.text
    cid: str = created.json()["id"]
    await session.execute(
        update(Campaign).where(Campaign.id == uuid.UUID(cid)).values(status=CampaignStatus.active)
    )
    await session.commit()
    return cid


async def add_task(
    client: httpx.AsyncClient, tenant: Tenant, cid: str, code: str, owner: Person, end: date, **more
) -> dict[str, Any]:
    created = await client.post(
        f"/v1/campaigns/{cid}/tasks",
        json={"code": code, "name": f"Task {code}", "owner_id": owner.id, "planned_end": str(end)}
        | more,
        headers=tenant.auth(Role.editor),
    )
    assert created.status_code == 201, created.text
    answer: dict[str, Any] = created.json()
    return answer


async def sweep(runtime: Any, now: datetime) -> list[str]:
    """The due-soon cron at `now`; the codes of the tasks it warned."""
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
        warned = await reminders.warn_due_soon(session, now=now)
        ids = [w.task_id for w in warned]
        return sorted(await session.scalars(select(Task.code).where(Task.id.in_(ids))))


async def test_due_soon_once_per_due_date_across_a_weekend_in_each_campaigns_timezone(
    client, tenant, session, runtime, run_worker
):
    owner = await person(client, tenant, "Wang Designer")
    thursday = date(2030, 6, 6)
    friday, monday = thursday + timedelta(days=1), thursday + timedelta(days=4)
    tuesday, wednesday = thursday + timedelta(days=5), thursday + timedelta(days=6)
    shanghai = await running_campaign(client, tenant, session, "618 Shanghai", SHANGHAI)
    new_york = await running_campaign(client, tenant, session, "Launch New York", NEW_YORK)
    set_ny = await client.put(
        f"/v1/campaigns/{new_york}/task-reminders",
        json={"due_soon_days": 1},
        headers=tenant.auth(Role.editor),
    )
    assert set_ny.status_code == 200, set_ny.text

    async with receiving() as receiver:
        await add_endpoint(client, tenant, receiver.url + "/phone", member_id=owner.id)
        a = await add_task(client, tenant, shanghai, "A", owner, tuesday)
        await add_task(client, tenant, shanghai, "B", owner, wednesday)
        done = await add_task(client, tenant, shanghai, "DONE", owner, monday)
        finished = await client.patch(
            f"/v1/tasks/{done['id']}", json={"status": "done"}, headers=owner.key
        )
        assert finished.status_code == 200, finished.text
        await add_task(client, tenant, shanghai, "MOD", owner, friday, level="module")
        await add_task(client, tenant, new_york, "NY", owner, tuesday)

        # Tuesday with 3 working days: from Thursday 09:00 (Fri, Mon, Tue left), not before.
        assert await sweep(runtime, local(SHANGHAI, thursday, time(8, 59))) == []
        thursday_morning = local(SHANGHAI, thursday, time(9, 30))  # New York: Wednesday night
        async with runtime.sessionmaker() as first, runtime.sessionmaker() as second:
            mine = await reminders.warn_due_soon(first, now=thursday_morning)
            theirs = asyncio.create_task(reminders.warn_due_soon(second, now=thursday_morning))
            await wait_until_a_query_waits_on_a_lock(runtime.engine)  # on the unique key
            assert not theirs.done()
            await first.commit()
            assert await theirs == []  # the other worker's sweep warned nobody twice
            await second.commit()
        assert [w.task_id for w in mine] == [uuid.UUID(a["id"])]
        assert await sweep(runtime, thursday_morning + timedelta(hours=3)) == []

        # A moves to Wednesday: a new due date warns again. The weekend warns nobody; the
        # New York campaign (1 working day) warns on Monday morning, its own time.
        moved = await client.patch(
            f"/v1/tasks/{a['id']}",
            json={"planned_end": str(wednesday), "delay_reason": "Waiting for KOC quotes"},
            headers=owner.key,
        )
        assert moved.status_code == 200, moved.text
        assert await sweep(runtime, local(SHANGHAI, friday, time(9, 5))) == ["A", "B"]
        saturday = local(SHANGHAI, friday + timedelta(days=1), time(10))
        assert await sweep(runtime, saturday) == []
        assert await sweep(runtime, local(NEW_YORK, friday, time(17))) == []
        assert await sweep(runtime, local(NEW_YORK, monday, time(8, 30))) == []
        assert await sweep(runtime, local(NEW_YORK, monday, time(9, 1))) == ["NY"]

        count = await session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == kinds.TASK_DUE_SOON)
        )
        assert count == 4  # A twice (two due dates), B, NY

        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            jobs.enqueue(work, SEND_JOB)  # the concurrent sweep's commit enqueued nothing
        await run_worker()
        warnings = {
            (r.json()["data"]["code"], r.json()["data"]["planned_end"]): r.json()["data"]
            for r in receiver.requests
            if r.path == "/phone" and r.json()["type"] == kinds.TASK_DUE_SOON
        }
        assert sorted(warnings) == [
            ("A", str(tuesday)),
            ("A", str(wednesday)),
            ("B", str(wednesday)),
            ("NY", str(tuesday)),
        ]
        first = warnings["A", str(tuesday)]
        assert first["message"] == "A Task A is due on Tue 2030-06-11 (3 working days left)."
        assert (first["working_days_left"], first["due_soon_days"]) == (3, 3)
        assert first["member_role"] == "owner"
        assert warnings["NY", str(tuesday)]["due_soon_days"] == 1
