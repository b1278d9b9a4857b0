"""An issue not resolved within the manuals' 48 hours: the worker finds it once, and its
escalation policy tells the people it names, through real receivers."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from standardwebhooks import Webhook

from shared import jobs
from shared.alerts.models import Alert, AlertStatus
from shared.approvals.models import ApprovalRound, RoundStatus
from shared.db import unit_of_work
from shared.issues import service as issues
from shared.issues.models import Issue
from shared.rules.models import Condition, Rule, Severity
from shared.timeutil import utcnow
from tests.helpers import Tenant, add_member
from tests.worker.test_alerts import campaign_with_owner
from tests.worker.test_notifications import add_endpoint, receiving

pytestmark = pytest.mark.committed
OVERDUE = "issue.resolution_overdue"


async def opened_48_hours_ago(session: Any, *issue_ids: str) -> None:
    """Time moves on without sleeping: the issues were opened two days earlier."""
    two_days = timedelta(hours=48)
    await session.execute(
        update(Issue)
        .where(Issue.id.in_([uuid.UUID(i) for i in issue_ids]))
        .values(
            opened_at=Issue.opened_at - two_days,
            response_due_at=Issue.response_due_at - two_days,
            resolution_due_at=Issue.resolution_due_at - two_days,
        )
    )
    await session.commit()


async def watch(runtime: Any, run_worker: Any) -> None:
    """The worker's resolution watch, then whatever it owes (the sender)."""
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
        # A fresh id: arq keeps a finished job's id for an hour and drops a repeat.
        jobs.enqueue(work, "check_issue_resolution_sla", job_id=f"resolution-{uuid.uuid4()}")
    worker = await run_worker()
    assert worker.jobs_failed == 0
    await run_worker()  # a delivery owed by the watch's commit, if the burst ended first


async def open_issue(client: Any, tenant: Tenant, campaign_id: str, owner_id: str) -> str:
    created = await client.post(
        "/v1/issues",
        json={
            "campaign_id": campaign_id,
            "title": "Pop-up store at 500 visitors a day (target 800)",
            "description": "Foot traffic in the mall is low.",
            "owner_id": owner_id,
            "severity": "warning",
        },
        headers=tenant.auth(),
    )
    assert created.status_code == 201, created.text
    issue_id: str = created.json()["id"]
    return issue_id


async def timeline(client: Any, tenant: Tenant, issue_id: str) -> list[dict[str, Any]]:
    answer = await client.get(f"/v1/issues/{issue_id}/escalation", headers=tenant.auth())
    assert answer.status_code == 200, answer.text
    lines: list[dict[str, Any]] = answer.json()
    return lines


async def test_the_manuals_policy_tells_owner_campaign_owner_and_management_once(
    client, tenant: Tenant, session, runtime, run_worker
):
    async with receiving() as ops, receiving() as people:
        ctx = await campaign_with_owner(client, tenant, session)
        cid = ctx["campaign"]["id"]
        issue_owner = await add_member(client, tenant, name="Zhang Wei")
        management = await add_member(client, tenant, name="Liu Yang")
        session.add(
            ApprovalRound(
                workspace_id=tenant.workspace_id,
                campaign_id=uuid.UUID(cid),
                number=1,
                status=RoundStatus.approved,
                current_step=1,
                steps=[{"name": "Management", "approver_title": None,
                        "approver_member_ids": [management["id"]]}],
            )
        )  # fmt: skip
        await session.commit()
        endpoints = {}
        for path, member in (
            ("issue-owner", issue_owner),
            ("campaign-owner", ctx["owner"]),
            ("management", management),
        ):
            endpoints[f"/{path}"] = await add_endpoint(
                client, tenant, f"{people.url}/{path}", name=path, member_id=member["id"]
            )
        feed = await add_endpoint(client, tenant, f"{ops.url}/ops", event_kinds=[OVERDUE])
        installed = await client.post("/v1/escalation-policies/default", headers=tenant.auth())
        assert installed.status_code == 200, installed.text
        late = await open_issue(client, tenant, cid, issue_owner["id"])
        fresh = await open_issue(client, tenant, cid, issue_owner["id"])
        await opened_48_hours_ago(session, late)

        await watch(runtime, run_worker)
        assert sorted(r.path for r in people.requests) == [
            "/campaign-owner",
            "/issue-owner",
            "/management",
        ]
        for received in people.requests:
            message = Webhook(endpoints[received.path]["secret"]).verify(
                received.body, received.headers
            )
            assert message["type"] == OVERDUE
            data = message["data"]
            assert (data["subject_type"], data["subject_id"]) == ("issue", late)
            assert data["escalation_policy"] == "The manuals' escalation"
            assert data["title"] == "Pop-up store at 500 visitors a day (target 800)"
            assert data["link"].endswith(f"/v1/issues/{late}")
        [to_ops] = ops.requests  # the feed's subscriber, once
        assert Webhook(feed["secret"]).verify(to_ops.body, to_ops.headers)["type"] == OVERDUE

        # Found once: the next ticks tell nobody again, and the fresh issue is not late.
        await watch(runtime, run_worker)
        assert (len(people.requests), len(ops.requests)) == (3, 1)

    lines = await timeline(client, tenant, late)
    assert sorted(
        (s["trigger"], s["action"], s["target"].split()[0], s["delivery_status"],
         s["last_status_code"])
        for s in lines
    ) == [
        ("resolution_overdue", "notified", "campaign_owner", "delivered", 200),
        ("resolution_overdue", "notified", "final_approver", "delivered", 200),
        ("resolution_overdue", "notified", "issue_owner", "delivered", 200),
    ]  # fmt: skip
    assert await timeline(client, tenant, fresh) == []
    shown = (await client.get(f"/v1/issues/{late}", headers=tenant.auth())).json()
    assert shown["resolution_overdue"] is True
    assert shown["resolution_overdue_at"] == lines[0]["at"]


