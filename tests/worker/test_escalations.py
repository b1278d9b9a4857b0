"""Escalations: the brief's story through real receivers, with time moved by `now`."""

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from standardwebhooks import Webhook

from shared.alerts import service as alerts
from shared.approvals.models import ApprovalRound, RoundStatus
from shared.db import unit_of_work
from shared.escalations import service as escalations
from shared.escalations.models import Escalation, EscalationStatus
from shared.issues.models import Issue
from shared.notifications.models import Delivery
from shared.timeutil import utcnow
from tests.helpers import Tenant, add_member, assert_problem
from tests.worker.test_alerts import (
    SHANGHAI,
    add_goal,
    campaign_with_owner,
    enter,
    listed,
    rule,
    today,
)
from tests.worker.test_notifications import add_endpoint, receiving

pytestmark = pytest.mark.committed


async def story(client: Any, tenant: Tenant, session: Any, people_url: str) -> dict[str, Any]:
    """A campaign with an owner, a department head and management in its approval chain,
    each with a personal endpoint; the manuals' policy; a CTR rule that opens issues."""
    ctx = await campaign_with_owner(client, tenant, session)
    cid = ctx["campaign"]["id"]
    head = await add_member(client, tenant, name="Zhang Wei", title="Department head")
    management = await add_member(client, tenant, name="Liu Yang")
    session.add(
        ApprovalRound(
            workspace_id=tenant.workspace_id,
            campaign_id=uuid.UUID(cid),
            number=1,
            status=RoundStatus.approved,
            current_step=2,
            steps=[
                {"name": "Department head", "approver_title": "Department head",
                 "approver_member_ids": []},
                {"name": "Management", "approver_title": None,
                 "approver_member_ids": [management["id"]]},
            ],
        )
    )  # fmt: skip
    await session.commit()
    await add_goal(session, cid, "ctr", "0.015")
    for who, member in (("owner", ctx["owner"]), ("head", head), ("management", management)):
        await add_endpoint(
            client, tenant, f"{people_url}/{who}", name=f"{who} phone", member_id=member["id"]
        )
    installed = await client.post("/v1/escalation-policies/default", headers=tenant.auth())
    assert installed.status_code == 200, installed.text
    await rule(
        client,
        tenant,
        campaign_id=cid,
        condition="below_target",
        params={"metric": "ctr", "percent": "20"},
        opens_issue=True,
    )
    day = today().isoformat()
    await enter(
        client,
        tenant,
        cid,
        [
            {"channel": "social_feed", "metric": "impressions", "date": day, "value": 10_000},
            {"channel": "social_feed", "metric": "clicks", "date": day, "value": 120},
        ],
    )
    return ctx


def next_saturday_night(after: datetime) -> datetime:
    """The first Saturday 23:00 in Shanghai after `after` (the level waits for Monday 09:00)."""
    local = after.astimezone(SHANGHAI)
    night = local.replace(hour=23, minute=0, second=0, microsecond=0)
    night += timedelta(days=(5 - local.weekday()) % 7)
    return night if night > local else night + timedelta(days=7)


async def escalate(runtime: Any, now: datetime) -> int:
    """The escalation cron at `now`. Its deliveries are due at `now` too, which is ahead
    of the sender's clock here: they are brought back to the present to go out."""
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
        moved = await escalations.process_due(session, now=now)
        await session.execute(
            update(Delivery)
            .where(Delivery.next_attempt_at > utcnow())
            .values(next_attempt_at=utcnow())
        )
        return moved