async def alert_of_rule_with_policy(
    session: Any, workspace_id: uuid.UUID, campaign_id: str, policy_id: str
) -> uuid.UUID:
    rule = Rule(
        workspace_id=workspace_id,
        name="Foot traffic under target",
        condition=Condition.below_target,
        params={"metric": "visitors", "percent": "20"},
        severity=Severity.warning,
        escalation_policy_id=uuid.UUID(policy_id),
    )
    session.add(rule)
    await session.flush()
    now = utcnow()
    alert = Alert(
        workspace_id=workspace_id,
        rule_id=rule.id,
        campaign_id=uuid.UUID(campaign_id),
        subject="",
        fingerprint=f"{rule.id}:{campaign_id}:",
        status=AlertStatus.firing,
        severity=Severity.warning,
        message="visitors 500 is 37.5% under its target 800",
        first_seen_at=now,
        last_seen_at=now,
        fired_at=now,
    )
    session.add(alert)
    await session.commit()
    return alert.id


async def test_subscribed_endpoints_are_not_told_twice_and_each_issue_follows_its_policy(
    client, tenant: Tenant, session, runtime, run_worker
):
    async with receiving() as ops:
        ctx = await campaign_with_owner(client, tenant, session)
        cid = ctx["campaign"]["id"]
        owner = ctx["owner"]["id"]
        lonely = await add_member(client, tenant, name="Chen Jie")  # no personal endpoint
        desk = await add_endpoint(client, tenant, f"{ops.url}/ops", event_kinds=[OVERDUE])
        default = await client.post(
            "/v1/escalation-policies",
            json={
                "name": "Ops desk",
                "levels": [{"after_minutes": 0, "targets": [{"type": "role",
                                                             "role": "campaign_owner"}]}],
                "resolution_overdue": {"targets": [
                    {"type": "endpoint", "endpoint_id": desk["id"]},
                    {"type": "member", "member_id": lonely["id"]},
                ]},
                "is_default": True,
            },
            headers=tenant.auth(),
        )  # fmt: skip
        assert default.status_code == 201, default.text
        quiet = await client.post(
            "/v1/escalation-policies",
            json={"name": "Quiet", "levels": [
                {"after_minutes": 0, "targets": [{"type": "role", "role": "campaign_owner"}]}
            ]},
            headers=tenant.auth(),
        )  # fmt: skip
        assert quiet.status_code == 201, quiet.text
        alert_id = await alert_of_rule_with_policy(
            session, tenant.workspace_id, cid, quiet.json()["id"]
        )
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            from_alert = await issues.open_issue_for_alert(
                work,
                workspace_id=tenant.workspace_id,
                campaign_id=uuid.UUID(cid),
                alert_id=alert_id,
                title="Foot traffic under target",
                description="500 visitors a day against 800.",
                severity="warning",
                owner_id=uuid.UUID(owner),
                now=utcnow(),
            )
        by_hand = await open_issue(client, tenant, cid, owner)
        await opened_48_hours_ago(session, by_hand, str(from_alert.id))

        await watch(runtime, run_worker)
        # The desk hears of both through its subscription, and of neither twice.
        assert sorted(r.json()["data"]["subject_id"] for r in ops.requests) == sorted(
            [by_hand, str(from_alert.id)]
        )

    manual_lines = await timeline(client, tenant, by_hand)
    assert sorted((s["action"], s["target"], s["note"]) for s in manual_lines) == [
        ("notified", "endpoint Ops", "given the event by its subscription"),
        ("unreachable", f"member {lonely['id']}", "no enabled personal endpoint"),
    ]
    [notified] = [s for s in manual_lines if s["action"] == "notified"]
    assert (notified["delivery_status"], notified["endpoint_id"]) == ("delivered", desk["id"])
    assert [(s["trigger"], s["action"], s["note"]) for s in await timeline(
        client, tenant, str(from_alert.id)
    )] == [
        ("resolution_overdue", "skipped", "the policy 'Quiet' names nobody for an overdue "
         "resolution"),
    ]  # fmt: skip