async def test_owner_at_once_approver_at_4_hours_management_at_24_without_a_plan(
    client, tenant: Tenant, session, runtime, run_worker
):
    async with receiving() as ops, receiving() as people:
        endpoint = await add_endpoint(
            client, tenant, f"{ops.url}/ops", event_kinds=["alert.fired", "alert.resolved"]
        )
        await story(client, tenant, session, people.url)
        await run_worker()  # the batch applies, the rule fires, the ops endpoint is owed
        [alert] = await listed(client, tenant, status="firing")
        # The first level waits out the 30 s grouping window.
        start = datetime.fromisoformat(alert["fired_at"]) + timedelta(seconds=30)
        url = f"/v1/alerts/{alert['id']}/escalation"
        ahead = (await client.get(url, headers=tenant.auth())).json()
        assert [
            (s["level"], s["action"], s["upcoming"], datetime.fromisoformat(s["at"])) for s in ahead
        ] == [
            (1, "waiting", True, start),
            (2, "waiting", True, start + timedelta(hours=4)),
            (3, "waiting", True, start + timedelta(hours=24)),
        ]
        assert [s["target"] for s in ahead] == [
            "campaign_owner",
            "first_approver",
            "final_approver",
        ]
        assert "skipped if the alert is acknowledged" in ahead[1]["note"]
        assert "skipped if the issue has an action plan" in ahead[2]["note"]

        await escalate(runtime, start)  # level 1: at once
        await run_worker()  # the sender
        after_one = (await client.get(url, headers=tenant.auth())).json()
        assert [(s["level"], s["action"], s["upcoming"]) for s in after_one] == [
            (1, "notified", False),
            (2, "waiting", True),
            (3, "waiting", True),
        ]
        [to_ops] = ops.requests
        message = Webhook(endpoint["secret"]).verify(to_ops.body, to_ops.headers)
        assert message["type"] == "alert.fired"
        assert message["data"]["subject_id"] == alert["id"]
        assert [r.path for r in people.requests] == ["/owner"]

        assert await escalate(runtime, start + timedelta(hours=3, minutes=59)) == 0
        await escalate(runtime, start + timedelta(hours=4))
        await run_worker()
        assert [r.path for r in people.requests] == ["/owner", "/head"]
        assert people.requests[-1].json()["data"]["escalation_level"] == 2

        await escalate(runtime, start + timedelta(hours=23, minutes=59))
        await escalate(runtime, start + timedelta(hours=24))
        await run_worker()
        assert [r.path for r in people.requests] == ["/owner", "/head", "/management"]

    timeline = await client.get(f"/v1/alerts/{alert['id']}/escalation", headers=tenant.auth())
    assert [(s["level"], s["action"], s["delivery_status"], s["last_status_code"])
            for s in timeline.json()] == [
        (1, "notified", "delivered", 200),
        (2, "notified", "delivered", 200),
        (3, "notified", "delivered", 200),
    ]  # fmt: skip
    finished = await session.scalar(select(Escalation.status))
    assert finished == EscalationStatus.finished
    [issue] = (
        await client.get("/v1/issues", params={"alert_id": alert["id"]}, headers=tenant.auth())
    ).json()["items"]
    on_issue = await client.get(f"/v1/issues/{issue['id']}/escalation", headers=tenant.auth())
    assert on_issue.json() == timeline.json()


async def test_acknowledging_and_planning_stop_their_levels_and_workers_send_each_once(
    client, tenant: Tenant, session, runtime, run_worker
):
    async with receiving() as people:
        await story(client, tenant, session, people.url)
        await run_worker()
        [alert] = await listed(client, tenant, status="firing")
        # The first level waits out the 30 s grouping window.
        start = datetime.fromisoformat(alert["fired_at"]) + timedelta(seconds=30)

        results = await asyncio.gather(*(escalate(runtime, start) for _ in range(3)))
        assert sum(results) == 1  # one worker claimed it; the others skipped the locked row
        acknowledged = await client.post(
            f"/v1/alerts/{alert['id']}/acknowledge", headers=tenant.auth()
        )
        assert acknowledged.status_code == 200
        await escalate(runtime, start + timedelta(hours=4))
        await session.execute(update(Issue).values(action_plan="Move budget to live streams"))
        await session.commit()
        await escalate(runtime, start + timedelta(hours=24))
        await run_worker()
        assert [r.path for r in people.requests] == ["/owner"]

    timeline = (
        await client.get(f"/v1/alerts/{alert['id']}/escalation", headers=tenant.auth())
    ).json()
    assert [(s["action"], s["note"]) for s in timeline] == [
        ("notified", None),
        ("skipped", "acknowledged"),
        ("skipped", "the issue has an action plan"),
    ]
    assert await session.scalar(select(func.count()).select_from(Delivery)) == 1


async def test_resolving_stops_and_working_hours_wait(client, tenant: Tenant, session, runtime):
    async with receiving() as people:
        ctx = await story(client, tenant, session, people.url)
        policy = await client.post(
            "/v1/escalation-policies",
            json={
                "name": "Office hours",
                "levels": [
                    {
                        "after_minutes": 0,
                        "targets": [{"type": "role", "role": "campaign_owner"}],
                        "working_hours": {"weekdays": [0, 1, 2, 3, 4], "start": "09:00:00",
                                          "end": "18:00:00", "timezone": "Asia/Shanghai"},
                        "critical_overrides": False,
                    }
                ],
                "is_default": True,
            },
            headers=tenant.auth(),
        )  # fmt: skip
        assert policy.status_code == 201, policy.text
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            [alert] = await alerts.watch_campaign(
                work, campaign_id=uuid.UUID(ctx["campaign"]["id"]), now=utcnow()
            )
        assert alert.fired_at is not None
        saturday_night = next_saturday_night(alert.fired_at + timedelta(seconds=30))
        await escalate(runtime, saturday_night)
        waiting = await session.scalar(select(Escalation.next_due_at))
        monday_morning = saturday_night + timedelta(days=1, hours=10)
        assert waiting == monday_morning
        timeline = await client.get(f"/v1/alerts/{alert.id}/escalation", headers=tenant.auth())
        [held, ahead] = timeline.json()
        assert (held["action"], held["upcoming"]) == ("waiting", False)
        assert (ahead["action"], ahead["upcoming"]) == ("waiting", True)
        assert datetime.fromisoformat(ahead["at"]) == monday_morning

        resolved = await client.post(
            f"/v1/alerts/{alert.id}/resolve", json={"note": "fixed"}, headers=tenant.auth()
        )
        assert resolved.status_code == 200
        assert await session.scalar(select(Escalation.status)) == EscalationStatus.stopped
        assert await escalate(runtime, saturday_night + timedelta(days=3)) == 0

    refused = await client.post(
        "/v1/escalation-policies",
        json={"name": "x", "levels": [{"after_minutes": 5, "targets": [{"type": "member"}]}]},
        headers=tenant.auth(),
    )
    assert "levels.0.targets.0" in {e["field"] for e in assert_problem(refused, 422)["errors"]}


async def test_alerts_of_a_campaign_firing_together_go_out_as_one_message(
    client, tenant: Tenant, session, runtime
):
    async with receiving() as people:
        ctx = await story(client, tenant, session, people.url)
        cid = ctx["campaign"]["id"]
        await rule(
            client,
            tenant,
            campaign_id=cid,
            condition="threshold",
            params={"metric": "clicks", "op": ">=", "value": "10"},
            per_channel=True,
        )
        await enter(
            client,
            tenant,
            cid,
            [
                {"channel": ch, "metric": "clicks", "date": today().isoformat(), "value": 10}
                for ch in ("social_feed", "offline_store")
            ],
        )
        now = utcnow()
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            fired = await alerts.watch_campaign(work, campaign_id=uuid.UUID(cid), now=now)
        assert len(fired) == 3  # CTR under target, and clicks on both channels
        assert await escalate(runtime, now + timedelta(seconds=29)) == 0  # still grouping
        assert await escalate(runtime, now + timedelta(seconds=30)) == 3
        [delivery] = (await session.scalars(select(Delivery))).all()
        assert delivery.payload["subject_type"] == "campaign"
        assert len(delivery.payload["alerts"]) == 3
        assert delivery.payload["message"].startswith("3 alerts: ")


async def test_a_policy_repeats_and_a_silenced_alert_does_not_escalate(
    client, tenant: Tenant, session, runtime
):
    async with receiving() as people:
        ctx = await story(client, tenant, session, people.url)
        cid = uuid.UUID(ctx["campaign"]["id"])
        policy = await client.post(
            "/v1/escalation-policies",
            json={
                "name": "Twice to the owner",
                "levels": [{"after_minutes": 0, "targets": [{"type": "member",
                                                             "member_id": ctx["owner"]["id"]}]}],
                "repeat": 2,
                "repeat_after_minutes": 60,
                "group_seconds": 0,
                "is_default": True,
            },
            headers=tenant.auth(),
        )  # fmt: skip
        assert policy.status_code == 201, policy.text
        now = utcnow()
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            [alert] = await alerts.watch_campaign(work, campaign_id=cid, now=now)
        assert await escalate(runtime, now) == 1
        assert await escalate(runtime, now + timedelta(minutes=59)) == 0
        assert await escalate(runtime, now + timedelta(minutes=60)) == 1
        assert await escalate(runtime, now + timedelta(days=1)) == 0  # both rounds went out
        steps = (
            await client.get(f"/v1/alerts/{alert.id}/escalation", headers=tenant.auth())
        ).json()
        assert [(s["round"], s["action"]) for s in steps] == [(1, "notified"), (2, "notified")]

        # A silence on the campaign: the next alert is recorded, and nobody is called.
        await client.post(
            f"/v1/alerts/{alert.id}/resolve", json={"note": "ok"}, headers=tenant.auth()
        )
        silence = await client.post(
            "/v1/silences",
            json={"campaign_id": str(cid), "starts_at": (now - timedelta(hours=1)).isoformat(),
                  "comment": "launch day noise"},
            headers=tenant.auth(),
        )  # fmt: skip
        assert silence.status_code == 201
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            [again] = await alerts.watch_campaign(work, campaign_id=cid, now=now)
        assert again.silenced
        assert (
            await session.scalar(
                select(func.count()).select_from(Escalation).where(Escalation.alert_id == again.id)
            )
            == 0
        )
